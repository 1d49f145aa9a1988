"""The compiled log-density equals a hand-written scipy.stats one, Jacobian included."""

import numpy as np
import pytest
from scipy import special, stats

from backends.graph.compile import compile_model
from backends.graph.distributions import FAMILIES
from backends.graph.model import Graph, Node, Plate
from backends.runtime import ColumnTable

RNG = np.random.default_rng(42)


def _prior_graph(dist: str, params: dict[str, str]) -> tuple[Graph, ColumnTable]:
    graph = Graph()
    graph.add_node(Node("x", "stochastic", distribution=dist, params=params))
    return graph, ColumnTable({"unused": np.zeros(3)}, {"unused": "numeric"})


def _jac(support: str, u: np.ndarray, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    if support == "positive":
        return u
    if support == "unit":
        return np.log(special.expit(u)) + np.log(special.expit(-u))
    if support == "interval":
        return np.log(hi - lo) + np.log(special.expit(u)) + np.log(special.expit(-u))
    return np.zeros_like(u)


# family, params as text, the scipy.stats reference, the support transform
PRIORS = [
    ("Normal", {"mu": "1.5", "sigma": "2"}, stats.norm(1.5, 2), "real"),
    ("HalfNormal", {"sigma": "3"}, stats.halfnorm(scale=3), "positive"),
    ("Cauchy", {"mu": "-1", "sigma": "0.5"}, stats.cauchy(-1, 0.5), "real"),
    ("HalfCauchy", {"sigma": "2.5"}, stats.halfcauchy(scale=2.5), "positive"),
    ("StudentT", {"nu": "3", "mu": "1", "sigma": "2"}, stats.t(3, 1, 2), "real"),
    ("Uniform", {"lower": "-2", "upper": "5"}, stats.uniform(-2, 7), "interval"),
    ("Exponential", {"rate": "0.7"}, stats.expon(scale=1 / 0.7), "positive"),
    ("Gamma", {"alpha": "2.5", "beta": "1.5"}, stats.gamma(2.5, scale=1 / 1.5), "positive"),
    ("InverseGamma", {"alpha": "3", "beta": "2"}, stats.invgamma(3, scale=2), "positive"),
    ("Beta", {"alpha": "2", "beta": "5"}, stats.beta(2, 5), "unit"),
    ("LogNormal", {"mu": "0.3", "sigma": "0.8"}, stats.lognorm(0.8, scale=np.exp(0.3)), "positive"),
    ("Laplace", {"mu": "1", "b": "2"}, stats.laplace(1, 2), "real"),
]


@pytest.mark.parametrize("dist,params,ref,support", PRIORS, ids=[p[0] for p in PRIORS])
def test_prior_log_density_matches_scipy(dist, params, ref, support):
    graph, table = _prior_graph(dist, params)
    model = compile_model(graph, table)
    u = RNG.normal(0, 1.5, size=(7, 1))
    x = model.constrain(u)[:, 0]
    lo, hi = (-2.0, 5.0) if dist == "Uniform" else (0.0, 1.0)
    expected = ref.logpdf(x) + _jac(support, u[:, 0], lo, hi)
    np.testing.assert_allclose(model.log_density(u), expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(model.unconstrain(model.constrain(u)), u, rtol=1e-8, atol=1e-8)


def _observed_graph(dist, params, column, prior="Normal", prior_params=None, prior_kind="real"):
    graph = Graph()
    rows = graph.add_plate(Plate("rows"))
    graph.add_node(
        Node(
            "a", "stochastic", distribution=prior, params=prior_params or {"mu": "0", "sigma": "1"}
        )
    )
    graph.add_node(Node("trials", "data", columns=["n"], plate=rows.id))
    graph.add_node(
        Node("y", "observed", distribution=dist, params=params, columns=[column], plate=rows.id)
    )
    return graph


def _table(y, n=None):
    n = np.full(len(y), 10.0) if n is None else n
    return ColumnTable({"y": np.asarray(y, float), "n": n}, {"y": "numeric", "n": "numeric"})


def test_bernoulli_both_parameterisations():
    y = RNG.integers(0, 2, 30)
    for params, p_of in [({"p": "inv_logit(a)"}, special.expit), ({"logit": "a"}, special.expit)]:
        model = compile_model(_observed_graph("Bernoulli", params, "y"), _table(y))
        u = RNG.normal(size=(5, 1))
        p = p_of(u)
        expected = stats.norm.logpdf(u[:, 0]) + stats.bernoulli.logpmf(y[None, :], p).sum(axis=1)
        np.testing.assert_allclose(model.log_density(u), expected, rtol=1e-9)


@pytest.mark.parametrize("kind", ["p", "logit"])
def test_binomial(kind):
    n = RNG.integers(5, 20, 25).astype(float)
    y = RNG.binomial(n.astype(int), 0.3)
    params = {"n": "trials", "p": "inv_logit(a)"} if kind == "p" else {"n": "trials", "logit": "a"}
    model = compile_model(_observed_graph("Binomial", params, "y"), _table(y, n))
    u = RNG.normal(size=(5, 1))
    expected = stats.norm.logpdf(u[:, 0]) + stats.binom.logpmf(y, n, special.expit(u)).sum(axis=1)
    np.testing.assert_allclose(model.log_density(u), expected, rtol=1e-9)


def test_poisson_with_exponential_prior():
    y = RNG.poisson(3.0, 40)
    graph = _observed_graph("Poisson", {"rate": "a"}, "y", "Exponential", {"rate": "0.5"})
    model = compile_model(graph, _table(y))
    u = RNG.normal(size=(6, 1))
    lam = np.exp(u)
    expected = stats.expon(scale=2).logpdf(lam[:, 0]) + u[:, 0]
    expected += stats.poisson.logpmf(y, lam).sum(axis=1)
    np.testing.assert_allclose(model.log_density(u), expected, rtol=1e-9)


def test_negative_binomial():
    y = RNG.negative_binomial(3, 0.4, 40)
    graph = _observed_graph("NegativeBinomial", {"mu": "exp(a)", "phi": "3"}, "y")
    model = compile_model(graph, _table(y))
    u = RNG.normal(size=(6, 1))
    mu = np.exp(u)
    expected = stats.norm.logpdf(u[:, 0])
    expected += stats.nbinom.logpmf(y, 3, 3 / (3 + mu)).sum(axis=1)
    np.testing.assert_allclose(model.log_density(u), expected, rtol=1e-9)


def test_categorical_with_logits_vector():
    y = RNG.integers(0, 3, 30)
    graph = Graph()
    rows = graph.add_plate(Plate("rows"))
    graph.add_node(
        Node(
            "w",
            "stochastic",
            distribution="Normal",
            params={"mu": "0", "sigma": "1"},
            options={"size": 3},
        )
    )
    graph.add_node(
        Node(
            "y",
            "observed",
            distribution="Categorical",
            params={"logits": "w"},
            columns=["y"],
            plate=rows.id,
        )
    )
    model = compile_model(graph, _table(y))
    assert model.names == ["w[0]", "w[1]", "w[2]"]
    u = RNG.normal(size=(4, 3))
    logp = u - special.logsumexp(u, axis=1, keepdims=True)
    expected = stats.norm.logpdf(u).sum(axis=1) + logp[:, y].sum(axis=1)
    np.testing.assert_allclose(model.log_density(u), expected, rtol=1e-9)


def test_every_family_is_covered():
    covered = {p[0] for p in PRIORS} | {
        "Bernoulli",
        "Binomial",
        "Poisson",
        "NegativeBinomial",
        "Categorical",
    }
    assert covered == set(FAMILIES)


def test_regression_with_group_index_and_standardised_inputs():
    """A hierarchical regression against a hand-written numpy log-density."""
    n = 40
    x = RNG.normal(5, 2, n)
    school = np.array(["a", "b", "c", "d"] * 10, dtype=object)
    y = RNG.normal(1 + 0.5 * x, 1)
    table = ColumnTable(
        {"x": x, "school": school, "y": y},
        {"x": "numeric", "school": "categorical", "y": "numeric"},
    )
    graph = Graph()
    rows = graph.add_plate(Plate("rows"))
    groups = graph.add_plate(Plate("schools", over="school", index="j"))
    graph.add_node(
        Node("mu", "stochastic", distribution="Normal", params={"mu": "0", "sigma": "5"})
    )
    graph.add_node(Node("tau", "stochastic", distribution="HalfCauchy", params={"sigma": "2"}))
    graph.add_node(
        Node(
            "theta",
            "stochastic",
            distribution="Normal",
            params={"mu": "mu", "sigma": "tau"},
            plate=groups.id,
        )
    )
    graph.add_node(
        Node(
            "beta",
            "stochastic",
            distribution="Normal",
            params={"mu": "0", "sigma": "3"},
            options={"coords": ["x"]},
        )
    )
    graph.add_node(Node("sigma", "stochastic", distribution="Exponential", params={"rate": "1"}))
    graph.add_node(Node("X", "data", columns=["x"], plate=rows.id, options={"standardize": True}))
    graph.add_node(
        Node("m", "deterministic", expression="theta[school] + dot(X, beta)", plate=rows.id)
    )
    graph.add_node(
        Node(
            "y",
            "observed",
            distribution="Normal",
            params={"mu": "m", "sigma": "sigma"},
            columns=["y"],
            plate=rows.id,
        )
    )
    model = compile_model(graph, table)
    assert model.names == [
        "beta[x]",
        "mu",
        "sigma",
        "tau",
        "theta[a]",
        "theta[b]",
        "theta[c]",
        "theta[d]",
    ]
    idx = {name: i for i, name in enumerate(model.names)}
    u = RNG.normal(size=(5, model.dim))
    mu, tau_u, sig_u = u[:, idx["mu"]], u[:, idx["tau"]], u[:, idx["sigma"]]
    tau, sigma = np.exp(tau_u), np.exp(sig_u)
    theta = u[:, [idx[f"theta[{g}]"] for g in "abcd"]]
    beta = u[:, idx["beta[x]"]]
    z = (x - x.mean()) / x.std()
    codes = np.array([ord(s) - ord("a") for s in school])
    m = theta[:, codes] + beta[:, None] * z[None, :]
    expected = (
        stats.norm(0, 5).logpdf(mu)
        + stats.halfcauchy(scale=2).logpdf(tau)
        + tau_u
        + stats.norm.logpdf(theta, mu[:, None], tau[:, None]).sum(axis=1)
        + stats.norm(0, 3).logpdf(beta)
        + stats.expon.logpdf(sigma)
        + sig_u
        + stats.norm.logpdf(y[None, :], m, sigma[:, None]).sum(axis=1)
    )
    np.testing.assert_allclose(model.log_density(u), expected, rtol=1e-9)


def test_uniform_with_parameter_bounds_includes_jacobian():
    graph = Graph()
    graph.add_node(
        Node("lo", "stochastic", distribution="Normal", params={"mu": "0", "sigma": "1"})
    )
    graph.add_node(Node("w", "stochastic", distribution="Exponential", params={"rate": "1"}))
    graph.add_node(
        Node("x", "stochastic", distribution="Uniform", params={"lower": "lo", "upper": "lo + w"})
    )
    model = compile_model(graph, ColumnTable({"c": np.zeros(2)}, {"c": "numeric"}))
    u = RNG.normal(size=(6, 3))
    i = {n: k for k, n in enumerate(model.names)}
    lo, wu, xu = u[:, i["lo"]], u[:, i["w"]], u[:, i["x"]]
    w = np.exp(wu)
    expected = (
        stats.norm.logpdf(lo)
        + stats.expon.logpdf(w)
        + wu
        + -np.log(w)
        + np.log(w)
        + np.log(special.expit(xu))
        + np.log(special.expit(-xu))
    )
    np.testing.assert_allclose(model.log_density(u), expected, rtol=1e-9)
    np.testing.assert_allclose(model.unconstrain(model.constrain(u)), u, atol=1e-8)


@pytest.mark.parametrize(
    "shapes",
    [
        ((1, 6), (4, 1), (4, 1)),
        ((1, 6), (4, 6), (1, 6)),
        ((4, 3), (1, 1), (4, 3)),
        ((1, 5, 2), (3, 1, 2), (1, 5, 1)),
    ],
)
def test_fast_summed_densities_equal_the_elementwise_sum(shapes):
    for fam in (f for f in FAMILIES.values() if f.logpdf_sum is not None):
        x = RNG.normal(size=shapes[0])
        params = {"mu": RNG.normal(size=shapes[1]), "sigma": np.exp(RNG.normal(size=shapes[2]))}
        full = np.broadcast_shapes(*shapes)
        expected = np.broadcast_to(fam.logpdf(x, params), full).reshape(full[0], -1).sum(axis=1)
        np.testing.assert_allclose(fam.logpdf_sum(x, params), expected, rtol=1e-12)


SAMPLER_PARAMS = {
    "Normal": {"mu": 1.5, "sigma": 2.0},
    "HalfNormal": {"sigma": 3.0},
    "StudentT": {"nu": 5.0, "mu": 1.0, "sigma": 2.0},
    "Uniform": {"lower": -2.0, "upper": 5.0},
    "Exponential": {"rate": 0.7},
    "Gamma": {"alpha": 2.5, "beta": 1.5},
    "InverseGamma": {"alpha": 4.0, "beta": 2.0},
    "Beta": {"alpha": 2.0, "beta": 5.0},
    "LogNormal": {"mu": 0.3, "sigma": 0.5},
    "Laplace": {"mu": 1.0, "b": 2.0},
    "Bernoulli": {"logit": 0.4},
    "Binomial": {"n": 12.0, "p": 0.3},
    "Poisson": {"rate": 3.5},
    "NegativeBinomial": {"mu": 4.0, "phi": 2.0},
    "Categorical": {"p": np.array([0.2, 0.5, 0.3])},
}


@pytest.mark.parametrize("name", sorted(SAMPLER_PARAMS))
def test_samplers_agree_with_the_means_and_densities(name):
    """Sample means match the family's mean; the draws lie where the density is finite."""
    fam = FAMILIES[name]
    params = {
        k: np.broadcast_to(np.asarray(v, float), (20000,) + np.shape(v))
        for k, v in SAMPLER_PARAMS[name].items()
    }
    draws = fam.sample(np.random.default_rng(3), params)
    mean = np.asarray(fam.mean(params))
    assert draws.shape == (20000,)
    assert abs(draws.mean() - mean[0]) < 5 * draws.std() / np.sqrt(len(draws))
    assert np.all(np.isfinite(fam.logpdf(draws, params)))


def test_cauchy_samplers_centre_on_the_location():
    for name, params in [("Cauchy", {"mu": 2.0, "sigma": 1.0}), ("HalfCauchy", {"sigma": 1.5})]:
        fam = FAMILIES[name]
        p = {k: np.full(20000, v) for k, v in params.items()}
        draws = fam.sample(np.random.default_rng(4), p)
        expected = params.get("mu", params["sigma"])  # median: mu, or sigma for the half
        assert abs(np.median(draws) - expected) < 0.1
