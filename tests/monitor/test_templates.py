"""run.log_reference and `gitops-ml init --monitoring`."""

from __future__ import annotations

import json
from pathlib import Path

from gitops_ml.monitor import reference
from tests.conftest import cli, make_project


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
