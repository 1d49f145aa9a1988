"""Summaries of attribution draws: credible intervals and their Monte Carlo error.

Posterior draws of attributions are summarised by equal-tailed credible
intervals. How many draws are enough is judged by the Monte Carlo standard error
of the interval endpoints: for a quantile of S independent draws it is estimated
from the order statistics at p +- sqrt(p (1-p) / S) (the binomial spread of the
number of draws below the quantile), which needs no density estimate.
"""

from __future__ import annotations

import numpy as np


def credible_interval(draws: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed interval over the first axis."""
    tail = (1 - level) / 2
    lower, upper = np.quantile(draws, [tail, 1 - tail], axis=0)
    return lower, upper


def quantile_mcse(draws: np.ndarray, p: float) -> np.ndarray:
    """Monte Carlo standard error of the p-quantile over the first axis."""
    n = draws.shape[0]
    half = np.sqrt(p * (1 - p) / n)
    lo, hi = np.quantile(draws, [max(p - half, 0.0), min(p + half, 1.0)], axis=0)
    return (hi - lo) / 2


def endpoint_mcse(draws: np.ndarray, level: float) -> np.ndarray:
    """The larger Monte Carlo standard error of the two interval endpoints."""
    tail = (1 - level) / 2
    return np.maximum(quantile_mcse(draws, tail), quantile_mcse(draws, 1 - tail))


def interval_error(draws: np.ndarray, level: float) -> float:
    """The largest Monte Carlo error of an interval endpoint or a mean, as a fraction
    of its row's widest attribution interval (0 when every interval is a point).

    draws has shape (S, n, D). Relative to the widest interval of the row, so that
    features with near-zero attributions do not demand endless draws.
    """
    if draws.shape[0] < 2:  # one draw says nothing about its own spread
        return float("inf")
    lower, upper = credible_interval(draws, level)
    scale = np.max(upper - lower, axis=-1, keepdims=True)  # (n, 1)
    mean_error = draws.std(axis=0, ddof=1) / np.sqrt(draws.shape[0])
    error = np.maximum(endpoint_mcse(draws, level), mean_error)
    ratio = np.divide(error, scale, out=np.zeros_like(error), where=scale > 0)
    return float(np.max(ratio))


def intervals_tight(draws: np.ndarray, level: float, tolerance: float) -> bool:
    """True when, for every row, each endpoint's and the mean's Monte Carlo error is
    at most ``tolerance`` times that row's widest attribution interval."""
    return interval_error(draws, level) <= tolerance
