"""Calibration of predictive intervals on held-out rows.

The report says "between 28 and 41 with 90% probability"; calibration says how
often such a statement was right on rows the model did not see: the share of
held-out values inside the predictive interval at several levels, and the PIT
values (where each held-out value falls in its predictive distribution), which
are uniform when the predictive distributions are right.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import kstest

from backends.runtime import EngineError

LEVELS = (0.5, 0.8, 0.9, 0.95)


def holdout_split(
    n_rows: int, fraction: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Random (train, test) row indices, the test part holding ``fraction`` of the rows."""
    if not 0 < fraction < 1:
        raise EngineError(f"the held-out fraction must be between 0 and 1, got {fraction}")
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = max(1, int(round(fraction * n_rows)))
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def pit_values(draws: np.ndarray, y: np.ndarray, seed: int = 0) -> np.ndarray:
    """Randomised PIT: P(Y < y) + U * P(Y = y) under the draws (uniform for discrete y too)."""
    below = np.mean(draws < y[None, :], axis=0)
    ties = np.mean(draws == y[None, :], axis=0)
    return below + np.random.default_rng(seed).random(len(y)) * ties


def calibration(
    result: Any,
    X: np.ndarray,
    y: np.ndarray,
    *,
    levels: tuple[float, ...] = LEVELS,
    n_draws: int = 400,
    bins: int = 10,
    seed: int = 0,
) -> dict[str, Any]:
    """Coverage of result.predict's intervals and PIT from result.sample_predict on (X, y).

    Returns a JSON-able dict: "n", "coverage" (per level: level, covered, coverage,
    the binomial standard error expected if calibrated, mean interval width),
    "pit" (values, histogram,
    Kolmogorov-Smirnov distance to uniform and its p-value).
    """
    X = np.atleast_2d(np.asarray(X, dtype=float))
    y = np.asarray(y, dtype=float).reshape(-1)
    if len(X) != len(y):
        raise EngineError(f"calibration: {len(X)} rows of inputs but {len(y)} target values")
    keep = np.isfinite(y) & np.all(np.isfinite(X), axis=1)
    if not keep.any():
        raise EngineError("calibration: no held-out row has all its values")
    X, y = X[keep], y[keep]
    n = len(y)
    coverage = []
    for level in levels:
        _, lower, upper = result.predict(X, level=level)
        inside = (y >= lower) & (y <= upper)
        share = float(inside.mean())
        coverage.append(
            {
                "level": float(level),
                "covered": int(inside.sum()),
                "coverage": share,
                "nominal_se": float(np.sqrt(level * (1 - level) / n)),
                "mean_width": float(np.mean(upper - lower)),
            }
        )
    pit = pit_values(result.sample_predict(X, n_draws, seed=seed), y, seed=seed)
    counts, edges = np.histogram(pit, bins=bins, range=(0, 1))
    ks = kstest(pit, "uniform")
    return {
        "n": n,
        "dropped_rows": int((~keep).sum()),
        "coverage": coverage,
        "pit": {
            "values": pit.tolist(),
            "histogram": counts.tolist(),
            "edges": edges.tolist(),
            "ks_distance": float(ks.statistic),
            "ks_pvalue": float(ks.pvalue),
        },
    }


def coverage_sentence(calib: dict[str, Any], level: float) -> str:
    """Plain words for the report: how often intervals at ``level`` held the true value."""
    for entry in calib["coverage"]:
        if abs(entry["level"] - level) < 1e-9:
            return (
                f"On {calib['n']} held-out rows, the {level:.0%} intervals "
                "contained the true value "
                f"{entry['covered']} times ({entry['coverage']:.0%})."
            )
    raise EngineError(f"calibration has no entry for level {level}")
