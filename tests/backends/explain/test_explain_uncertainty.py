"""Attributions per posterior draw: coverage of their credible intervals in a
simulation with a known model, adaptive draws, and the Monte Carlo error of the
SHAP estimate reported apart from the posterior spread."""

import numpy as np
import pytest
from explain_doubles import ConjugateLinear, FunctionResult, NumpyRBFGP

from backends.explain import explain_rows


@pytest.mark.parametrize("method, n_sims", [("linear", 200), ("enumeration", 100)])
def test_credible_intervals_cover_the_true_attribution(method, n_sims):
    """beta ~ N(0, 2^2 I), y = X beta + N(0, 1): the conjugate posterior is exact, so
    90% intervals of beta_j (x_j - mean_bg x_j) hold the truth 90% of the time."""
    rng = np.random.default_rng(11)
    hits, total = 0, 0
    for _ in range(n_sims):
        beta = 2.0 * rng.standard_normal(3)
        X = rng.normal(size=(15, 3))
        y = X @ beta + rng.standard_normal(15)
        seed = int(rng.integers(1 << 30))
        result = ConjugateLinear.fit(
            X, y, sigma=1.0, tau=2.0, expose_terms=(method == "linear"), terms_seed=seed
        )
        rows, background = rng.normal(size=(1, 3)), rng.normal(size=(6, 3))
        a = explain_rows(
            result, rows, background, method=method, n_draws=200, max_draws=200, seed=seed
        )
        truth = beta * (rows - background.mean(0))
        hits += int(np.sum((a.lower <= truth) & (truth <= a.upper)))
        total += truth.size
    assert 0.84 <= hits / total <= 0.96


def test_draws_are_added_until_the_intervals_are_tight():
    rng = np.random.default_rng(0)
    result = ConjugateLinear(np.array([1.0, -1.0]), np.diag([0.1, 0.2]), expose_terms=False)
    rows, background = rng.normal(size=(2, 2)), rng.normal(size=(5, 2))
    loose = explain_rows(result, rows, background, n_draws=32, max_draws=512, tolerance=0.5)
    assert loose.n_draws == 32 and loose.converged
    tight = explain_rows(result, rows, background, n_draws=32, max_draws=128, tolerance=1e-4)
    assert tight.n_draws == 128 and not tight.converged
    # the note says how far the intervals are: a percentage of the widest, vs 0%
    (note,) = [n for n in tight.notes if n.startswith("after 128 draws (the most allowed)")]
    assert note.endswith("above the 0.01% asked for") and "error of up to 0%" not in note
    capped = explain_rows(result, rows, background, n_draws=32, max_draws=40, tolerance=1e-4)
    assert capped.n_draws == 40  # a true cap: the last batch is cut short
    single = explain_rows(result, rows, background, n_draws=1, max_draws=1)
    assert not single.converged and single.notes == ["one posterior draw: no intervals"]
    middle = explain_rows(result, rows, background, n_draws=32, max_draws=4096, tolerance=0.05)
    assert 32 < middle.n_draws < 4096 and middle.converged


def test_sampling_error_of_shap_is_reported_apart_from_posterior_spread():
    rng = np.random.default_rng(5)
    result = ConjugateLinear(rng.normal(size=4), np.eye(4) * 0.05, link="logit", expose_terms=False)
    rows, background = rng.normal(size=(3, 4)), rng.normal(size=(10, 4))
    common = dict(n_draws=32, max_draws=32, seed=3)
    exact = explain_rows(result, rows, background, method="enumeration", **common)
    sampled = explain_rows(
        result, rows, background, method="shap-permutation", n_permutations=16, **common
    )
    assert np.all(exact.mc_error == 0) and np.all(sampled.mc_error > 0)
    assert np.all(sampled.draws_error > 0)
    # same draws, so the difference is the permutation sampling error alone
    z = (sampled.values - exact.values) / sampled.mc_error
    assert np.all(np.abs(z) < 6) and np.sqrt(np.mean(z**2)) < 2.5
    assert sampled.additivity_error < 1e-9


def test_joint_function_draws_fall_back_to_the_mean_with_a_note():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(20, 2))
    gp = NumpyRBFGP(X, X[:, 0] - X[:, 1], [1.0, 1.0], noise=0.1)
    a = explain_rows(gp, X[:2], X[5:10], method="shap")
    assert a.draws is None and np.allclose(a.lower, a.values)
    assert any("no consistent posterior draws" in note for note in a.notes)
    closed = explain_rows(gp, X[:2], X[5:10])
    assert np.allclose(a.values, closed.values, atol=1e-6)


def test_a_model_without_posterior_is_explained_once_not_per_identical_draw():
    """A GAN critic repeats one value in every draw: one set of attributions, no
    intervals, and a note that says why."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(12, 3))
    result = FunctionResult(lambda Z: Z[:, 0] * Z[:, 1] + Z[:, 2], 3)
    a = explain_rows(result, X[:2], X[4:10], n_draws=64)
    assert a.draws is None and np.array_equal(a.lower, a.upper)
    assert any("has no posterior" in note for note in a.notes)
    exact = explain_rows(result, X[:2], X[4:10], method="enumeration")
    assert np.allclose(a.values, exact.values)
