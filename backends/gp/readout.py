"""What the analyst reads off a fitted GP: hyperparameters in the units of the
data, and fit metrics (training error; held-out NLL and band coverage).

Conversions (the model works on standardised data, docs/gp.md):
lengthscales and periods × the input's standard deviation; output scales and
noise variances × the target's variance; the constant mean mapped back through
the target's mean and standard deviation.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import special, stats

from backends.gp.data import TrainingData
from backends.gp.models import Built
from backends.gp.spec import GPSpec

HERMITE_NODES, HERMITE_WEIGHTS = np.polynomial.hermite_e.hermegauss(32)


def hyperparameters(built: Built, spec: GPSpec, data: TrainingData) -> dict[str, float]:
    out = {ref.name: ref.value(data.x_scale, data.y_scale) for ref in built.refs}
    model, likelihood = built.model, built.likelihood
    if spec.likelihood == "gaussian":
        noise = float(likelihood.noise.detach().reshape(-1)[0])
        out["noise.variance"] = noise * data.y_scale**2
        out["noise.sd"] = math.sqrt(noise) * data.y_scale
    mean = getattr(model, "mean_module", None)
    if mean is not None and hasattr(mean, "constant"):
        c = float(mean.constant.detach().reshape(-1)[0])
        out["mean.constant"] = data.y_mean + data.y_scale * c
    if mean is not None and hasattr(mean, "weights"):
        w = mean.weights.detach().reshape(-1).cpu().numpy()
        for name, wi, s in zip(spec.inputs, w, data.x_scale, strict=True):
            out[f"mean.slope[{name}]"] = float(wi) * data.y_scale / float(s)
        out["mean.intercept"] = data.y_mean + data.y_scale * (
            float(mean.bias.detach().reshape(-1)[0]) - float(np.sum(w * data.x_mean / data.x_scale))
        )
    if hasattr(model, "hidden"):
        out.update(_deep_hyperparameters(model, spec, data))
    return out


def _deep_hyperparameters(model: Any, spec: GPSpec, data: TrainingData) -> dict[str, float]:
    """Per hidden unit lengthscales (input units) and the output layer's, in hidden units."""
    out: dict[str, float] = {}
    hidden = model.hidden.covar_module.base_kernel.lengthscale.detach().cpu().numpy()
    for k in range(hidden.shape[0]):
        for j, name in enumerate(spec.inputs):
            out[f"hidden{k + 1}.lengthscale[{name}]"] = float(hidden[k, 0, j] * data.x_scale[j])
    ls = model.output.covar_module.base_kernel.lengthscale.detach().reshape(-1).cpu().numpy()
    for k, value in enumerate(ls):
        out[f"output.lengthscale[hidden{k + 1}]"] = float(value)
    scale = float(model.output.covar_module.outputscale.detach().reshape(-1)[0])
    out["output.outputscale"] = scale * data.y_scale**2
    return out


def expected_sigmoid(means: np.ndarray, variances: np.ndarray) -> np.ndarray:
    """E[logistic(f)] for f ~ N(mean, var), elementwise, by Gauss–Hermite quadrature."""
    f = means[..., None] + np.sqrt(variances)[..., None] * HERMITE_NODES
    return special.expit(f) @ (HERMITE_WEIGHTS / HERMITE_WEIGHTS.sum())


def gaussian_mixture_logpdf(y: np.ndarray, means: np.ndarray, variances: np.ndarray) -> np.ndarray:
    """log of the average over S components of N(y; mean_s, var_s), per row."""
    logs = stats.norm.logpdf(y[None, :], means, np.sqrt(variances))
    return special.logsumexp(logs, axis=0) - math.log(len(means))


def log_predictive(
    likelihood: str, y: np.ndarray, f_mean: np.ndarray, f_var: np.ndarray, noise: float
) -> np.ndarray:
    """log p(y | data) per row, from latent moments (S, n) on the model's scale."""
    if likelihood == "gaussian":
        return gaussian_mixture_logpdf(y, f_mean, f_var + noise)
    if likelihood == "bernoulli":
        p = expected_sigmoid(f_mean, f_var).mean(axis=0)
        p = np.clip(p, 1e-12, 1 - 1e-12)
        return np.where(y == 1, np.log(p), np.log1p(-p))
    # Poisson: Gauss–Hermite quadrature over f for each mixture component
    f = f_mean[..., None] + np.sqrt(f_var)[..., None] * HERMITE_NODES
    logp = y[None, :, None] * f - np.exp(f) - special.gammaln(y + 1)[None, :, None]
    weights = np.log(HERMITE_WEIGHTS / HERMITE_WEIGHTS.sum())
    per_component = special.logsumexp(logp + weights, axis=-1)
    return special.logsumexp(per_component, axis=0) - math.log(len(f_mean))


def metrics(result: Any, X: np.ndarray, y: np.ndarray, prefix: str) -> dict[str, float]:
    """Error, mean negative log predictive density and 95% band coverage on (X, y)."""
    m, v = result.latent(X)
    mean, lower, upper = result.predict_from(m, v, 0.95)
    out = {f"{prefix}_rmse": float(np.sqrt(np.mean((mean - y) ** 2)))}
    out[f"{prefix}_nll"] = float(-np.mean(result.log_predictive_from(m, v, y)))
    if result.likelihood == "bernoulli":
        out[f"{prefix}_accuracy"] = float(np.mean((mean > 0.5) == (y == 1)))
    else:
        out[f"{prefix}_coverage_95"] = float(np.mean((y >= lower) & (y <= upper)))
    out[f"{prefix}_rows"] = int(len(y))
    return out
