"""ADVI recovers a Gaussian posterior, and its Pareto-k check refuses a funnel."""

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

from backends.mcmc.vi import VIFit, fit_vi
from backends.runtime import CancelToken, Progress, RunCancelled

MEAN = np.array([1.0, -2.0, 0.5, 10.0, -30.0])
SD = np.array([0.1, 1.0, 2.0, 5.0, 20.0])
CORRELATION = np.array(
    [
        [1.0, 0.8, 0.5, 0.0, -0.3],
        [0.8, 1.0, 0.6, 0.2, -0.2],
        [0.5, 0.6, 1.0, 0.4, 0.0],
        [0.0, 0.2, 0.4, 1.0, 0.5],
        [-0.3, -0.2, 0.0, 0.5, 1.0],
    ]
)
COVARIANCE = CORRELATION * np.outer(SD, SD)
PRECISION = np.linalg.inv(COVARIANCE)
LOG_Z = 0.5 * (5 * np.log(2 * np.pi) + np.linalg.slogdet(COVARIANCE)[1])


def gaussian(x: torch.Tensor) -> torch.Tensor:
    """The correlated Gaussian's log-density without its normalising constant."""
    d = x - torch.from_numpy(MEAN)
    return -0.5 * torch.einsum("wi,ij,wj->w", d, torch.from_numpy(PRECISION), d)


def funnel(x: torch.Tensor) -> torch.Tensor:
    """Neal's funnel in 10 dimensions: v ~ N(0, 3), x_i | v ~ N(0, exp(v/2))."""
    v, rest = x[:, 0], x[:, 1:]
    return -(v**2) / 18 - 0.5 * (rest**2).sum(dim=1) * torch.exp(-v) - rest.shape[1] * v / 2


@pytest.fixture(scope="module")
def fullrank() -> tuple[VIFit, list[tuple[float, Progress]]]:
    records: list[tuple[float, Progress]] = []
    fit = fit_vi(
        gaussian,
        5,
        MEAN,
        draws=20000,
        progress=lambda p: records.append((time.monotonic(), p)),
    )
    return fit, records


def test_fullrank_recovers_the_mean_and_covariance(fullrank):
    fit, _ = fullrank
    assert fit.draws.shape == (20000, 5) and fit.log_weights.shape == (20000,)
    np.testing.assert_array_less(np.abs(fit.draws.mean(axis=0) - MEAN) / SD, 0.05)
    np.testing.assert_allclose(fit.draws.std(axis=0), SD, rtol=0.1)
    np.testing.assert_allclose(np.corrcoef(fit.draws.T), CORRELATION, atol=0.1)
    assert fit.pareto_k < 0.5 and fit.usable
    assert fit.verdict.startswith("the approximation is good")
    assert fit.method == "fullrank" and fit.steps == len(fit.elbo) < 10000
    # the ELBO of an exact fit is log Z: the fit's frame and its Jacobian are right
    assert abs(np.mean(fit.elbo[-50:]) - LOG_Z) < 0.05


def test_progress_is_reported_at_most_every_tenth_of_a_second(fullrank):
    _, records = fullrank
    steps = [(t, p) for t, p in records if "elbo" in p.values]
    assert steps and all(np.isfinite(p.values["elbo"]) for _, p in steps)
    assert all(b - a >= 0.09 for (a, _), (b, _) in zip(steps, steps[1:], strict=False))
    assert records[-1][1].message == "checking the approximation (PSIS)"


def test_meanfield_underestimates_the_marginal_sds():
    fit = fit_vi(gaussian, 5, MEAN, method="meanfield", draws=20000)
    sd = fit.draws.std(axis=0)
    # Mean-field's optimum on a Gaussian has the conditional sds, 1/sqrt(precision_ii),
    # which are smaller than the marginal ones wherever a parameter is correlated.
    np.testing.assert_allclose(sd, 1 / np.sqrt(np.diag(PRECISION)), rtol=0.1)
    np.testing.assert_array_less(sd, 0.9 * SD)
    assert fit.method == "meanfield"


def test_the_check_refuses_a_funnel():
    fit = fit_vi(funnel, 10, np.zeros(10))
    assert fit.pareto_k >= 0.7 and not fit.usable
    assert "not reliable" in fit.verdict and "NUTS" in fit.verdict


def test_stop_from_the_progress_callback_cancels_the_fit():
    token = CancelToken()
    with pytest.raises(RunCancelled):
        fit_vi(gaussian, 5, MEAN, progress=lambda _: token.cancel(), cancel=token)
    # the cancelled fit released what it held: the next one runs
    assert fit_vi(gaussian, 5, MEAN, max_steps=50, draws=100).steps == 50


def test_a_seed_gives_the_same_fit_in_any_thread_and_leaves_the_callers_stream():
    def run(seed: int) -> VIFit:
        return fit_vi(gaussian, 5, MEAN, max_steps=200, draws=200, seed=seed)

    torch.manual_seed(7)
    expected_next = torch.rand(3)
    torch.manual_seed(7)
    here = run(3)
    assert torch.equal(torch.rand(3), expected_next)
    with ThreadPoolExecutor(max_workers=2) as pool:
        threaded = list(pool.map(run, [3, 3, 4]))
    for fit in threaded[:2]:
        np.testing.assert_array_equal(fit.draws, here.draws)
        np.testing.assert_array_equal(fit.elbo, here.elbo)
        np.testing.assert_array_equal(fit.log_weights, here.log_weights)
    assert not np.array_equal(threaded[2].draws, here.draws)


def test_the_verdict_says_when_the_step_limit_ended_the_fit():
    fit = fit_vi(gaussian, 5, MEAN, max_steps=100, draws=100)
    assert fit.steps == 100 and "had not settled when the 100 steps ran out" in fit.verdict
