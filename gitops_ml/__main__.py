from __future__ import annotations

from gitops_ml.main import main

raise SystemExit(main())
