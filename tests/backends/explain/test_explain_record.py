"""The explanation record and the global views: plain, JSON-able, consistent."""

import json

import numpy as np
from explain_doubles import ConjugateLinear, NumpyRBFGP

from backends.explain import (
    SCHEMA,
    Actionable,
    DecisionRule,
    beeswarm_points,
    dependence,
    explain_rows,
    explanation_record,
    find_counterfactuals,
    global_importance,
    rows_for_global_views,
    summarise_background,
)


def test_record_of_a_gp_row_holds_the_report_numbers():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    gp = NumpyRBFGP(X, X[:, 0] + np.sin(X[:, 1]), [1.0, 1.0, 2.0], noise=0.05)
    background, _ = summarise_background(X, size=20, seed=1)
    a = explain_rows(gp, X[:4], background)
    moved = X[2:3].copy()
    moved[0, 0] = 3.0  # the prediction rises with x0; halfway there is a reachable threshold
    rule = DecisionRule(float(gp.predict(X[2:3])[0][0] + gp.predict(moved)[0][0]) / 2, "above")
    cfs = find_counterfactuals(gp, X[2], rule, [Actionable("x0", -3, 3)])
    record = json.loads(
        json.dumps(explanation_record(gp, a, 2, row=17, counterfactuals=cfs, rule=rule))
    )
    assert record["schema"] == SCHEMA and record["row"] == 17
    mean, lower, upper = gp.predict(X[2:3], level=0.9)
    assert np.isclose(record["prediction"]["mean"], mean[0]) and np.isclose(
        record["prediction"]["lower"], lower[0]
    )
    values = [v["value"] for v in record["attributions"].values()]
    assert values == sorted(values, key=abs, reverse=True)
    assert abs(record["base_value"] + sum(values) - record["explained_value"]) < 1e-9
    assert record["additivity_error"] < 1e-9 and record["scale"] == "response"
    assert all(v["lower"] <= v["value"] <= v["upper"] for v in record["attributions"].values())
    assert record["counterfactuals"] and set(record["counterfactuals"][0]) >= {
        "changes",
        "probability",
    }


def test_global_views():
    rng = np.random.default_rng(1)
    result = ConjugateLinear(np.array([3.0, 0.1, -1.0]), np.eye(3) * 0.01)
    X = rng.normal(size=(40, 3))
    a = explain_rows(result, X, X)
    importance = global_importance(a)
    assert [e["feature"] for e in importance] == ["x0", "x2", "x1"]
    for e in importance:
        assert e["lower"] <= e["mean_abs"] <= e["upper"]
    assert len(beeswarm_points(a)) == 40 * 3
    dep = dependence(a, "x0")
    assert dep["feature_value"] == sorted(dep["feature_value"])
    assert np.allclose(np.diff(dep["attribution"]) >= 0, True)  # positive coefficient: monotone
    json.dumps([importance, beeswarm_points(a), dep])


def test_stop_ends_an_explanation():
    import pytest

    from backends.runtime import CancelToken, RunCancelled

    result = ConjugateLinear(np.array([1.0, 2.0]), np.eye(2) * 0.1, expose_terms=False)
    token = CancelToken()
    seen = []

    def progress(record):
        seen.append(record)
        token.cancel()  # the user presses Stop after the first batch

    X = np.random.default_rng(0).normal(size=(5, 2))
    with pytest.raises(RunCancelled):
        explain_rows(
            result, X, X, n_draws=8, max_draws=64, tolerance=1e-6, progress=progress, cancel=token
        )
    assert len(seen) == 1


def test_global_views_explain_fewer_rows_of_many_features():
    """All the rows asked for up to 16 features; beyond, fewer (the cost per row grows
    with the features), never under 20 and never more than asked."""
    assert rows_for_global_views(10, 200) == 200
    assert rows_for_global_views(64, 200) == 50
    assert rows_for_global_views(1000, 200) == 20
    assert rows_for_global_views(64, 10) == 10
