"""Global views of attributions, as plain data for the results panel.

The panel draws; this module only summarises. Importance is the mean absolute
attribution over the explained rows, computed per posterior draw so that it
gets a credible interval of its own (the mean of |phi| is not |mean phi|).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backends.explain.attributions import Attributions
from backends.explain.draws import credible_interval
from backends.runtime import EngineError

# The global views average |attribution| over many rows, where one row's Monte Carlo
# error matters far less than in a single row's explanation: a looser tolerance for the
# sampled estimator halves their cost (more for few features, where sampling dominates).
# Mean |attribution| keeps a noise floor of ~0.8 standard errors under inputs without
# effect (docs/explain.md); the ranking of the strong ones does not feel it.
GLOBAL_MC_TOLERANCE = 0.05


def rows_for_global_views(n_features: int, most: int) -> int:
    """How many rows the global views explain: ``most`` up to 16 features, fewer beyond,
    never under 20. A black-box model's cost per row grows with the features (2 D x
    background evaluations before any sampling): 64 pixels of a digit through a GAN's
    critic take ~0.6 s a row."""
    return most if n_features <= 16 else min(most, max(20, most * 16 // n_features))


def global_importance(attributions: Attributions) -> list[dict[str, Any]]:
    """Per feature: mean |attribution| over rows, with a credible interval; most important first."""
    a = attributions
    point = np.mean(np.abs(a.values), axis=0)
    if a.draws is not None and len(a.draws) > 1:
        per_draw = np.mean(np.abs(a.draws), axis=1)  # (S, D)
        mean = per_draw.mean(axis=0)
        lower, upper = credible_interval(per_draw, a.level)
    else:
        mean, lower, upper = point, point, point
    order = np.argsort(-mean)
    return [
        {
            "feature": a.input_names[j],
            "mean_abs": float(mean[j]),
            "lower": float(lower[j]),
            "upper": float(upper[j]),
            "mean_abs_of_mean": float(point[j]),
        }
        for j in order
    ]


def beeswarm_points(attributions: Attributions) -> list[dict[str, Any]]:
    """One point per (row, feature): the feature's value, its attribution and interval."""
    a = attributions
    n, d = a.values.shape
    return [
        {
            "feature": a.input_names[j],
            "row": r,
            "feature_value": float(a.X[r, j]),
            "attribution": float(a.values[r, j]),
            "lower": float(a.lower[r, j]),
            "upper": float(a.upper[r, j]),
        }
        for j in range(d)
        for r in range(n)
    ]


def dependence(attributions: Attributions, feature: str) -> dict[str, Any]:
    """Feature value against its attribution (with intervals), sorted by the value."""
    a = attributions
    if feature not in a.input_names:
        raise EngineError(f"no input named {feature!r}; inputs: {', '.join(a.input_names)}")
    j = a.input_names.index(feature)
    order = np.argsort(a.X[:, j], kind="stable")
    return {
        "feature": feature,
        "rows": order.tolist(),
        "feature_value": a.X[order, j].tolist(),
        "attribution": a.values[order, j].tolist(),
        "lower": a.lower[order, j].tolist(),
        "upper": a.upper[order, j].tolist(),
    }
