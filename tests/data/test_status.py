"""gitops_ml.data.status: the rows of `data status`, as a service."""

from __future__ import annotations

from pathlib import Path

from gitops_ml.core import config, gitstore
from gitops_ml.data.status import changes, collect
from gitops_ml.runs import index
from tests.conftest import write
from tests.data_helpers import make_data_project, record_run


def _rows(root: Path) -> dict[str, dict[str, object]]:
    repo = gitstore.open_repo(root)
    recorded = [(r["id"], e) for r in index.load(repo).runs() for e in r.get("data") or []]
    return {r["path"]: r for r in collect(repo, config.load(root), recorded)}


def test_new_unchanged_changed_missing(tmp_path: Path) -> None:
    root = make_data_project(tmp_path / "p", None)
    rows = _rows(root)
    assert {p: r["state"] for p, r in rows.items()} == {"one file.csv": "new", "images": "new"}
    assert rows["images"]["cached"] is False
    run = record_run(root)
    rows = _rows(root)
    assert rows["images"]["state"] == "unchanged" and rows["images"]["cached"] is True
    assert rows["images"]["recorded"] == {"run": run, "hash": rows["images"]["hash"]}
    write(root / "images" / "new.txt", "new\n")
    (root / "one file.csv").unlink()
    rows = _rows(root)
    assert rows["images"]["state"] == "changed"
    assert rows["images"]["changes"] == {"added": ["new.txt"], "removed": [], "modified": []}
    assert rows["one file.csv"]["state"] == "missing"


def test_changes_between_manifests() -> None:
    a, b = "a" * 64, "b" * 64
    old = f"{a} 1 keep\n{a} 1 gone\n{a} 1 edit\n".encode()
    new = f"{a} 1 keep\n{b} 1 edit\n{a} 1 born\n".encode()
    assert changes(old, new) == {"added": ["born"], "removed": ["gone"], "modified": ["edit"]}
