"""The engine against closed-form posteriors of conjugate models.

Posterior means must lie within a few Monte Carlo standard errors of the exact
value and posterior sds within 10%. Sizes are small and seeds fixed so that the
whole file runs in seconds.
"""

import numpy as np
import pytest

from backends.graph.model import Graph, Node, Plate
from backends.mcmc import engine
from backends.runtime import ColumnTable

SETTINGS = {
    "ensembles": 4,
    "walkers": 32,
    "max_steps": 800,
    "check_every": 200,
    "until_converged": False,
    "tau_rtol": 0.05,
    "max_draws": 2000,
    "map_restarts": 2,
    "ppc_draws": 20,
}


def _check(result, name, mean, sd, n_mcse=4.0):
    row = result.summary()["parameters"][name]
    assert abs(row["mean"] - mean) < n_mcse * row["mcse_mean"] + 1e-12, (row, mean)
    assert abs(row["sd"] / sd - 1.0) < 0.10, (row, sd)
    assert row["r_hat"] < 1.02


def _graph(*nodes: Node) -> Graph:
    graph = Graph()
    rows = graph.add_plate(Plate("rows"))
    for node in nodes:
        if node.kind in ("observed", "data", "deterministic"):
            node.plate = rows.id
        graph.add_node(node)
    return graph


def test_normal_mean_with_known_sigma():
    rng = np.random.default_rng(1)
    y = rng.normal(3.0, 2.0, 20)
    m0, s0, sigma = 0.0, 5.0, 2.0
    graph = _graph(
        Node("mu", "stochastic", distribution="Normal", params={"mu": str(m0), "sigma": str(s0)}),
        Node(
            "y",
            "observed",
            distribution="Normal",
            params={"mu": "mu", "sigma": str(sigma)},
            columns=["y"],
        ),
    )
    result = engine.run(graph, ColumnTable({"y": y}, {"y": "numeric"}), SETTINGS, seed=3)
    precision = 1 / s0**2 + len(y) / sigma**2
    _check(result, "mu", (m0 / s0**2 + y.sum() / sigma**2) / precision, precision**-0.5)
    summary = result.summary()
    assert summary["converged"] == (not summary["warnings"])


def test_linear_regression_normal_inverse_gamma():
    rng = np.random.default_rng(2)
    n = 30
    x = rng.uniform(-2, 2, n)
    y = 1.0 + 0.7 * x + rng.normal(0, 0.8, n)
    a0, b0, v0 = 3.0, 2.0, 3.0
    graph = _graph(
        Node(
            "sigma2",
            "stochastic",
            distribution="InverseGamma",
            params={"alpha": str(a0), "beta": str(b0)},
        ),
        Node(
            "b",
            "stochastic",
            distribution="Normal",
            params={"mu": "0", "sigma": f"sqrt(sigma2) * {v0}"},
            options={"coords": ["one", "x"]},
        ),
        Node("X", "data", columns=["one", "x"]),
        Node(
            "y",
            "observed",
            distribution="Normal",
            params={"mu": "dot(X, b)", "sigma": "sqrt(sigma2)"},
            columns=["y"],
        ),
    )
    table = ColumnTable(
        {"one": np.ones(n), "x": x, "y": y}, {"one": "numeric", "x": "numeric", "y": "numeric"}
    )
    result = engine.run(graph, table, SETTINGS, seed=4)
    X = np.column_stack([np.ones(n), x])
    V0inv = np.eye(2) / v0**2
    Vn = np.linalg.inv(V0inv + X.T @ X)
    mn = Vn @ (X.T @ y)
    an = a0 + n / 2
    bn = b0 + 0.5 * (y @ y - mn @ np.linalg.solve(Vn, mn))
    for j, name in enumerate(["b[one]", "b[x]"]):
        _check(result, name, mn[j], np.sqrt(bn / (an - 1) * Vn[j, j]))
    s2_mean = bn / (an - 1)
    _check(result, "sigma2", s2_mean, s2_mean / np.sqrt(an - 2))


def test_beta_bernoulli():
    rng = np.random.default_rng(3)
    y = (rng.random(40) < 0.3).astype(float)
    graph = _graph(
        Node("p", "stochastic", distribution="Beta", params={"alpha": "2", "beta": "3"}),
        Node("y", "observed", distribution="Bernoulli", params={"p": "p"}, columns=["y"]),
    )
    result = engine.run(graph, ColumnTable({"y": y}, {"y": "boolean"}), SETTINGS, seed=5)
    a, b = 2 + y.sum(), 3 + len(y) - y.sum()
    _check(result, "p", a / (a + b), np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1))))


def test_gamma_poisson():
    rng = np.random.default_rng(4)
    y = rng.poisson(4.0, 25).astype(float)
    graph = _graph(
        Node("lam", "stochastic", distribution="Gamma", params={"alpha": "2", "beta": "1"}),
        Node("y", "observed", distribution="Poisson", params={"rate": "lam"}, columns=["y"]),
    )
    result = engine.run(graph, ColumnTable({"y": y}, {"y": "integer"}), SETTINGS, seed=6)
    a, b = 2 + y.sum(), 1 + len(y)
    _check(result, "lam", a / b, np.sqrt(a) / b)


@pytest.mark.parametrize("seed", [0])
def test_posterior_predictive_draws_have_the_data_shape(seed):
    y = np.random.default_rng(seed).normal(0, 1, 15)
    graph = _graph(
        Node("mu", "stochastic", distribution="Normal", params={"mu": "0", "sigma": "10"}),
        Node(
            "y", "observed", distribution="Normal", params={"mu": "mu", "sigma": "1"}, columns=["y"]
        ),
    )
    result = engine.run(graph, ColumnTable({"y": y}, {"y": "numeric"}), engine.QUICK_SETTINGS)
    ppc = result.arrays["ppc:y"]
    assert ppc.shape == (engine.QUICK_SETTINGS["ppc_draws"], 15)
    assert abs(ppc.mean() - y.mean()) < 0.5
