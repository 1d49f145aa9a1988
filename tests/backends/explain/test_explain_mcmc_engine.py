"""Attributions of a result fitted by the real MCMC engine (backends.mcmc): the
generic per-draw path must reproduce, draw by draw, the exact linear answer."""

import numpy as np
import pytest

from backends.explain import explain_rows
from backends.runtime import ColumnTable

engine = pytest.importorskip("backends.mcmc.engine")
templates = pytest.importorskip("backends.graph.templates")

FAST = {
    "ensembles": 2,
    "walkers": 16,
    "max_steps": 300,
    "check_every": 100,
    "until_converged": False,
    "max_draws": 400,
    "map_restarts": 1,
    "ppc_draws": 10,
}


def test_mcmc_linear_regression_per_draw_attributions_are_exact():
    rng = np.random.default_rng(7)
    x1, x2 = rng.normal(50, 10, 60), rng.normal(0, 1, 60)
    y = 3 + 0.4 * x1 - 2 * x2 + rng.normal(0, 1.5, 60)
    table = ColumnTable({"x1": x1, "x2": x2, "y": y}, dict.fromkeys(("x1", "x2", "y"), "numeric"))
    graph = templates.build_template("linear-regression", table, "y", ["x1", "x2"], None)
    result = engine.run(graph, table, FAST, seed=5)
    X = np.column_stack([x1, x2])
    rows, background = X[:3], X[20:40]
    exact = explain_rows(result, rows, background)
    assert exact.method == "linear-exact"
    generic = explain_rows(
        result, rows, background, method="enumeration", n_draws=32, max_draws=32, seed=4
    )
    terms = result.linear_terms()
    picked = np.random.default_rng(4).choice(len(terms["coefficients"]), size=32, replace=False)
    expected = terms["coefficients"][picked][:, None, :] * (rows - background.mean(0))[None]
    np.testing.assert_allclose(generic.draws, expected, rtol=1e-8, atol=1e-8)
    assert generic.additivity_error < 1e-8
