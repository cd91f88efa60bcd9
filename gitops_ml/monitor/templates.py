"""``gitops-ml init --monitoring``: the monitoring templates, copied into a repository."""

from __future__ import annotations

import shutil
from pathlib import Path

from gitops_ml.core.templates import template_dir

FILES = ("prometheus.yml", "alerts.yml", "alerts.test.yml", "grafana-dashboard.json")
DEST = "monitoring"


def write_monitoring(top: Path) -> list[str]:
    """Copy the Prometheus config, alert rules (with their promtool unit tests) and the
    Grafana dashboard to ``monitoring/`` (a file already there is left alone)."""
    src = template_dir() / "monitoring"
    done = []
    for name in FILES:
        dest = top / DEST / name
        if dest.exists():
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / name, dest)
        done.append(f"wrote {DEST}/{name}")
    return done
