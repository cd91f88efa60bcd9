"""gitops-ml.yaml: malformed files are one line ``gitops-ml.yaml:LINE: ...`` and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import cli, make_project, run_ids


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("params: params.json\nmetrics: [a.json\n", 3, "not valid YAML"),
        ("params: params.json\nmetrcs: m.json\n", 2, "unknown key 'metrcs'"),
        ("params: params.json\ndata: ../outside\n", 2, "must not leave the repository"),
        ("params: /etc/passwd\n", 1, "relative path"),
        ("max_untracked_mb: lots\n", 1, "non-negative number"),
        ("tolerances:\n  accuracy: 5%\n", 2, "abs:X or rel:Y"),
        ("- just\n- a list\n", 1, "must be a mapping"),
        ("params: params.json\n\tmetrics: x\n", 2, "not valid YAML"),
    ],
)
def test_malformed_config_is_one_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    repo = make_project(tmp_path / "p")
    (repo / "gitops-ml.yaml").write_text(text)
    proc = cli(repo, "run", "--", "true")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert f"gitops-ml.yaml:{line}:" in proc.stderr and words in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert run_ids(repo) == []


def test_no_config_and_empty_config_are_fine(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "p")
    (repo / "gitops-ml.yaml").unlink()
    assert cli(repo, "run", "--", "true").returncode == 0
    (repo / "gitops-ml.yaml").write_text("# nothing yet\n")
    assert cli(repo, "run", "--", "true").returncode == 0
    assert len(run_ids(repo)) == 2
