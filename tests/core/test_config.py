"""gitops-ml.yaml: malformed files are one line ``gitops-ml.yaml:LINE: ...`` and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from gitops_ml.core import config
from tests.conftest import cli, cli_json, git, make_project, run_ids, write


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


BOMB = "".join(
    f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}"] * 9) + "]\n"
    if i
    else 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i in range(9)
)
HOSTILE = [
    ("params: !!python/name:os.system\n", 1, "tag !!python/name:os.system is not allowed"),
    ("params: params.json\n? [a, b]\n: 1\n", 2, "a key must be a plain value"),
    ("params: params.json\nmax_untracked_mb: .inf\n", 2, ".inf is not a finite number"),
    ("params: params.json\nmax_untracked_mb: .nan\n", 2, ".nan is not a finite number"),
    ("params: params.json\nmax_untracked_mb: 2001-01-01\n", 2, "must be a non-negative number"),
    ("params: params.json\nparams: other.json\n", 2, "duplicate key 'params'"),
    ("params: &a [*a]\n", 1, "refers to itself"),
    ("params: params.json\n" + BOMB, 7, "alias bomb"),
]


@pytest.mark.parametrize(("text", "line", "words"), HOSTILE)
def test_hostile_config_is_one_line_everywhere(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    repo = make_project(tmp_path / "p")
    (repo / "gitops-ml.yaml").write_text(text)
    for args in (("run", "--", "true"), ("data", "status"), ("status",), ("data", "pull")):
        proc = cli(repo, *args, timeout=60)
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.count("\n") == 1, proc.stderr
        assert f"gitops-ml.yaml:{line}:" in proc.stderr and words in proc.stderr, proc.stderr
    hook = subprocess.run(
        ["gitops-ml-check-config"], cwd=repo, capture_output=True, text=True, timeout=60
    )
    assert hook.returncode == 1
    assert hook.stdout.startswith(f"gitops-ml.yaml:{line}: "), hook.stdout
    assert words in hook.stdout and "Traceback" not in hook.stdout + hook.stderr
    assert run_ids(repo) == []


@pytest.mark.parametrize("declared", ["./raw/", "raw/.", "raw//", "raw"])
def test_declared_paths_have_one_form(tmp_path: Path, declared: str) -> None:
    repo = make_project(tmp_path / "p", config=f"params: params.json\ndata: {declared}\n")
    write(repo / "raw" / "x.csv", "1,2\n")
    proc = cli(repo, "run", "--", "true")
    assert proc.returncode == 0, proc.stderr
    (run,) = run_ids(repo)
    rec = cli_json(repo, "runs", "show", run)
    assert [d["path"] for d in rec["data"]] == ["raw"]
    # the data is not in the snapshot
    assert "raw/x.csv" not in git(repo, "ls-tree", "-r", "--name-only", f"refs/runs/{run}")
    rows = json.loads(cli(repo, "data", "status", "--json").stdout)
    assert [(r["path"], r["state"]) for r in rows] == [("raw", "unchanged")]


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (".git", "must not be inside .git"),
        (".git/config", "must not be inside .git"),
        ("sub/.GIT/x", "must not be inside .git"),
        (".", "not its root"),
        ("./", "not its root"),
    ],
)
def test_data_in_git_dir_or_root_is_refused(tmp_path: Path, value: str, words: str) -> None:
    repo = make_project(tmp_path / "p", config=f"params: params.json\ndata: '{value}'\n")
    proc = cli(repo, "run", "--", "true")
    assert proc.returncode == 2
    assert "gitops-ml.yaml:2: " in proc.stderr
    assert words in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    assert run_ids(repo) == []
    assert not (repo / ".git" / "gitops-ml" / "cache").exists()


def test_init_points_editors_at_the_packaged_schema(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q")
    proc = cli(repo, "init")
    assert proc.returncode == 0, proc.stderr
    first = (repo / "gitops-ml.yaml").read_text().splitlines()[0]
    assert first == f"# yaml-language-server: $schema={config.SCHEMA_COPY}"
    copy = repo / config.SCHEMA_COPY
    assert copy.read_bytes() == config.SCHEMA_FILE.read_bytes()
    schema = json.loads(copy.read_text())
    # the template validates against it, and the schema rejects what the loader rejects
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert not list(validator.iter_errors(yaml.safe_load((repo / "gitops-ml.yaml").read_text())))
    assert list(validator.iter_errors({"data": "../x"}))
    assert list(validator.iter_errors({"metrcs": "m.json"}))
    copy.unlink()  # any command that validates the config puts it back
    (repo / "gitops-ml.yaml").write_text((repo / "gitops-ml.yaml").read_text() + "\n")
    assert cli(repo, "data", "status").returncode == 0
    assert copy.read_bytes() == config.SCHEMA_FILE.read_bytes()


def test_unchanged_config_is_not_validated_again(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "p")
    assert cli(repo, "run", "--", "true").returncode == 0
    probe = (
        "import sys; from pathlib import Path; from gitops_ml.core import config; "
        "cfg = config.load(Path.cwd()); "
        "print(cfg.params, 'yaml' in sys.modules, 'jsonschema' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True)
    assert out.stdout.split() == ["['params.json']", "False", "False"], out.stderr
    (repo / "gitops-ml.yaml").write_text("params: params.json\nprimary: -loss\n")
    out = subprocess.run([sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True)
    assert out.stdout.split() == ["['params.json']", "True", "True"], out.stderr
    (repo / "gitops-ml.yaml").write_text("params: params.json\nprimary: --\n")
    assert "gitops-ml.yaml:2: 'primary': must be a metric name" in cli(repo, "status").stderr


def test_config_get_reads_any_schema_key_with_its_default(tmp_path: Path) -> None:
    cfg = config.from_mapping({"max_untracked_mb": 3})
    assert cfg.get("max_untracked_mb") == 3
    assert cfg.get("verify_outputs") is False
    assert cfg.get("store") is None
    with pytest.raises(KeyError):
        cfg.get("no_such_key")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("lr: !!python/name:os.system\n", "params.yaml:1: the tag !!python/name:os.system"),
        ("lr: 0.1\n? [a]\n: 1\n", "params.yaml:2: a key must be a plain value"),
        ("lr: .inf\n", "params.yaml:1: .inf is not a finite number"),
        ("lr: &a [*a]\n", "params.yaml:1: an alias refers to itself"),
        ("lr: 0.1\n" + BOMB, "alias bomb"),
    ],
)
def test_hostile_params_file_is_one_line(tmp_path: Path, text: str, words: str) -> None:
    repo = make_project(tmp_path / "p", config="params: params.yaml\n")
    write(repo / "params.yaml", text)
    proc = cli(repo, "run", "--", "true", timeout=60)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert words in proc.stderr
    assert run_ids(repo) == []
    hook = subprocess.run(
        ["gitops-ml-check-config"], cwd=repo, capture_output=True, text=True, timeout=60
    )
    assert hook.returncode == 1 and words in hook.stdout, hook.stdout + hook.stderr


def test_params_json_nan_and_deep_nesting_are_refused(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "p")
    for text, words in (('{"lr": NaN}', "NaN is not a finite number"), ("[" * 100_000, "nested")):
        write(repo / "params.json", text)
        proc = cli(repo, "run", "--", "true", timeout=60)
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
        assert words in proc.stderr
    assert run_ids(repo) == []


def test_p_values_dates_stay_text_and_non_finite_refused(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "p", config="params: params.yaml\n")
    write(repo / "params.yaml", "d: x\nlr: 0.1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "yaml params")
    proc = cli(repo, "run", "-p", "d=2001-01-01", "--", "true")
    assert proc.returncode == 0, proc.stderr
    (run,) = run_ids(repo)
    assert cli_json(repo, "runs", "show", run)["params"]["d"] == "2001-01-01"
    for value in (".inf", ".nan", "!!python/name:os.system"):
        proc = cli(repo, "run", "-p", f"lr={value}", "--", "true")
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert (repo / "params.yaml").read_text() == "d: x\nlr: 0.1\n"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("tolerances:\n  acc: rel:0.01,abs:1e-9\n  loss: exact\n", 0, ""),
        ("tolerances:\n  acc: 5%\n", 2, "'tolerances.acc': must be abs:X or rel:Y"),
        ("deploy:\n  prod:\n    target: command\n    command: ./ship.sh\n", 0, ""),
        ("deploy:\n  prod:\n    target: rocket\n", 2, "deploy.prod.target: must be one of"),
        ("deploy:\n  prod: 3\n", 2, "'deploy.prod': must be a mapping of settings"),
    ],
)
def test_sections_checked_by_their_own_module(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    repo = make_project(tmp_path / "p")
    (repo / "gitops-ml.yaml").write_text("params: params.json\n" + text)
    proc = cli(repo, "status")
    if not words:
        assert proc.returncode == 0, proc.stderr
        return
    assert proc.returncode == 2 and f"gitops-ml.yaml:{line + 1}: " in proc.stderr, proc.stderr
    assert words in proc.stderr and proc.stderr.count("\n") == 1
