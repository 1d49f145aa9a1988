"""Counterfactuals: the smallest changes to actionable features that flip a decision.

A decision is a threshold on the predictive mean (a value, or a class
probability for classifiers). The search is exhaustive on a grid, which keeps it
honest and easy to explain: every subset of at most ``max_changes`` actionable
features is tried on a grid of allowed values (bounds and steps respected,
immutable features never touched), the cheapest flipping point of each subset is
refined along the segment from the row, and the options returned use different
features (diversity). Each option carries the posterior probability that the
decision is flipped there, from the result's sample_mean draws.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from backends.runtime import CancelToken, EngineError

MAX_GRID_POINTS = 20_000  # per subset of features


@dataclass(frozen=True)
class DecisionRule:
    """The decision is "positive" when the predictive mean is >= threshold
    (direction "above") or <= threshold (direction "below")."""

    threshold: float
    direction: str = "above"

    def positive(self, value: np.ndarray) -> np.ndarray:
        if self.direction == "above":
            return np.asarray(value) >= self.threshold
        if self.direction == "below":
            return np.asarray(value) <= self.threshold
        raise EngineError(f"decision direction must be 'above' or 'below', got {self.direction!r}")


@dataclass(frozen=True)
class Actionable:
    """A feature the person can change, within [lower, upper], in multiples of step."""

    feature: str
    lower: float | None = None
    upper: float | None = None
    step: float | None = None


@dataclass
class Counterfactual:
    changes: dict[str, tuple[float, float]]  # feature -> (from, to)
    x: np.ndarray
    prediction: float
    probability: float | None  # posterior probability that the decision is flipped
    cost: float  # sum of |change| / scale over the changed features


def _snap(values: np.ndarray, origin: float, spec: Actionable, lo: float, hi: float) -> np.ndarray:
    """Put values on the feature's allowed grid (origin + k * step) inside its bounds."""
    if spec.step:
        k = np.round((values - origin) / spec.step)
        k = np.clip(k, np.ceil((lo - origin) / spec.step), np.floor((hi - origin) / spec.step))
        return origin + k * spec.step
    return np.clip(values, lo, hi)


def _candidates(origin: float, spec: Actionable, lo: float, hi: float, n_values: int) -> np.ndarray:
    grid = _snap(np.linspace(lo, hi, n_values), origin, spec, lo, hi)
    grid = np.unique(grid)
    return grid[grid != origin]


def find_counterfactuals(
    result: Any,
    x: np.ndarray,
    rule: DecisionRule,
    actionable: list[Actionable],
    *,
    scales: np.ndarray | None = None,
    max_changes: int = 2,
    n_options: int = 3,
    grid: int = 41,
    n_draws: int = 400,
    seed: int = 0,
    cancel: CancelToken | None = None,
) -> list[Counterfactual]:
    """Up to ``n_options`` cheapest decision-flipping changes, on different features.

    ``scales`` (one per input, e.g. the background's standard deviations) make
    changes comparable across units; features without bounds may move 3 scales
    either way. Returns [] when nothing within the bounds flips the decision.
    """
    names = list(result.input_names)
    x = np.asarray(x, dtype=float).reshape(-1)
    if x.shape[0] != len(names):
        raise EngineError(
            f"the row has {x.shape[0]} values; the model's inputs are {', '.join(names)}"
        )
    if not actionable:
        raise EngineError("choose at least one actionable feature for counterfactuals")
    scales = np.ones(len(names)) if scales is None else np.asarray(scales, dtype=float)
    # a column constant in the background has no spread to measure changes by
    scales = np.where(scales > 0, scales, 1.0)
    cancel = cancel or CancelToken()
    specs: dict[int, tuple[Actionable, float, float]] = {}
    for spec in actionable:
        if spec.feature not in names:
            raise EngineError(
                f"actionable feature {spec.feature!r} is not an input; inputs: {', '.join(names)}"
            )
        j = names.index(spec.feature)
        lo = x[j] - 3 * scales[j] if spec.lower is None else spec.lower
        hi = x[j] + 3 * scales[j] if spec.upper is None else spec.upper
        if lo > hi or (spec.step is not None and spec.step <= 0):
            raise EngineError(
                f"actionable feature {spec.feature!r}: need lower <= upper and a positive step"
            )
        specs[j] = (spec, lo, hi)
    now = bool(rule.positive(result.predict(x[None, :])[0])[0])
    options: list[Counterfactual] = []
    for size in range(1, max_changes + 1):
        per_feature = max(3, int(MAX_GRID_POINTS ** (1 / size)))
        for subset in itertools.combinations(sorted(specs), size):
            cancel.raise_if_cancelled()
            best = _best_on_grid(
                result, x, rule, now, subset, specs, scales, min(grid, per_feature)
            )
            if best is not None:
                options.append(best)
    options.sort(key=lambda c: c.cost)
    chosen: list[Counterfactual] = []
    for option in options:
        if any(set(c.changes) <= set(option.changes) for c in chosen):
            continue  # a cheaper option already changes a subset of these features
        chosen.append(option)
        if len(chosen) == n_options:
            break
    for option in chosen:
        if hasattr(result, "sample_mean"):
            draws = result.sample_mean(option.x[None, :], n_draws, seed=seed)[:, 0]
            option.probability = float(np.mean(rule.positive(draws) != now))
    return chosen


def _best_on_grid(result, x, rule, now, subset, specs, scales, n_values) -> Counterfactual | None:
    axes = [_candidates(x[j], specs[j][0], specs[j][1], specs[j][2], n_values) for j in subset]
    if any(len(a) == 0 for a in axes):
        return None
    points = np.repeat(x[None, :], int(np.prod([len(a) for a in axes])), axis=0)
    points[:, list(subset)] = np.array(list(itertools.product(*axes)))
    flips = rule.positive(result.predict(points)[0]) != now
    if not flips.any():
        return None
    cost = np.sum(np.abs(points[:, list(subset)] - x[list(subset)]) / scales[list(subset)], axis=1)
    target = points[np.flatnonzero(flips)[np.argmin(cost[flips])]]
    # Refine: the cheapest flipping point on the segment from x to the grid point,
    # kept on each feature's allowed grid.
    lam = np.linspace(0, 1, 101)[1:]
    line = np.repeat(x[None, :], len(lam), axis=0)
    for j in subset:
        spec, lo, hi = specs[j]
        line[:, j] = _snap(x[j] + lam * (target[j] - x[j]), x[j], spec, lo, hi)
    predictions = result.predict(line)[0]
    flipping = np.flatnonzero(rule.positive(predictions) != now)
    changed = np.all(line[:, list(subset)] != x[list(subset)], axis=1)
    ok = flipping[changed[flipping]]
    if len(ok) == 0:
        return None
    best = line[ok[0]]
    names = result.input_names
    return Counterfactual(
        changes={names[j]: (float(x[j]), float(best[j])) for j in subset},
        x=best,
        prediction=float(predictions[ok[0]]),
        probability=None,
        cost=float(np.sum(np.abs(best[list(subset)] - x[list(subset)]) / scales[list(subset)])),
    )
