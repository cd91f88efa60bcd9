"""The stat-keyed parse cache: used only while a file is unchanged; never shares state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from gitops_ml.core.params import load_file
from gitops_ml.core.parsecache import ParseCache
from tests.conftest import cli, make_project, run_ids, write


def test_hit_only_while_unchanged_and_callers_get_copies(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path / "parsed.json")
    f = write(tmp_path / "p.yaml", "lr: 0.1\n")
    cache.put(f, f.stat(), {"lr": 0.1})
    got = cache.get(f)
    assert got == {"lr": 0.1}
    assert got is not None
    got["lr"] = 9  # a caller changing its copy changes nothing cached
    assert ParseCache(tmp_path / "parsed.json").get(f) == {"lr": 0.1}
    write(f, "lr: 0.25\n")
    assert cache.get(f) is None
    cache.put(f, f.stat(), {"when": object()})  # not plain JSON: not cached
    assert cache.get(f) is None


def test_recording_uses_the_cache_and_sees_every_edit(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    assert cli(project, "run", "--", sys.executable, "train.py").returncode == 0
    parsed = json.loads((project / ".git" / "gitops-ml" / "parsed.json").read_text())
    assert any(k.endswith("params.json") for k in parsed)
    # An edit of the same size within the same second is still seen (mtime in ns, ctime).
    write(project / "params.json", json.dumps({"lr": 0.3, "seed": 1}))
    assert cli(project, "run", "--", sys.executable, "train.py").returncode == 0
    write(project / "params.json", json.dumps({"lr": 0.4, "seed": 1}))
    proc = cli(project, "run", "-p", "lr=0.5", "--", sys.executable, "train.py")
    assert proc.returncode == 0, proc.stderr
    assert cli(project, "run", "--", sys.executable, "train.py").returncode == 0
    lrs = []
    for run_id in run_ids(project):
        shown = subprocess.run(
            ["gitops-ml", "runs", "show", run_id, "--json"],
            cwd=project,
            capture_output=True,
            text=True,
            check=True,
            env=dict(os.environ),
        )
        lrs.append(json.loads(shown.stdout)["params"]["lr"])
    assert lrs == [0.1, 0.3, 0.5, 0.4]  # the override never leaked into the cache
    assert load_file(project / "params.json", "params.json", project) == {"lr": 0.4, "seed": 1}
