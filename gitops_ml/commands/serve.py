"""``gitops-ml serve RUN --entrypoint module:function [--port N]``: serve a run's model.

Puts the run's models on disk (from the content store, verified) under
``.git/gitops-ml/serve/<run>/`` and exports ``GITOPS_ML_RUN_ID`` and
``GITOPS_ML_MODEL_DIR`` before importing the entrypoint (from the repository root), so the
module can load its model at import. Serves ``POST /predict``, ``GET /healthz`` and
``GET /metrics`` (Prometheus, drift against the run's reference profile or
``--reference FILE``) with Starlette on uvicorn. Needs the ``serve`` extra.

Exit codes: 0 ``--check`` passed; 2 no such run, a bad entrypoint or reference; 3 the port
cannot be bound, the extra is missing, or a model cannot be fetched; 130 stopped by Ctrl-C
(SIGINT). Stopped by SIGTERM, it shuts down gracefully and then ends by that signal, as
uvicorn does (status 143 in a shell), which is what process managers expect.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from pathlib import Path

from gitops_ml.core import config, gitstore
from gitops_ml.core.errors import EnvironmentProblem, UsageError

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_ENTRY = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def configure(p: argparse.ArgumentParser) -> None:
    """Declare this command's arguments."""
    p.add_argument("run", help="run id or unique prefix")
    p.add_argument(
        "--entrypoint",
        required=True,
        metavar="MODULE:FUNCTION",
        help="the predict function, imported from the repository root (e.g. model:predict)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080; 0: any free)")
    p.add_argument(
        "--reference",
        metavar="FILE",
        help="reference profile or features (JSON) for drift (default: the run's logged one)",
    )
    p.add_argument(
        "--window", type=int, default=500, metavar="N", help="drift window per feature (500)"
    )
    p.add_argument("--no-metrics", action="store_true", help="serve without /metrics and drift")
    p.add_argument(
        "--check",
        action="store_true",
        help="prepare everything (run, models, entrypoint, reference), then exit without serving",
    )


def load_entrypoint(spec: str, root: Path) -> Callable[[Any], Any]:
    """The callable named by ``module:function`` (importable from ``root``), or exit 2.
    ``spec`` has been checked against :data:`_ENTRY` (``main`` does it before any work)."""
    module_name, func = spec.split(":")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise UsageError(f"bad entrypoint {spec!r}: no module named {exc.name!r}") from None
        raise UsageError(f"bad entrypoint {spec!r}: importing it failed: {exc}") from None
    except Exception as exc:
        line = str(exc).splitlines()[0] if str(exc) else ""
        raise UsageError(
            f"bad entrypoint {spec!r}: importing it failed: {type(exc).__name__}: {line}"
        ) from None
    target = getattr(module, func, None)
    if target is None:
        raise UsageError(f"bad entrypoint {spec!r}: {module_name} has no {func!r}")
    if not callable(target):
        raise UsageError(f"bad entrypoint {spec!r}: {func!r} is not callable")
    return target  # type: ignore[no-any-return]


def _reference(
    repo: gitstore.Repo, cfg: config.Config, rec: dict[str, Any], path: str | None, dest: Path
) -> dict[str, Any] | None:
    from gitops_ml.monitor import reference

    if path:
        return reference.load_file(Path(path))
    logged = [a for a in rec.get("artifacts") or [] if a.get("role") == "reference"]
    if not logged:
        return None
    from gitops_ml.deploy import models

    models.restore(repo, cfg, logged[-1:], dest)
    return reference.load_file(dest / logged[-1]["path"])


def _bind(host: str, port: int) -> Any:
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise EnvironmentProblem(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    return sock


def main(args: argparse.Namespace) -> int:
    from gitops_ml.deploy import models
    from gitops_ml.runs import index

    repo = gitstore.open_repo()
    rec = index.full_record(repo, args.run)
    if not _ENTRY.match(args.entrypoint):
        raise UsageError(
            f"bad entrypoint {args.entrypoint!r}: expected module:function (e.g. model:predict)"
        )
    if args.window < 2:
        raise UsageError("--window must be at least 2")
    try:
        import starlette  # noqa: F401
        import uvicorn
    except ImportError:
        raise EnvironmentProblem(
            "gitops-ml serve needs the serve extra: pip install 'gitops-ml[serve]'"
        ) from None
    cfg = config.load(repo.top)
    model_dir = repo.state_dir / "serve" / rec["id"]
    models.materialize(repo, cfg, rec, model_dir)
    os.environ["GITOPS_ML_RUN_ID"] = rec["id"]
    os.environ["GITOPS_ML_MODEL_DIR"] = str(model_dir)
    predict = load_entrypoint(args.entrypoint, repo.top)
    from gitops_ml.monitor.app import create_app
    from gitops_ml.monitor.metrics import Monitor

    monitor = None
    if not args.no_metrics:
        profile = _reference(repo, cfg, rec, args.reference, model_dir)
        if profile is None:
            print(
                f"gitops-ml serve: warning: run {rec['id']} has no reference profile "
                "(run.log_reference(features), or --reference FILE): drift is not measured",
                file=sys.stderr,
            )
        entries = models.model_entries(rec)
        monitor = Monitor(
            rec["id"],
            profile,
            window=args.window,
            model_hash=",".join(e["hash"] for e in entries),
        )
    if monitor is not None:
        monitor.warm_up()
    app = create_app(predict, rec["id"], monitor)
    if args.check:
        print(f"gitops-ml serve: run {rec['id']} ready to serve with {args.entrypoint}")
        return 0
    sock = _bind(args.host, args.port)
    host, port = sock.getsockname()[:2]
    print(
        f"gitops-ml serve: run {rec['id']} ({args.entrypoint}) on http://{host}:{port}"
        f" (/predict, /healthz{'' if args.no_metrics else ', /metrics'})",
        file=sys.stderr,
        flush=True,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_keep_alive=30,
            backlog=2048,
        )
    )
    server.run(sockets=[sock])
    return 0
