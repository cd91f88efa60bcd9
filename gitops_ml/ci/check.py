"""The pull-request check: verify what a change claims, retrain, compare with the base.

``check(...)`` returns the result document that ``ci report`` renders (schema below); it
never raises for a single run that fails to reproduce: that run is reported, and the
check fails.

Result (``"schema": 1``): ``ok``, ``mode``, ``base``, ``head``, ``primary`` (``metric``,
``higher_is_better``, ``allowed_regression``), ``base_best`` (a run summary or null),
``claimed`` (run summaries, each with ``claim``, ``status`` one of ``reproduced``,
``not reproduced``, ``unverifiable``, ``error``, ``checks``, ``seconds``), ``retrain`` (a
run summary or null), ``comparison`` (candidate against the base's best), ``trend``
(the primary metric over the base's runs), ``failures`` (one line each), ``notes``,
``seconds``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

from gitops_ml.ci import claims
from gitops_ml.ci.settings import Settings
from gitops_ml.core import gitstore
from gitops_ml.core.config import Config
from gitops_ml.core.errors import GitopsError, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SCHEMA = 1
MODES = ("claimed", "retrain", "both")
TREND_POINTS = 60
Log = Callable[[str], None]


def number(value: Any) -> float | None:
    """A metric value as a finite float, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _better(a: float, b: float, higher: bool) -> bool:
    return a > b if higher else a < b


def best(runs: Sequence[dict[str, Any]], metric: str, higher: bool) -> dict[str, Any] | None:
    """The run with the best ``metric`` (the earliest on a tie)."""
    top: dict[str, Any] | None = None
    for rec in runs:
        value = number((rec.get("metrics") or {}).get(metric))
        if value is None:
            continue
        if top is None or _better(value, top["metrics"][metric], higher):
            top = rec
    return top


def summary(rec: dict[str, Any], metric: str | None) -> dict[str, Any]:
    """What the report shows of a run."""
    metrics = rec.get("metrics") or {}
    return {
        "id": rec.get("id"),
        "name": rec.get("name"),
        "commit": (rec.get("git") or {}).get("base"),
        "started": rec.get("started"),
        "exit_code": rec.get("exit_code"),
        "metrics": metrics,
        "value": number(metrics.get(metric)) if metric else None,
        "reproduce": f"gitops-ml reproduce {rec.get('id')} --verify",
    }


def _verify_one(
    repo: gitstore.Repo,
    rec: dict[str, Any],
    settings: Settings,
    tolerance_flags: Sequence[str],
    log: Log,
) -> dict[str, Any]:
    from gitops_ml.reproduce.service import reproduce

    out = summary(rec, settings.metric)
    out["claim"] = rec.get("claim")
    out["checks"] = []
    out["by"] = None
    out["seconds"] = None
    if not rec.get("metrics"):
        out["status"] = "unverifiable"
        out["error"] = "the run recorded no metrics: there is nothing to compare"
        return out
    t0 = time.monotonic()
    try:
        verdict = reproduce(
            repo,
            str(rec["id"]),
            verify=True,
            tolerance_flags=tolerance_flags,
            progress=False,
            log=log,
        )
    except GitopsError as exc:
        out["status"] = "error"
        out["error"] = str(exc)
        out["seconds"] = round(time.monotonic() - t0, 3)
        return out
    out["seconds"] = round(time.monotonic() - t0, 3)
    out["by"] = verdict.by
    out["checks"] = [c.as_dict() for c in verdict.metrics]
    out["exit_codes"] = {"expected": verdict.expected_exit, "got": verdict.exit_code}
    out["environment_reused"] = bool(verdict.environment.get("reused"))
    out["status"] = "reproduced" if verdict.ok else "not reproduced"
    return out


def _retrain(repo: gitstore.Repo, cfg: Config, settings: Settings, log: Log) -> dict[str, Any]:
    from gitops_ml.runs.recorder import RunSpec, run_command

    if not settings.train:
        raise UsageError("retrain needs the training command: set ci.train in gitops-ml.yaml")
    log(f"retraining: {' '.join(settings.train)}")
    t0 = time.monotonic()
    code, rec = run_command(
        RunSpec(list(settings.train), name="ci retrain", tags=[claims.CI_TAG]), repo=repo, cfg=cfg
    )
    out = summary(rec, settings.metric)
    out["seconds"] = round(time.monotonic() - t0, 3)
    out["status"] = "ok" if code == 0 else f"exit {code}"
    return out


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def _describe_check(run_id: str, c: dict[str, Any]) -> str:
    if c.get("got") is None:
        return f"run {run_id}: metric {c['name']} claimed {c['expected']}, the re-run produced none"
    delta = c.get("delta")
    by = f" ({delta:+.6g}, tolerance {c['tolerance']})" if isinstance(delta, float) else ""
    return f"run {run_id}: metric {c['name']} claimed {c['expected']}, reproduced {c['got']}{by}"


def _judge(item: dict[str, Any], settings: Settings, failures: list[str], notes: list[str]) -> None:
    """The failure lines (or notes) one verified claimed run adds."""
    run_id = str(item["id"])
    if item["status"] == "not reproduced":
        bad = [c for c in item["checks"] if not c.get("ok")]
        failures += [_describe_check(run_id, c) for c in bad]
        codes = item.get("exit_codes") or {}
        if codes.get("expected") != codes.get("got"):
            failures.append(
                f"run {run_id}: exit code {codes.get('got')}, recorded {codes.get('expected')}"
            )
        elif not bad:
            failures.append(f"run {run_id}: outputs are not identical")
    elif item["status"] == "unverifiable":
        if settings.unverifiable_fails:
            failures.append(f"run {run_id}: unverifiable ({item['error']})")
        else:
            notes.append(f"run {run_id}: unverifiable, allowed by ci.unverifiable")
    elif item["status"] == "error":
        failures.append(f"run {run_id}: could not be reproduced: {item['error']}")


def check(
    repo: gitstore.Repo,
    cfg: Config,
    settings: Settings,
    *,
    base: str,
    head: str,
    mode: str = "claimed",
    tolerance_flags: Sequence[str] = (),
    log: Log = lambda _m: None,
) -> dict[str, Any]:
    """Run the check; see the module docs for the result. ``mode`` is one of :data:`MODES`
    (``ci verify --mode`` offers only those)."""
    t0 = time.monotonic()
    base_sha, head_sha = claims.rev(repo, base), claims.rev(repo, head)
    metric, higher = settings.metric, settings.higher_is_better
    failures: list[str] = []
    notes: list[str] = []

    base_side = claims.base_runs(repo, base_sha)
    base_side = [r for r in base_side if not _not_reproduced(r)]
    top = best(base_side, metric, higher) if metric else None
    trend = [
        {"id": r["id"], "started": r.get("started"), "value": number(r["metrics"][metric])}
        for r in base_side
        if metric and number((r.get("metrics") or {}).get(metric)) is not None
    ][-TREND_POINTS:]

    claimed_out: list[dict[str, Any]] = []
    if mode in ("claimed", "both"):
        found = claims.claimed(repo, base_sha, head_sha, settings.max_runs)
        if not found:
            notes.append("this change claims no runs")
        for rec in found:
            log(f"verifying run {rec['id']} ({rec['claim']})")
            item = _verify_one(repo, rec, settings, tolerance_flags, log)
            claimed_out.append(item)
            _judge(item, settings, failures, notes)

    retrain = None
    if mode in ("retrain", "both"):
        retrain = _retrain(repo, cfg, settings, log)
        if retrain["exit_code"] != 0:
            failures.append(
                f"retrain {retrain['id']}: the training command exited {retrain['exit_code']}"
            )

    comparison = _compare(
        settings, top=top, claimed_out=claimed_out, retrain=retrain, failures=failures, notes=notes
    )
    return {
        "schema": SCHEMA,
        "ok": not failures,
        "mode": mode,
        "base": base_sha,
        "head": head_sha,
        "primary": {
            "metric": metric,
            "higher_is_better": higher,
            "allowed_regression": str(settings.allowed_regression),
        },
        "base_best": summary(top, metric) if top else None,
        "claimed": claimed_out,
        "retrain": retrain,
        "comparison": comparison,
        "trend": trend,
        "failures": failures,
        "notes": notes,
        "seconds": round(time.monotonic() - t0, 3),
    }


def could_not_run(mode: str, base: str, head: str, why: str) -> dict[str, Any]:
    """The result of a check that stopped before its verdict (a failure, saying why)."""
    return {
        "schema": SCHEMA,
        "ok": False,
        "mode": mode,
        "base": base,
        "head": head,
        "primary": None,
        "base_best": None,
        "claimed": [],
        "retrain": None,
        "comparison": None,
        "trend": [],
        "failures": [f"the check could not run: {why}"],
        "notes": [],
        "seconds": None,
    }


def _not_reproduced(rec: dict[str, Any]) -> bool:
    verdicts = [f for f in rec.get("notes") or [] if f.get("type") == "verify"]
    return bool(verdicts) and not verdicts[-1].get("ok")


def _compare(
    settings: Settings,
    *,
    top: dict[str, Any] | None,
    claimed_out: list[dict[str, Any]],
    retrain: dict[str, Any] | None,
    failures: list[str],
    notes: list[str],
) -> dict[str, Any] | None:
    """The change's model against the base's best on the primary metric."""
    metric, higher = settings.metric, settings.higher_is_better
    if not metric:
        notes.append("no primary metric configured (primary or ci.primary): nothing compared")
        return None
    if retrain is not None:
        candidates = [retrain] if retrain["exit_code"] == 0 else []
    else:
        candidates = [c for c in claimed_out if c["status"] == "reproduced"]
    scored = [c for c in candidates if c.get("value") is not None]
    if not scored:
        if candidates:
            failures.append(f"no candidate run recorded the primary metric {metric}")
        return None
    cand = scored[0]
    for c in scored[1:]:
        if _better(c["value"], cand["value"], higher):
            cand = c
    if top is None:
        notes.append("the base branch has no run with the primary metric: nothing to compare")
        return {"candidate": cand["id"], "value": cand["value"], "base": None, "ok": True}
    base_value = float(top["metrics"][metric])
    delta = cand["value"] - base_value
    loss = -delta if higher else delta  # > 0: worse than the base
    allowed = settings.allowed_regression.allowed(base_value)
    ok = loss <= allowed + 1e-12
    if not ok:
        failures.append(
            f"{metric} {_fmt(cand['value'])} of run {cand['id']} is worse than the base's best "
            f"{_fmt(base_value)} (run {top['id']}) by {_fmt(abs(delta))}, more than the allowed "
            f"{settings.allowed_regression}"
        )
    return {
        "candidate": cand["id"],
        "value": cand["value"],
        "base": top["id"],
        "base_value": base_value,
        "delta": delta,
        "allowed": allowed,
        "ok": ok,
    }
