"""The array moves are emcee's moves, step for step, and sample what they should."""

import emcee
import numpy as np
import pytest

from backends.mcmc.moves import VectorDEMove, VectorStretchMove, make_move


@pytest.mark.parametrize("move", ["stretch", "de"])
def test_array_moves_sample_a_correlated_gaussian(move: str):
    cov = np.array([[1.0, 0.9], [0.9, 2.0]])
    precision = np.linalg.inv(cov)

    def log_density(x: np.ndarray) -> np.ndarray:
        return -0.5 * np.einsum("wi,ij,wj->w", x, precision, x)

    sampler = emcee.EnsembleSampler(64, 2, log_density, vectorize=True, moves=make_move(move))
    sampler.random_state = np.random.RandomState(0).get_state()
    sampler.run_mcmc(np.random.default_rng(1).normal(size=(64, 2)), 3000)
    draws = sampler.get_chain(discard=500, flat=True)
    np.testing.assert_allclose(draws.mean(axis=0), [0.0, 0.0], atol=0.08)
    np.testing.assert_allclose(np.cov(draws.T), cov, rtol=0.1, atol=0.05)
    assert 0.2 < np.mean(sampler.acceptance_fraction) < 0.9
    np.testing.assert_allclose(sampler.get_log_prob()[-1], log_density(sampler.get_chain()[-1]))


@pytest.mark.parametrize(
    ("emcee_move", "array_move"),
    [(emcee.moves.StretchMove, VectorStretchMove), (emcee.moves.DEMove, VectorDEMove)],
)
def test_array_moves_reproduce_emcee_moves_exactly(emcee_move, array_move):
    """Same random stream, same decisions: the array version is emcee's move, not a new one."""

    def log_density(x: np.ndarray) -> np.ndarray:
        return -0.5 * np.sum(x**2, axis=1) - np.abs(x[:, 0])

    start = np.random.default_rng(2).normal(size=(32, 3))
    chains = []
    for move in (emcee_move(), array_move()):
        sampler = emcee.EnsembleSampler(32, 3, log_density, vectorize=True, moves=move)
        sampler.random_state = np.random.RandomState(7).get_state()
        sampler.run_mcmc(start, 200)
        chains.append((sampler.get_chain(), sampler.acceptance_fraction))
    np.testing.assert_array_equal(chains[0][0], chains[1][0])
    np.testing.assert_array_equal(chains[0][1], chains[1][1])


def test_an_unknown_move_is_named():
    with pytest.raises(ValueError, match="'walk'.*de, stretch"):
        make_move("walk")


@pytest.mark.parametrize("move", ["stretch", "de"])
def test_the_moves_have_no_absolute_scale(move):
    """Shrinking the target by 2**-30 (~1e-9, a coefficient's width under a Uniform(-1e8,
    1e8) prior on the sampler's scale; a power of two, so exactly) shrinks the chain by
    exactly as much: DE's jitter is relative (on gamma), not a fixed absolute step."""

    def log_density(x: np.ndarray) -> np.ndarray:
        return -0.5 * np.sum(x**2, axis=1) - np.abs(x[:, 0])

    tiny = 2.0**-30
    start = np.random.default_rng(3).normal(size=(32, 3))
    chains = []
    for scale in (1.0, tiny):
        sampler = emcee.EnsembleSampler(
            32, 3, lambda y, s=scale: log_density(y / s), vectorize=True, moves=make_move(move)
        )
        sampler.random_state = np.random.RandomState(4).get_state()
        sampler.run_mcmc(start * scale, 300)
        chains.append(sampler.get_chain() / scale)
    np.testing.assert_array_equal(chains[0], chains[1])
