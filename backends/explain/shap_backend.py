"""SHAP values of any model without exact structure.

Few features: every coalition is enumerated (no sampling error). By default our
own vectorised enumeration does it (coalitions.py): it is the same computation as
shap.explainers.Exact (a test checks they agree) but takes a weighted background
and avoids shap's numba compilation, which costs 2-30 s on first use in a
process; shap's Exact explainer stays available as method "exact". More
features: our sampled KernelSHAP-style estimator (sampled.py: additive, unbiased,
with its own standard error, sampling until that error is within a tolerance);
shap's Permutation explainer stays available as method "permutation".
The model may have several outputs (posterior draws as outputs), so one shap run
explains every draw on the same coalitions: the model is called once per batch
of masked rows for all draws at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from backends.explain.coalitions import exact_shapley
from backends.explain.sampled import sampled_shapley
from backends.runtime import EngineError

# Enumeration costs 2**D coalitions per background row; the sampled estimator
# about 2D of them plus its units (~15,000 model evaluations for a 1% tolerance
# on the benchmark's logistic model), so enumeration is cheaper up to D = 8.
EXACT_MAX_FEATURES = 8
REPLICATES = 4


@dataclass
class ShapEstimate:
    """values (n, D, K); base (K,); mc_error (n, D, K): standard error of the
    estimate from coalition sampling (0 for the exact methods, NaN when one
    permutation gives no spread); mean_error (n, D): standard error of the
    values' mean over the K outputs (the outputs share coalitions, so it is not
    derivable from mc_error); converged: the sampled method met its tolerance."""

    values: np.ndarray
    base: np.ndarray
    mc_error: np.ndarray
    mean_error: np.ndarray
    method: str
    converged: bool = True


def _as_outputs(model: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """Wrap a model so that it always returns (m, K): shap needs a fixed output rank."""

    def wrapped(Z: np.ndarray) -> np.ndarray:
        out = np.asarray(model(np.asarray(Z, dtype=float)), dtype=float)
        return out[:, None] if out.ndim == 1 else out

    return wrapped


def shap_attributions(
    model: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    background: np.ndarray,
    *,
    method: str = "auto",
    n_permutations: int = 12,
    mc_tolerance: float = 0.01,
    seed: int = 0,
    batch_size: int = 4096,
    weights: np.ndarray | None = None,
) -> ShapEstimate:
    """SHAP values of model(X) against the background, for every model output.

    method "auto" picks "enumeration" up to EXACT_MAX_FEATURES features, else
    "sampled" (sampling until each value's standard error is at most
    ``mc_tolerance`` of its output's largest |value|); "permutation" runs
    ``n_permutations`` forward-and-back permutations per row. ``weights``
    (background row weights) are supported by "enumeration" and "sampled".
    """
    X = np.atleast_2d(np.asarray(X, dtype=float))
    background = np.asarray(background, dtype=float)
    d = X.shape[1]
    if background.ndim != 2 or background.shape[1] != d:
        raise EngineError(f"the background has {background.shape[-1]} columns, the rows have {d}")
    if method == "auto":
        method = "enumeration" if d <= EXACT_MAX_FEATURES else "sampled"
    f = _as_outputs(model)
    if method == "enumeration":
        values, base = exact_shapley(f, X, background, weights)
        zeros = np.zeros_like(values)
        return ShapEstimate(values, base, zeros, zeros[..., 0], method)
    if method == "sampled":
        est = sampled_shapley(f, X, background, weights, tolerance=mc_tolerance, seed=seed)
        # below 4 features the sizes 1 and D-1 are every coalition: nothing is sampled
        name = "enumeration" if est.exact else method
        return ShapEstimate(
            est.values, est.base, est.mc_error, est.mean_error, name, bool(est.converged.all())
        )
    if weights is not None and not np.allclose(weights, weights[0]):
        raise EngineError("shap's maskers take an unweighted background; use a sampled background")
    import shap  # imported late: it takes seconds, and enumeration does not need it

    masker = shap.maskers.Independent(background, max_samples=len(background))
    if method == "exact":
        explanation = shap.explainers.Exact(f, masker)(X, batch_size=batch_size, silent=True)
        values = np.asarray(explanation.values, dtype=float)
        mc_error = np.zeros_like(values)
        mean_error = np.zeros(values.shape[:2])
    elif method == "permutation":
        if n_permutations < 1:
            raise EngineError(f"n_permutations must be at least 1, got {n_permutations}")
        # Independent replicates (own seeds, the permutations split among them) give
        # an unbiased standard error; shap's own error_std treats the antithetic
        # forward/backward halves as independent and overstates it about threefold.
        n_rep = min(REPLICATES, n_permutations)
        runs = []
        for r in range(n_rep):
            per_run = n_permutations // n_rep + (1 if r < n_permutations % n_rep else 0)
            explainer = shap.explainers.Permutation(f, masker, seed=seed + r)
            explanation = explainer(
                X, max_evals=per_run * (2 * d + 1), batch_size=batch_size, silent=True
            )
            runs.append((per_run, np.asarray(explanation.values, dtype=float)))
        counts = np.array([c for c, _ in runs], dtype=float)
        stacked = np.stack([v for _, v in runs])
        values = np.tensordot(counts / counts.sum(), stacked, axes=1)
        if values.ndim == 2:
            values, stacked = values[..., None], stacked[..., None]
        if n_rep > 1:
            mc_error = np.std(stacked, axis=0, ddof=1) / np.sqrt(n_rep)
            mean_error = np.std(stacked.mean(-1), axis=0, ddof=1) / np.sqrt(n_rep)
        else:
            mc_error = np.full_like(values, np.nan)
            mean_error = np.full(values.shape[:2], np.nan)
    else:
        raise EngineError(
            f"unknown SHAP method {method!r}; "
            "use 'auto', 'enumeration', 'sampled', 'exact' or 'permutation'"
        )
    if values.ndim == 2:
        values = values[:, :, None]
        mc_error = mc_error.reshape(values.shape)
    base = np.asarray(explanation.base_values, dtype=float).reshape(len(X), -1)[0]
    return ShapEstimate(values, base, mc_error, mean_error, method)
