"""Result rows, and their markdown table and JSON."""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Row:
    """One line of the table: our figure, the peer's, their ratio, the target and verdict."""

    fig: str
    what: str
    ours: str
    peer: str = ""
    theirs: str = ""
    ratio: str = ""
    target: str = ""
    verdict: str = ""  # PASS, FAIL, info, n/a
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def ms(seconds: float) -> str:
    value = seconds * 1000
    if value >= 1000:
        return f"{value:,.0f} ms"
    if value >= 100:
        return f"{value:.0f} ms"
    return f"{value:.1f} ms"


def mbs(value: float) -> str:
    return f"{value:,.0f} MB/s"


def times(x: float, word: str = "") -> str:
    text = f"{x:.2f}x" if x < 10 else f"{x:.1f}x"
    return f"{text} {word}".strip()


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


HEADER = [
    "#",
    "measure",
    "gitops-ml",
    "peer",
    "peer value",
    "ratio",
    "target",
    "result",
]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(rows: list[Row], meta: dict[str, Any]) -> str:
    lines = [
        f"Measured {meta['when']} on {meta['machine']}; mode: {meta['mode']}; "
        f"wall {meta['wall_s']:.0f} s.",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()) + ".",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join(["---"] * 2 + ["---:"] + ["---"] + ["---:"] * 2 + ["---"] * 2) + "|",
    ]
    for r in rows:
        cells = [r.fig, r.what, r.ours, r.peer, r.theirs, r.ratio, r.target, r.verdict]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    notes = [f"- {r.fig} {r.what}: {r.note}" for r in rows if r.note]
    if notes:
        lines += ["", "Notes:", "", *notes]
    return "\n".join(lines) + "\n"


def machine() -> str:
    import os

    cpu = "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}"


def write(rows: list[Row], meta: dict[str, Any], out_dir: Path) -> str:
    out_dir.mkdir(parents=True, exist_ok=True)
    text = markdown(rows, meta)
    (out_dir / "latest.md").write_text(text)
    payload = {"meta": meta, "rows": [asdict(r) for r in rows]}
    (out_dir / "latest.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return text


def now() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
