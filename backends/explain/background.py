"""Summarise the background data that stands for "feature unknown".

Interventional Shapley values average the model over a background set; its cost
grows linearly with the background's size, so large tables are summarised to
about 100 rows. A random sample keeps the background an unbiased picture of the
data (every row weighs the same); k-means centres (via shap.kmeans) are smaller
for the same coverage but each centre carries the weight of its cluster.
"""

from __future__ import annotations

import numpy as np

from backends.runtime import EngineError


def summarise_background(
    X: np.ndarray, size: int = 100, method: str = "sample", seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Return (rows, weights) with at most ``size`` rows; weights sum to 1.

    method "sample": a uniform sample without replacement; "kmeans": k-means
    centres weighted by cluster size.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or len(X) == 0:
        raise EngineError("the background needs at least one row of the input columns")
    if np.isnan(X).any():
        rows = (np.unique(np.nonzero(np.isnan(X))[0])[:5] + 1).tolist()  # from 1
        raise EngineError(
            f"the background has missing values (rows {rows}); drop or impute them first"
        )
    if size < 1:
        raise EngineError(f"background size must be at least 1, got {size}")
    if len(X) <= size:
        return X.copy(), np.full(len(X), 1.0 / len(X))
    if method == "sample":
        idx = np.random.default_rng(seed).choice(len(X), size=size, replace=False)
        return X[np.sort(idx)], np.full(size, 1.0 / size)
    if method == "kmeans":
        import shap

        summary = shap.kmeans(X, size)
        weights = np.asarray(summary.weights, dtype=float)
        return np.asarray(summary.data, dtype=float), weights / weights.sum()
    raise EngineError(f"unknown background method {method!r}; use 'sample' or 'kmeans'")
