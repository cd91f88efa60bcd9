"""core.xdg: the per-user cache root."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_ml.core.xdg import cache_root


def test_cache_root_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "c"))
    assert cache_root() == tmp_path / "c" / "gitops-ml"


@pytest.mark.parametrize("value", [None, ""])
def test_cache_root_defaults_to_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", value)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_root() == tmp_path / ".cache" / "gitops-ml"
