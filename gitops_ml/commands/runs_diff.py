"""``gitops-ml runs diff A B [--json|--md]``: params, metrics with deltas, code, data, environment."""

from __future__ import annotations

import argparse
import sys

from gitops_ml.core import gitstore
from gitops_ml.runs import index
from gitops_ml.ui.render import print_json

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any


def _changed(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    keys = list(dict.fromkeys([*a, *b]))
    return [(k, a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k)]


def compare(repo: gitstore.Repo, a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """The differences between two full run records."""
    from gitops_ml.ui.render import delta

    metrics = [
        {
            "key": k,
            "a": a["metrics"].get(k),
            "b": b["metrics"].get(k),
            "delta": delta(a["metrics"].get(k), b["metrics"].get(k)),
        }
        for k in dict.fromkeys([*a.get("metrics", {}), *b.get("metrics", {})])
    ]
    code = gitstore.diff_stat(repo, a["git"]["snapshot"], b["git"]["snapshot"])
    data_a = {d["path"]: d for d in a.get("data") or []}
    data_b = {d["path"]: d for d in b.get("data") or []}
    data = [
        {"path": p, "a": (data_a.get(p) or {}).get("hash"), "b": (data_b.get(p) or {}).get("hash")}
        for p in dict.fromkeys([*data_a, *data_b])
        if (data_a.get(p) or {}).get("hash") != (data_b.get(p) or {}).get("hash")
    ]
    env_a, env_b = a.get("environment") or {}, b.get("environment") or {}
    env = [
        {"key": k, "a": env_a.get(k), "b": env_b.get(k)}
        for k in ("python", "platform", "fingerprint")
        if env_a.get(k) != env_b.get(k)
    ]
    if (env_a.get("lockfile") or {}).get("hash") != (env_b.get("lockfile") or {}).get("hash"):
        env.append({"key": "lockfile", "a": env_a.get("lockfile"), "b": env_b.get("lockfile")})
    packages = [
        {"key": k, "a": va, "b": vb}
        for k, va, vb in _changed(
            env_a.get("distributions") or {}, env_b.get("distributions") or {}
        )
    ]
    return {
        "a": a["id"],
        "b": b["id"],
        "params": [
            {"key": k, "a": va, "b": vb} for k, va, vb in _changed(a["params"], b["params"])
        ],
        "metrics": metrics,
        "code": [{"path": p, "added": ad, "deleted": de} for p, ad, de in code],
        "data": data,
        "environment": env,
        "packages": packages,
    }


def _sections(d: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    from gitops_ml.ui.render import fmt

    def n(v: int) -> str:
        return "bin" if v < 0 else str(v)

    return [
        (
            "params",
            ["param", "a", "b"],
            [[p["key"], fmt(p["a"]), fmt(p["b"])] for p in d["params"]],
        ),
        (
            "metrics",
            ["metric", "a", "b", "delta"],
            [[m["key"], fmt(m["a"]), fmt(m["b"]), m["delta"]] for m in d["metrics"]],
        ),
        (
            "code",
            ["file", "+", "-"],
            [[c["path"], n(c["added"]), n(c["deleted"])] for c in d["code"]],
        ),
        (
            "data",
            ["path", "a", "b"],
            [[x["path"], fmt(x["a"])[:16], fmt(x["b"])[:16]] for x in d["data"]],
        ),
        (
            "environment",
            ["what", "a", "b"],
            [[e["key"], fmt(e["a"]), fmt(e["b"])] for e in d["environment"]],
        ),
        (
            "packages",
            ["package", "a", "b"],
            [[p["key"], fmt(p["a"]), fmt(p["b"])] for p in d["packages"]],
        ),
    ]


def render_md(d: dict[str, Any]) -> str:
    from gitops_ml.ui.render import md_table

    out = [f"### Runs `{d['a']}` vs `{d['b']}`"]
    for title, headers, rows in _sections(d):
        out.append(
            f"\n**{title}**: "
            + ("no change" if not rows else f"{len(rows)} changed\n\n" + md_table(headers, rows))
        )
    return "\n".join(out) + "\n"


def render_terminal(d: dict[str, Any]) -> None:
    from gitops_ml.ui.render import print_table

    print(f"a = {d['a']}\nb = {d['b']}")
    for title, headers, rows in _sections(d):
        if rows:
            print()
            print_table(title, headers, rows)
        else:
            print(f"\n{title}: no change")


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("a")
    p.add_argument("b")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--md", action="store_true", help="Markdown tables (for a PR comment)")


def main(args: argparse.Namespace) -> int:
    repo = gitstore.open_repo()
    a = index.full_record(repo, args.a)
    b = index.full_record(repo, args.b)
    d = compare(repo, a, b)
    if args.json:
        print_json(d)
    elif args.md:
        sys.stdout.write(render_md(d))
    else:
        render_terminal(d)
    return 0
