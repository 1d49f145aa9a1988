"""Sparse (SVGP) and deep GPs against the exact GP; classification and counts."""

from __future__ import annotations

import numpy as np
import pytest

from backends.gp import engine
from backends.runtime import EngineError

from .gp_helpers import graph_for, table_of


@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(4)
    X = rng.uniform(-3, 3, (800, 1))
    y = np.sin(2 * X[:, 0]) + 0.3 * X[:, 0] + rng.normal(0, 0.2, 800)
    train = table_of({"x": X[:500, 0], "y": y[:500]})
    exact = engine.run(graph_for(train, "y", ["x"]), train, {"restarts": 1}, device="cpu")
    test_nll = -exact.log_predictive(X[500:], y[500:]).mean()
    return train, X[500:], y[500:], test_nll


def _test_nll(result, X, y):
    return float(-result.log_predictive(X, y).mean())


def test_svgp_with_minibatches_is_close_to_the_exact_gp(regression):
    train, X, y, exact_nll = regression
    result = engine.run(
        graph_for(train, "y", ["x"]),
        train,
        {
            "method": "svgp",
            "inducing_points": 24,
            "batch_size": 128,
            "steps": 150,
            "learning_rate": 0.01,
        },
        device="cpu",
    )
    assert result.summary()["method"] == "svgp"
    assert result.summary()["log_marginal_likelihood_kind"].startswith("elbo")
    assert _test_nll(result, X, y) < exact_nll + 0.1
    _, lower, upper = result.predict(X, level=0.95)
    assert 0.9 <= np.mean((y >= lower) & (y <= upper)) <= 1.0


def test_deep_gp_is_close_to_the_exact_gp(regression):
    train, X, y, exact_nll = regression
    result = engine.run(
        graph_for(train, "y", ["x"]),
        train,
        {
            "method": "deep",
            "inducing_points": 16,
            "batch_size": 128,
            "steps": 250,
            "learning_rate": 0.03,
        },
        device="cpu",
    )
    assert result.summary()["method"] == "deep"
    # a short Adam run on a doubly stochastic bound: close, not equal (a constant
    # predictor scores about 1.1 here)
    assert _test_nll(result, X, y) < exact_nll + 0.4
    draws = result.sample_mean(X[:50], 20, seed=1)
    assert draws.shape == (20, 50) and np.isfinite(draws).all()


def test_auto_picks_svgp_beyond_the_exact_limit():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, 300)
    table = table_of({"x": x, "y": x + rng.normal(0, 0.1, 300)})
    s = engine.run(
        graph_for(table, "y", ["x"]),
        table,
        {"exact_max_rows": 100, "steps": 20, "inducing_points": 16},
        device="cpu",
    ).summary()
    assert s["method"] == "svgp" and "exceed" in s["method_reason"]


def test_classification_probabilities_are_sensible():
    rng = np.random.default_rng(2)
    x = rng.uniform(-3, 3, 300)
    p_true = 1 / (1 + np.exp(-3 * x))
    y = (rng.random(300) < p_true).astype(float)
    table = table_of({"x": x, "y": y})
    result = engine.run(
        graph_for(table, "y", ["x"], likelihood="bernoulli"),
        table,
        {"steps": 150, "inducing_points": 40},
        device="cpu",
    )
    grid = np.linspace(-2.5, 2.5, 11)
    p, lo, hi = result.predict(grid, level=0.9)
    assert np.all((0 <= lo) & (lo <= p) & (p <= hi) & (hi <= 1))
    assert np.all(np.diff(p) > 0)  # more x, more likely
    assert np.max(np.abs(p - 1 / (1 + np.exp(-3 * grid)))) < 0.15
    draws = result.sample_predict(grid, 200)
    assert set(np.unique(draws)) <= {0.0, 1.0}
    assert result.summary()["metrics"]["train_accuracy"] > 0.8


def test_two_level_categorical_target_and_wrong_labels():
    x = np.linspace(-2, 2, 40)
    labels = np.array(["no", "yes"], dtype=object)[(x > 0).astype(int)]
    table = table_of({"x": x, "y": labels}, {"y": "categorical"})
    result = engine.run(
        graph_for(table, "y", ["x"], likelihood="bernoulli"), table, {"steps": 60}, device="cpu"
    )
    assert result.predict(np.array([1.5]))[0][0] > 0.7  # "yes" is class 1
    bad = table_of({"x": x, "y": np.where(x > 0, 2.0, 0.0)})
    with pytest.raises(EngineError, match="must be 0 or 1"):
        engine.run(graph_for(bad, "y", ["x"], likelihood="bernoulli"), bad, {}, device="cpu")
    with pytest.raises(EngineError, match="needs a Gaussian likelihood"):
        engine.run(
            graph_for(table, "y", ["x"], likelihood="bernoulli"),
            table,
            {"method": "exact"},
            device="cpu",
        )


def test_poisson_counts_recover_the_rate():
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 4, 300)
    rate = np.exp(0.5 + np.sin(x))
    table = table_of({"x": x, "n": rng.poisson(rate).astype(float)})
    result = engine.run(
        graph_for(table, "n", ["x"], likelihood="poisson"),
        table,
        {"steps": 150, "inducing_points": 40},
        device="cpu",
    )
    grid = np.linspace(0.3, 3.7, 9)
    mean, lo, hi = result.credible_band(grid, level=0.95)
    truth = np.exp(0.5 + np.sin(grid))
    assert np.max(np.abs(np.log(mean / truth))) < 0.25
    _, c_lo, c_hi = result.predict(grid, level=0.9)
    assert np.all(c_lo <= mean) and np.all(c_hi >= mean) and np.all(c_lo == np.round(c_lo))
