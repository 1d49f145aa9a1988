"""Exact Shapley values against truth: the permutation definition, known games,
linear models, and shap's explainers."""

import itertools
from math import factorial

import numpy as np
import pytest
from explain_doubles import ConjugateLinear, FunctionResult

from backends.explain import exact_shapley, explain_rows
from backends.explain.coalitions import shapley_from_values
from backends.explain.shap_backend import shap_attributions
from backends.runtime import EngineError


def shapley_by_permutations(value, d):
    """The textbook definition: average marginal contribution over all d! orders."""
    phi = np.zeros(d)
    for order in itertools.permutations(range(d)):
        members: set[int] = set()
        for j in order:
            before = value(frozenset(members))
            members.add(j)
            phi[j] += value(frozenset(members)) - before
    return phi / factorial(d)


def interventional_value(f, x, background):
    def value(S):
        Z = background.copy()
        Z[:, sorted(S)] = x[sorted(S)]
        return f(Z).mean()

    return value


def test_enumeration_matches_the_permutation_definition():
    rng = np.random.default_rng(3)
    W = rng.normal(size=(4, 3))
    f = lambda Z: np.tanh(Z @ W).prod(axis=1) + Z[:, 0] * Z[:, 3]  # noqa: E731
    background, X = rng.normal(size=(7, 4)), rng.normal(size=(3, 4))
    values, base = exact_shapley(f, X, background)
    for x, phi in zip(X, values, strict=True):
        assert np.allclose(
            phi, shapley_by_permutations(interventional_value(f, x, background), 4), atol=1e-12
        )
        assert abs(phi.sum() - (f(x[None])[0] - base)) < 1e-12


def test_shapley_of_a_game_given_on_all_coalitions():
    # v(S) = |S|^2 on 3 players: symmetric, so each gets v(N)/3 = 3.
    v = np.array([bin(s).count("1") ** 2 for s in range(8)], dtype=float)
    assert np.allclose(shapley_from_values(v), [3.0, 3.0, 3.0])


BINARY_BACKGROUND = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])


@pytest.mark.parametrize(
    "gate, x, expected",
    [
        # Derived by hand with a uniform background over {0,1}^2:
        # AND at (1,1): v0=1/4, v1=v2=1/2, v12=1 -> phi = (1/4 + 1/2)/2 = 3/8 each.
        (lambda Z: Z[:, 0] * Z[:, 1], [1, 1], [3 / 8, 3 / 8]),
        # OR at (1,1): v0=3/4, v1=v2=v12=1 -> phi = (1/4 + 0)/2 = 1/8 each.
        (lambda Z: np.maximum(Z[:, 0], Z[:, 1]), [1, 1], [1 / 8, 1 / 8]),
        # XOR at (1,1): v0=v1=v2=1/2, v12=0 -> phi = (0 - 1/2)/2 = -1/4 each.
        (lambda Z: np.abs(Z[:, 0] - Z[:, 1]), [1, 1], [-1 / 4, -1 / 4]),
        # XOR at (1,0): v0=v1=v2=1/2, v12=1 -> phi = (0 + 1/2)/2 = 1/4 each.
        (lambda Z: np.abs(Z[:, 0] - Z[:, 1]), [1, 0], [1 / 4, 1 / 4]),
    ],
)
def test_logic_gates(gate, x, expected):
    values, _ = exact_shapley(gate, np.array([x], float), BINARY_BACKGROUND)
    assert np.allclose(values[0], expected, atol=1e-12)
    attributions = explain_rows(
        FunctionResult(gate, 2), np.array([x], float), BINARY_BACKGROUND, method="shap-exact"
    )
    assert np.allclose(attributions.values[0], expected, atol=1e-6)
    assert attributions.additivity_error < 1e-9


def test_linear_model_is_coefficient_times_distance_from_the_background_mean():
    rng = np.random.default_rng(0)
    coef = np.array([1.5, -2.0, 0.25, 3.0])
    background, X = rng.normal(size=(30, 4)), rng.normal(size=(5, 4))
    values, base = exact_shapley(lambda Z: 0.7 + Z @ coef, X, background)
    assert np.allclose(values, coef * (X - background.mean(0)), atol=1e-12)
    assert abs(base - (0.7 + background.mean(0) @ coef)) < 1e-12


def test_linear_terms_give_exact_per_draw_attributions():
    rng = np.random.default_rng(1)
    mean, cov = np.array([1.0, -1.0, 0.5]), np.diag([0.04, 0.09, 0.01])
    result = ConjugateLinear(mean, cov)
    background, X = rng.normal(size=(20, 3)), rng.normal(size=(4, 3))
    a = explain_rows(result, X, background)
    assert a.method == "linear-exact" and a.scale == "response"
    beta = result.linear_terms()["coefficients"]
    assert np.allclose(a.draws, beta[:, None, :] * (X - background.mean(0))[None])
    assert a.additivity_error < 1e-12
    # the same model through shap's Exact explainer, draw by draw, agrees
    shap_path = ConjugateLinear(mean, cov, expose_terms=False)
    b = explain_rows(shap_path, X, background, method="shap-exact", n_draws=16, max_draws=16)
    draws = shap_path.beta_draws(16, 0)[:, None, :] * (X - background.mean(0))[None]
    assert np.allclose(b.draws, draws, atol=1e-6)
    assert b.additivity_error < 1e-9


def test_logit_link_is_reported_on_the_log_odds_scale():
    result = ConjugateLinear(np.array([2.0, -1.0]), np.eye(2) * 0.01, link="logit")
    a = explain_rows(result, np.array([[1.0, 1.0]]), np.zeros((3, 2)))
    assert a.scale.startswith("link:logit")
    assert np.allclose(a.values[0], [2.0, -1.0], atol=0.05)


def test_shap_exact_and_permutation_agree_with_enumeration():
    rng = np.random.default_rng(2)
    W = rng.normal(size=(5, 2))
    f = lambda Z: np.sin(Z @ W) * Z[:, :1]  # noqa: E731  (two outputs)
    background, X = rng.normal(size=(12, 5)), rng.normal(size=(3, 5))
    truth, base = exact_shapley(f, X, background)
    exact = shap_attributions(f, X, background, method="exact")
    assert np.allclose(exact.values, truth, atol=1e-6) and np.allclose(exact.base, base)
    perm = shap_attributions(f, X, background, method="permutation", n_permutations=40)
    assert np.allclose(perm.values.sum(1), f(X) - perm.base, atol=1e-9)  # additive by construction
    z = (perm.values - truth) / perm.mc_error
    assert np.all(np.abs(z) < 6) and np.sqrt(np.mean(z**2)) < 2.5  # the error estimate is honest


def test_bad_input_is_named():
    result = FunctionResult(lambda Z: Z[:, 0], 2)
    with pytest.raises(EngineError, match="columns"):
        explain_rows(result, np.zeros((1, 3)), np.zeros((2, 2)))
    with pytest.raises(EngineError, match="row 1, column 'x1'"):
        explain_rows(result, np.array([[0.0, np.nan]]), np.zeros((2, 2)))
    with pytest.raises(EngineError, match=r"weights have shape \(3,\); the background has 2"):
        explain_rows(result, np.zeros((1, 2)), np.zeros((2, 2)), weights=np.ones(3))
    with pytest.raises(EngineError, match="not negative"):
        explain_rows(result, np.zeros((1, 2)), np.zeros((2, 2)), weights=np.array([1.0, -1.0]))


def test_logit_model_on_the_probability_scale_equals_enumeration():
    rng = np.random.default_rng(6)
    result = ConjugateLinear(
        np.array([1.5, -1.0, 0.5]), np.eye(3) * 0.04, link="logit", intercept=0.3
    )
    background, X = rng.normal(size=(9, 3)), rng.normal(size=(2, 3))
    a = explain_rows(result, X, background, scale="response")
    assert a.scale == "response" and a.method == "glm-enumeration"
    beta = result.linear_terms()["coefficients"]
    for s in (0, 17, 399):  # a few draws, each against brute-force enumeration
        truth, base = exact_shapley(
            lambda Z, b=beta[s]: 1 / (1 + np.exp(-(0.3 + Z @ b))), X, background
        )
        assert np.allclose(a.draws[s], truth, atol=1e-12)
    assert a.additivity_error < 1e-12


def test_a_logit_model_beyond_the_enumeration_limit_is_sampled_not_refused():
    """17 inputs on the probability scale: 2**17 coalitions per draw is beyond the
    exact route, so it takes the sampled one, still additive."""
    rng = np.random.default_rng(7)
    d = 17
    result = ConjugateLinear(rng.normal(size=d) * 0.3, np.eye(d) * 0.01, link="logit")
    background, X = rng.normal(size=(8, d)), rng.normal(size=(1, d))
    a = explain_rows(result, X, background, scale="response", n_draws=8, max_draws=8)
    assert a.method == "sampled-kernel" and a.scale == "response"
    assert a.additivity_error < 1e-9


def test_the_shapley_matrix_is_the_map_of_the_unit_games() -> None:
    """Built directly, it equals pushing each unit game through shapley_from_values."""
    from backends.explain.coalitions import shapley_matrix

    for d in (1, 3, 6, 9):
        np.testing.assert_allclose(
            shapley_matrix(d), shapley_from_values(np.eye(2**d)).T, rtol=0, atol=1e-15
        )
