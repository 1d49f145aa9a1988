"""The MCMC engine end to end: templates, eight schools, cancellation, results."""

import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from scipy import special

from backends.graph.model import Graph, Node, Plate
from backends.graph.templates import build_template
from backends.mcmc import engine
from backends.mcmc.result import load_result
from backends.runtime import CancelToken, ColumnTable, EngineError, RunCancelled

DATA = Path(__file__).resolve().parents[2] / "data"
FAST = {
    "ensembles": 3,
    "walkers": 32,
    "max_steps": 600,
    "check_every": 200,
    "until_converged": False,
    "max_draws": 1000,
    "map_restarts": 2,
    "ppc_draws": 20,
}


@pytest.fixture(scope="module")
def normal_data():
    return np.random.default_rng(2024).normal(10.0, 2.0, 100)


def test_normal_template_recovers_mu_and_sigma(normal_data):
    table = ColumnTable({"y": normal_data}, {"y": "numeric"})
    graph = build_template("normal", table, "y", [], None)
    result = engine.run(graph, table, FAST, seed=1)
    params = result.summary()["parameters"]
    assert abs(params["mu"]["mean"] - 10.0) < 3 * params["mu"]["sd"]
    assert abs(params["sigma"]["mean"] - 2.0) < 3 * params["sigma"]["sd"]
    assert abs(params["mu"]["mean"] - normal_data.mean()) < 0.05
    assert params["mu"]["r_hat"] < 1.02


def test_the_issue_example_with_uniform_priors(normal_data):
    graph = Graph()
    rows = graph.add_plate(Plate("rows"))
    graph.add_node(
        Node("mu", "stochastic", distribution="Uniform", params={"lower": "0", "upper": "100"})
    )
    graph.add_node(
        Node("sigma", "stochastic", distribution="Uniform", params={"lower": "0", "upper": "10"})
    )
    graph.add_node(
        Node(
            "y",
            "observed",
            distribution="Normal",
            params={"mu": "mu", "sigma": "sigma"},
            columns=["y"],
            plate=rows.id,
        )
    )
    table = ColumnTable({"y": normal_data}, {"y": "numeric"})
    result = engine.run(graph, table, FAST, seed=2)
    summary = result.summary()
    # the start is the mode in the unconstrained space (Jacobian included): near the sample mean
    assert abs(summary["map"]["mu"] - normal_data.mean()) < 0.05
    assert abs(summary["parameters"]["sigma"]["mean"] - normal_data.std(ddof=1)) < 0.1
    assert result.draws.shape == (3, 1000, 2)


def _eight_schools() -> ColumnTable:
    raw = json.loads((DATA / "eight_schools.json").read_text())
    schools = np.array(
        [
            "Choate",
            "Deerfield",
            "Phillips Andover",
            "Phillips Exeter",
            "Hotchkiss",
            "Lawrenceville",
            "St. Paul's",
            "Mt. Hermon",
        ],
        dtype=object,
    )
    return ColumnTable(
        {"school": schools, "y": np.array(raw["y"], float), "sigma": np.array(raw["sigma"], float)},
        {"school": "categorical", "y": "numeric", "sigma": "numeric"},
    )


def test_eight_schools_noncentred_reports_its_diagnostics_honestly():
    table = _eight_schools()
    graph = Graph()
    rows = graph.add_plate(Plate("rows"))
    schools = graph.add_plate(Plate("schools", over="school", index="j"))
    graph.add_node(
        Node("mu", "stochastic", distribution="Normal", params={"mu": "0", "sigma": "5"})
    )
    graph.add_node(Node("tau", "stochastic", distribution="HalfCauchy", params={"sigma": "5"}))
    graph.add_node(
        Node(
            "eta",
            "stochastic",
            distribution="Normal",
            params={"mu": "0", "sigma": "1"},
            plate=schools.id,
        )
    )
    graph.add_node(Node("theta", "deterministic", expression="mu + tau * eta", plate=schools.id))
    graph.add_node(Node("s", "data", columns=["sigma"], plate=rows.id))
    graph.add_node(
        Node(
            "y",
            "observed",
            distribution="Normal",
            params={"mu": "theta[school]", "sigma": "s"},
            columns=["y"],
            plate=rows.id,
        )
    )
    settings = {**FAST, "sampler": "ensemble", "ensembles": 4, "max_steps": 1000}
    result = engine.run(graph, table, settings, seed=3)
    summary = result.summary()
    assert set(summary["parameters"]) == {"mu", "tau"} | {f"eta[{s}]" for s in table["school"]}
    assert "theta[Choate]" in summary["derived"]
    # posteriordb's reference posterior: mu about 4.4 (sd 3.3), tau about 3.6 (sd 3.2)
    assert abs(summary["parameters"]["mu"]["mean"] - 4.4) < 2.0
    assert 1.5 < summary["parameters"]["tau"]["mean"] < 6.0
    _assert_honest(summary)
    assert result.input_names == ["sigma", "school"]


def _assert_honest(summary):
    assert summary["converged"] == (not summary["warnings"])
    rhats = [row["r_hat"] for row in summary["parameters"].values()]
    if any(r is None or r > 1.01 for r in rhats):
        assert any("R-hat" in w for w in summary["warnings"])
    ess = [min(row["ess_bulk"], row["ess_tail"]) for row in summary["parameters"].values()]
    if min(ess) < 100 * summary["chains"]:
        assert any("effective sample size" in w for w in summary["warnings"])


def test_hierarchical_template_on_eight_schools_runs_and_is_honest():
    table = _eight_schools()
    graph = build_template("hierarchical-intercepts", table, "y", [], "school")
    result = engine.run(graph, table, {**FAST, "max_steps": 400}, seed=4)
    summary = result.summary()
    for row in summary["parameters"].values():
        assert set(row) == {
            "mean",
            "sd",
            "hdi_3%",
            "hdi_97%",
            "mcse_mean",
            "mcse_sd",
            "ess_bulk",
            "ess_tail",
            "r_hat",
        }
    _assert_honest(summary)
    json.dumps(summary)
    assert result.linear_terms() is None  # the intercept depends on the group


def test_cancellation_from_another_thread_stops_within_a_second():
    table = ColumnTable({"y": np.random.default_rng(0).normal(size=50)}, {"y": "numeric"})
    graph = build_template("normal", table, "y", [], None)
    token = CancelToken()
    outcome = {}

    def work():
        try:
            engine.run(graph, table, {"max_steps": 10**6, "until_converged": False}, cancel=token)
        except RunCancelled:
            outcome["cancelled_at"] = time.monotonic()

    thread = threading.Thread(target=work)
    thread.start()
    time.sleep(1.0)
    token.cancel()
    asked = time.monotonic()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert outcome["cancelled_at"] - asked < 1.0


def test_progress_records_are_reported():
    table = ColumnTable({"y": np.random.default_rng(1).normal(size=30)}, {"y": "numeric"})
    graph = build_template("normal", table, "y", [], None)
    records = []
    engine.run(
        graph, table, {**FAST, "max_steps": 200, "check_every": 100}, progress=records.append
    )
    checks = [r for r in records if "tau_max" in r.values]
    assert len(checks) == 2 and all(r.total == 600 for r in checks)


@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(7)
    x1, x2 = rng.normal(50, 10, 80), rng.normal(0, 1, 80)
    y = 3 + 0.4 * x1 - 2 * x2 + rng.normal(0, 1.5, 80)
    table = ColumnTable(
        {"x1": x1, "x2": x2, "y": y}, {"x1": "numeric", "x2": "numeric", "y": "numeric"}
    )
    graph = build_template("linear-regression", table, "y", ["x1", "x2"], None)
    return engine.run(graph, table, FAST, seed=5), table


def test_result_state_round_trips_exactly(regression):
    result, _ = regression
    state = result.to_state()
    again = load_result(state).to_state()
    assert json.dumps(state.meta, sort_keys=True) == json.dumps(again.meta, sort_keys=True)
    assert state.arrays.keys() == again.arrays.keys()
    for key in state.arrays:
        np.testing.assert_array_equal(state.arrays[key], again.arrays[key])
    X = np.array([[45.0, 0.3], [60.0, -1.0]])
    reloaded = load_result(state)
    for a, b in zip(result.predict(X), reloaded.predict(X), strict=True):
        np.testing.assert_array_equal(a, b)
    assert reloaded.summary() == result.summary()


def test_linear_terms_are_exact_in_raw_units(regression):
    result, _ = regression
    assert result.input_names == ["x1", "x2"]
    terms = result.linear_terms()
    assert terms["link"] == "identity"
    coef = terms["coefficients"].mean(axis=0)
    assert abs(coef[0] - 0.4) < 0.1 and abs(coef[1] + 2) < 0.5
    X = np.array([[40.0, 1.0], [55.0, -0.5]])
    draws = result.flat_draws()
    rng = np.random.default_rng(0)
    picked = rng.choice(len(draws), size=50, replace=False)
    means = result.sample_mean(X, 50, seed=0)
    expected = terms["intercept"][picked][:, None] + terms["coefficients"][picked] @ X.T
    np.testing.assert_allclose(means, expected, rtol=1e-10)


def test_predictive_interval_covers_new_data_from_the_model(regression):
    result, _ = regression
    rng = np.random.default_rng(11)
    X = np.column_stack([rng.normal(50, 10, 400), rng.normal(0, 1, 400)])
    mu, sigma = 3 + 0.4 * X[:, 0] - 2 * X[:, 1], 1.5
    mean, lower, upper = result.predict(X, level=0.9)
    # the probability that a new y from the true model falls inside, exactly: drawing
    # the y's would add a sampling error of 1.5% to the check
    z = (np.vstack([lower, upper]) - mu) / sigma
    coverage = np.mean(special.ndtr(z[1]) - special.ndtr(z[0]))
    assert 0.85 < coverage < 0.95
    assert np.all(lower < mean) and np.all(mean < upper)
    assert result.sample_predict(X[:5], 7).shape == (7, 5)


def test_logistic_regression_probabilities_and_logit_terms():
    rng = np.random.default_rng(9)
    x = rng.normal(0, 1, 120)
    y = (rng.random(120) < special.expit(0.5 + 1.5 * x)).astype(float)
    table = ColumnTable({"x": x, "y": y}, {"x": "numeric", "y": "boolean"})
    graph = build_template("logistic-regression", table, "y", ["x"], None)
    result = engine.run(graph, table, FAST, seed=6)
    probs = result.sample_mean(np.array([[0.0], [2.0]]), 30)
    assert probs.shape == (30, 2) and np.all((probs > 0) & (probs < 1))
    terms = result.linear_terms()
    assert terms["link"] == "logit"
    assert abs(terms["coefficients"].mean() - 1.5) < 0.8


def test_bad_input_is_refused_clearly():
    table = ColumnTable({"y": np.arange(5.0)}, {"y": "numeric"})
    graph = build_template("normal", table, "y", [], None)
    with pytest.raises(EngineError, match="unknown setting"):
        engine.run(graph, table, {"nonsense": 1})
    graph.update_node(graph.node_by_name("y").id, params={"mu": "mu + missing", "sigma": "sigma"})
    with pytest.raises(EngineError, match="unknown name 'missing'"):
        engine.run(graph, table, FAST)
    with pytest.raises(EngineError, match="X must have shape"):
        ok = build_template("normal", table, "y", [], None)
        engine.run(ok, table, {**FAST, "max_steps": 50}).predict(np.zeros((2, 3)))


def test_a_process_pool_gives_the_same_draws_as_one_process():
    table = ColumnTable({"y": np.random.default_rng(5).normal(3, 1, 40)}, {"y": "numeric"})
    graph = build_template("normal", table, "y", [], None)
    settings = {**FAST, "ensembles": 2, "max_steps": 100, "check_every": 50}
    here = engine.run(graph, table, settings, seed=8)
    pooled = engine.run(graph, table, {**settings, "processes": 2}, seed=8)
    np.testing.assert_array_equal(here.draws, pooled.draws)
    assert pooled.summary()["processes"] == 2


def test_rows_with_missing_values_are_left_out_and_reported():
    y = np.random.default_rng(6).normal(0, 1, 30)
    y[[3, 17]] = np.nan
    table = ColumnTable({"y": y}, {"y": "numeric"})
    graph = build_template("normal", table, "y", [], None)
    summary = engine.run(graph, table, {**FAST, "max_steps": 100, "check_every": 50}).summary()
    assert summary["rows"] == 28 and summary["dropped_rows"] == 2
    assert any("2 row(s) with a missing value" in w for w in summary["warnings"])


def test_progress_expects_what_the_convergence_rule_asks_not_the_whole_budget(normal_data):
    table = ColumnTable({"y": normal_data}, {"y": "numeric"})
    graph = build_template("normal", table, "y", [], None)
    settings = {**FAST, "until_converged": True, "max_steps": 20_000, "check_every": 100}
    records = []
    result = engine.run(graph, table, settings, seed=1, progress=records.append)
    steps = result.summary()["steps"]
    budget = settings["max_steps"] * settings["ensembles"]
    sampling = [r for r in records if r.total and r.message != "summarising"]
    assert sampling[0].total == budget  # before the first check nothing is known
    # after the last check: the steps taken and one more check, far below the budget
    assert sampling[-1].total == (steps + 100) * settings["ensembles"] < budget / 10
    assert all(r.step <= r.total for r in sampling)
