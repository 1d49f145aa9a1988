"""Our batched τ estimate is emcee's, number for number."""

from __future__ import annotations

import emcee
import numpy as np
import pytest

from backends.mcmc.autocorr import integrated_time


def _ar1(steps: int, walkers: int, phi: np.ndarray, seed: int) -> np.ndarray:
    """AR(1) chains, one coefficient per parameter: τ = (1 + phi) / (1 - phi)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((steps, walkers, len(phi)))
    noise = rng.normal(size=x.shape)
    for t in range(1, steps):
        x[t] = phi * x[t - 1] + noise[t]
    return x


@pytest.mark.parametrize("steps", [1, 7, 64, 1000, 1537])
def test_equals_emcee(steps: int) -> None:
    chain = _ar1(steps, 12, np.array([0.0, 0.5, 0.9, 0.99]), seed=steps)
    with np.errstate(all="ignore"):
        expected = emcee.autocorr.integrated_time(chain, tol=0, quiet=True)
    np.testing.assert_allclose(integrated_time(chain), expected, rtol=1e-10, atol=1e-12)


def test_recovers_the_known_time_of_a_long_chain() -> None:
    phi = np.array([0.5, 0.8])
    tau = integrated_time(_ar1(20_000, 16, phi, seed=1))
    np.testing.assert_allclose(tau, (1 + phi) / (1 - phi), rtol=0.1)


def test_a_stuck_walker_gives_nan_as_emcee_does() -> None:
    chain = _ar1(200, 4, np.array([0.5]), seed=2)
    chain[:, 0, 0] = 1.0
    with np.errstate(all="ignore"):
        assert np.isnan(emcee.autocorr.integrated_time(chain, tol=0, quiet=True)[0])
    assert np.isnan(integrated_time(chain)[0])
