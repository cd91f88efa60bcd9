from __future__ import annotations

from gitops_ml.main import cli

raise SystemExit(cli())
