"""The environment cache: keys from what is installed, checks before reuse."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from gitops_ml.reproduce import envcache, shim


def _fake_env(root: Path) -> Path:
    env = root / "env"
    site = env / "lib" / "python3.11" / "site-packages"
    (site / "six-1.17.0.dist-info").mkdir(parents=True)
    (site / "six-1.17.0.dist-info" / "RECORD").write_text("six.py,sha256=x,1\n")
    (site / "six.py").write_text("")
    (env / "bin").mkdir()
    (env / "bin" / "python").symlink_to(sys.executable)
    return env


def test_the_key_follows_the_interpreter_and_the_plan_only() -> None:
    a = envcache.install_key(sys.executable, "3.11.4", "p1")
    assert a == envcache.install_key(sys.executable, "3.11.4", "p1")
    assert a != envcache.install_key(sys.executable, "3.11.4", "p2")
    assert a != envcache.install_key(sys.executable, "3.11.5", "p1")
    assert len(a) == 32


def test_a_cached_environment_is_reused_only_as_it_was_built(tmp_path: Path) -> None:
    env = _fake_env(tmp_path)
    assert envcache.check(env, "k", {}) == (None, "")  # no marker: nothing there
    marker = {"key": "k", "installed": envcache.installed_state(env)}
    (env / envcache.MARKER).write_text(json.dumps(marker))
    assert envcache.check(env, "k", {"six": "1.17.0"})[0] is not None
    assert envcache.installed_state(env)["distributions"] == {"six": "1.17.0"}
    assert "another key" in envcache.check(env, "other", {})[1]
    assert "lacks numpy==2.0" in envcache.check(env, "k", {"numpy": "2.0"})[1]
    site = next(env.glob("lib/python*/site-packages"))
    (site / shim.PTH).write_text("/somewhere\n")  # gitops-ml's own shim: not a change
    (site / "__pycache__").mkdir()
    assert envcache.check(env, "k", {})[0] is not None
    (site / "odd.pth").mkdir()  # a directory of that name: a change, not a crash
    assert "changed since it was built" in envcache.check(env, "k", {})[1]
    (site / "odd.pth").rmdir()
    (site / "evil.pth").write_text("import os\n")
    assert "changed since it was built" in envcache.check(env, "k", {})[1]
    (site / "evil.pth").unlink()
    (site / "six-1.17.0.dist-info" / "RECORD").write_text("six.py,sha256=y,1\n")
    assert "changed since it was built" in envcache.check(env, "k", {})[1]


def test_publish_keeps_an_equal_environment_another_process_finished_first(
    tmp_path: Path,
) -> None:
    first, second = _fake_env(tmp_path / "a"), _fake_env(tmp_path / "b")
    final = tmp_path / "final"
    envcache.publish(first, final, {"key": "k"}, {})
    inode = final.stat().st_ino
    envcache.publish(second, final, {"key": "k"}, {})
    assert final.stat().st_ino == inode and second.exists()
    envcache.discard(final)
    assert not final.exists() and not list(tmp_path.glob(".trash-*"))
