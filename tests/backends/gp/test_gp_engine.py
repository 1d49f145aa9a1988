"""The run protocol: progress, cancellation, saved state, and clear messages on bad input."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from backends.gp import engine
from backends.gp.spec import GPSpecError, gp_problems
from backends.graph.model import Graph, Node
from backends.runtime import CancelToken, EngineError, RunCancelled

from .gp_helpers import graph_for, table_of


def _table(n=80, seed=0):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.uniform(0, 5, n), rng.normal(0, 1, n)
    y = np.sin(x1) + 0.3 * x2 + rng.normal(0, 0.1, n)
    return table_of({"x1": x1, "x2": x2, "y": y})


def test_progress_records_and_a_stop_ends_the_run_quickly():
    table = _table(n=300)
    token = CancelToken()
    records, stopped_at = [], []

    def progress(record):
        records.append(record)
        if len(records) == 2:
            token.cancel()
            stopped_at.append(time.monotonic())

    with pytest.raises(RunCancelled):
        engine.run(
            graph_for(table, "y", ["x1", "x2"]),
            table,
            {"restarts": 3},
            device="cpu",
            progress=progress,
            cancel=token,
        )
    assert time.monotonic() - stopped_at[0] < 1.0
    assert records[0].step >= 1 and "loss" in records[0].values
    assert np.isfinite(records[0].values["loss"])


def test_state_round_trip_is_exact_through_json_and_plain_arrays():
    table = _table()
    result = engine.run(graph_for(table, "y", ["x1", "x2"]), table, {"steps": 20}, device="cpu")
    state = result.to_state()
    meta = json.loads(json.dumps(state.meta))  # the project file stores meta as JSON
    arrays = {k: np.array(v) for k, v in state.arrays.items()}
    assert all(a.dtype != object for a in arrays.values())
    loaded = engine.load_result(type(state)(meta=meta, arrays=arrays, blobs=dict(state.blobs)))
    X = np.column_stack([np.linspace(0, 5, 30), np.linspace(-2, 2, 30)])
    for a, b in zip(result.predict(X, 0.8), loaded.predict(X, 0.8), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(
        result.sample_mean(X, 5, seed=3), loaded.sample_mean(X, 5, seed=3)
    )
    np.testing.assert_array_equal(result.sample_predict(X, 5), loaded.sample_predict(X, 5))
    assert loaded.summary() == json.loads(json.dumps(result.summary()))
    assert loaded.to_state().meta == state.meta
    assert loaded.input_names == ["x1", "x2"] and loaded.target == "y"


def test_predicting_many_rows_works_in_batches():
    table = _table(n=50)
    result = engine.run(graph_for(table, "y", ["x1", "x2"]), table, {"steps": 5}, device="cpu")
    X = np.random.default_rng(0).uniform(0, 5, (20000, 2))
    mean, lower, upper = result.predict(X)
    assert mean.shape == (20000,) and np.all(lower < mean) and np.all(mean < upper)


def test_summary_has_the_fields_the_cli_shows():
    table = _table()
    s = engine.run(
        graph_for(table, "y", ["x1", "x2"]), table, {"steps": 10, "holdout": 0.25}, device="cpu"
    ).summary()
    json.dumps(s)
    assert s["engine"] == "gp" and isinstance(s["log_marginal_likelihood"], float)
    assert set(s["hyperparameters"]) >= {"rbf_1.lengthscale[x1]", "noise.variance"}
    assert {"train_rmse", "test_nll", "test_coverage_95"} <= set(s["metrics"])
    assert isinstance(s["converged"], bool) and isinstance(s["warnings"], list)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c, t: c.update(y=np.full(len(c["y"]), 3.0)), "'y' is constant"),
        (lambda c, t: c["x2"].__setitem__(4, np.nan), "'x2' is missing (or not finite) in row 5"),
        (
            lambda c, t: (
                c.update(x2=np.array(["a", "b"] * 40, dtype=object)),
                t.update(x2="categorical"),
            ),
            "'x2' is categorical",
        ),
        (lambda c, t: c.update({k: v[:1] for k, v in c.items()}), "at least 3 rows"),
        (lambda c, t: c.update(x1=np.ones(80)), "input column 'x1' is constant"),
    ],
)
def test_bad_input_gets_a_clear_message(change, message):
    table = _table()
    columns, types = dict(table.columns), dict(table.types)
    change(columns, types)
    bad = table_of(columns, types)
    graph = graph_for(_table(), "y", ["x1", "x2"])
    with pytest.raises(EngineError, match=message.replace("(", r"\(").replace(")", r"\)")):
        engine.run(graph, bad, {"steps": 2}, device="cpu")


def test_rows_without_a_target_are_left_out_with_a_warning():
    table = _table()
    columns = dict(table.columns)
    columns["y"] = columns["y"].copy()
    columns["y"][:5] = np.nan
    columns["x1"] = columns["x1"].copy()
    columns["x1"][:5] = np.nan  # missing inputs do not matter on rows that are left out
    s = engine.run(
        graph_for(table, "y", ["x1", "x2"]), table_of(columns), {"steps": 3}, device="cpu"
    ).summary()
    assert s["n_train"] == 75 and any("5 rows" in w for w in s["warnings"])


def test_messages_name_the_rows_of_the_users_table():
    """Rows left out (no target) or held out (a part of the table) do not shift the
    row numbers a message gives: they are the user's table's, from 1."""
    table = _table()
    columns = {k: v.copy() for k, v in table.columns.items()}
    columns["y"][:5] = np.nan  # left out of the fit
    columns["y"][40] = np.inf
    graph = graph_for(table, "y", ["x1", "x2"])
    with pytest.raises(EngineError, match=r"infinite values in row 41\b"):
        engine.run(graph, table_of(columns), {"steps": 2}, device="cpu")
    columns["y"][40] = 1.0
    columns["x2"][60] = np.nan
    part = table_of(columns).take(np.arange(30, 80))  # as a hold-out split hands it over
    with pytest.raises(EngineError, match=r"'x2' is missing \(or not finite\) in row 61\b"):
        engine.run(graph, part, {"steps": 2}, device="cpu")


def test_graph_problems_name_the_node_and_field():
    table = _table()
    graph = graph_for(
        table,
        "y",
        ["x1", "x2"],
        kernel={"op": "sum", "terms": [{"kind": "rbf", "inputs": ["x9"]}, {"kind": "cosine"}]},
    )
    problems = gp_problems(graph)
    f = graph.node_by_name("f")
    fields = {p.field for p in problems}
    assert all(p.node == f.id for p in problems)
    assert {"options.kernel.terms[0].inputs", "options.kernel.terms[1].kind"} <= fields
    with pytest.raises(GPSpecError, match="f.options.kernel.terms\\[1\\].kind: unknown kernel"):
        engine.run(graph, table, {}, device="cpu")

    y = graph.node_by_name("y")
    y.params = {"mu": "2 * f"}
    assert any(p.node == y.id and p.field == "params.mu" for p in gp_problems(graph))
    assert gp_problems(Graph())[0].message.startswith("the model has no GP node")
    lonely = Graph()
    lonely.add_node(Node("f", "gp", options={"inputs": ["x1"]}))
    assert any(p.field == "options.target" for p in gp_problems(lonely))


def test_a_graph_written_by_hand_may_keep_target_and_likelihood_in_the_options():
    table = _table()
    graph = Graph()
    graph.add_node(
        Node(
            "g",
            "gp",
            options={
                "inputs": ["x1"],
                "target": "y",
                "likelihood": "gaussian",
                "kernel": {"kind": "matern32"},
            },
        )
    )
    result = engine.run(graph, table, {"steps": 5}, device="cpu")
    assert (
        result.input_names == ["x1"]
        and "matern32_1.lengthscale[x1]" in result.summary()["hyperparameters"]
    )


@pytest.mark.parametrize(
    ("method", "likelihood"),
    [("svgp", "gaussian"), ("deep", "gaussian"), ("auto", "bernoulli"), ("auto", "poisson")],
)
def test_variational_results_round_trip_exactly(method, likelihood):
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 3, 60)
    y = {
        "gaussian": np.sin(x) + rng.normal(0, 0.1, 60),
        "bernoulli": (x > 1.5).astype(float),
        "poisson": rng.poisson(np.exp(np.sin(x))).astype(float),
    }[likelihood]
    table = table_of({"x": x, "y": y})
    settings = {"method": method, "steps": 5, "inducing_points": 8, "batch_size": 32}
    result = engine.run(
        graph_for(table, "y", ["x"], likelihood=likelihood), table, settings, device="cpu"
    )
    state = result.to_state()
    loaded = engine.load_result(
        type(state)(meta=json.loads(json.dumps(state.meta)), arrays=dict(state.arrays))
    )
    grid = np.linspace(0, 3, 7)
    for a, b in zip(result.predict(grid), loaded.predict(grid), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(result.sample_mean(grid, 4), loaded.sample_mean(grid, 4))
