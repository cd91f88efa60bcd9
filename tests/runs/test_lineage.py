"""runs.lineage: the lineage service (hash of a target, producers, consumers, provenance)."""

from __future__ import annotations

import sys
from pathlib import Path

import blake3
import pytest

from gitops_ml.core import gitstore
from gitops_ml.core.errors import UsageError
from gitops_ml.runs import lineage
from tests.conftest import run_ids
from tests.lineage_helpers import fit, fit_project


@pytest.fixture
def traced(tmp_path: Path) -> tuple[Path, list[str]]:
    """A project with two runs producing model.txt from data.csv."""
    repo = fit_project(tmp_path / "p")
    fit(repo, "0.2")
    fit(repo, "0.4")
    return repo, run_ids(repo)


def test_trace_producers_and_consumers(traced: tuple[Path, list[str]]) -> None:
    repo, (first, second) = traced
    r = gitstore.open_repo(repo)
    t = lineage.trace(r, str(repo / "model.txt"))
    assert t.path == "model.txt"
    assert t.digest == blake3.blake3((repo / "model.txt").read_bytes()).hexdigest()
    assert [x["id"] for x in t.runs] == [second]
    assert t.runs[0]["status"] == "ok"
    used = lineage.trace(r, str(repo / "data.csv"), runs_using=True)
    assert sorted(x["id"] for x in used.runs) == [first, second]
    # by hash prefix: the same runs, no path
    by_hash = lineage.trace(r, t.digest[:12].upper())
    assert (by_hash.path, [x["id"] for x in by_hash.runs]) == (None, [second])
    assert lineage.trace(r, "0" * 64).runs == []


def test_provenance_summary(traced: tuple[Path, list[str]]) -> None:
    repo, (_, second) = traced
    r = gitstore.open_repo(repo)
    (rec,) = lineage.trace(r, str(repo / "model.txt")).runs
    p = lineage.provenance(rec)
    assert p["run"] == second and p["status"] == "ok"
    assert p["command"] == [sys.executable, "fit.py"]
    assert p["params"]["lr"] == 0.4
    assert [d["path"] for d in p["data"]] == ["data.csv"]
    assert p["snapshot"] == rec["git"]["snapshot"] and p["deploys"] == []


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("no/such/file", "no such file, and not a content hash"),
        ("abc", "no such file, and not a content hash"),  # too short for a hash
        ("g" * 64, "no such file, and not a content hash"),
    ],
)
def test_bad_targets(traced: tuple[Path, list[str]], target: str, message: str) -> None:
    repo, _ = traced
    with pytest.raises(UsageError, match=message):
        lineage.target_hash(gitstore.open_repo(repo), target)


def test_matching_is_by_hash_prefix_over_outputs_artifacts_and_data() -> None:
    runs = [
        {"id": "A", "outputs": [{"path": "m", "hash": "aa11"}]},
        {"id": "B", "artifacts": [{"path": "m", "hash": "aa22"}], "data": [{"hash": "bb"}]},
        {"id": "C", "data": [{"path": "d", "hash": "aa11"}]},
        {"id": "D"},
    ]
    assert [r["id"] for r in lineage.producers(runs, "aa")] == ["A", "B"]
    assert [r["id"] for r in lineage.producers(runs, "aa2")] == ["B"]
    assert [r["id"] for r in lineage.consumers(runs, "aa11")] == ["C"]
    assert lineage.consumers(runs, "cc") == []
