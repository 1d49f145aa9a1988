"""Exact Shapley values by enumerating every coalition.

This is the reference every faster method is tested against, and the method used
for models with few features: with D features there are 2**D coalitions, each
valued as the mean model output over the background with the coalition's
features set to the explained row (interventional Shapley values). Coalitions
are bit masks: bit d of S is set when feature d is in S.
"""

from __future__ import annotations

from collections.abc import Callable
from math import factorial

import numpy as np

from backends.runtime import EngineError

# 2**MAX_ENUMERATED_FEATURES coalitions times the background must fit in memory.
MAX_ENUMERATED_FEATURES = 16

Model = Callable[[np.ndarray], np.ndarray]


def coalition_masks(n_features: int) -> np.ndarray:
    """Boolean (2**D, D) array: row S says which features coalition S holds."""
    if n_features > MAX_ENUMERATED_FEATURES:
        raise EngineError(
            f"exact enumeration over {n_features} features needs 2**{n_features} coalitions; "
            f"the limit is {MAX_ENUMERATED_FEATURES} features (use the permutation method)"
        )
    codes = np.arange(2**n_features)
    return ((codes[:, None] >> np.arange(n_features)) & 1).astype(bool)


def shapley_weights(n_features: int) -> np.ndarray:
    """w[s] = s! (D-1-s)! / D!, the weight of a coalition of size s not holding j."""
    d = n_features
    return np.array([factorial(s) * factorial(d - 1 - s) / factorial(d) for s in range(d)])


def shapley_matrix(n_features: int) -> np.ndarray:
    """(2**D, D) matrix M with phi = v @ M for a game v given on all coalitions:
    M[S, j] = w(|S| - 1) if j is in S, else -w(|S|). Built directly (O(2**D D)), not
    by pushing the 2**D unit games through shapley_from_values (O(4**D) memory)."""
    masks = coalition_masks(n_features)
    weights = shapley_weights(n_features)
    sizes = masks.sum(axis=1)
    held = weights[np.maximum(sizes - 1, 0)][:, None]  # |S| >= 1 wherever j is in S
    missing = weights[np.minimum(sizes, n_features - 1)][:, None]  # |S| <= D-1 there
    return np.where(masks, held, -missing)


def shapley_from_values(values: np.ndarray) -> np.ndarray:
    """Shapley values of a game given on all coalitions.

    ``values`` has shape (2**D, ...) (coalition first, any trailing axes, e.g.
    draws); the result has shape (D, ...). phi_j = sum over S without j of
    w(|S|) * (v(S + j) - v(S)).
    """
    n_coalitions = values.shape[0]
    d = n_coalitions.bit_length() - 1
    if 2**d != n_coalitions:
        raise EngineError(f"a game needs 2**D coalition values, got {n_coalitions}")
    codes = np.arange(n_coalitions)
    sizes = np.array([bin(c).count("1") for c in codes])
    weights = shapley_weights(d) if d > 0 else np.zeros(0)
    out = np.empty((d,) + values.shape[1:])
    for j in range(d):
        bit = 1 << j
        without = codes[(codes & bit) == 0]
        w = weights[sizes[without]].reshape((-1,) + (1,) * (values.ndim - 1))
        out[j] = np.sum(w * (values[without | bit] - values[without]), axis=0)
    return out


def hybrid_points(x: np.ndarray, background: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """All (coalition, background row) points: features in S from x, the rest from the background.

    Shape (len(masks) * len(background), D), coalition-major.
    """
    out = np.where(masks[:, None, :], x[None, None, :], background[None, :, :])
    return out.reshape(-1, x.shape[0])


def coalition_values(
    model: Model,
    x: np.ndarray,
    background: np.ndarray,
    weights: np.ndarray | None = None,
    batch_size: int = 65536,
) -> np.ndarray:
    """v(S) = weighted mean over the background of model(hybrid point), for every S.

    The model maps (m, D) to (m,) or (m, K) (K outputs, e.g. posterior draws); it
    is called on batches of at most ``batch_size`` points. Returns (2**D,) or (2**D, K).
    """
    n_bg, d = background.shape
    masks = coalition_masks(d)
    w = np.full(n_bg, 1.0 / n_bg) if weights is None else np.asarray(weights) / np.sum(weights)
    points = hybrid_points(np.asarray(x, float), background, masks)
    outputs = [
        np.asarray(model(points[i : i + batch_size]), float)
        for i in range(0, len(points), batch_size)
    ]
    out = np.concatenate(outputs, axis=0)
    out = out.reshape((len(masks), n_bg) + out.shape[1:])
    return np.tensordot(w, out, axes=([0], [1]))


def exact_shapley(
    model: Model,
    X: np.ndarray,
    background: np.ndarray,
    weights: np.ndarray | None = None,
    batch_size: int = 65536,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact interventional Shapley values of ``model`` for each row of X.

    Returns (values, base): values (n, D) or (n, D, K); base () or (K,) is v(empty),
    the same for every row. Additivity holds to rounding: values.sum(1) = f(x) - base.
    """
    X = np.atleast_2d(np.asarray(X, float))
    rows = []
    base = None
    for x in X:
        v = coalition_values(model, x, background, weights, batch_size)
        base = v[0]
        rows.append(shapley_from_values(v))
    return np.stack(rows), np.asarray(base)
