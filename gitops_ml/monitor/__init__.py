"""Serving and monitoring a deployed model: Prometheus metrics and drift statistics.
Imports ``reproduce``, ``sync`` and below.

``from gitops_ml.monitor import Monitor`` inside any web app; ``gitops-ml serve`` uses the
same class. Heavy imports (prometheus-client, numpy, scipy) happen only when used.
"""

from gitops_ml.monitor.metrics import Monitor

__all__ = ["Monitor"]
