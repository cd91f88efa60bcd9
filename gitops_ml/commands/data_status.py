"""``gitops-ml data status [--json]``: declared data now vs. as the last run recorded it
(the service: :mod:`gitops_ml.data.status`).

With nothing changed, :func:`quick` answers before any parser is built, from the rows
the last whole run kept (:mod:`gitops_ml.data.quickstatus`); this module imports nothing
else at the top, so that path stays lean.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    import argparse
    from typing import Any

# The argument lists :func:`quick` is tried with (``gitops_ml.main`` checks them first).
QUICK_ARGS: tuple[tuple[str, ...], ...] = ((), ("--json",))


def _yes(value: Any) -> str:
    return "-" if value is None else ("yes" if value else "no")


def _shown(name: str) -> str:
    """A file name safe to print: escapes and undecodable bytes as a Python literal."""
    return name if name.isprintable() else repr(name)


def _plain_table(headers: list[str], rows: list[list[str]]) -> None:
    """Columns two spaces apart (stdout is not a terminal: no need to load rich)."""
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        sys.stdout.write(
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n"
        )


def render(rows: list[dict[str, Any]], store: str | None) -> None:
    """Print the status table and, for changed directories, which files changed."""
    body = [
        [
            _shown(r["path"]),
            r["state"],
            (r["hash"] or "-")[:12],
            (r["recorded"] or {}).get("run") or "-",
            _yes(r.get("cached")),
            _yes(r.get("pushed")) if store else "no store",
        ]
        for r in rows
    ]
    headers = ["path", "state", "hash", "last run", "cached", "pushed"]
    if sys.stdout.isatty():
        from gitops_ml.ui.render import print_table

        print_table(None, headers, body)
    else:
        _plain_table(headers, body)
    for r in rows:
        for kind, names in (r.get("changes") or {}).items():
            for name in names[:10]:
                print(f"  {r['path']}/{_shown(name)}: {kind}")
            if len(names) > 10:
                print(f"  {r['path']}: {len(names) - 10} more {kind}")
        if r.get("problem"):
            print(f"  {r['path']}: {r['problem']}")


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _show(rows: list[dict[str, Any]], store: str | None, as_json: bool) -> None:
    if as_json:
        import json

        print(json.dumps(rows, indent=2))
    else:
        render(rows, store)


def quick(argv: list[str]) -> int | None:
    """The answer with nothing changed since the last ``data status`` (``argv``: one of
    :data:`QUICK_ARGS`); None when the whole path must run."""
    from gitops_ml.data.quickstatus import answer

    rows = answer()
    if rows is None:
        return None
    _show(rows, None, argv == ["--json"])
    return 0


def main(args: argparse.Namespace) -> int:
    from gitops_ml.core import config, gitstore
    from gitops_ml.data.quickstatus import inputs

    repo = gitstore.open_repo()
    stamps = inputs(repo.top)  # before the config is read: see quickstatus.keep
    cfg = config.load(repo.top)
    if not cfg.data:
        if args.json:
            print("[]")
        else:
            print("no data declared: list data paths under 'data:' in gitops-ml.yaml")
        return 0
    from gitops_ml.data.status import collect
    from gitops_ml.runs import index

    last, refs = index.last_data_resting(repo)
    rows = collect(repo, cfg, last.values(), snapshot=(stamps, refs))
    _show(rows, cfg.store, args.json)
    return 0
