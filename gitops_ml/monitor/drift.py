"""Drift statistics of a live window against a reference profile (numpy + scipy).

Per numeric feature: the population stability index over the reference's decile bins and
the two-sample Kolmogorov-Smirnov statistic (``scipy.stats.ks_2samp``) against the
reference sample. Per categorical feature: PSI over the categories and the chi-square
statistic of the two-sample contingency table (``scipy.stats.chi2_contingency``).

PSI reading (the usual rule of thumb): below 0.1 no shift, 0.1 to 0.25 a moderate one,
above 0.25 a significant one. The alert rules shipped by ``init --monitoring`` fire at 0.2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

TYPE_CHECKING = False  # typing costs ~7 ms to import: only for the type checker
if TYPE_CHECKING:
    from typing import Any

EPSILON = 1e-4  # floor of a bin's share, so an empty bin does not make PSI infinite


def psi(expected: Any, actual: Any) -> float:
    """Population stability index of two distributions over the same bins (shares)."""
    import numpy as np

    e = np.clip(np.asarray(expected, dtype=float), EPSILON, None)
    a = np.clip(np.asarray(actual, dtype=float), EPSILON, None)
    e, a = e / e.sum(), a / a.sum()
    return float(np.sum((a - e) * np.log(a / e)))


def numeric(profile: dict[str, Any], window: Sequence[float]) -> dict[str, float]:
    """PSI and the KS statistic (with its p-value) of a numeric window."""
    import numpy as np
    from scipy import stats

    values = np.asarray(window, dtype=float)
    edges = np.asarray(profile["edges"], dtype=float)
    counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)
    result = stats.ks_2samp(values, np.asarray(profile["sample"], dtype=float))
    return {
        "psi": psi(profile["expected"], counts / max(1, len(values))),
        "statistic": float(result.statistic),
        "pvalue": float(result.pvalue),
    }


def categorical(profile: dict[str, Any], window: Sequence[Any], rows: int) -> dict[str, float]:
    """PSI and the chi-square statistic (with its p-value) of a categorical window."""
    import numpy as np
    from scipy import stats

    expected: dict[str, float] = profile["expected"]
    names = list(expected)
    counts = dict.fromkeys(names, 0)
    for v in window:
        key = str(v)
        if key not in counts:
            key = "__other__"
            counts.setdefault(key, 0)
            if key not in names:
                names.append(key)
        counts[key] += 1
    exp = np.asarray([expected.get(k, 0.0) for k in names])
    act = np.asarray([counts[k] for k in names], dtype=float)
    value = psi(exp, act / max(1.0, act.sum()))
    table = np.vstack([np.maximum(exp * max(rows, 1), EPSILON), np.maximum(act, EPSILON)])
    chi = stats.chi2_contingency(table, correction=False)
    return {"psi": value, "statistic": float(chi.statistic), "pvalue": float(chi.pvalue)}


def measure(
    profile: dict[str, Any], windows: Mapping[str, Sequence[Any]]
) -> dict[str, dict[str, Any]]:
    """Drift of every profiled feature that has at least two observations in its window."""
    out: dict[str, dict[str, Any]] = {}
    rows = int(profile.get("rows") or 0)
    for name, spec in (profile.get("features") or {}).items():
        window = windows.get(name) or ()
        if len(window) < 2:
            continue
        if spec.get("kind") == "numeric":
            nums = [v for v in window if isinstance(v, int | float) and not isinstance(v, bool)]
            if len(nums) < 2:
                continue
            out[name] = {"test": "ks", "n": len(nums), **numeric(spec, nums)}
        else:
            out[name] = {"test": "chi2", "n": len(window), **categorical(spec, window, rows)}
    return out
