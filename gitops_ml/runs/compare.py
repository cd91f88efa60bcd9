"""Comparing two runs: params, metrics with deltas, code, data, environment, packages.

A service (no printing): ``runs diff`` renders it, the CI report will reuse it.
"""

from __future__ import annotations

from gitops_ml.core import gitstore
from gitops_ml.ui.render import changed, delta

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any, TypedDict

    class Change(TypedDict):
        key: str
        a: Any
        b: Any

    class MetricChange(TypedDict):
        key: str
        a: Any
        b: Any
        delta: str
        changed: bool

    class FileChange(TypedDict):
        path: str
        added: int
        deleted: int

    class DataChange(TypedDict):
        path: str
        a: str | None
        b: str | None

    class Diff(TypedDict):
        a: str
        b: str
        params: list[Change]
        metrics: list[MetricChange]
        code: list[FileChange]
        data: list[DataChange]
        environment: list[Change]
        packages: list[Change]


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _changed(a: dict[str, Any], b: dict[str, Any]) -> list[Change]:
    keys = list(dict.fromkeys([*a, *b]))
    return [{"key": k, "a": a.get(k), "b": b.get(k)} for k in keys if changed(a.get(k), b.get(k))]


def _data(rec: dict[str, Any]) -> dict[str, str | None]:
    return {
        str(d.get("path")): d.get("hash")
        for d in rec.get("data") or []
        if isinstance(d, dict) and d.get("path") is not None
    }


def compare(repo: gitstore.Repo, a: dict[str, Any], b: dict[str, Any]) -> Diff:
    """The differences between two full run records (every metric, each marked changed)."""
    ma, mb = _mapping(a.get("metrics")), _mapping(b.get("metrics"))
    metrics: list[MetricChange] = [
        {
            "key": k,
            "a": ma.get(k),
            "b": mb.get(k),
            "delta": delta(ma.get(k), mb.get(k)),
            "changed": changed(ma.get(k), mb.get(k)),
        }
        for k in dict.fromkeys([*ma, *mb])
    ]
    snap_a = _mapping(a.get("git")).get("snapshot")
    snap_b = _mapping(b.get("git")).get("snapshot")
    code = gitstore.diff_stat(repo, snap_a, snap_b) if snap_a and snap_b else []
    data_a, data_b = _data(a), _data(b)
    env_a, env_b = _mapping(a.get("environment")), _mapping(b.get("environment"))
    env: list[Change] = [
        {"key": k, "a": env_a.get(k), "b": env_b.get(k)}
        for k in ("python", "platform", "fingerprint")
        if env_a.get(k) != env_b.get(k)
    ]
    if _mapping(env_a.get("lockfile")).get("hash") != _mapping(env_b.get("lockfile")).get("hash"):
        env.append({"key": "lockfile", "a": env_a.get("lockfile"), "b": env_b.get("lockfile")})
    return {
        "a": str(a["id"]),
        "b": str(b["id"]),
        "params": _changed(_mapping(a.get("params")), _mapping(b.get("params"))),
        "metrics": metrics,
        "code": [{"path": p, "added": ad, "deleted": de} for p, ad, de in code],
        "data": [
            {"path": p, "a": data_a.get(p), "b": data_b.get(p)}
            for p in dict.fromkeys([*data_a, *data_b])
            if data_a.get(p) != data_b.get(p)
        ],
        "environment": env,
        "packages": _changed(
            _mapping(env_a.get("distributions")), _mapping(env_b.get("distributions"))
        ),
    }


def changed_metrics(d: Diff) -> int:
    """How many metrics differ between the two runs (a delta of +0 is no change)."""
    return sum(1 for m in d["metrics"] if m["changed"])
