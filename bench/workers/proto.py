"""Line protocol of the persistent workers: one JSON request per stdin line, one JSON reply.

A worker lives in a tool's own venv and keeps its imports and store open, so bench/run.py
can alternate batches between tools (A B A B ...) without paying the import each time.
Anything the tool prints goes to stderr; stdout carries only the replies.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from typing import Any

Handler = Callable[..., Any]


def serve(handlers: dict[str, Handler]) -> None:
    out = sys.stdout
    sys.stdout = sys.stderr
    for line in sys.stdin:
        req = json.loads(line)
        op = req.pop("op")
        if op == "quit":
            break
        try:
            reply = {"ok": True, "result": handlers[op](**req)}
        except Exception as exc:  # reported to the driver, which fails the case
            reply = {
                "ok": False,
                "error": f"{type(exc).__name__}: {exc}",
                "tb": traceback.format_exc(),
            }
        out.write(json.dumps(reply) + "\n")
        out.flush()
