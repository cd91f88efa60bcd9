"""A real Prometheus (Debian's package, installed when absent) on a free loopback port."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest


def ensure_prometheus() -> tuple[str, str]:
    """Paths of ``prometheus`` and ``promtool``, installing Debian's package when absent."""
    if not (shutil.which("prometheus") and shutil.which("promtool")):
        if shutil.which("apt-get") is None:
            pytest.fail("prometheus is not installed and apt-get is not available")
        env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "prometheus"]):
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
            if proc.returncode != 0:
                pytest.fail(f"{' '.join(cmd)} failed: {proc.stderr[-500:]}")
    prom, tool = shutil.which("prometheus"), shutil.which("promtool")
    assert prom and tool
    return prom, tool


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Prometheus:
    def __init__(self, url: str) -> None:
        self.url = url

    def get(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=30) as resp:
            return json.loads(resp.read())

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query's result vector (raises on a query error)."""
        body = self.get("/api/v1/query", query=expr)
        assert body["status"] == "success", body
        return list(body["data"]["result"])

    def wait_for(self, expr: str, ok: Any, timeout: float = 120) -> list[dict[str, Any]]:
        """Poll ``expr`` until ``ok(result)``; fails (with the last result) after ``timeout``."""
        deadline = time.monotonic() + timeout
        result: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            result = self.query(expr)
            if ok(result):
                return result
            time.sleep(0.5)
        raise AssertionError(f"{expr}: never satisfied, last {result}")


@contextmanager
def prometheus(tmp: Path, target: str, rules: Path) -> Iterator[Prometheus]:
    """Prometheus scraping ``target`` (host:port) every second, with ``rules`` loaded."""
    prom, _ = ensure_prometheus()
    tmp.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(rules, tmp / "alerts.yml")
    (tmp / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "rule_files: [alerts.yml]\n"
        "scrape_configs:\n  - job_name: gitops-ml\n    metrics_path: /metrics\n"
        f"    static_configs:\n      - targets: ['{target}']\n"
    )
    port = free_port()
    log = (tmp / "prometheus.log").open("w")
    proc = subprocess.Popen(
        [
            prom,
            f"--config.file={tmp / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if proc.poll() is not None:
                raise AssertionError((tmp / "prometheus.log").read_text()[-2000:])
            try:
                with urllib.request.urlopen(url + "/-/ready", timeout=5) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        yield Prometheus(url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
