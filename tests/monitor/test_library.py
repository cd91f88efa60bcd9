"""The monitor as a library: drift statistics, a Monitor inside a user's own ASGI/WSGI app,
the reference profile, and `init --monitoring`."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from gitops_ml.core.errors import UsageError
from gitops_ml.monitor import Monitor, drift, reference
from tests.conftest import cli, make_project


def _rows(n: int, seed: int, mean: float, plans: list[str]) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [{"x": rng.gauss(mean, 1), "plan": rng.choice(plans)} for _ in range(n)]


def test_drift_low_in_distribution_high_when_shifted() -> None:
    profile = reference.build(_rows(5000, 1, 0.0, ["a", "b"]))
    assert profile["features"]["x"]["kind"] == "numeric"
    assert len(profile["features"]["x"]["edges"]) == 9
    assert profile["features"]["plan"]["expected"] == pytest.approx({"a": 0.5, "b": 0.5}, abs=0.03)
    same = _rows(500, 2, 0.0, ["a", "b"])
    moved = _rows(500, 3, 1.5, ["b"])
    windows = {k: [r[k] for r in same] for k in ("x", "plan")}
    low = drift.measure(profile, windows)
    windows = {k: [r[k] for r in moved] for k in ("x", "plan")}
    high = drift.measure(profile, windows)
    assert low["x"]["psi"] < 0.1 and low["x"]["statistic"] < 0.1 and low["x"]["pvalue"] > 0.01
    assert high["x"]["psi"] > 0.5 and high["x"]["statistic"] > 0.4 and high["x"]["pvalue"] < 1e-6
    assert low["plan"]["psi"] < 0.05 and high["plan"]["psi"] > 1
    assert (low["x"]["test"], low["plan"]["test"]) == ("ks", "chi2")
    assert drift.measure(profile, {"x": [1.0]}) == {}  # too few observations


def test_reference_inputs() -> None:
    rows = [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    assert reference.build(rows) == reference.build({"a": [1, 2], "b": ["x", "y"]})
    assert reference.loads(json.dumps(rows), "f")["features"]["a"]["kind"] == "numeric"
    for bad in ("text", 3, [1, 2], {}):
        with pytest.raises(UsageError):
            reference.build(bad)


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


def test_log_reference_and_init_monitoring(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    (root / "train.py").write_text(
        "import gitops_ml\n"
        "with gitops_ml.start_run() as run:\n"
        "    run.log_reference({'x': [1.0, 2.0, 3.0], 'plan': ['a', 'b', 'a']})\n"
    )
    proc = cli(root, "run", "--json", "--", "python", "train.py")
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(proc.stdout)
    refs = [a for a in rec["artifacts"] if a.get("role") == "reference"]
    assert len(refs) == 1 and refs[0]["path"] == reference.REFERENCE_PATH
    proc = cli(root, "init", "--monitoring")
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in (root / "monitoring").iterdir())
    assert names == ["alerts.test.yml", "alerts.yml", "grafana-dashboard.json", "prometheus.yml"]
    assert "wrote monitoring/alerts.yml" in proc.stdout
    (root / "monitoring" / "alerts.yml").write_text("# mine\n")
    assert "alerts.yml" not in cli(root, "init", "--monitoring").stdout
    assert (root / "monitoring" / "alerts.yml").read_text() == "# mine\n"
