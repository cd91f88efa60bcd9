"""Environment capture: secrets never recorded, distributions read from folder names."""

from __future__ import annotations

import json
import sys
from importlib.metadata import distributions
from pathlib import Path

from gitops_ml.core import environment


def test_credential_like_names_are_never_recorded_even_when_allowed() -> None:
    env = {
        "PYTHONHASHSEED": "0",
        "AWS_SECRET_ACCESS_KEY": "s",
        "GITHUB_TOKEN": "t",
        "DB_PASSWORD": "p",
        "MY_API_KEY": "k",
        "SAFE_VAR": "ok",
        "UNLISTED": "x",
    }
    allow = ["AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "DB_PASSWORD", "MY_API_KEY", "SAFE_VAR"]
    assert environment.safe_env(allow, env) == {"PYTHONHASHSEED": "0", "SAFE_VAR": "ok"}


def test_the_folder_scan_matches_importlib_metadata() -> None:
    import re

    expected = {
        re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower(): d.version
        for d in distributions()
        if d.metadata["Name"]
    }
    found = environment.distributions(None)
    # Every distribution importlib sees on sys.path's site folders is found with its version.
    assert {k: v for k, v in expected.items() if k in found} == {
        k: found[k] for k in expected if k in found
    }
    assert "pyyaml" in found and "blake3" in found


def test_distribution_cache_follows_installs(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    site.mkdir()
    (site / "alpha-1.0.dist-info").mkdir()
    interp = environment.Interpreter(sys.executable, "3.11.0", "cpython", [str(site)])
    cache = tmp_path / "cache"
    assert environment.distributions(cache, interp) == {"alpha": "1.0"}
    (site / "beta_pkg-2.0b1.dist-info").mkdir()  # an install changes the folder's mtime
    assert environment.distributions(cache, interp) == {"alpha": "1.0", "beta-pkg": "2.0b1"}


def test_fingerprint_prefers_the_lockfile() -> None:
    lock = {"path": "uv.lock", "hash": "abc"}
    a = environment.fingerprint("3.11.7", "linux-x86_64", lock, {"x": "1"})
    b = environment.fingerprint("3.11.7", "linux-x86_64", lock, {"x": "2"})
    c = environment.fingerprint("3.11.7", "linux-x86_64", None, {"x": "1"})
    d = environment.fingerprint("3.11.7", "linux-x86_64", None, {"x": "2"})
    assert a == b
    assert c != d
    assert a != c


def _venv_with(where: Path, dist: str) -> Path:
    import venv

    venv.EnvBuilder(with_pip=False).create(where)
    site = next((where / "lib").glob("python*/site-packages"))
    name, version = dist.split("-")
    (site / f"{dist}.dist-info").mkdir()
    (site / f"{dist}.dist-info" / "METADATA").write_text(f"Name: {name}\nVersion: {version}\n")
    return where / "bin"


def test_a_shell_pipeline_records_the_python_on_its_path(tmp_path: Path) -> None:
    """``sh -c '...'``: the python the pipeline finds first on its PATH is recorded."""
    import json
    import os

    from tests.conftest import cli, make_project

    repo = make_project(tmp_path / "p")
    bin_dir = _venv_with(tmp_path / "projvenv", "onlyhere-1.2.3")
    path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    proc = cli(
        repo, "run", "--json", "--", "sh", "-c", "python train.py && echo done", env={"PATH": path}
    )
    assert proc.returncode == 0, proc.stderr
    env = json.loads(proc.stdout)["environment"]
    assert env["executable"].startswith(str(tmp_path / "projvenv"))
    assert env["distributions"] == {"onlyhere": "1.2.3"}


def test_gitops_ml_yaml_names_the_interpreter(tmp_path: Path) -> None:
    import json

    from tests.conftest import cli, make_project

    repo = make_project(
        tmp_path / "p",
        config="params: params.json\nmetrics: metrics.json\ninterpreter: venv/bin/python\n",
    )
    _venv_with(repo / "venv", "named-4.5.6")
    proc = cli(repo, "run", "--json", "--", "make", "--version")
    assert proc.returncode == 0, proc.stderr
    env = json.loads(proc.stdout)["environment"]
    assert env["executable"].startswith(str(repo / "venv"))
    assert env["distributions"] == {"named": "4.5.6"}
    bad = make_project(tmp_path / "q", config="interpreter: nowhere/bin/python\n")
    proc = cli(bad, "run", "--", "true")
    assert proc.returncode == 2 and "nowhere/bin/python" in proc.stderr


def test_credentials_in_allowed_values_are_masked_or_refused() -> None:
    env = {
        "DATABASE_URL": "postgresql://app:hunter2pw@db.internal:5432/prod",
        "CACHE_URL": "redis://cache.internal:6379/0",
        "GITLAB_PAT": "glpat-abcdefghijklmnop",
        "DB_PASS": "p4ssw0rd!",
        "SENTRY_DSN": "https://abc123@o1.ingest.example/1",
        "HARMLESS_NAME": "ghp_0123456789abcdefghijklmnopqrstuvwxyz",
        "OPTS": "--user=me --password=opensesame",
        "SAFE_VAR": "ok",
    }
    got = environment.safe_env(list(env), env)
    assert got["DATABASE_URL"] == "postgresql://app:***@db.internal:5432/prod"
    assert got["CACHE_URL"] == "redis://cache.internal:6379/0"
    assert got["SAFE_VAR"] == "ok"
    for refused in ("GITLAB_PAT", "DB_PASS", "SENTRY_DSN", "HARMLESS_NAME"):
        assert refused not in got, refused
    assert "opensesame" not in json.dumps(got)
    text = json.dumps(got)
    for secret in ("hunter2pw", "glpat-", "p4ssw0rd", "abc123", "ghp_0123"):
        assert secret not in text


def test_credential_values_never_reach_the_object_store(tmp_path: Path) -> None:
    from tests.conftest import all_objects_text, cli, make_project

    repo = make_project(
        tmp_path / "p",
        config="params: params.json\nmetrics: metrics.json\nenv: [DATABASE_URL, TEAM_PAT, MY_DSN, X]\n",
    )
    env = {
        "DATABASE_URL": "postgresql://app:hunter2pw@db/prod",
        "TEAM_PAT": "patvalue-778899",
        "MY_DSN": "dsnvalue-445566",
        "X": "AKIAABCDEFGHIJKLMNOP",
    }
    proc = cli(repo, "run", "--json", "--", sys.executable, "train.py", env=env)
    assert proc.returncode == 0, proc.stderr
    blob = all_objects_text(repo)
    for value in ("hunter2pw", "patvalue-778899", "dsnvalue-445566", "AKIAABCDEFGHIJKLMNOP"):
        assert value.encode() not in blob
        assert value not in proc.stdout and value not in proc.stderr
    for path in (repo / ".git" / "gitops-ml").rglob("*"):
        if path.is_file():
            assert b"hunter2pw" not in path.read_bytes()
    assert "postgresql://app:***@db/prod" in proc.stdout
