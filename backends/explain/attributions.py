"""Attributions of any result, with their posterior uncertainty.

One entry point, ``explain_rows``, picks the best method a result allows:
- "gp": a result with ``exact_shapley_data()`` (product RBF kernel) gets exact
  Shapley values of its posterior mean with their Gaussian posterior covariance;
- "linear": a result with ``linear_terms()`` gets exact per-draw attributions on
  the link scale from its coefficient draws;
- "shap": any other result goes through exact enumeration of coalitions (few
  features) or our sampled estimator (more; sampled.py) on ``sample_mean`` draws
  (the draws are the explained model's outputs, so one run covers a whole batch
  of draws on the same coalitions); batches of draws are added until the
  credible intervals are tight (``tolerance``) or ``max_draws`` is reached.
Every method reports the same ``Attributions`` record, so the report and the
panels never need to know which one ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.stats import norm
from threadpoolctl import threadpool_limits

from backends.explain.coalitions import MAX_ENUMERATED_FEATURES
from backends.explain.draws import credible_interval, interval_error, intervals_tight
from backends.explain.gp_exact import RBFProductShapley
from backends.explain.linear import linear_attributions, linear_response_attributions
from backends.explain.shap_backend import shap_attributions
from backends.runtime import CancelToken, EngineError, Progress, ProgressCallback, ignore_progress

METHODS = (
    "auto",
    "gp",
    "linear",
    "shap",
    "enumeration",
    "sampled",
    "shap-exact",
    "shap-permutation",
)
# the record's name for each estimator behind the generic path
_GENERIC_NAMES = {
    "enumeration": "exact-enumeration",
    "sampled": "sampled-kernel",
    "exact": "shap-exact",
    "permutation": "shap-permutation",
}


@dataclass
class Attributions:
    """Attributions of n rows over D features, all on the scale named by ``scale``.

    values/lower/upper/sd (n, D): posterior mean, credible interval at ``level``
    and posterior sd of each attribution; output (n,): posterior mean of the
    explained quantity, so that base_value + values.sum(1) == output up to
    ``additivity_error``; mc_error (n, D): standard error of the Shapley estimate
    from coalition sampling (0 when exact); draws_error (n, D): standard error of
    the posterior mean from the finite number of posterior draws; draws (S, n, D):
    the attribution draws behind the intervals (for the global views).
    """

    input_names: list[str]
    X: np.ndarray
    values: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    sd: np.ndarray
    output: np.ndarray
    base_value: float
    mc_error: np.ndarray
    draws_error: np.ndarray
    additivity_error: float
    method: str
    scale: str
    level: float
    n_draws: int
    converged: bool
    draws: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)


def _link_scale(link: str) -> str:
    return {"identity": "response", "logit": "link:logit (log-odds)", "log": "link:log"}[link]


def _check_rows(result: Any, X: np.ndarray, name: str) -> np.ndarray:
    X = np.atleast_2d(np.asarray(X, dtype=float))
    d = len(result.input_names)
    if X.shape[1] != d:
        raise EngineError(
            f"{name} has {X.shape[1]} columns; "
            f"the model's inputs are {', '.join(result.input_names)}"
        )
    bad = np.argwhere(~np.isfinite(X))
    if len(bad):
        r, c = bad[0]
        raise EngineError(
            f"{name}: row {r + 1}, column {result.input_names[c]!r} is missing or not finite"
        )
    return X


def _check_weights(weights: np.ndarray | None, n_background: int) -> np.ndarray | None:
    if weights is None:
        return None
    w = np.asarray(weights, dtype=float)
    if w.shape != (n_background,):
        raise EngineError(
            f"the background weights have shape {w.shape}; the background has {n_background} rows"
        )
    if not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
        raise EngineError("the background weights must be finite, not negative, and not all 0")
    return w


def explain_rows(
    result: Any,
    X: np.ndarray,
    background: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    level: float = 0.9,
    method: str = "auto",
    n_draws: int = 64,
    max_draws: int = 512,
    tolerance: float = 0.05,
    n_permutations: int = 12,
    mc_tolerance: float = 0.01,
    seed: int = 0,
    scale: str = "link",
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> Attributions:
    """Attribute the result's prediction for each row of X to its input features.

    ``background`` (rows of the inputs, see summarise_background) stands for
    "feature unknown". ``tolerance`` is the allowed Monte Carlo error of the
    interval endpoints relative to each row's widest interval (shap method);
    ``max_draws`` caps the draws. ``mc_tolerance`` (sampled method) is the allowed
    standard error of each draw's attributions relative to that draw's largest
    |attribution| in the row: coalitions are sampled until it is met. ``scale``
    matters for models linear on a logit or log link only: "link" (default)
    attributes the linear predictor (additive, exact), "response" the probability
    or mean itself (exact by enumeration).
    Raises EngineError on bad input.
    """
    if method not in METHODS:
        raise EngineError(f"unknown attribution method {method!r}; use one of {', '.join(METHODS)}")
    if not 0 < level < 1:
        raise EngineError(f"level must be between 0 and 1, got {level}")
    X = _check_rows(result, X, "the explained rows")
    background = _check_rows(result, background, "the background")
    weights = _check_weights(weights, len(background))
    if X.shape[1] == 0:
        return _without_inputs(result, X, level)
    cancel = cancel or CancelToken()
    gp_data = result.exact_shapley_data() if hasattr(result, "exact_shapley_data") else None
    terms = result.linear_terms() if hasattr(result, "linear_terms") else None
    if method == "auto":
        # an extra may exist yet return None (e.g. a GP whose kernel is not a product RBF)
        method = "gp" if gp_data is not None else "linear" if terms is not None else "shap"
        # on the response scale the linear route enumerates every coalition: beyond
        # MAX_ENUMERATED_FEATURES, sample them like any other model's
        nonlinear = terms is not None and terms["link"] != "identity" and scale == "response"
        if method == "linear" and nonlinear and X.shape[1] > MAX_ENUMERATED_FEATURES:
            method = "shap"
    if method == "gp":
        if gp_data is None:
            raise EngineError("method 'gp' needs a GP result with a product RBF kernel")
        return _explain_gp(
            result, gp_data, X, background, weights, level, n_draws, seed, progress, cancel
        )
    if method == "linear":
        if terms is None:
            raise EngineError("method 'linear' needs a result that is linear in its inputs")
        if scale not in ("link", "response"):
            raise EngineError(f"scale must be 'link' or 'response', got {scale!r}")
        return _explain_linear(result, terms, X, background, weights, level, scale)
    shap_method = {
        "shap": "auto",
        "enumeration": "enumeration",
        "sampled": "sampled",
        "shap-exact": "exact",
        "shap-permutation": "permutation",
    }[method]
    return _explain_shap(
        result,
        X,
        background,
        weights,
        level,
        shap_method,
        n_draws,
        max_draws,
        tolerance,
        n_permutations,
        mc_tolerance,
        seed,
        progress,
        cancel,
    )


def _without_inputs(result: Any, X: np.ndarray, level: float) -> Attributions:
    """A model without inputs (y ~ Normal(mu, sigma)) predicts the same for every row:
    the prediction is the base value, and there is nothing to attribute."""
    n = len(X)
    output = np.asarray(result.predict(X, level=level)[0], dtype=float).reshape(n)
    empty = np.zeros((n, 0))
    return Attributions(
        input_names=[],
        X=X,
        values=empty,
        lower=empty,
        upper=empty,
        sd=empty,
        output=output,
        base_value=float(output[0]) if n else float("nan"),
        mc_error=empty,
        draws_error=empty,
        additivity_error=0.0,
        method="no-inputs",
        scale="response",
        level=level,
        n_draws=0,
        converged=True,
        notes=[
            "the model has no inputs: every row gets the same prediction, so nothing "
            "about a row moved it"
        ],
    )


def _explain_gp(
    result, data, X, background, weights, level, n_draws, seed, progress, cancel
) -> Attributions:
    explainer = RBFProductShapley(data, background, weights)
    n, d = X.shape
    values, sd = np.empty((n, d)), np.empty((n, d))
    draws = np.empty((n_draws, n, d))
    output = np.empty(n)
    rng = np.random.default_rng(seed)
    for r in range(n):
        cancel.raise_if_cancelled()
        out = explainer.explain(X[r : r + 1])
        values[r], output[r], cov = out["values"][0], out["prediction"][0], out["cov"][0]
        sd[r] = np.sqrt(np.clip(np.diag(cov), 0, None))
        # Rows are drawn independently: the panels' global summaries ignore the
        # posterior correlation between rows.
        eigval, eigvec = np.linalg.eigh(cov)
        root = eigvec * np.sqrt(np.clip(eigval, 0, None))
        draws[:, r, :] = values[r] + rng.standard_normal((n_draws, d)) @ root.T
        progress(Progress(r + 1, n, f"exact GP attributions, row {r + 1} of {n}"))
    z = norm.ppf(0.5 + level / 2)
    base = float(explainer.base_value)
    return Attributions(
        input_names=list(result.input_names),
        X=X,
        values=values,
        lower=values - z * sd,
        upper=values + z * sd,
        sd=sd,
        output=output,
        base_value=base,
        mc_error=np.zeros((n, d)),
        draws_error=np.zeros((n, d)),
        additivity_error=float(np.max(np.abs(values.sum(1) - (output - base)))),
        method=f"gp-closed-form ({explainer.method})",
        scale="response",
        level=level,
        n_draws=0,
        converged=True,
        draws=draws,
        notes=[
            "attributions of the GP posterior mean; intervals from its exact Gaussian posterior"
        ],
    )


def _explain_linear(result, terms, X, background, weights, level, scale) -> Attributions:
    if scale == "response":
        draws, base, eta, link = linear_response_attributions(terms, X, background, weights)
        link_scale = "response"
    else:
        draws, base, eta, link = linear_attributions(terms, X, background, weights)
        link_scale = _link_scale(link)
    lower, upper = credible_interval(draws, level)
    n_draws = draws.shape[0]
    spread = draws.std(axis=0, ddof=1) if n_draws > 1 else np.zeros(draws.shape[1:])
    notes = (
        []
        if link_scale == "response"
        else [
            f"attributions add up on the {link} scale; "
            "the prediction itself is on the response scale"
        ]
    )
    return Attributions(
        input_names=list(result.input_names),
        X=X,
        values=draws.mean(0),
        lower=lower,
        upper=upper,
        sd=spread,
        output=eta.mean(0),
        base_value=float(base.mean()),
        mc_error=np.zeros(X.shape),
        draws_error=spread / np.sqrt(n_draws),
        additivity_error=float(np.max(np.abs(draws.sum(-1) - (eta - base[:, None])))),
        method="linear-exact"
        if link_scale != "response" or link == "identity"
        else "glm-enumeration",
        scale=link_scale,
        level=level,
        n_draws=n_draws,
        converged=True,
        draws=draws,
        notes=notes,
    )


def _posterior_draws(result: Any, X: np.ndarray, seed: int) -> str | None:
    """Why the result's draws cannot carry per-draw attributions, or None if they can.

    shap calls the model in batches; per-draw attributions are meaningful only if
    draw k is the same function in every batch: joint function samples (a GP's
    sample_mean) fail this. A result without a posterior (a GAN's critic) repeats
    one value in every draw: explaining 64 copies of it would cost 64 times the
    work for the same numbers.
    """
    if not hasattr(result, "sample_mean"):
        return "no posterior draws: attributions of the prediction, without intervals"
    pair = np.vstack([X[:1], X[:1] + 1.0])
    both = result.sample_mean(pair, 4, seed=seed)
    alone = result.sample_mean(X[:1], 4, seed=seed)
    # float32 networks give the same row a last-digit difference in another batch size
    if not np.allclose(both[:, :1], alone, rtol=1e-6, atol=1e-9):
        return (
            "no consistent posterior draws: attributions of the predictive mean, without intervals"
        )
    if np.all(np.ptp(both, axis=0) == 0):  # every draw the same
        return "the model has no posterior (one value per row): attributions without intervals"
    return None


# The model is called on thousands of masked rows at a time, and each call is many
# small matrix products (rows x features by features x draws): waking BLAS threads
# for them costs more than the products. One thread was 1.5x (enumeration) to 5x
# (sampled) faster on the 2-core development box (benchmarks/results-explain.md).
@threadpool_limits.wrap(limits=1, user_api="blas")
def _explain_shap(
    result,
    X,
    background,
    weights,
    level,
    shap_method,
    n_draws,
    max_draws,
    tolerance,
    n_permutations,
    mc_tolerance,
    seed,
    progress,
    cancel,
) -> Attributions:
    n, d = X.shape
    without_draws = _posterior_draws(result, X, seed)
    bayesian = without_draws is None
    notes: list[str] = []
    if not bayesian:
        notes.append(without_draws)
        max_draws = n_draws = 1
    batches: list[np.ndarray] = []
    bases: list[np.ndarray] = []
    outputs: list[np.ndarray] = []
    # per batch: (n, D) standard error of the batch's mean attribution
    mean_errors: list[np.ndarray] = []
    batch = 0
    total_batches = max(1, -(-max_draws // n_draws))
    est_method = shap_method
    mc_converged = True
    while True:
        cancel.raise_if_cancelled()
        draw_seed = seed + batch
        if bayesian:
            # the last batch is cut short so that max_draws is a true cap
            size = min(n_draws, max_draws - batch * n_draws)

            def model(Z: np.ndarray, s: int = draw_seed, k: int = size) -> np.ndarray:
                return result.sample_mean(Z, k, seed=s).T

            at_rows = result.sample_mean(X, size, seed=draw_seed)  # (K, n)
        else:

            def model(Z: np.ndarray) -> np.ndarray:
                return result.predict(Z)[0]

            at_rows = np.asarray(result.predict(X)[0])[None, :]
        row_estimates = []
        for r in range(n):  # row by row, so that Stop is honoured within a row's time
            cancel.raise_if_cancelled()
            row_estimates.append(
                shap_attributions(
                    model,
                    X[r : r + 1],
                    background,
                    method=shap_method,
                    n_permutations=n_permutations,
                    mc_tolerance=mc_tolerance,
                    seed=seed + 7919 * batch + r,
                    weights=weights,
                )
            )
        est_method = row_estimates[0].method
        values = np.concatenate([e.values for e in row_estimates])  # (n, D, K)
        batches.append(np.moveaxis(values, -1, 0))  # (K, n, D)
        bases.append(row_estimates[0].base)
        outputs.append(at_rows)
        mean_errors.append(np.concatenate([e.mean_error for e in row_estimates]))
        mc_converged = mc_converged and all(e.converged for e in row_estimates)
        batch += 1
        draws = np.concatenate(batches)
        progress(
            Progress(
                batch,
                total_batches,
                f"attributions over {len(draws)} posterior draws" if bayesian else "attributions",
                {"n_draws": len(draws)},
            )
        )
        if not bayesian or len(draws) >= max_draws or intervals_tight(draws, level, tolerance):
            break
    base = np.concatenate(bases)
    at_rows = np.concatenate(outputs)
    lower, upper = credible_interval(draws, level)
    k = len(draws)
    spread = draws.std(axis=0, ddof=1) if k > 1 else np.zeros((n, d))
    # the mean over draws weighs each batch's mean by its draws; the batches are
    # independent, so their errors add in quadrature
    shares = np.array([len(b) for b in batches], float)[:, None, None] / k
    mc_error = np.sqrt(np.sum(np.square(shares * np.array(mean_errors)), axis=0))
    draws_tight = (not bayesian) or intervals_tight(draws, level, tolerance)
    converged = draws_tight and mc_converged
    if bayesian and k < 2:
        notes.append("one posterior draw: no intervals")
    elif not draws_tight:
        notes.append(
            f"after {k} draws (the most allowed) the ends of the intervals still carry a "
            f"Monte Carlo error of up to {100 * interval_error(draws, level):.2g}% of the "
            f"row's widest interval, above the {100 * tolerance:.2g}% asked for"
        )
    if est_method == "sampled":
        whose, largest = ("each draw's", "that draw's") if bayesian else ("the", "the row's")
        notes.append(
            f"sampled coalitions: {whose} attributions carry a Monte Carlo standard error "
            + (
                f"of at most {mc_tolerance:.1%} of {largest} largest attribution"
                if mc_converged
                else f"above the {mc_tolerance:.1%} tolerance (evaluation budget reached)"
            )
        )
    return Attributions(
        input_names=list(result.input_names),
        X=X,
        values=draws.mean(0),
        lower=lower,
        upper=upper,
        sd=spread,
        output=at_rows.mean(0),
        base_value=float(base.mean()),
        mc_error=mc_error,
        draws_error=spread / np.sqrt(k),
        additivity_error=float(np.max(np.abs(draws.sum(-1) - (at_rows - base[:, None])))),
        method=_GENERIC_NAMES[est_method],
        scale="response",
        level=level,
        n_draws=k if bayesian else 0,
        converged=converged,
        draws=draws if bayesian else None,
        notes=notes,
    )
