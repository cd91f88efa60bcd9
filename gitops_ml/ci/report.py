"""The check's report: Markdown for the pull request (and the job summary), or JSON.

Everything that came from a run record (names, metric names, values, error text) is data
written by the change under test: it is escaped so that it can neither close the hidden
marker, nor add links, images or mentions, nor break a table. The Markdown stays under
GitHub's comment limit by summarising rows (a table is never cut in half).
"""

from __future__ import annotations

import json
import re

from gitops_ml.core import digests
from gitops_ml.ui.render import fmt

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MARKER = "<!-- gitops-ml:pr-check -->"
COMMENT_LIMIT = 65_536  # characters GitHub accepts in a comment body
_ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
_ENTITIES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "`": "&#96;",
    "|": "&#124;",
    "[": "&#91;",
    "]": "&#93;",
    "!": "&#33;",
    "@": "&#64;",
    "*": "&#42;",
    "_": "&#95;",
    "~": "&#126;",
    "\\": "&#92;",
    "#": "&#35;",
}
_ESCAPE = re.compile("[" + re.escape("".join(_ENTITIES)) + "]")


def text(value: Any, limit: int = 120) -> str:
    """Untrusted text as inert Markdown on one line, at most ``limit`` characters."""
    s = fmt(value) if not isinstance(value, str) else value
    s = " ".join(s.split())  # newlines, tabs, runs of spaces
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return _ESCAPE.sub(lambda m: _ENTITIES[m.group()], s)


def run_id(value: Any) -> str:
    """A run id as code when it is a ULID, else as escaped text."""
    s = str(value)
    return f"`{s[:10]}…`" if _ULID.match(s) else text(s, 30)


def commit(value: Any) -> str:
    s = str(value or "")
    return f"`{s[:12]}`" if digests.is_hex(s, 7, 64) else text(s, 20)


def _num(value: Any) -> str:
    return text(fmt(value), 24)


def _delta(value: float | None, base: float | None, higher: bool) -> str:
    if value is None or base is None:
        return "–"
    d = value - base
    rel = f" ({d / abs(base):+.1%})" if base else ""
    arrow = "" if d == 0 else (" ▲" if (d > 0) == higher else " ▼")
    return f"{d:+.6g}{rel}{arrow}"


def _seconds(value: Any) -> str:
    return f"{value:.1f} s" if isinstance(value, int | float) else "–"


_STATUS = {
    "reproduced": "✅ reproduced",
    "not reproduced": "❌ not reproduced",
    "unverifiable": "⚠️ unverifiable",
    "error": "❌ error",
}


def _headline(result: dict[str, Any]) -> str:
    if result.get("ok"):
        return "### ✅ gitops-ml check passed"
    return "### ❌ gitops-ml check failed"


def _runs_table(result: dict[str, Any], rows: int) -> str:
    prim = result.get("primary") or {}
    metric = prim.get("metric")
    higher = bool(prim.get("higher_is_better", True))
    best = result.get("base_best") or {}
    base_value = best.get("value")
    head = [
        "run",
        "name",
        "why",
        text(metric or "primary", 40),
        "Δ vs base best",
        "verdict",
        "time",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    items = list(result.get("claimed") or [])
    retrain = result.get("retrain")
    for item in items[:rows]:
        lines.append(
            "| "
            + " | ".join(
                [
                    run_id(item.get("id")),
                    text(item.get("name") or "", 40),
                    text(item.get("claim") or "", 40),
                    _num(item.get("value")),
                    _delta(item.get("value"), base_value, higher),
                    _STATUS.get(str(item.get("status")), text(item.get("status"))),
                    _seconds(item.get("seconds")),
                ]
            )
            + " |"
        )
    if retrain:
        lines.append(
            "| "
            + " | ".join(
                [
                    run_id(retrain.get("id")),
                    "retrain",
                    "trained on the head",
                    _num(retrain.get("value")),
                    _delta(retrain.get("value"), base_value, higher),
                    "✅ trained"
                    if retrain.get("exit_code") == 0
                    else "❌ " + text(retrain.get("status")),
                    _seconds(retrain.get("seconds")),
                ]
            )
            + " |"
        )
    if best:
        lines.append(
            f"| {run_id(best.get('id'))} | {text(best.get('name') or '', 40)} | base best "
            f"(on {commit(best.get('commit'))}) | {_num(base_value)} | – | – | – |"
        )
    table = "\n".join(lines)
    hidden = items[rows:]
    if hidden:
        counts: dict[str, int] = {}
        for item in hidden:
            counts[str(item.get("status"))] = counts.get(str(item.get("status")), 0) + 1
        parts = ", ".join(f"{n} {text(s)}" for s, n in sorted(counts.items()))
        table += f"\n\n…and {len(hidden)} more claimed runs ({parts}): all of them are in the report artifact (result.json)."
    return table


def _checks(result: dict[str, Any], rows: int) -> str:
    bad = [i for i in (result.get("claimed") or [])[:rows] if i.get("checks")]
    if not bad:
        return ""
    lines = ["<details><summary>Metric checks per run</summary>", ""]
    head = ["run", "metric", "claimed", "reproduced", "Δ", "tolerance", "ok"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for item in bad:
        for c in item["checks"]:
            delta = c.get("delta")
            lines.append(
                "| "
                + " | ".join(
                    [
                        run_id(item.get("id")),
                        text(c.get("name"), 40),
                        _num(c.get("expected")),
                        _num(c.get("got")),
                        f"{delta:+.6g}" if isinstance(delta, int | float) else "–",
                        text(c.get("tolerance"), 20),
                        "✅" if c.get("ok") else "❌",
                    ]
                )
                + " |"
            )
    lines += ["", "</details>"]
    return "\n".join(lines)


def _label(metric: Any) -> str:
    """A metric name safe inside a Mermaid string."""
    return re.sub(r"[^A-Za-z0-9_.\- ]", "_", str(metric))[:40] or "metric"


def trend_chart(result: dict[str, Any], points: int) -> str:
    """The primary metric over the base branch's runs, as a Mermaid ``xychart-beta``."""
    trend = [t for t in (result.get("trend") or []) if isinstance(t.get("value"), int | float)]
    trend = trend[-points:]
    metric = (result.get("primary") or {}).get("metric")
    if len(trend) < 2 or not metric:
        return ""
    values = [float(t["value"]) for t in trend]
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.1 or abs(hi) * 0.05 or 1.0
    label = _label(metric)
    return "\n".join(
        [
            f"**Trend of `{label}`** over the base branch's last {len(trend)} runs (oldest first):",
            "",
            "```mermaid",
            "xychart-beta",
            f'    title "{label} on the base branch"',
            "    x-axis [" + ", ".join(str(i + 1) for i in range(len(trend))) + "]",
            f'    y-axis "{label}" {lo - pad:.6g} --> {hi + pad:.6g}',
            "    line [" + ", ".join(f"{v:.6g}" for v in values) + "]",
            "```",
        ]
    )


def _reproduce(result: dict[str, Any], rows: int) -> str:
    ids = [str(i.get("id")) for i in (result.get("claimed") or [])[:rows]]
    retrain = result.get("retrain")
    if retrain:
        ids.append(str(retrain.get("id")))
    ids = [i for i in ids if _ULID.match(i)]
    if not ids:
        return ""
    body = "\n".join(f"gitops-ml reproduce {i} --verify" for i in ids)
    return f"**Reproduce locally** (after `gitops-ml sync`):\n\n```sh\n{body}\n```"


def markdown(result: dict[str, Any], *, limit: int = COMMENT_LIMIT) -> str:
    """The report as Markdown (the PR comment and the job summary), under ``limit`` chars."""
    rows, points = len(result.get("claimed") or []), 60
    while True:
        body = _markdown(result, rows, points)
        if len(body) <= limit or (rows == 0 and points == 0):
            return body
        rows, points = rows // 2, points // 2


def _markdown(result: dict[str, Any], rows: int, points: int) -> str:
    prim = result.get("primary") or {}
    metric = prim.get("metric")
    where = f"base {commit(result.get('base'))} → head {commit(result.get('head'))}"
    facts = [
        f"`{_label(metric)}` ({'higher' if prim.get('higher_is_better', True) else 'lower'} is better)"
        if metric
        else "no primary metric",
        f"allowed regression {text(prim.get('allowed_regression'), 20)}",
        f"mode {text(result.get('mode'), 10)}",
        where,
        _seconds(result.get("seconds")),
    ]
    parts = [MARKER, _headline(result), "", " · ".join(facts)]
    failures = list(result.get("failures") or [])
    if failures:
        shown = failures[: max(rows, 5)]
        parts += ["", "**Failures**", ""] + [f"- {text(f, 400)}" for f in shown]
        if len(failures) > len(shown):
            parts.append(f"- …and {len(failures) - len(shown)} more")
    for note in result.get("notes") or []:
        parts += ["", f"> {text(note, 300)}"]
    parts += ["", _runs_table(result, rows)]
    for section in (_checks(result, rows), trend_chart(result, points), _reproduce(result, rows)):
        if section:
            parts += ["", section]
    return "\n".join(parts) + "\n"


def as_json(result: dict[str, Any]) -> str:
    """The result document as JSON text (one line: safe for a step output)."""
    return json.dumps(result, sort_keys=True, separators=(",", ":"), default=str)


def state(result: dict[str, Any]) -> tuple[str, str]:
    """The commit status (``success``/``failure``) and its one-line description."""
    failures = list(result.get("failures") or [])
    if result.get("ok"):
        n = len(result.get("claimed") or [])
        what = f"{n} claimed run{'s' if n != 1 else ''} reproduced" if n else "nothing claimed"
        if result.get("retrain"):
            what += ", retrain ok"
        return "success", what
    first = " ".join(str(failures[0]).split()) if failures else "check failed"
    more = f" (+{len(failures) - 1} more)" if len(failures) > 1 else ""
    return "failure", (first[: 130 - len(more)] + more)


def _objects(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(i, dict) for i in value)


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(i, str) for i in value)


def _shape_problem(data: Any) -> str | None:
    if not isinstance(data, dict) or data.get("schema") != 1:
        return "schema 1 expected"
    checks = [
        (isinstance(data.get("ok"), bool), "'ok' must be true or false"),
        (_objects(data.get("claimed") or []), "'claimed' must be a list of objects"),
        (_objects(data.get("trend") or []), "'trend' must be a list of objects"),
        (_strings(data.get("failures") or []), "'failures' must be a list of strings"),
        (_strings(data.get("notes") or []), "'notes' must be a list of strings"),
    ]
    checks += [
        (data.get(key) is None or isinstance(data[key], dict), f"'{key}' must be an object")
        for key in ("primary", "base_best", "retrain", "comparison")
    ]
    for ok, why in checks:
        if not ok:
            return why
    if not all(_objects(item.get("checks") or []) for item in data.get("claimed") or []):
        return "'checks' must be a list of objects"
    return None


def validate(data: Any, where: str) -> dict[str, Any]:
    """The result document, checked for shape (it may come from an untrusted job)."""
    from gitops_ml.core.errors import UsageError

    why = _shape_problem(data)
    if why:
        raise UsageError(f"{where}: not a ci verify result ({why})")
    return dict(data)
