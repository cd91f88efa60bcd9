"""Prometheus metrics of a served model, with drift, usable inside any Python web app.

::

    from gitops_ml.monitor import Monitor
    monitor = Monitor(run_id="01J9...", reference=profile)     # profile: see reference.py

    # FastAPI / Starlette: app.mount("/metrics", monitor.asgi_app())
    # Flask / WSGI:        DispatcherMiddleware(app, {"/metrics": monitor.wsgi_app()})
    with monitor.track("/predict") as t:       # counts the request, times it
        y = model.predict(features)
        monitor.observe(features, y)           # feeds drift and the prediction distribution
        # t.error("bad_input") marks the request as an error of that kind

Series (each labelled ``run``): ``gitops_ml_requests_total{endpoint,code}``,
``gitops_ml_request_errors_total{endpoint,kind}``,
``gitops_ml_request_duration_seconds{endpoint}`` (histogram),
``gitops_ml_prediction_value`` (histogram of numeric predictions),
``gitops_ml_predictions_total{value}`` (class labels, at most 50 distinct, then ``other``),
``gitops_ml_model_info{model_hash}``, and, computed when scraped over the last ``window``
observations of each feature: ``gitops_ml_drift_psi{feature}``,
``gitops_ml_drift_statistic{feature,test}``, ``gitops_ml_drift_pvalue{feature,test}``,
``gitops_ml_drift_window_size{feature}``. A monitor has its own registry, so nothing
unlabelled (process metrics) is mixed in.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
MAX_CLASSES = 50


class _Tracker:
    """One request being timed (see :meth:`Monitor.track`)."""

    __slots__ = ("_monitor", "_start", "code", "endpoint", "kind")

    def __init__(self, monitor: Monitor, endpoint: str) -> None:
        self._monitor = monitor
        self.endpoint = endpoint
        self.code = 200
        self.kind: str | None = None
        self._start = 0.0

    def error(self, kind: str, code: int = 500) -> None:
        """Mark this request as failed (``kind`` names why; ``code`` is its HTTP status)."""
        self.kind, self.code = kind, code

    def __enter__(self) -> _Tracker:
        self._start = time.perf_counter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None and self.kind is None:
            self.error(exc_type.__name__, 500)
        self._monitor.observe_request(
            self.endpoint, self.code, time.perf_counter() - self._start, self.kind
        )


class Monitor:
    """Request, prediction and drift metrics of one served run, in its own registry."""

    def __init__(
        self,
        run_id: str,
        reference: Mapping[str, Any] | None = None,
        *,
        window: int = 500,
        model_hash: str = "",
        latency_buckets: Sequence[float] = LATENCY_BUCKETS,
    ) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.run_id = run_id
        self.reference = dict(reference) if reference else None
        self.window = window
        self.registry = CollectorRegistry(auto_describe=True)
        reg = self.registry
        self._requests = Counter(
            "gitops_ml_requests", "Requests served", ["run", "endpoint", "code"], registry=reg
        )
        self._errors = Counter(
            "gitops_ml_request_errors",
            "Requests that failed, by kind",
            ["run", "endpoint", "kind"],
            registry=reg,
        )
        self._latency = Histogram(
            "gitops_ml_request_duration_seconds",
            "Request latency",
            ["run", "endpoint"],
            buckets=tuple(latency_buckets),
            registry=reg,
        )
        self._pred_value = Histogram(
            "gitops_ml_prediction_value",
            "Numeric predictions",
            ["run"],
            buckets=(-1.0, 0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 2.0, 5.0, 10.0),
            registry=reg,
        )
        self._pred_class = Counter(
            "gitops_ml_predictions", "Predicted class labels", ["run", "value"], registry=reg
        )
        info = Gauge(
            "gitops_ml_model_info", "The served run and model", ["run", "model_hash"], registry=reg
        )
        info.labels(run_id, model_hash or "none").set(1)
        self._classes: set[str] = set()
        self._children: dict[tuple[str, int], tuple[Any, Any]] = {}
        self._pred_child = self._pred_value.labels(run_id)
        self._lock = threading.Lock()
        self._windows: dict[str, deque[Any]] = {}
        if self.reference:
            for name in self.reference.get("features") or {}:
                self._windows[name] = deque(maxlen=window)
            reg.register(_DriftCollector(self))

    # ------------------------------------------------------------ recording

    def declare(self, endpoint: str, error_kinds: Sequence[str] = ()) -> None:
        """Create an endpoint's series at zero, so rates and ratios exist from the first
        scrape (a counter first seen at N would hide its first N increments)."""
        self._latency.labels(self.run_id, endpoint)
        self._requests.labels(self.run_id, endpoint, "200")
        for kind in error_kinds:
            self._errors.labels(self.run_id, endpoint, kind)

    def track(self, endpoint: str) -> _Tracker:
        """A context manager that counts and times one request."""
        return _Tracker(self, endpoint)

    def observe_request(
        self, endpoint: str, code: int, seconds: float, error: str | None = None
    ) -> None:
        """Count one request (``error``: its failure kind, or None)."""
        pair = self._children.get((endpoint, code))
        if pair is None:  # labels() costs a lock and a dict build: once per series
            pair = self._children[(endpoint, code)] = (
                self._requests.labels(self.run_id, endpoint, str(code)),
                self._latency.labels(self.run_id, endpoint),
            )
        pair[0].inc()
        pair[1].observe(seconds)
        if error is not None:
            self._errors.labels(self.run_id, endpoint, error).inc()

    def observe(
        self, features: Mapping[str, Any] | Sequence[Mapping[str, Any]], prediction: Any
    ) -> None:
        """Feed one request's features (a mapping, or a list of them) and its prediction(s)
        into the drift windows and the prediction distribution."""
        rows = [features] if isinstance(features, Mapping) else list(features)
        if self._windows:
            with self._lock:
                for row in rows:
                    if not isinstance(row, Mapping):
                        continue
                    for name, win in self._windows.items():
                        value = row.get(name)
                        if value is not None:
                            win.append(value)
        preds = prediction if isinstance(prediction, list) and len(rows) > 1 else [prediction]
        for p in preds:
            self._observe_prediction(p)

    def _observe_prediction(self, p: Any) -> None:
        if isinstance(p, Mapping):  # {"label": ..., "score": ...}: look inside
            for key in ("prediction", "label", "class", "score", "value"):
                if key in p:
                    self._observe_prediction(p[key])
                    return
            return
        if isinstance(p, bool | str):
            label = str(p)
            if label not in self._classes:
                if len(self._classes) >= MAX_CLASSES:
                    label = "other"
                else:
                    self._classes.add(label)
            self._pred_class.labels(self.run_id, label).inc()
        elif isinstance(p, int | float):
            self._pred_child.observe(float(p))
        elif isinstance(p, list) and p and all(isinstance(x, int | float) for x in p):
            self._pred_child.observe(float(max(p)))

    # ------------------------------------------------------------ reading

    def warm_up(self) -> None:
        """Import the statistics libraries now (numpy and scipy take a while to import),
        so the first scrape after start-up is as quick as the others."""
        if self.reference:
            import numpy  # noqa: F401
            import scipy.stats  # noqa: F401

    def windows(self) -> dict[str, list[Any]]:
        """A copy of every feature's window."""
        with self._lock:
            return {k: list(v) for k, v in self._windows.items()}

    def drift(self) -> dict[str, dict[str, Any]]:
        """Drift of each feature now: ``{feature: {psi, statistic, pvalue, test, n}}``."""
        if not self.reference:
            return {}
        from gitops_ml.monitor import drift

        return drift.measure(self.reference, self.windows())

    def exposition(self) -> tuple[bytes, str]:
        """``(body, content type)`` of the Prometheus text exposition."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def asgi_app(self) -> Any:
        """An ASGI app serving ``/metrics`` (mount it in FastAPI or Starlette)."""
        from prometheus_client import make_asgi_app

        return make_asgi_app(self.registry)

    def wsgi_app(self) -> Any:
        """A WSGI app serving the metrics (for Flask and other WSGI apps)."""
        from prometheus_client import make_wsgi_app

        return make_wsgi_app(self.registry)


class _DriftCollector:
    """Computes drift when Prometheus scrapes (cost per scrape, not per request)."""

    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        run = self.monitor.run_id
        psi = GaugeMetricFamily(
            "gitops_ml_drift_psi",
            "Population stability index vs the reference",
            labels=["run", "feature"],
        )
        stat = GaugeMetricFamily(
            "gitops_ml_drift_statistic",
            "Two-sample test statistic vs the reference (ks: numeric, chi2: categorical)",
            labels=["run", "feature", "test"],
        )
        pval = GaugeMetricFamily(
            "gitops_ml_drift_pvalue",
            "p-value of that two-sample test",
            labels=["run", "feature", "test"],
        )
        size = GaugeMetricFamily(
            "gitops_ml_drift_window_size",
            "Observations in the drift window",
            labels=["run", "feature"],
        )
        for name, win in self.monitor.windows().items():
            size.add_metric([run, name], len(win))
        for name, d in self.monitor.drift().items():
            psi.add_metric([run, name], d["psi"])
            stat.add_metric([run, name, d["test"]], d["statistic"])
            pval.add_metric([run, name, d["test"]], d["pvalue"])
        yield from (psi, stat, pval, size)
