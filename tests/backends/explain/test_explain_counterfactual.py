"""Counterfactuals flip the decision, respect bounds, steps and immutable
features, and are the smallest changes on the allowed grid."""

import numpy as np
import pytest
from explain_doubles import ConjugateLinear, FunctionResult

from backends.explain import Actionable, DecisionRule, find_counterfactuals
from backends.runtime import EngineError


def test_cheapest_options_on_a_known_model():
    # f = x0 + 2 x1, decision f >= 3, row (0, 0, 0). Alone, x1 cannot reach 1.5 within
    # [0, 1]; x0 alone needs 3 (cost 3); together x1 = 1, x0 = 1 (cost 2) is cheapest.
    result = FunctionResult(lambda Z: Z[:, 0] + 2 * Z[:, 1] + 0 * Z[:, 2], 3)
    options = find_counterfactuals(
        result,
        np.zeros(3),
        DecisionRule(3.0, "above"),
        [Actionable("x0", 0, 5, 1.0), Actionable("x1", 0, 1, 0.25)],
    )
    assert [o.changes for o in options] == [
        {"x0": (0.0, 1.0), "x1": (0.0, 1.0)},
        {"x0": (0.0, 3.0)},
    ]
    assert [o.cost for o in options] == [2.0, 3.0]
    assert all(o.probability == 1.0 for o in options)  # no posterior spread in this model


def test_counterfactuals_flip_the_decision_of_a_bayesian_classifier():
    result = ConjugateLinear(
        np.array([2.0, -1.0, 0.5]), np.eye(3) * 0.05, link="logit", expose_terms=False
    )
    x = np.array([-1.0, 0.5, 0.3])
    rule = DecisionRule(0.5, "above")
    now = rule.positive(result.predict(x[None])[0])[0]
    assert not now
    actionable = [Actionable("x0", -3, 3, 0.5), Actionable("x1", -2, 2)]
    options = find_counterfactuals(result, x, rule, actionable, n_options=3)
    assert options
    for option in options:
        assert rule.positive(result.predict(option.x[None])[0])[0] != now  # it really flips
        assert option.x[2] == x[2]  # immutable
        assert -3 <= option.x[0] <= 3 and -2 <= option.x[1] <= 2
        assert float((option.x[0] - x[0]) / 0.5).is_integer()
        assert 0.0 < option.probability <= 1.0
    sets = [set(o.changes) for o in options]
    assert all(not (a <= b) for i, a in enumerate(sets) for b in sets[i + 1 :])  # diverse
    # the x0-only option is the smallest flipping step, found by brute force
    single = next(o for o in options if set(o.changes) == {"x0"})
    steps = x[0] + 0.5 * np.arange(1, 13)
    candidates = np.repeat(x[None], len(steps), 0)
    candidates[:, 0] = steps
    first = steps[np.argmax(rule.positive(result.predict(candidates)[0]))]
    assert single.x[0] == first


def test_no_counterfactual_within_the_bounds():
    result = FunctionResult(lambda Z: Z[:, 0], 1)
    assert (
        find_counterfactuals(result, np.zeros(1), DecisionRule(10.0), [Actionable("x0", -1, 1)])
        == []
    )


def test_bad_specifications_are_named():
    result = FunctionResult(lambda Z: Z[:, 0], 2)
    with pytest.raises(EngineError, match="'age'"):
        find_counterfactuals(result, np.zeros(2), DecisionRule(1.0), [Actionable("age", 0, 1)])
    with pytest.raises(EngineError, match="'x1'"):
        find_counterfactuals(result, np.zeros(2), DecisionRule(1.0), [Actionable("x1", 2, 1)])
    with pytest.raises(EngineError, match="at least one"):
        find_counterfactuals(result, np.zeros(2), DecisionRule(1.0), [])
