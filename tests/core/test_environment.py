"""Environment capture: secrets never recorded, distributions read from folder names."""

from __future__ import annotations

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
