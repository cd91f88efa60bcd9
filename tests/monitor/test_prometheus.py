"""A real Prometheus scrapes `gitops-ml serve`: drift stays low in distribution and crosses
the alert threshold when the inputs shift; the dashboard's queries and the alert rules run
in that Prometheus; promtool checks and unit-tests the rules."""

from __future__ import annotations

import json
import random
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from gitops_ml.core.templates import template_dir
from tests.monitor.prom import ensure_prometheus, prometheus
from tests.monitor.served import request, served_project, serving

MONITORING = template_dir() / "monitoring"
WINDOW = 200


def _alert_expr(name: str) -> str:
    rules = yaml.safe_load((MONITORING / "alerts.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") == name:
                return str(rule["expr"])
    raise KeyError(name)


def _send(url: str, rows: list[dict[str, Any]]) -> None:
    def one(row: dict[str, Any]) -> int:
        return request(url + "/predict", json.dumps(row).encode(), timeout=120)[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(one, rows)) == {200}


def _rows(n: int, seed: int, age: float, income: float, plans: list[str]) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        {"age": rng.gauss(age, 10), "income": rng.gauss(income, 8000), "plan": rng.choice(plans)}
        for _ in range(n)
    ]


def _dashboard_queries() -> list[str]:
    dash = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 10
    return [e.replace("$__rate_interval", "1m").replace("$run", ".*") for e in exprs]


def test_prometheus_sees_drift_rise_when_inputs_shift(tmp_path: Path) -> None:
    root, run = served_project(tmp_path / "p")
    drift = _alert_expr("GitopsMlFeatureDrift")
    threshold = float(re.search(r"gitops_ml_drift_psi\) > ([0-9.]+)", drift).group(1))  # type: ignore[union-attr]
    with (
        serving(root, run, "--window", str(WINDOW)) as url,
        prometheus(
            tmp_path / "prom", url.removeprefix("http://"), MONITORING / "alerts.yml"
        ) as prom,
    ):
        # in distribution: the training data's distribution, other draws
        _send(url, _rows(WINDOW + 50, 7, 40, 50000, ["basic", "basic", "pro"]))
        prom.wait_for(
            f'min(gitops_ml_drift_window_size{{run="{run}"}})',
            lambda r: bool(r) and float(r[0]["value"][1]) == WINDOW,
        )
        psi = prom.query(f'gitops_ml_drift_psi{{run="{run}"}}')
        assert {s["metric"]["feature"] for s in psi} == {"age", "income", "plan"}
        assert max(float(s["value"][1]) for s in psi) < threshold / 2, psi
        ks = prom.query(f'gitops_ml_drift_statistic{{run="{run}",test="ks"}}')
        assert max(float(s["value"][1]) for s in ks) < 0.2, ks
        assert prom.query(drift) == []  # the alert condition does not hold
        # every dashboard query runs (now that every series exists)
        for expr in _dashboard_queries():
            prom.query(expr)
        values = prom.get("/api/v1/label/run/values", **{"match[]": "gitops_ml_model_info"})
        assert values["data"] == [run]
        # shifted: older, richer customers on the pro plan
        _send(url, _rows(WINDOW + 50, 8, 65, 80000, ["pro"]))
        ks_expr = f'min(gitops_ml_drift_statistic{{run="{run}",test="ks"}})'
        prom.wait_for(ks_expr, lambda r: bool(r) and float(r[0]["value"][1]) > 0.5)
        fired = prom.wait_for(drift, lambda r: len(r) == 3)
        assert {s["metric"]["feature"] for s in fired} == {"age", "income", "plan"}
        assert all(float(s["value"][1]) > threshold for s in fired)
        # the alert rules are loaded and evaluate without error
        rules = prom.get("/api/v1/rules")["data"]["groups"][0]["rules"]
        assert {r["name"] for r in rules} == {
            "GitopsMlFeatureDrift",
            "GitopsMlHighErrorRate",
            "GitopsMlHighLatency",
        }
        prom.wait_for(
            "vector(1)",
            lambda _: all(
                r["health"] == "ok" for r in prom.get("/api/v1/rules")["data"]["groups"][0]["rules"]
            ),
        )
        # the error-rate alert's condition holds once more than 5% of requests fail
        for _ in range(80):
            assert request(url + "/predict", b"{oops")[0] == 400
        prom.wait_for(_alert_expr("GitopsMlHighErrorRate"), lambda r: len(r) == 1)


def test_promtool_checks_and_unit_tests_the_rules(tmp_path: Path) -> None:
    _, promtool = ensure_prometheus()
    check = subprocess.run(
        [promtool, "check", "rules", "alerts.yml"], cwd=MONITORING, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "SUCCESS: 3 rules found" in check.stdout
    test = subprocess.run(
        [promtool, "test", "rules", "alerts.test.yml"],
        cwd=MONITORING,
        capture_output=True,
        text=True,
    )
    assert test.returncode == 0, test.stdout + test.stderr
    # the unit tests can fail: a rule whose threshold no longer catches the drift fails them
    for name in ("alerts.yml", "alerts.test.yml"):
        (tmp_path / name).write_text((MONITORING / name).read_text())
    rules = tmp_path / "alerts.yml"
    rules.write_text(
        rules.read_text().replace("(gitops_ml_drift_psi) > 0.2", "(gitops_ml_drift_psi) > 0.6")
    )
    broken = subprocess.run(
        [promtool, "test", "rules", "alerts.test.yml"], cwd=tmp_path, capture_output=True, text=True
    )
    assert broken.returncode != 0 and "GitopsMlFeatureDrift" in broken.stdout + broken.stderr
