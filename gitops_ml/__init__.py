"""gitops-ml: record, query, reproduce and ship ML runs inside git.

Public API::

    import gitops_ml
    with gitops_ml.start_run(params={"lr": 0.1}) as run:
        run.log_metrics({"accuracy": 0.93})
        run.log_artifact("model.pkl")
    gitops_ml.load_run("01J9")      # a run's full record by id prefix
    gitops_ml.current_params()      # params given by `gitops-ml run -p ...`
"""

from __future__ import annotations

from gitops_ml.version import __version__

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    from gitops_ml.api import Run, current_params, load_run, start_run

__all__ = ["Run", "__version__", "current_params", "load_run", "start_run"]


def __getattr__(name: str) -> Any:
    if name in ("Run", "start_run", "load_run", "current_params"):
        from gitops_ml import api

        return getattr(api, name)
    raise AttributeError(name)
