"""Vectorised log-densities, samplers and means of the distribution families.

Kept apart from the registry (``distributions``) so that each file stays readable.
Every function takes the value and a mapping of parameter arrays already aligned
to a common number of dimensions (leading walker axis first) and relies on
broadcasting; log-densities return -inf outside the support.

Log-densities are written once against ``ArrayMath`` (argument ``m``): numpy by
default, torch for the gradient-based samplers (autograd differentiates them; no
gradient is written by hand). Samplers and means are numpy only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import special

from backends.graph.arraymath import NUMPY_MATH, ArrayMath

Array = Any  # a numpy array or a torch tensor, by the ArrayMath in use
Params = Mapping[str, Array]

LOG_2PI = float(np.log(2.0 * np.pi))
LOG_PI = float(np.log(np.pi))
LOG_2 = float(np.log(2.0))


def where_support(ok: Array, value: Array, m: ArrayMath = NUMPY_MATH) -> Array:
    return m.where(ok, value, -np.inf)


def is_count(x: Array, m: ArrayMath = NUMPY_MATH) -> Array:
    return (x >= 0) & (m.floor(x) == x)


# ----------------------------------------------------------------- continuous
def normal_lp(x: Array, p: Params, m: ArrayMath = NUMPY_MATH) -> Array:
    z = (x - p["mu"]) / p["sigma"]
    return -0.5 * z * z - m.log(p["sigma"]) - 0.5 * LOG_2PI


def broadcast_sum(a: Array, shape: tuple[int, ...], m: ArrayMath = NUMPY_MATH) -> Array:
    """Sum over the non-walker axes of ``broadcast_to(a, shape)`` without building it."""
    repeat = 1
    for have, want in zip(a.shape[1:], shape[1:], strict=True):
        repeat *= want if have == 1 else 1
    total = a.reshape(a.shape[0], -1).sum(1) * repeat
    return m.broadcast_to(total, (shape[0],))


def normal_lp_sum(x: Array, p: Params, m: ArrayMath = NUMPY_MATH) -> Array:
    """The summed Normal log-density in a few passes over (walkers, rows): the
    likelihood of most models, so worth its own fast path."""
    sigma = p["sigma"]
    z = m.divide_reusing(x - p["mu"], sigma)
    flat = z.reshape(z.shape[0], -1)
    squares = m.row_squares(flat)
    count = flat.shape[1]
    return -0.5 * squares - broadcast_sum(m.log(sigma), z.shape, m) - 0.5 * LOG_2PI * count


def half_normal_lp(x: Array, p: Params, m: ArrayMath = NUMPY_MATH) -> Array:
    z = x / p["sigma"]
    value = LOG_2 - 0.5 * z * z - m.log(p["sigma"]) - 0.5 * LOG_2PI
    return where_support(x >= 0, value, m)


def cauchy_lp(x: Array, p: Params, m: ArrayMath = NUMPY_MATH) -> Array:
    z = (x - p["mu"]) / p["sigma"]
    return -LOG_PI - m.log(p["sigma"]) - m.log1p(z * z)


def half_cauchy_lp(x: Array, p: Params, m: ArrayMath = NUMPY_MATH) -> Array:
    z = x / p["sigma"]
    return where_support(x >= 0, LOG_2 - LOG_PI - m.log(p["sigma"]) - m.log1p(z * z), m)


def student_t_lp(x: Array, p: Params, m: ArrayMath = NUMPY_MATH) -> Array:
    nu, sigma = p["nu"], p["sigma"]
    z = (x - p["mu"]) / sigma
    return (
        m.gammaln(0.5 * (nu + 1.0))
        - m.gammaln(0.5 * nu)
        - 0.5 * m.log(nu * np.pi)
        - m.log(sigma)
        - 0.5 * (nu + 1.0) * m.log1p(z * z / nu)
    )


def uniform_lp(x: Array, p: Params, m: ArrayMath = NUMPY_MATH) -> Array:
    lower, upper = p["lower"], p["upper"]
    inside = (x >= lower) & (x <= upper)
    return where_support(inside, -m.log(upper - lower), m)


def exponential_lp(x: Array, p: Params, m: ArrayMath = NUMPY_MATH) -> Array:
    return where_support(x >= 0, m.log(p["rate"]) - p["rate"] * x, m)


def gamma_lp(x: Array, p: Params, m: ArrayMath = NUMPY_MATH) -> Array:
    a, b = p["alpha"], p["beta"]
    value = a * m.log(b) - m.gammaln(a) + m.xlogy(a - 1.0, x) - b * x
    return where_support(x >= 0, value, m)


def inv_gamma_lp(x: Array, p: Params, m: ArrayMath = NUMPY_MATH) -> Array:
    a, b = p["alpha"], p["beta"]
    with np.errstate(divide="ignore"):
        value = a * m.log(b) - m.gammaln(a) - (a + 1.0) * m.log(x) - b / x
    return where_support(x > 0, value, m)


def beta_lp(x: Array, p: Params, m: ArrayMath = NUMPY_MATH) -> Array:
    a, b = p["alpha"], p["beta"]
    value = m.xlogy(a - 1.0, x) + m.xlog1py(b - 1.0, -x) - m.betaln(a, b)
    return where_support((x >= 0) & (x <= 1), value, m)


def lognormal_lp(x: Array, p: Params, m: ArrayMath = NUMPY_MATH) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        logx = m.log(x)
    z = (logx - p["mu"]) / p["sigma"]
    return where_support(x > 0, -0.5 * z * z - m.log(p["sigma"]) - 0.5 * LOG_2PI - logx, m)


def laplace_lp(x: Array, p: Params, m: ArrayMath = NUMPY_MATH) -> Array:
    return -m.log(2.0 * p["b"]) - m.abs(x - p["mu"]) / p["b"]


# ------------------------------------------------------------------- discrete
def log_p_and_q(p: Params, m: ArrayMath = NUMPY_MATH) -> tuple[Array, Array]:
    """log p and log(1 - p) from either parameterisation, stably for logits."""
    if "logit" in p:
        return m.log_expit(p["logit"]), m.log_expit(-p["logit"])
    with np.errstate(divide="ignore"):
        return m.log(p["p"]), m.log1p(-p["p"])


def prob(p: Params) -> np.ndarray:
    return special.expit(p["logit"]) if "logit" in p else p["p"]


def bernoulli_lp(x: Array, p: Params, m: ArrayMath = NUMPY_MATH) -> Array:
    log_p, log_q = log_p_and_q(p, m)
    value = m.where(x == 1, log_p, log_q)
    return where_support((x == 0) | (x == 1), value, m)


def binomial_lp(x: Array, p: Params, m: ArrayMath = NUMPY_MATH) -> Array:
    n = p["n"]
    log_p, log_q = log_p_and_q(p, m)
    value = (
        m.gammaln(n + 1.0)
        - m.gammaln(x + 1.0)
        - m.gammaln(n - x + 1.0)
        + m.where(x > 0, x * log_p, 0.0)
        + m.where(n - x > 0, (n - x) * log_q, 0.0)
    )
    return where_support(is_count(x, m) & (x <= n), value, m)


def poisson_lp(x: Array, p: Params, m: ArrayMath = NUMPY_MATH) -> Array:
    rate = p["rate"]
    value = m.xlogy(x, rate) - rate - m.gammaln(x + 1.0)
    return where_support(is_count(x, m), value, m)


def neg_binomial_lp(x: Array, p: Params, m: ArrayMath = NUMPY_MATH) -> Array:
    mu, phi = p["mu"], p["phi"]
    value = (
        m.gammaln(x + phi)
        - m.gammaln(x + 1.0)
        - m.gammaln(phi)
        + phi * (m.log(phi) - m.log(mu + phi))
        + m.xlogy(x, mu)
        - m.xlogy(x, mu + phi)
    )
    return where_support(is_count(x, m), value, m)


def category_logprobs(p: Params, m: ArrayMath = NUMPY_MATH) -> Array:
    if "logits" in p:
        logits = p["logits"]
        return logits - m.logsumexp_last(logits)
    probs = p["p"]
    with np.errstate(divide="ignore"):
        return m.log(probs) - m.log(m.reduce("sum", probs, -1)[..., None])


def categorical_lp(x: Array, p: Params, m: ArrayMath = NUMPY_MATH) -> Array:
    """``x`` holds category codes; the parameter carries one extra trailing axis."""
    logp = category_logprobs(p, m)
    k = logp.shape[-1]
    shape = np.broadcast_shapes(tuple(x.shape), tuple(logp.shape[:-1]))
    codes = m.broadcast_to(x, shape)
    ok = is_count(codes, m) & (codes < k)
    safe = m.to_index(m.where(ok, codes, 0.0))
    picked = m.take_last(m.broadcast_to(logp, shape + (k,)), safe[..., None])
    return where_support(ok, picked[..., 0], m)


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
