"""Vectorised numpy log-densities, samplers and means of the distribution families.

Kept apart from the registry (``distributions``) so that each file stays readable.
Every function takes the value and a mapping of parameter arrays already aligned
to a common number of dimensions (leading walker axis first) and relies on numpy
broadcasting; log-densities return -inf outside the support.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import special

Params = Mapping[str, np.ndarray]

LOG_2PI = float(np.log(2.0 * np.pi))
LOG_PI = float(np.log(np.pi))
LOG_2 = float(np.log(2.0))


def where_support(ok: np.ndarray, value: np.ndarray) -> np.ndarray:
    return np.where(ok, value, -np.inf)


def is_count(x: np.ndarray) -> np.ndarray:
    return (x >= 0) & (np.floor(x) == x)


# ----------------------------------------------------------------- continuous
def normal_lp(x: np.ndarray, p: Params) -> np.ndarray:
    z = (x - p["mu"]) / p["sigma"]
    return -0.5 * z * z - np.log(p["sigma"]) - 0.5 * LOG_2PI


def broadcast_sum(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum over the non-walker axes of ``broadcast_to(a, shape)`` without building it."""
    repeat = 1
    for have, want in zip(a.shape[1:], shape[1:], strict=True):
        repeat *= want if have == 1 else 1
    total = a.reshape(a.shape[0], -1).sum(axis=1) * repeat
    return np.broadcast_to(total, (shape[0],))


def normal_lp_sum(x: np.ndarray, p: Params) -> np.ndarray:
    """The summed Normal log-density in a few passes over (walkers, rows): the
    likelihood of most models, so worth its own fast path."""
    sigma = p["sigma"]
    z = x - p["mu"]
    in_place = z.shape == np.broadcast_shapes(z.shape, np.shape(sigma))
    z = np.divide(z, sigma, out=z if in_place else None)
    flat = z.reshape(z.shape[0], -1)
    squares = np.einsum("ij,ij->i", flat, flat)
    count = flat.shape[1]
    return -0.5 * squares - broadcast_sum(np.log(sigma), z.shape) - 0.5 * LOG_2PI * count


def half_normal_lp(x: np.ndarray, p: Params) -> np.ndarray:
    z = x / p["sigma"]
    return where_support(x >= 0, LOG_2 - 0.5 * z * z - np.log(p["sigma"]) - 0.5 * LOG_2PI)


def cauchy_lp(x: np.ndarray, p: Params) -> np.ndarray:
    z = (x - p["mu"]) / p["sigma"]
    return -LOG_PI - np.log(p["sigma"]) - np.log1p(z * z)


def half_cauchy_lp(x: np.ndarray, p: Params) -> np.ndarray:
    z = x / p["sigma"]
    return where_support(x >= 0, LOG_2 - LOG_PI - np.log(p["sigma"]) - np.log1p(z * z))


def student_t_lp(x: np.ndarray, p: Params) -> np.ndarray:
    nu, sigma = p["nu"], p["sigma"]
    z = (x - p["mu"]) / sigma
    return (
        special.gammaln(0.5 * (nu + 1.0))
        - special.gammaln(0.5 * nu)
        - 0.5 * np.log(nu * np.pi)
        - np.log(sigma)
        - 0.5 * (nu + 1.0) * np.log1p(z * z / nu)
    )


def uniform_lp(x: np.ndarray, p: Params) -> np.ndarray:
    lower, upper = p["lower"], p["upper"]
    inside = (x >= lower) & (x <= upper)
    return where_support(inside, -np.log(upper - lower))


def exponential_lp(x: np.ndarray, p: Params) -> np.ndarray:
    return where_support(x >= 0, np.log(p["rate"]) - p["rate"] * x)


def gamma_lp(x: np.ndarray, p: Params) -> np.ndarray:
    a, b = p["alpha"], p["beta"]
    value = a * np.log(b) - special.gammaln(a) + special.xlogy(a - 1.0, x) - b * x
    return where_support(x >= 0, value)


def inv_gamma_lp(x: np.ndarray, p: Params) -> np.ndarray:
    a, b = p["alpha"], p["beta"]
    with np.errstate(divide="ignore"):
        value = a * np.log(b) - special.gammaln(a) - (a + 1.0) * np.log(x) - b / x
    return where_support(x > 0, value)


def beta_lp(x: np.ndarray, p: Params) -> np.ndarray:
    a, b = p["alpha"], p["beta"]
    value = special.xlogy(a - 1.0, x) + special.xlog1py(b - 1.0, -x) - special.betaln(a, b)
    return where_support((x >= 0) & (x <= 1), value)


def lognormal_lp(x: np.ndarray, p: Params) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        logx = np.log(x)
    z = (logx - p["mu"]) / p["sigma"]
    return where_support(x > 0, -0.5 * z * z - np.log(p["sigma"]) - 0.5 * LOG_2PI - logx)


def laplace_lp(x: np.ndarray, p: Params) -> np.ndarray:
    return -np.log(2.0 * p["b"]) - np.abs(x - p["mu"]) / p["b"]


# ------------------------------------------------------------------- discrete
def log_p_and_q(p: Params) -> tuple[np.ndarray, np.ndarray]:
    """log p and log(1 - p) from either parameterisation, stably for logits."""
    if "logit" in p:
        return special.log_expit(p["logit"]), special.log_expit(-p["logit"])
    with np.errstate(divide="ignore"):
        return np.log(p["p"]), np.log1p(-p["p"])


def prob(p: Params) -> np.ndarray:
    return special.expit(p["logit"]) if "logit" in p else p["p"]


def bernoulli_lp(x: np.ndarray, p: Params) -> np.ndarray:
    log_p, log_q = log_p_and_q(p)
    value = np.where(x == 1, log_p, log_q)
    return where_support((x == 0) | (x == 1), value)


def binomial_lp(x: np.ndarray, p: Params) -> np.ndarray:
    n = p["n"]
    log_p, log_q = log_p_and_q(p)
    value = (
        special.gammaln(n + 1.0)
        - special.gammaln(x + 1.0)
        - special.gammaln(n - x + 1.0)
        + np.where(x > 0, x * log_p, 0.0)
        + np.where(n - x > 0, (n - x) * log_q, 0.0)
    )
    return where_support(is_count(x) & (x <= n), value)


def poisson_lp(x: np.ndarray, p: Params) -> np.ndarray:
    rate = p["rate"]
    value = special.xlogy(x, rate) - rate - special.gammaln(x + 1.0)
    return where_support(is_count(x), value)


def neg_binomial_lp(x: np.ndarray, p: Params) -> np.ndarray:
    mu, phi = p["mu"], p["phi"]
    value = (
        special.gammaln(x + phi)
        - special.gammaln(x + 1.0)
        - special.gammaln(phi)
        + phi * (np.log(phi) - np.log(mu + phi))
        + special.xlogy(x, mu)
        - special.xlogy(x, mu + phi)
    )
    return where_support(is_count(x), value)


def category_logprobs(p: Params) -> np.ndarray:
    if "logits" in p:
        logits = p["logits"]
        return logits - special.logsumexp(logits, axis=-1, keepdims=True)
    probs = p["p"]
    with np.errstate(divide="ignore"):
        return np.log(probs) - np.log(np.sum(probs, axis=-1, keepdims=True))


def categorical_lp(x: np.ndarray, p: Params) -> np.ndarray:
    """``x`` holds category codes; the parameter carries one extra trailing axis."""
    logp = category_logprobs(p)
    k = logp.shape[-1]
    shape = np.broadcast_shapes(x.shape, logp.shape[:-1])
    codes = np.broadcast_to(x, shape)
    ok = is_count(codes) & (codes < k)
    safe = np.where(ok, codes, 0).astype(np.int64)
    picked = np.take_along_axis(np.broadcast_to(logp, shape + (k,)), safe[..., None], axis=-1)
    return where_support(ok, picked[..., 0])


def categorical_sample(rng: np.random.Generator, p: Params) -> np.ndarray:
    probs = np.exp(category_logprobs(p))
    u = rng.random(probs.shape[:-1] + (1,))
    return np.minimum(np.sum(np.cumsum(probs, axis=-1) < u, axis=-1), probs.shape[-1] - 1).astype(
        float
    )


def categorical_mean(p: Params) -> np.ndarray:
    probs = np.exp(category_logprobs(p))
    return np.sum(probs * np.arange(probs.shape[-1]), axis=-1)


def neg_binomial_sample(rng: np.random.Generator, p: Params) -> np.ndarray:
    mu, phi = np.broadcast_arrays(p["mu"], p["phi"])
    return rng.poisson(rng.gamma(phi, mu / phi)).astype(float)


def shape(p: Params, *names: str) -> tuple[int, ...]:
    return np.broadcast_shapes(*(np.shape(p[n]) for n in names))


def binomial_sample(rng: np.random.Generator, p: Params) -> np.ndarray:
    n, probability = np.broadcast_arrays(p["n"].astype(np.int64), prob(p))
    return rng.binomial(n, probability).astype(float)
