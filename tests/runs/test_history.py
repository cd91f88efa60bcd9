"""runs.history: the runs made on each commit, ranked by the primary metric in SQL."""

from __future__ import annotations

from pathlib import Path

from gitops_ml.core import gitstore
from gitops_ml.runs import history
from tests.conftest import cli, git, make_project, write

# metrics.json as want.json says (NaN written as Python writes it); "code": the exit code
SCRIPT = """\
import json, sys
want = json.load(open("want.json"))
json.dump(want["metrics"], open("metrics.json", "w"))
sys.exit(want["code"])
"""


def _run(repo: Path, name: str, metrics: str, code: int = 0) -> None:
    write(repo / "want.json", f'{{"code": {code}, "metrics": {metrics}}}')
    proc = cli(repo, "run", "-n", name, "--", "python", "train.py")
    assert proc.returncode == code, proc.stderr


def test_best_first_failed_missing_and_non_finite_last(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "p", config="params: params.json\nmetrics: metrics.json\n")
    write(repo / "train.py", SCRIPT)
    git(repo, "commit", "-qam", "script")
    base = git(repo, "rev-parse", "HEAD").strip()
    _run(repo, "A", '{"acc": 0.5}')
    _run(repo, "B", '{"acc": 0.9}')
    _run(repo, "C", '{"acc": 0.99}', code=1)  # failed: last whatever it measured
    _run(repo, "D", "{}")
    _run(repo, "E", '{"acc": NaN}')
    _run(repo, "F", '{"acc": true}')  # a boolean is not a score
    git(repo, "commit", "-q", "--allow-empty", "-m", "next")
    r = gitstore.open_repo(repo)

    def names(primary: str | None, per_commit: int | None = None) -> list[str]:
        top, first = history.history(r, "HEAD", 2, primary, per_commit)
        assert top["runs"] == 0 and top["best"] == [] and first["commit"] == base
        assert first["runs"] == 6
        return [rec["name"] for rec in first["best"]]

    best, rest = names("acc")[:2], names("acc")[2:]
    assert best == ["B", "A"] and sorted(rest) == ["C", "D", "E", "F"]
    assert rest == ["F", "E", "D", "C"]  # the others newest first
    assert names("-acc")[:2] == ["A", "B"]
    assert names(None) == ["F", "E", "D", "C", "B", "A"]
    assert names("acc", 1) == ["B"]
    assert names('a"cc') == ["F", "E", "D", "C", "B", "A"]  # not a usable key: newest first
