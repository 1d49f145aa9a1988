"""The torch log-density equals the numpy one, and autograd's gradient is right.

One compiled graph serves both: the numpy density (ensemble sampler) and the
torch density (NUTS, VI). They must agree to 1e-10 on every family and every
example project, and the gradient must agree with central finite differences.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backends.graph.compile import compile_model
from backends.graph.distributions import FAMILIES
from backends.graph.gradient import JaxDensity, TorchDensity
from backends.graph.model import Graph, Node, Plate
from backends.runtime import ColumnTable
from workbench.project import load_project

EXAMPLES = Path(__file__).resolve().parents[3] / "resources" / "examples"

# A prior for every continuous family (its parameters given as expressions of
# other unknowns where that is allowed), and data that each likelihood can take.
PRIORS = {
    "Normal": {"mu": "a", "sigma": "s"},
    "HalfNormal": {"sigma": "s"},
    "Cauchy": {"mu": "a", "sigma": "s"},
    "HalfCauchy": {"sigma": "s"},
    "StudentT": {"nu": "3 + s", "mu": "a", "sigma": "s"},
    "Uniform": {"lower": "a - 2", "upper": "a + 3"},
    "Exponential": {"rate": "s"},
    "Gamma": {"alpha": "1 + s", "beta": "s"},
    "InverseGamma": {"alpha": "2 + s", "beta": "s"},
    "Beta": {"alpha": "1 + s", "beta": "2 * s"},
    "LogNormal": {"mu": "a", "sigma": "s"},
    "Laplace": {"mu": "a", "b": "s"},
}
LIKELIHOODS = {
    "Normal": ({"mu": "a + v * x", "sigma": "s"}, "real"),
    "Cauchy": ({"mu": "a + v * x", "sigma": "s"}, "real"),
    "StudentT": ({"nu": "2 + s", "mu": "a + v * x", "sigma": "s"}, "real"),
    "Laplace": ({"mu": "a + v * x", "b": "s"}, "real"),
    "HalfNormal": ({"sigma": "s + 0 * x"}, "positive"),
    "HalfCauchy": ({"sigma": "s + 0 * x"}, "positive"),
    "Exponential": ({"rate": "exp(v * x)"}, "positive"),
    "Gamma": ({"alpha": "1 + s", "beta": "exp(v * x)"}, "positive"),
    "InverseGamma": ({"alpha": "1 + s", "beta": "exp(v * x)"}, "positive"),
    "LogNormal": ({"mu": "a + v * x", "sigma": "s"}, "positive"),
    "Beta": ({"alpha": "1 + s", "beta": "exp(v * x)"}, "unit"),
    "Uniform": ({"lower": "a - 20", "upper": "a + 20 + 0 * x"}, "real"),
    "Bernoulli": ({"logit": "a + v * x"}, "binary"),
    "Binomial": ({"n": "12", "logit": "a + v * x"}, "trials"),
    "Poisson": ({"rate": "exp(a + v * x)"}, "count"),
    "NegativeBinomial": ({"mu": "exp(a + v * x)", "phi": "s"}, "count"),
    "Categorical": ({"logits": "k * v"}, "category"),
}


def _target(kind: str, rng: np.random.Generator, n: int) -> np.ndarray:
    return {
        "real": rng.normal(0.0, 2.0, n),
        "positive": rng.gamma(2.0, 1.0, n),
        "unit": rng.uniform(0.05, 0.95, n),
        "binary": rng.integers(0, 2, n).astype(float),
        "trials": rng.integers(0, 13, n).astype(float),
        "count": rng.poisson(3.0, n).astype(float),
        "category": rng.integers(0, 3, n).astype(float),
    }[kind]


def _graph(prior: str, likelihood: str) -> tuple[Graph, ColumnTable]:
    rng = np.random.default_rng(7)
    n = 40
    params, kind = LIKELIHOODS[likelihood]
    columns = {"x": rng.normal(size=n), "y": _target(kind, rng, n)}
    types = {"x": "numeric", "y": "categorical" if kind == "category" else "numeric"}
    if kind == "category":
        columns["y"] = np.array([f"c{int(c)}" for c in columns["y"]], dtype=object)
    graph = Graph()
    rows = graph.add_plate(Plate("rows"))
    graph.add_node(Node("a", "stochastic", distribution="Normal", params={"mu": "0", "sigma": "2"}))
    graph.add_node(Node("s", "stochastic", distribution="HalfNormal", params={"sigma": "2"}))
    graph.add_node(Node("v", "stochastic", distribution=prior, params=PRIORS[prior]))
    if likelihood == "Categorical":
        graph.add_node(Node("k", "constant", value=[0.0, 1.0, -1.0]))
    graph.add_node(Node("x", "data", columns=["x"], plate=rows.id))
    graph.add_node(
        Node("y", "observed", distribution=likelihood, params=params, columns=["y"], plate=rows.id)
    )
    return graph, ColumnTable(columns, types)


def _points(model, n: int = 6, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 0.7, size=(n, model.dim))


DENSITIES = {"torch": TorchDensity, "jax": JaxDensity}


def _assert_same_density(model) -> None:
    u = _points(model)
    expected = model.log_density(u)
    assert np.all(np.isfinite(expected)), expected
    for make in DENSITIES.values():
        got, grads = make(model).batch_value_and_grad(u)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-10)
        assert np.all(np.isfinite(grads))


@pytest.mark.parametrize("prior", sorted(PRIORS))
def test_every_prior_family_has_the_same_log_density_in_torch(prior: str) -> None:
    graph, table = _graph(prior, "Normal")
    _assert_same_density(compile_model(graph, table))


@pytest.mark.parametrize("likelihood", sorted(LIKELIHOODS))
def test_every_likelihood_family_has_the_same_log_density_in_torch(likelihood: str) -> None:
    graph, table = _graph("Normal", likelihood)
    _assert_same_density(compile_model(graph, table))


def test_the_families_tested_are_all_the_families() -> None:
    assert set(LIKELIHOODS) == set(FAMILIES)
    assert set(PRIORS) == {f.name for f in FAMILIES.values() if not f.discrete}


@pytest.mark.parametrize("name", ["kidiq", "normal-sample", "eight-schools"])
def test_every_bayesian_example_has_the_same_log_density_in_torch(name: str) -> None:
    project = load_project(EXAMPLES / f"{name}.wbproj")
    model = compile_model(project.graph, project.dataset.column_table())
    _assert_same_density(model)


def test_the_bayesian_examples_are_all_the_examples_the_mcmc_engine_runs() -> None:
    mcmc = set()
    for path in EXAMPLES.glob("*.wbproj"):
        graph = load_project(path).graph
        if not {n.kind for n in graph.nodes.values()} & {"gp", "generator"}:
            mcmc.add(path.stem)
    assert mcmc == {"kidiq", "normal-sample", "eight-schools"}


@pytest.mark.parametrize(
    "prior,likelihood",
    [("Normal", "Normal"), ("Gamma", "Poisson"), ("Beta", "Bernoulli"), ("Uniform", "StudentT")]
    + [("LogNormal", "Categorical"), ("InverseGamma", "NegativeBinomial")],
)
def test_the_gradient_agrees_with_central_finite_differences(prior: str, likelihood: str) -> None:
    graph, table = _graph(prior, likelihood)
    model = compile_model(graph, table)
    _assert_gradient_is_right(model, _points(model, n=3, seed=3))


def _assert_gradient_is_right(model, points: np.ndarray) -> None:
    steps = np.eye(model.dim) * 1e-6
    for make in DENSITIES.values():
        density = make(model)
        for u in points:
            values, grads = density.batch_value_and_grad(u[None, :])
            value, grad = float(values[0]), grads[0]
            assert value == pytest.approx(float(model.log_density(u[None])[0]), abs=1e-10)
            numeric = (model.log_density(u + steps) - model.log_density(u - steps)) / 2e-6
            np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-5)


def test_a_hierarchical_model_with_group_indices_has_the_same_density_and_gradient() -> None:
    project = load_project(EXAMPLES / "eight-schools.wbproj")
    model = compile_model(project.graph, project.dataset.column_table())
    _assert_gradient_is_right(model, _points(model, n=2, seed=5))


@pytest.mark.parametrize("backend", sorted(DENSITIES))
def test_outside_the_support_the_density_is_minus_infinity_not_nan(backend: str) -> None:
    graph, table = _graph("Normal", "Poisson")
    model = compile_model(graph, table)
    u = _points(model, n=1)
    u[0, :] = 800.0  # exp(800) overflows: the rate is infinite
    value, _ = DENSITIES[backend](model).batch_value_and_grad(u)
    assert value[0] == -np.inf
