"""The Monitor inside a user's own ASGI and WSGI app."""

from __future__ import annotations

import random

from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from gitops_ml.monitor import Monitor, reference


def _rows(n: int, seed: int, mean: float, plans: list[str]) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [{"x": rng.gauss(mean, 1), "plan": rng.choice(plans)} for _ in range(n)]


def test_monitor_inside_a_users_own_asgi_and_wsgi_app() -> None:
    profile = reference.build(_rows(2000, 1, 0.0, ["a", "b"]))
    monitor = Monitor("RUN1", profile, window=100)

    async def predict(request: Request) -> JSONResponse:
        with monitor.track("/score") as t:
            body = await request.json()
            if "x" not in body:
                t.error("missing_x", 422)
                return JSONResponse({"error": "x"}, status_code=422)
            y = body["x"] * 2
            monitor.observe(body, y)
            return JSONResponse({"y": y})

    app = Starlette(
        routes=[Route("/score", predict, methods=["POST"]), Mount("/metrics", monitor.asgi_app())]
    )
    client = TestClient(app)
    for row in _rows(150, 5, 3.0, ["b"]):
        assert client.post("/score", json=row).status_code == 200
    assert client.post("/score", json={}).status_code == 422
    text = client.get("/metrics/").text
    fam = {f.name: f for f in text_string_to_metric_families(text)}
    assert all(s.labels["run"] == "RUN1" for f in fam.values() for s in f.samples)
    psi = {s.labels["feature"]: s.value for s in fam["gitops_ml_drift_psi"].samples}
    assert psi["x"] > 1
    errs = [s for s in fam["gitops_ml_request_errors"].samples if s.name.endswith("_total")]
    assert [(s.labels["kind"], s.value) for s in errs] == [("missing_x", 1.0)]
    # the same registry through WSGI (Flask and friends)
    seen: list[str] = []
    body = b"".join(
        monitor.wsgi_app()(
            {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "QUERY_STRING": ""},
            lambda status, headers: seen.append(status),
        )
    )
    assert seen == ["200 OK"] and b"gitops_ml_drift_psi" in body
