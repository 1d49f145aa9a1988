"""The sampled Shapley estimator (sampled.py) against brute-force enumeration:
exact where it claims to be, within its reported error elsewhere, an honest
error over seeds, additive always, and chosen automatically beyond few features."""

from math import comb

import numpy as np
import pytest
from explain_doubles import ConjugateLinear

from backends.explain import exact_shapley, explain_rows
from backends.explain.coalitions import coalition_masks, shapley_from_values
from backends.explain.sampled import JUMP_ROUNDS, KernelDesign, sampled_shapley


def interacting(Z):
    """Three outputs (like posterior draws): a logistic model with pairwise and
    three-way interactions, so that the sampled part has something to find."""
    eta = Z[:, :3] @ np.array([[1.0, -0.5, 0.8], [0.7, 1.2, -0.3], [-1.0, 0.4, 0.6]])
    eta = eta + 0.3 * Z[:, 3:4] - 0.4 * Z[:, 4:5] + 1.5 * (Z[:, :1] * Z[:, 1:2])
    eta = eta + 0.8 * (Z[:, 2:3] * Z[:, 3:4] * Z[:, 5:6])
    return 1 / (1 + np.exp(-eta))


@pytest.fixture(scope="module")
def game():
    rng = np.random.default_rng(4)
    background, X = rng.normal(size=(15, 6)), rng.normal(size=(3, 6))
    truth, base = exact_shapley(interacting, X, background)
    return X, background, truth, base


def test_the_closed_form_solution_on_all_coalitions_is_the_shapley_value():
    """(I - 11'/D) b / alpha + v(N) / D with b summed over every coalition."""
    rng = np.random.default_rng(0)
    for d in (2, 5, 7):
        v = rng.normal(size=2**d)
        v[0] = 0.0
        masks = coalition_masks(d)[1:-1]
        sizes = masks.sum(1)
        mu = (d - 1) / (np.array([comb(d, int(s)) for s in sizes]) * sizes * (d - sizes))
        b = (mu[:, None] * masks * v[1:-1, None]).sum(0)
        design = KernelDesign(d)
        phi = design.solve(b[:, None], np.array([v[-1]]), design.alpha_full)[:, 0]
        assert np.allclose(phi, shapley_from_values(v), atol=1e-12)


def test_the_control_variates_expectation_is_the_sum_over_all_sampled_coalitions():
    """cubic_moment (closed form) against the kernel-weighted sum over every coalition
    of the sampled sizes of u_S^3 (z_S - |S|/D), u_S = z_S . a - sum(a) / 2."""
    rng = np.random.default_rng(5)
    for d in (4, 5, 8):
        a = rng.normal(size=(3, d, 2))
        masks = coalition_masks(d)
        sizes = masks.sum(1)
        sampled = (sizes >= 2) & (sizes <= d - 2)
        masks, sizes = masks[sampled].astype(float), sizes[sampled]
        mu = (d - 1) / (np.array([comb(d, int(s)) for s in sizes]) * sizes * (d - sizes))
        u = np.einsum("sd,bdk->sbk", masks, a) - a.sum(1)[None] / 2
        expected = np.einsum("s,sbk,sd->bdk", mu / mu.sum(), u**3, masks - sizes[:, None] / d)
        assert np.allclose(KernelDesign(d).cubic_moment(a, a.sum(1)), expected, atol=1e-12)


def test_exact_where_it_claims_to_be():
    rng = np.random.default_rng(1)
    f = lambda Z: np.sin(Z[:, 0] * Z[:, 1]) + Z[:, 2] ** 3 * Z[:, 0]  # noqa: E731
    background, X = rng.normal(size=(9, 3)), rng.normal(size=(2, 3))
    est = sampled_shapley(f, X, background)
    truth, _ = exact_shapley(f, X, background)
    assert est.exact and np.all(est.mc_error == 0)
    assert np.allclose(est.values[..., 0], truth, atol=1e-12)


def test_agrees_with_enumeration_within_its_error_and_is_additive(game):
    X, background, truth, base = game
    est = sampled_shapley(interacting, X, background, tolerance=0.01, max_evals=10**6, seed=3)
    assert est.converged.all() and np.all(est.mc_error > 0)
    z = (est.values - truth) / est.mc_error
    assert np.all(np.abs(z) < 5) and np.sqrt(np.mean(z**2)) < 2
    assert np.allclose(est.base, base)
    assert np.allclose(est.values.sum(1), interacting(X) - base, atol=1e-12)
    # the mean over outputs has its own (smaller) error, also honest
    zm = (est.values.mean(-1) - truth.mean(-1)) / est.mean_error
    assert np.all(np.abs(zm) < 5)


def test_reported_error_is_honest_over_seeds(game):
    """Over 60 seeds, +-1.96 reported standard errors hold the exact value ~95% of
    the time, and the spread of the estimates matches the reported error."""
    X, background, truth, _ = game
    runs = [
        sampled_shapley(interacting, X[:1], background, tolerance=0.05, max_evals=10**6, seed=s)
        for s in range(60)
    ]
    values = np.stack([r.values[0] for r in runs])
    errors = np.stack([r.mc_error[0] for r in runs])
    covered = np.abs(values - truth[0]) <= 1.96 * errors
    assert 0.9 <= covered.mean() <= 0.99
    ratio = values.std(0) / np.median(errors, axis=0)
    assert 0.7 < np.median(ratio) < 1.3


def test_weighted_background_is_the_repeated_background(game):
    X, background, _, _ = game
    doubled = np.vstack([background, background[:5]])
    truth, _ = exact_shapley(interacting, X[:1], doubled)
    weights = np.r_[np.full(5, 2.0), np.ones(10)]
    est = sampled_shapley(
        interacting, X[:1], background, weights, tolerance=0.01, max_evals=10**6, seed=1
    )
    z = (est.values - truth) / est.mc_error
    assert np.all(np.abs(z) < 5)


def test_sampling_stops_at_the_tolerance_or_the_budget(game):
    X, background, _, _ = game
    budget = dict(max_evals=10**6)
    loose = sampled_shapley(interacting, X[:1], background, tolerance=0.05, **budget)
    tight = sampled_shapley(interacting, X[:1], background, tolerance=0.01, **budget)
    assert loose.converged.all() and tight.converged.all()
    assert tight.n_evals[0] > loose.n_evals[0]
    capped = sampled_shapley(interacting, X[:1], background, tolerance=1e-5, max_evals=3000)
    assert not capped.converged.any() and capped.n_evals[0] <= 3000


def test_explain_rows_picks_enumeration_or_sampling_by_the_number_of_features():
    rng = np.random.default_rng(7)
    few = ConjugateLinear(rng.normal(size=4), np.eye(4) * 0.05, link="logit", expose_terms=False)
    a = explain_rows(few, rng.normal(size=(1, 4)), rng.normal(size=(8, 4)), n_draws=8)
    assert a.method == "exact-enumeration" and np.all(a.mc_error == 0)
    many = ConjugateLinear(rng.normal(size=9), np.eye(9) * 0.05, link="logit", expose_terms=False)
    X, background = rng.normal(size=(2, 9)), rng.normal(size=(60, 9))
    common = dict(n_draws=16, max_draws=16, seed=2)
    b = explain_rows(many, X, background, mc_tolerance=0.02, **common)
    exact = explain_rows(many, X, background, method="enumeration", **common)
    assert b.method == "sampled-kernel"
    assert np.all(b.mc_error > 0) and b.additivity_error < 1e-9
    assert any("standard error of at most 2.0%" in note for note in b.notes)
    z = (b.values - exact.values) / b.mc_error
    assert np.all(np.abs(z) < 5)


def test_a_far_tolerance_is_approached_in_bounded_steps(game):
    """However far the error is from the tolerance, one model call holds at most
    JUMP_ROUNDS rounds of units (memory), and the budget still stops the sampling."""
    X, background, _, _ = game
    sizes = []

    def recording(Z):
        sizes.append(len(Z))
        return interacting(Z)

    est = sampled_shapley(recording, X[:1], background, tolerance=1e-6, max_evals=200_000)
    per_row = -(-1024 // len(background))
    assert max(sizes[2:]) <= 2 * len(background) * JUMP_ROUNDS * per_row
    assert not est.converged.any() and 150_000 < est.n_evals[0] <= 200_000


def test_a_model_that_ignores_its_inputs_has_zero_attributions_at_once():
    """Nothing to estimate (a constant or saturated model): all zeros, converged after
    the first round, no error."""
    rng = np.random.default_rng(2)
    background, X = rng.normal(size=(8, 10)), rng.normal(size=(2, 10))
    est = sampled_shapley(lambda Z: np.ones((len(Z), 3)), X, background, tolerance=0.01)
    assert est.converged.all() and np.all(est.values == 0) and np.all(est.mc_error == 0)
    first_round = 2 * len(background) * -(-1024 // len(background))
    assert np.all(est.n_evals == 1 + 2 * 10 * len(background) + first_round)
