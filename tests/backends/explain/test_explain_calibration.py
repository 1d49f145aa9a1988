"""Coverage and PIT on held-out data drawn from a known model."""

import numpy as np
from explain_doubles import ConjugateLinear

from backends.explain import calibration, coverage_sentence, holdout_split


def simulate(n, rng, beta):
    X = rng.normal(size=(n, 3))
    return X, X @ beta + rng.standard_normal(n)


def test_coverage_and_pit_of_a_correct_model():
    rng = np.random.default_rng(4)
    beta = np.array([1.0, -0.5, 2.0])
    X, y = simulate(1500, rng, beta)
    train, test = holdout_split(len(y), fraction=0.6, seed=1)
    assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == len(y)
    result = ConjugateLinear.fit(X[train], y[train], sigma=1.0)
    calib = calibration(result, X[test], y[test], n_draws=400)
    assert calib["n"] == len(test)
    for entry in calib["coverage"]:
        assert abs(entry["coverage"] - entry["level"]) < 4 * entry["nominal_se"] + 0.01
    assert calib["pit"]["ks_pvalue"] > 1e-3
    assert sum(calib["pit"]["histogram"]) == len(test)
    sentence = coverage_sentence(calib, 0.9)
    assert f"On {len(test)} held-out rows, the 90% intervals" in sentence


def test_overconfident_model_is_caught():
    rng = np.random.default_rng(5)
    beta = np.array([1.0, -0.5, 2.0])
    X, y = simulate(800, rng, beta)
    result = ConjugateLinear.fit(X[:300], y[:300], sigma=0.5)  # the true noise sd is 1
    calib = calibration(result, X[300:], y[300:])
    ninety = next(e for e in calib["coverage"] if e["level"] == 0.9)
    assert ninety["coverage"] < 0.75
    assert calib["pit"]["ks_pvalue"] < 1e-3
