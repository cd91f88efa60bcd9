"""runs.history: ranking a commit's runs by the primary metric."""

from __future__ import annotations

from gitops_ml.runs import history


def _r(run_id: str, code: int = 0, **metrics: float) -> dict[str, object]:
    return {"id": run_id, "exit_code": code, "metrics": metrics}


def test_rank_best_first_failed_and_missing_last() -> None:
    runs = [
        _r("A", acc=0.5),
        _r("B", acc=0.9),
        _r("C", 1, acc=0.99),
        _r("D"),
        _r("E", acc=float("nan")),
    ]
    assert [r["id"] for r in history.rank(runs, "acc")] == ["B", "A", "E", "D", "C"]
    assert [r["id"] for r in history.rank(runs, "-acc")][:2] == ["A", "B"]
    assert [r["id"] for r in history.rank(runs, None)] == ["E", "D", "C", "B", "A"]
