"""Closed-form GP Shapley values against enumeration, their covariance against the
GP posterior covariance at every hybrid point, and the coverage of their intervals."""

import numpy as np
import pytest
from explain_doubles import NumpyMatern52GP, NumpyRBFGP

from backends.explain import exact_shapley, explain_rows
from backends.explain.coalitions import coalition_masks, hybrid_points, shapley_from_values
from backends.explain.gp_exact import RBFProductShapley


def shapley_operator(d, n_bg):
    """Matrix C with phi = C @ f(hybrid points), hybrid points coalition-major."""
    pick = np.zeros((2**d, 2**d * n_bg))
    for s in range(2**d):
        pick[s, s * n_bg : (s + 1) * n_bg] = 1.0 / n_bg
    return shapley_from_values(pick)


@pytest.fixture(scope="module")
def small_gp():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(25, 4)) * [1, 2, 0.5, 3] + [0, 1, 2, 3]
    y = np.sin(X[:, 0]) + 0.3 * X[:, 1] * X[:, 2] + 0.1 * rng.normal(size=25)
    return (
        NumpyRBFGP(X, y, lengthscales=[0.8, 1.2, 1.0, 2.0], outputscale=1.5, noise=0.05, const=0.1),
        X,
        rng,
    )


@pytest.mark.parametrize("method", ["enumeration", "quadrature"])
def test_closed_form_equals_enumeration(small_gp, method):
    gp, X, rng = small_gp
    background, rows = X[:6], rng.normal(size=(3, 4)) + [0, 1, 2, 3]
    out = RBFProductShapley(gp.exact_shapley_data(), background, method=method).explain(rows)
    truth, base = exact_shapley(gp.posterior_mean, rows, background)
    assert np.allclose(out["values"], truth, atol=1e-6)
    assert abs(out["base"] - base) < 1e-6
    assert np.allclose(out["values"].sum(1), out["prediction"] - out["base"], atol=1e-9)
    C = shapley_operator(4, len(background))
    for r, x in enumerate(rows):
        points = hybrid_points(x, background, coalition_masks(4))
        assert np.allclose(out["cov"][r], C @ gp.posterior_cov(points) @ C.T, atol=1e-8)


def test_weighted_background(small_gp):
    gp, X, rng = small_gp
    background, weights, rows = X[:5], np.array([1.0, 2.0, 3.0, 1.0, 1.0]), X[10:12]
    out = RBFProductShapley(gp.exact_shapley_data(), background, weights).explain(
        rows, covariance=False
    )
    truth, _ = exact_shapley(gp.posterior_mean, rows, background, weights)
    assert np.allclose(out["values"], truth, atol=1e-6)


def test_intervals_cover_the_true_attribution():
    """Draw the true function from the GP prior, data from it, and check how often
    the 90% intervals of the attributions hold the true function's Shapley values."""
    rng = np.random.default_rng(7)
    d, n_train, n_bg, ell, s, noise = 2, 12, 4, np.array([0.7, 1.1]), 1.0, 0.05
    C = shapley_operator(d, n_bg)
    hits, total = 0, 0
    for _ in range(150):
        X = rng.uniform(-2, 2, size=(n_train, d))
        background, x = rng.uniform(-2, 2, size=(n_bg, d)), rng.uniform(-2, 2, size=d)
        points = np.vstack([X, hybrid_points(x, background, coalition_masks(d))])
        K = s * np.exp(-0.5 * np.sum(((points[:, None] - points[None]) / ell) ** 2, -1))
        f = np.linalg.cholesky(K + 1e-9 * np.eye(len(K))) @ rng.standard_normal(len(K))
        y = f[:n_train] + np.sqrt(noise) * rng.standard_normal(n_train)
        gp = NumpyRBFGP(X, y, ell, outputscale=s, noise=noise, standardise=False)
        a = explain_rows(gp, x[None], background, level=0.9)
        true_phi = C @ f[n_train:]
        hits += int(np.sum((a.lower[0] <= true_phi) & (true_phi <= a.upper[0])))
        total += d
    assert 0.84 <= hits / total <= 0.96


def test_gp_attributions_record_their_method(small_gp):
    gp, X, _ = small_gp
    a = explain_rows(gp, X[:3], X[5:15])
    assert a.method.startswith("gp-closed-form") and a.additivity_error < 1e-9
    assert np.all(a.upper >= a.values) and np.all(a.sd > 0) and a.draws.shape[1:] == (3, 4)


def test_a_gp_without_exact_data_falls_back_to_enumeration(small_gp):
    gp, X, _ = small_gp

    class OtherKernel(NumpyRBFGP):
        def exact_shapley_data(self):
            return None  # what a GP with, e.g., a periodic kernel answers

    other = OtherKernel.__new__(OtherKernel)
    other.__dict__.update(gp.__dict__)
    a = explain_rows(other, X[:2], X[5:10])
    assert a.method == "exact-enumeration"
    assert np.allclose(a.values, exact_shapley(gp.posterior_mean, X[:2], X[5:10])[0], atol=1e-6)


def test_a_matern_gp_with_many_inputs_is_sampled_within_its_reported_error():
    """Ten inputs and a kernel without closed form: the black-box estimator on the
    predictive mean (the GP's joint function samples are not per-draw functions)."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(60, 10))
    y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2] + 0.3 * X[:, 3:].sum(1)
    gp = NumpyMatern52GP(X, y, lengthscales=np.linspace(1.0, 3.0, 10), noise=0.05)
    background, rows = X[:10], X[40:42]
    a = explain_rows(gp, rows, background, mc_tolerance=0.02)
    truth = exact_shapley(gp.posterior_mean, rows, background)[0]
    assert a.method == "sampled-kernel" and a.n_draws == 0
    assert any(n.startswith("sampled coalitions: the attributions carry") for n in a.notes)
    assert np.all(np.abs(a.values - truth) <= 4 * a.mc_error + 1e-9)
    assert np.max(np.abs(a.values - truth)) > 0  # sampled, not enumerated
    assert a.additivity_error < 1e-9


def test_mean_only_path_equals_the_full_path(small_gp):
    gp, X, _ = small_gp
    explainer = RBFProductShapley(gp.exact_shapley_data(), X[:7])
    full, mean_only = explainer.explain(X[8:11]), explainer.explain(X[8:11], covariance=False)
    assert np.allclose(full["values"], mean_only["values"], atol=1e-12)
