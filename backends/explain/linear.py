"""Exact attributions of models that are linear in their inputs on the link scale.

For eta(x) = b0 + sum_d b_d x_d with independent (interventional) features the
Shapley value of feature d is exactly b_d (x_d - E_bg[x_d]); no coalition has to
be evaluated. Per posterior draw of the coefficients this gives exact draws of
the attributions. The attributions live on the link scale (identity: the
response itself; logit: log-odds; log: log of the mean), where the model is
additive; on the response scale of a logit or log link they would not be.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit

from backends.runtime import EngineError

LINKS = ("identity", "logit", "log")


def check_linear_terms(terms: dict[str, Any], n_inputs: int) -> tuple[str, np.ndarray, np.ndarray]:
    """Validate a result's linear_terms() dict.

    Returns (link, intercept (S,), coefficients (S, D)).
    """
    link = terms.get("link")
    if link not in LINKS:
        raise EngineError(f"linear_terms: link {link!r} is not one of {LINKS}")
    intercept = np.atleast_1d(np.asarray(terms.get("intercept"), dtype=float))
    coefficients = np.atleast_2d(np.asarray(terms.get("coefficients"), dtype=float))
    if coefficients.shape[1] != n_inputs:
        raise EngineError(
            f"linear_terms: coefficients have {coefficients.shape[1]} columns, "
            f"the result has {n_inputs} inputs"
        )
    if intercept.shape[0] != coefficients.shape[0]:
        raise EngineError(
            f"linear_terms: {intercept.shape[0]} intercept draws "
            f"but {coefficients.shape[0]} coefficient draws"
        )
    return link, intercept, coefficients


def linear_attributions(
    terms: dict[str, Any], X: np.ndarray, background: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Exact per-draw attributions on the link scale.

    Returns (values (S, n, D), base (S,), eta (S, n), link): base is the link-scale
    output averaged over the background, eta the link-scale output at each row, so
    that values.sum(-1) == eta - base[:, None] exactly.
    """
    X = np.atleast_2d(np.asarray(X, dtype=float))
    link, intercept, coefficients = check_linear_terms(terms, X.shape[1])
    w = (
        np.full(len(background), 1.0 / len(background))
        if weights is None
        else weights / np.sum(weights)
    )
    centre = w @ np.asarray(background, dtype=float)
    values = coefficients[:, None, :] * (X - centre)[None, :, :]
    base = intercept + coefficients @ centre
    eta = intercept[:, None] + coefficients @ X.T
    return values, base, eta, link


_INVERSE_LINKS = {
    "identity": lambda eta: eta,
    "logit": expit,
    "log": np.exp,
}
_CHUNK_ELEMENTS = 4_000_000  # bound on temporary arrays (floats)


def _subset_sums(delta: np.ndarray) -> np.ndarray:
    """sum over d in T of delta[..., d] for every subset T (bit mask), as the last axis."""
    out = np.zeros(delta.shape[:-1] + (1,))
    for j in range(delta.shape[-1]):
        out = np.concatenate([out, out + delta[..., j : j + 1]], axis=-1)
    return out


def linear_response_attributions(
    terms: dict[str, Any],
    X: np.ndarray,
    background: np.ndarray,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Exact per-draw attributions on the response scale (probability, mean count).

    Through a nonlinear inverse link the model is no longer additive, so every
    coalition is enumerated; but for eta = b0 + b.x the value of coalition S at
    background row b is g(eta_b + sum_{d in S} b_d (x_d - X_bd)), and the subset sums
    for all 2**D coalitions come from D doublings, with no model call at all.
    Returns (values (S, n, D), base (S,), mu (S, n), link) with
    values.sum(-1) == mu - base[:, None].
    """
    from backends.explain.coalitions import coalition_masks, shapley_matrix

    X = np.atleast_2d(np.asarray(X, dtype=float))
    link, intercept, coefficients = check_linear_terms(terms, X.shape[1])
    d = X.shape[1]
    coalition_masks(d)  # refuses feature counts whose 2**D table would not fit
    background = np.asarray(background, dtype=float)
    w = (
        np.full(len(background), 1.0 / len(background))
        if weights is None
        else weights / np.sum(weights)
    )
    inverse = _INVERSE_LINKS[link]
    n_draws = len(intercept)
    eta_bg = intercept[:, None] + coefficients @ background.T  # (S, B)
    shapley_weights_matrix = shapley_matrix(d)  # (2**D, D)
    chunk = max(1, _CHUNK_ELEMENTS // (len(background) * 2**d))
    half = d // 2
    values = np.empty((n_draws, len(X), d))
    base = np.empty(n_draws)
    for start in range(0, n_draws, chunk):
        part = slice(start, start + chunk)
        for r, x in enumerate(X):
            delta = coefficients[part, None, :] * (x - background)[None]  # (s, B, D)
            # subset sums over the high and low halves of the features, added by
            # broadcasting: S = l + 2**low * h, laid out as (h, l)
            low = _subset_sums(delta[..., :half])
            high = _subset_sums(delta[..., half:])
            eta = eta_bg[part, :, None, None] + high[..., :, None] + low[..., None, :]
            mean = inverse(eta).reshape(eta.shape[0], eta.shape[1], -1)
            games = np.matmul(w, mean)  # (s, 2**D): weighted mean over the background
            values[part, r] = games @ shapley_weights_matrix
            base[part] = games[:, 0]
    mu = inverse(intercept[:, None] + coefficients @ X.T)
    return values, base, mu, link
