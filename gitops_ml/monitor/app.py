"""The ASGI app of ``gitops-ml serve`` (Starlette): ``/predict``, ``/healthz``, ``/metrics``.

``POST /predict`` takes a JSON object of named features, or a list of such objects; the
user's function gets exactly that and returns something JSON-serialisable, which is the
response. A body that is not JSON, or not an object or a list of objects, is answered
with 400 and ``{"error": "..."}``; a function that raises, or returns something that is
not JSON, with 500 and the error's one line; the server keeps serving either way.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable

from gitops_ml.monitor.metrics import Monitor

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

MAX_BODY = 10 * 1024 * 1024
ERROR_KINDS = ("bad_request", "too_large", "predict_failed", "bad_prediction")


def _error(code: int, message: str) -> Any:
    from starlette.responses import Response

    body = json.dumps({"error": message}).encode()
    return Response(body, status_code=code, media_type="application/json")


def _payload_problem(payload: Any) -> str | None:
    if isinstance(payload, dict):
        return None
    if isinstance(payload, list):
        if not payload:
            return "the body is an empty list: send an object of features, or a list of them"
        if all(isinstance(row, dict) for row in payload):
            return None
        return "every item of the list must be an object of named features"
    return f"the body must be a JSON object of named features (or a list of them), not {type(payload).__name__}"


async def _answer(
    request: Any, predict: Callable[[Any], Any], is_async: bool, monitor: Monitor | None
) -> tuple[Any, int, str | None]:
    """One ``/predict``: (response, status, error kind or None)."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response

    body = await request.body()
    if len(body) > MAX_BODY:
        return _error(413, f"the body is larger than {MAX_BODY} bytes"), 413, "too_large"
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return _error(400, f"the body is not JSON: {exc}"), 400, "bad_request"
    problem = _payload_problem(payload)
    if problem:
        return _error(400, problem), 400, "bad_request"
    try:
        if is_async:
            result = await predict(payload)
        else:
            result = await run_in_threadpool(predict, payload)
    except Exception as exc:
        text = str(exc).splitlines()[0] if str(exc) else ""
        return _error(500, f"predict failed: {type(exc).__name__}: {text}"), 500, "predict_failed"
    try:
        out = json.dumps(result, allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        return _error(500, f"the prediction is not JSON-serialisable: {exc}"), 500, "bad_prediction"
    if monitor is not None:
        monitor.observe(payload, result)
    return Response(out, media_type="application/json"), 200, None


def create_app(
    predict: Callable[[Any], Any],
    run_id: str,
    monitor: Monitor | None = None,
) -> Any:
    """The Starlette app around ``predict``; ``monitor`` None serves without metrics."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    is_async = inspect.iscoroutinefunction(predict)
    if monitor is not None:
        monitor.declare("/predict", ERROR_KINDS)

    async def predict_route(request: Request) -> Any:
        if monitor is None:
            return (await _answer(request, predict, is_async, monitor))[0]
        with monitor.track("/predict") as tracker:
            response, code, kind = await _answer(request, predict, is_async, monitor)
            if kind is not None:
                tracker.error(kind, code)
        return response

    async def healthz(request: Request) -> Any:
        return JSONResponse({"status": "ok", "run": run_id})

    async def metrics(request: Request) -> Any:
        if monitor is None:
            return _error(404, "metrics are off")
        body, ctype = await asyncio.get_running_loop().run_in_executor(None, monitor.exposition)
        return Response(body, media_type=ctype.split(";")[0], headers={"Content-Type": ctype})

    routes = [
        Route("/predict", predict_route, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    return Starlette(routes=routes)
