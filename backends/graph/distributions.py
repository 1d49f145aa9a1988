"""The distribution families of the graph language.

Each family carries what the rest of the program needs from it: its parameter
names and their constraints (for validation and the inspector), its support (for
the transform to unconstrained space), documentation text (for the inspector),
and three vectorised functions: log-density (numpy or torch, see ``densities``),
sampler (posterior predictive draws) and mean (``sample_mean``/``predict``).

Log-densities use ``scipy.special`` on plain arrays rather than frozen
``scipy.stats`` objects: they are called thousands of times per run on arrays of
shape (walkers, rows), and the frozen objects cost more to build than to use.
They return -inf outside the support; invalid parameters give nan, which the
compiler turns into -inf.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from backends.graph import densities as d
from backends.graph.densities import Params

# What a parameter must be; validation checks expressions against these.
CONSTRAINTS = ("real", "positive", "unit", "count", "probabilities")

# The sets a value can lie in; the compiler picks a transform from this.
SUPPORTS = ("real", "positive", "unit", "interval", "count", "binary", "bounded_count", "category")


@dataclass(frozen=True)
class Param:
    name: str
    constraint: str
    doc: str


@dataclass(frozen=True)
class Family:
    """A distribution family. ``param_sets`` lists the accepted parameterisations
    (Bernoulli takes ``p`` or ``logit``); ``params`` describes every name in them."""

    name: str
    params: tuple[Param, ...]
    param_sets: tuple[tuple[str, ...], ...]
    support: str
    doc: str
    logpdf: Callable[..., Any]  # (x, params, m=NUMPY_MATH): numpy or torch (densities.py)
    sample: Callable[[np.random.Generator, Params], np.ndarray]
    mean: Callable[[Params], np.ndarray]
    logpdf_sum: Callable[..., Any] | None = None  # (W,): a fast path, same arguments

    @property
    def discrete(self) -> bool:
        return self.support in ("count", "binary", "bounded_count", "category")

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)

    def match_params(self, given: set[str]) -> tuple[str, ...] | None:
        """The parameterisation whose names are exactly ``given``, if any."""
        return next((s for s in self.param_sets if set(s) == given), None)


def _family(name, params, support, doc, logpdf, sample, mean, param_sets=None) -> Family:
    specs = tuple(Param(*spec) for spec in params)
    sets = param_sets or (tuple(s.name for s in specs),)
    return Family(name, specs, sets, support, doc, logpdf, sample, mean)


_LOC = ("mu", "real", "location")
_SCALE = ("sigma", "positive", "scale (> 0)")

_FAST_SUMS = {"Normal": d.normal_lp_sum}

FAMILIES: dict[str, Family] = {
    f.name: dataclasses.replace(f, logpdf_sum=_FAST_SUMS.get(f.name))
    for f in [
        _family(
            "Normal",
            [_LOC, _SCALE],
            "real",
            "Normal(mu, sigma): bell curve centred on mu with standard deviation sigma.",
            d.normal_lp,
            lambda r, p: r.normal(p["mu"], p["sigma"]),
            lambda p: np.broadcast_to(p["mu"], d.shape(p, "mu", "sigma")),
        ),
        _family(
            "HalfNormal",
            [_SCALE],
            "positive",
            "HalfNormal(sigma): |Normal(0, sigma)|, a common prior for a scale.",
            d.half_normal_lp,
            lambda r, p: np.abs(r.normal(0.0, p["sigma"])),
            lambda p: p["sigma"] * np.sqrt(2.0 / np.pi),
        ),
        _family(
            "Cauchy",
            [_LOC, _SCALE],
            "real",
            "Cauchy(mu, sigma): heavy tails; it has no mean (mu, its median, is used).",
            d.cauchy_lp,
            lambda r, p: p["mu"] + p["sigma"] * r.standard_cauchy(d.shape(p, "mu", "sigma")),
            lambda p: np.broadcast_to(p["mu"], d.shape(p, "mu", "sigma")),
        ),
        _family(
            "HalfCauchy",
            [_SCALE],
            "positive",
            "HalfCauchy(sigma): |Cauchy(0, sigma)|, a weakly informative prior for a scale; "
            "it has no mean (inf is reported).",
            d.half_cauchy_lp,
            lambda r, p: np.abs(p["sigma"] * r.standard_cauchy(np.shape(p["sigma"]))),
            lambda p: np.full(np.shape(p["sigma"]), np.inf),
        ),
        _family(
            "StudentT",
            [("nu", "positive", "degrees of freedom (> 0)"), _LOC, _SCALE],
            "real",
            "StudentT(nu, mu, sigma): like Normal with heavier tails; robust to outliers. "
            "Its mean is mu when nu > 1.",
            d.student_t_lp,
            lambda r, p: (
                p["mu"] + p["sigma"] * r.standard_t(p["nu"], d.shape(p, "nu", "mu", "sigma"))
            ),
            lambda p: np.where(p["nu"] > 1, p["mu"], np.nan) + 0.0 * p["sigma"],
        ),
        _family(
            "Uniform",
            [("lower", "real", "lower bound"), ("upper", "real", "upper bound (> lower)")],
            "interval",
            "Uniform(lower, upper): every value between the bounds equally likely.",
            d.uniform_lp,
            lambda r, p: r.uniform(p["lower"], p["upper"]),
            lambda p: 0.5 * (p["lower"] + p["upper"]),
        ),
        _family(
            "Exponential",
            [("rate", "positive", "rate (> 0); the mean is 1/rate")],
            "positive",
            "Exponential(rate): positive values, mean 1/rate.",
            d.exponential_lp,
            lambda r, p: r.exponential(1.0 / p["rate"]),
            lambda p: 1.0 / p["rate"],
        ),
        _family(
            "Gamma",
            [("alpha", "positive", "shape (> 0)"), ("beta", "positive", "rate (> 0)")],
            "positive",
            "Gamma(alpha, beta): positive values with shape alpha and rate beta; mean alpha/beta.",
            d.gamma_lp,
            lambda r, p: r.gamma(p["alpha"], 1.0 / p["beta"]),
            lambda p: p["alpha"] / p["beta"],
        ),
        _family(
            "InverseGamma",
            [("alpha", "positive", "shape (> 0)"), ("beta", "positive", "scale (> 0)")],
            "positive",
            "InverseGamma(alpha, beta): 1/Gamma(alpha, rate=beta); the conjugate prior of a "
            "normal variance. Mean beta/(alpha-1) when alpha > 1.",
            d.inv_gamma_lp,
            lambda r, p: p["beta"] / r.gamma(p["alpha"], 1.0, d.shape(p, "alpha", "beta")),
            lambda p: np.where(p["alpha"] > 1, p["beta"] / (p["alpha"] - 1.0), np.inf),
        ),
        _family(
            "Beta",
            [
                ("alpha", "positive", "first shape (> 0)"),
                ("beta", "positive", "second shape (> 0)"),
            ],
            "unit",
            "Beta(alpha, beta): a value between 0 and 1 such as a probability; "
            "mean alpha/(alpha+beta).",
            d.beta_lp,
            lambda r, p: r.beta(p["alpha"], p["beta"]),
            lambda p: p["alpha"] / (p["alpha"] + p["beta"]),
        ),
        _family(
            "LogNormal",
            [("mu", "real", "mean of log(x)"), ("sigma", "positive", "sd of log(x) (> 0)")],
            "positive",
            "LogNormal(mu, sigma): x whose logarithm is Normal(mu, sigma).",
            d.lognormal_lp,
            lambda r, p: r.lognormal(p["mu"], p["sigma"]),
            lambda p: np.exp(p["mu"] + 0.5 * p["sigma"] ** 2),
        ),
        _family(
            "Laplace",
            [_LOC, ("b", "positive", "scale (> 0)")],
            "real",
            "Laplace(mu, b): double exponential; sharper peak and heavier tails than Normal.",
            d.laplace_lp,
            lambda r, p: r.laplace(p["mu"], p["b"]),
            lambda p: np.broadcast_to(p["mu"], d.shape(p, "mu", "b")),
        ),
        _family(
            "Bernoulli",
            [("p", "unit", "probability of a 1"), ("logit", "real", "log-odds of a 1")],
            "binary",
            "Bernoulli(p) or Bernoulli(logit=...): a 0/1 outcome; give the probability p or "
            "its log-odds (the logistic-regression form).",
            d.bernoulli_lp,
            lambda r, p: (r.random(np.shape(d.prob(p))) < d.prob(p)).astype(float),
            d.prob,
            param_sets=(("p",), ("logit",)),
        ),
        _family(
            "Binomial",
            [
                ("n", "count", "number of trials"),
                ("p", "unit", "success probability"),
                ("logit", "real", "log-odds of success"),
            ],
            "bounded_count",
            "Binomial(n, p) or Binomial(n, logit=...): successes out of n trials.",
            d.binomial_lp,
            d.binomial_sample,
            lambda p: p["n"] * d.prob(p),
            param_sets=(("n", "p"), ("n", "logit")),
        ),
        _family(
            "Poisson",
            [("rate", "positive", "expected count (> 0)")],
            "count",
            "Poisson(rate): counts with mean and variance equal to rate.",
            d.poisson_lp,
            lambda r, p: r.poisson(p["rate"]).astype(float),
            lambda p: p["rate"],
        ),
        _family(
            "NegativeBinomial",
            [
                ("mu", "positive", "expected count (> 0)"),
                ("phi", "positive", "dispersion (> 0); variance is mu + mu^2/phi"),
            ],
            "count",
            "NegativeBinomial(mu, phi): over-dispersed counts with mean mu and variance "
            "mu + mu^2/phi (Stan's neg_binomial_2).",
            d.neg_binomial_lp,
            d.neg_binomial_sample,
            lambda p: np.broadcast_to(p["mu"], d.shape(p, "mu", "phi")),
        ),
        _family(
            "Categorical",
            [
                ("p", "probabilities", "vector of category probabilities (normalised)"),
                ("logits", "real", "vector of unnormalised log-probabilities"),
            ],
            "category",
            "Categorical(p) or Categorical(logits=...): one of k categories coded 0..k-1; the "
            "parameter is a vector whose last axis runs over the categories.",
            d.categorical_lp,
            d.categorical_sample,
            d.categorical_mean,
            param_sets=(("p",), ("logits",)),
        ),
    ]
}

# Parameters that carry an extra trailing axis (over categories) beyond the value's shape.
VECTOR_PARAMS = {("Categorical", "p"), ("Categorical", "logits")}


def family(name: str) -> Family:
    """The family called ``name``; KeyError names the known ones."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise KeyError(f"unknown distribution {name!r}; known: {', '.join(FAMILIES)}") from None
