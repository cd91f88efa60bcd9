"""Fuzzing (Hypothesis) of directory manifests a hostile peer could record: ``data pull``
through the real CLI never tracebacks, exits only 0, 2 or 3, and writes nothing outside
the repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitops_ml.core import gitstore
from gitops_ml.data.cache import LocalStore
from tests.conftest import make_project
from tests.data_helpers import write_hostile_run

HOSTILE_NAMES = ["../escape", "/abs", ".git/config", "a/../../b", "a//b", "./x", "ok.csv", "d/e"]
name = st.one_of(st.sampled_from(HOSTILE_NAMES), st.text(min_size=1, max_size=12))
row = st.tuples(st.sampled_from(["ab" * 32, "zz", "AB" * 32]), st.integers(-1, 99), name)
manifests = st.one_of(
    st.lists(row, max_size=5).map(
        lambda rows: "".join(f"{d} {s} {n}\n" for d, s, n in rows).encode("utf-8", "replace")
    ),
    st.binary(max_size=120),
)


def _outside(tmp_path: Path, repo: Path) -> set[str]:
    return {
        str(p)
        for p in tmp_path.rglob("*")
        if repo not in p.parents and p != repo and ".cache" not in p.parts
    }


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(manifests)
def test_pull_of_a_fuzzed_manifest(tmp_path: Path, blob: bytes) -> None:
    repo = tmp_path / "p"
    if not repo.exists():
        make_project(repo, config="params: params.json\ndata: data\n")
    local = LocalStore(gitstore.open_repo(repo).state_dir)
    digest = local.put_bytes(blob)
    run = write_hostile_run(repo, [{"path": "data", "hash": digest, "kind": "dir"}])
    before = _outside(tmp_path, repo)
    proc = subprocess.run(
        ["gitops-ml", "data", "pull", run], cwd=repo, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode in (0, 2, 3), proc.stderr
    assert "Traceback" not in proc.stderr
    if proc.returncode:
        assert proc.stderr.count("\n") == 1, proc.stderr
    assert _outside(tmp_path, repo) == before
    assert not (repo / ".git" / "config.orig").exists()
