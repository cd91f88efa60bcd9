"""``gitops-ml serve``: refusals, malformed bodies, 200 concurrent requests, labelled metrics."""

from __future__ import annotations

import json
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import cli, write
from tests.monitor.served import request, served_project, serving, started


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return served_project(tmp_path_factory.mktemp("served") / "p")


def test_refusals_are_one_line_exit_2(served: tuple[Path, str]) -> None:
    root, run = served
    write(root / "broken_model.py", "raise RuntimeError('no weights here')\n")
    write(root / "needy_model.py", "import no_such_dependency\n")
    cases = [
        (("ZZZZZZ", "--entrypoint", "serve_model:predict"), "no run matches"),
        ((run, "--entrypoint", "serve_model"), "expected module:function"),
        ((run, "--entrypoint", "missing_module:predict"), "no module named 'missing_module'"),
        ((run, "--entrypoint", "serve_model:nothing"), "serve_model has no 'nothing'"),
        ((run, "--entrypoint", "serve_model:W"), "is not callable"),
        ((run, "--entrypoint", "broken_model:predict"), "RuntimeError: no weights here"),
        (
            (run, "--entrypoint", "needy_model:predict"),
            "'needy_model:predict': importing it failed: No module named 'no_such_dependency'",
        ),
        ((run, "--entrypoint", "serve_model:predict", "--window", "1"), "--window must be at"),
        ((run, "--entrypoint", "serve_model:predict", "--reference", "nope.json"), "nope.json"),
    ]
    for args, words in cases:
        proc = cli(root, "serve", *args, "--check")
        assert proc.returncode == 2, (args, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0], (args, proc.stderr)
    proc = cli(root, "serve", run, "--entrypoint", "serve_model:predict", "--check")
    assert proc.returncode == 0, proc.stderr
    assert "ready to serve" in proc.stdout and not proc.stderr  # the run has a reference


def test_serves_survives_bad_bodies_and_200_concurrent_requests(served: tuple[Path, str]) -> None:
    root, run = served
    with serving(root, run) as url:
        code, body = request(url + "/healthz")
        assert (code, body) == (200, {"status": "ok", "run": run})
        code, body = request(url + "/predict", json.dumps({"age": 40, "income": 1}).encode())
        assert code == 200 and body == {"prediction": 0.5, "run": run}
        rows = [{"age": 40}, {"age": 90}]
        code, body = request(url + "/predict", json.dumps(rows).encode())
        assert code == 200 and body[0] == 0.5 and body[1] > 0.9
        for bad in (b"{not json", b"[1, 2]", b'"a string"', b"[]", b"\xff\xfe", b""):
            code, body = request(url + "/predict", bad)
            assert code == 400, bad
            assert isinstance(body, dict) and body["error"], bad
            assert request(url + "/healthz")[0] == 200  # still serving
        code, body = request(url + "/predict", json.dumps({"income": 3}).encode())
        assert code == 500 and body["error"] == "predict failed: KeyError: 'age'"

        def one(i: int) -> int:
            payload = {"age": 20 + i % 50, "income": 40000 + i, "plan": "basic"}
            return request(url + "/predict", json.dumps(payload).encode(), timeout=120)[0]

        with ThreadPoolExecutor(max_workers=200) as pool:
            codes = list(pool.map(one, range(200)))
        assert codes == [200] * 200
        code, text = request(url + "/metrics", timeout=120)
        assert code == 200
    families = {f.name: f for f in text_string_to_metric_families(text)}
    samples = [s for f in families.values() for s in f.samples]
    assert samples and all(s.labels.get("run") == run for s in samples)
    ok = [
        s.value
        for s in families["gitops_ml_requests"].samples
        if s.name.endswith("_total") and s.labels["code"] == "200"
    ]
    assert sum(ok) == 202
    errors = {
        s.labels["kind"]: s.value
        for s in families["gitops_ml_request_errors"].samples
        if s.name.endswith("_total")
    }
    assert errors == {
        "bad_request": 6.0,
        "predict_failed": 1.0,
        "too_large": 0,
        "bad_prediction": 0,
    }
    count = next(
        s.value
        for s in families["gitops_ml_request_duration_seconds"].samples
        if s.name.endswith("_count")
    )
    assert count == 209
    psi = {s.labels["feature"]: s.value for s in families["gitops_ml_drift_psi"].samples}
    assert set(psi) == {"age", "income", "plan"}
    stats = {
        (s.labels["feature"], s.labels["test"])
        for s in families["gitops_ml_drift_statistic"].samples
    }
    assert stats == {("age", "ks"), ("income", "ks"), ("plan", "chi2")}
    preds = families["gitops_ml_prediction_value"].samples
    assert next(s.value for s in preds if s.name.endswith("_count")) == 203
    info = families["gitops_ml_model_info"].samples[0]
    assert len(info.labels["model_hash"]) == 64


def test_serve_without_metrics(served: tuple[Path, str]) -> None:
    root, run = served
    with serving(root, run, "--no-metrics") as url:
        assert request(url + "/predict", b'{"age": 40}')[0] == 200
        assert request(url + "/metrics")[0] == 404


def test_port_in_use_is_one_line_exit_3(served: tuple[Path, str]) -> None:
    import socket

    root, run = served
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        proc = cli(root, "serve", run, "--entrypoint", "serve_model:predict", "--port", str(port))
    assert proc.returncode == 3
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr.strip().splitlines()[-1]


def test_a_run_without_a_reference_serves_without_drift(served: tuple[Path, str]) -> None:
    root, _ = served
    train = (
        "import json; open('model.json', 'w').write(json.dumps({'w': 0.1}));"
        " json.dump({'accuracy': 0.5}, open('metrics.json', 'w'))"
    )
    proc = cli(root, "run", "--json", "--", "python", "-c", train)
    assert proc.returncode == 0, proc.stderr
    bare = json.loads(proc.stdout)["id"]
    proc = cli(root, "serve", bare, "--entrypoint", "serve_model:predict", "--check")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"gitops-ml serve: run {bare} ready to serve with serve_model:predict\n"
    assert proc.stderr.strip().splitlines() == [
        f"gitops-ml serve: warning: run {bare} has no reference profile "
        "(run.log_reference(features), or --reference FILE): drift is not measured"
    ]
    proc = cli(
        root, "serve", bare, "--entrypoint", "serve_model:predict", "--check", "--no-metrics"
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr  # nothing to warn about


def test_sigterm_and_ctrl_c_stop_it_gracefully(served: tuple[Path, str]) -> None:
    """As documented: SIGTERM ends it by that signal once shut down, Ctrl-C with 130."""
    root, run = served
    for signum, code in ((signal.SIGTERM, -signal.SIGTERM), (signal.SIGINT, 130)):
        with started(root, run, "--no-metrics") as (url, proc):
            assert request(url + "/predict", b'{"age": 40}')[0] == 200
            proc.send_signal(signum)
            _, rest = proc.communicate(timeout=60)
        assert proc.returncode == code, rest
        assert "Traceback" not in rest
