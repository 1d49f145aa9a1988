"""The ensemble sampler's three defects of issue 16, fixed: a posterior far narrower
than its prior on the sampler's scale (kidiq with Uniform(-1e8, 1e8) priors) is
sampled correctly, a convergence check costs a bounded amount whatever the chain's
length, and the memory is bounded by the draws kept."""

from __future__ import annotations

import numpy as np
import pytest

from backends.graph.compile import compile_model
from backends.mcmc import engine, sampler
from backends.mcmc.autocorr import integrated_time
from backends.mcmc.diagnostics import drift, parameter_table, verdict
from backends.mcmc.sampler import (
    Chunk,
    Ensemble,
    History,
    SamplerSettings,
    StepPlan,
    local_runner,
    new_ensembles,
    run_ensembles,
    stray_walkers,
)
from backends.mcmc.start import Start, _curvature_scale, find_map, initial_ball
from backends.runtime import CancelToken
from tests.backends.mcmc.models import flat_kidiq


def test_wide_uniform_priors_give_the_right_posterior_or_say_not_converged() -> None:
    graph, table, coef, se = flat_kidiq()
    settings = {
        "sampler": "ensemble",
        "move": "de",
        "walkers": 32,
        "max_steps": 3000,
        "check_every": 50,
        "max_draws": 2000,
        "map_restarts": 2,
        "ppc_draws": 0,
    }
    summary = engine.run(graph, table, settings, seed=3).summary()
    b1, sigma = summary["parameters"]["b1"], summary["parameters"]["sigma"]
    # right, or else reported as not converged; before the fix it was neither (beta[1]
    # = 1.88 ± 75, sigma = 333 ± 2480, R-hat 1.004); now it is right, and says so
    assert summary["converged"], summary["warnings"]
    assert abs(b1["mean"] - coef[1]) < 4 * b1["mcse_mean"]
    assert abs(b1["sd"] / se[1] - 1) < 0.15
    assert abs(sigma["mean"] - 18.27) < 4 * sigma["mcse_mean"] + 0.01


def test_the_start_follows_a_posterior_1e9_wide_on_the_sampler_scale() -> None:
    """The root cause: the curvature's scale was clipped at 1e-4 (the ball 10,000
    posterior sds wide in b1) and the optimiser stopped far from the mode (sigma 105
    instead of 18.2) on a problem with condition number 1e16."""
    graph, table, coef, _ = flat_kidiq()
    model = compile_model(graph, table)
    start = find_map(model.log_density, model.dim, np.random.default_rng(0), restarts=2)
    mode = model.constrain(start.mode[None, :])[0]
    np.testing.assert_allclose(mode[:2], coef, rtol=1e-4)
    assert abs(mode[2] - 18.2) < 0.05
    np.testing.assert_allclose(start.restarts, start.log_density, atol=1e-4)  # both restarts
    # the ball: 0.1 of each coefficient's sd given the others (diagonal Laplace)
    x = np.asarray(table["mom_iq"], float)
    conditional = mode[2] / np.sqrt([len(x), np.sum(x**2)])
    ball = model.constrain(initial_ball(model.log_density, start, 256, np.random.default_rng(1)))
    np.testing.assert_allclose(ball[:, :2].std(axis=0), 0.1 * conditional, rtol=0.2)


def test_from_a_start_far_too_wide_the_run_says_it_has_not_converged() -> None:
    """The start the old code made for kidiq: sigma's mode at 105 (for 18.2) and a ball
    10,000 posterior sds wide in b1. Some walkers linger far out for thousands of steps,
    moving among themselves; the run must not look converged, and the stranded walkers
    are left out of the draws."""
    graph, table, _, _ = flat_kidiq()
    model = compile_model(graph, table)
    mode = np.array([5.16108921e-07, 1.21983700e-08, 4.65795183])  # 25.8, 0.61, 105
    scale = np.array([1e-4, 1e-4, 0.196])
    start = Start(mode, float(model.log_density(mode[None, :])[0]), scale, [])
    rng = np.random.default_rng(0)
    balls = [initial_ball(model.log_density, start, 32, rng) for _ in range(3)]
    ensembles = new_ensembles(balls, 0)
    plan = StepPlan(0)
    runner = local_runner(
        model.log_density, lambda _: None, CancelToken(), model.names, model.constrain, plan, "de"
    )
    settings = SamplerSettings(32, 2000, 100, 50.0, 0.01, True, 4000)
    chains = run_ensembles(ensembles, settings, runner, lambda _: None, plan)
    draws = model.constrain(chains.draws.reshape(-1, 3)).reshape(chains.draws.shape)
    converged, warnings = verdict(
        parameter_table(draws, model.names),
        n_chains=3,
        tau_converged=chains.tau_converged,
        tau_max=float(np.max(chains.tau)),
        steps=chains.steps,
        tau_factor=50.0,
        stuck=chains.stuck,
        acceptance=float(np.mean(chains.acceptance)),
        drifting=[model.names[i] for i in chains.drifting],
    )
    assert not converged and not chains.tau_converged
    assert sum(map(len, chains.stuck)) > 0 and any("stranded" in w for w in warnings)


def test_walkers_stranded_far_below_the_rest_are_found() -> None:
    rng = np.random.default_rng(9)
    gaussian = -0.5 * rng.chisquare(3, size=(400, 64))  # log-densities of a 3-d Gaussian
    assert stray_walkers(gaussian).size == 0
    cauchy = -np.log1p(rng.standard_cauchy(size=(400, 64)) ** 2)  # fat tails are no strays
    assert stray_walkers(cauchy).size == 0
    stranded = gaussian.copy()
    stranded[:, [3, 40]] -= 100.0
    assert stray_walkers(stranded).tolist() == [3, 40]


def test_the_curvature_scale_is_right_at_any_scale() -> None:
    sd = np.array([1e-10, 1e-6, 1.0, 5.0])
    centre = np.array([5e-7, 1e-8, 3.0, -2.0])

    def log_density(u: np.ndarray) -> np.ndarray:
        return -0.5 * np.sum(((u - centre) / sd) ** 2, axis=1)

    np.testing.assert_allclose(_curvature_scale(log_density, centre), sd, rtol=1e-6)


def _ar1(steps: int, walkers: int, rho: np.ndarray, rng: np.random.Generator, x0=None):
    """AR(1) chains with unit variance, one coefficient per parameter, continuing
    from ``x0`` (walkers, parameters) or from the stationary distribution:
    τ = (1 + ρ) / (1 - ρ)."""
    previous = rng.normal(size=(walkers, rho.size)) if x0 is None else x0
    x = rng.normal(size=(steps, walkers, rho.size)) * np.sqrt(1 - rho**2)
    for t in range(steps):
        previous = x[t] = rho * previous + x[t]
    return x


def test_the_thinned_history_keeps_the_multiples_of_its_stride_within_its_cap() -> None:
    history = History.empty(3, 2, cap=64)
    step = 0
    for n in (10, 1, 37, 100, 5, 300, 64, 1000):  # chunks of any length, some above the cap
        t = np.arange(step + 1, step + n + 1, dtype=float)
        history.add(
            np.broadcast_to(t[:, None, None], (n, 3, 2)), np.broadcast_to(t[:, None], (n, 3))
        )
        step += n
        assert history.steps == step and history.size <= history.cap
        assert history.stride <= max(1, 2 * step / (history.cap + 1))  # halved only if full
        np.testing.assert_array_equal(history.chain[:, 0, 0], history.step_numbers)
        np.testing.assert_array_equal(history.log_prob[: history.size, 2], history.step_numbers)
        np.testing.assert_array_equal(history.step_numbers % history.stride, 0)
    assert history.stride == 32 and history.size == step // 32


@pytest.mark.parametrize("cap", [256, 512])
def test_tau_from_the_thinned_history_agrees_with_the_whole_chain(cap: int) -> None:
    """At the length emcee's rule asks for (50 τ) the stored steps resolve τ; a
    parameter that mixes much faster than the stride is overestimated, harmlessly
    (the rule is set by the slowest, and its thinning only gets coarser)."""
    rho = np.array([0.98, 0.99, 0.5])  # τ = (1 + ρ) / (1 - ρ) = 99, 199 and 3
    chain = _ar1(10_000, 16, rho, np.random.default_rng(5))  # 50 τ of the slowest
    history = History.empty(16, 3, cap=cap)
    for chunk in np.split(chain, 100):
        history.add(chunk, chunk[:, :, 0])
    assert history.size <= cap and history.stride >= 16
    full, thinned = integrated_time(chain), history.tau()
    np.testing.assert_allclose(thinned[:2], full[:2], rtol=0.15)
    np.testing.assert_allclose(thinned[:2], (1 + rho[:2]) / (1 - rho[:2]), rtol=0.2)
    assert full[2] < thinned[2] < 2 * history.stride


class _AR1Runner:
    """A chunk runner without a model: each ensemble's walkers follow AR(1) chains."""

    def __init__(self, rho: np.ndarray, seed: int) -> None:
        self.rho, self.rng = rho, np.random.default_rng(seed)

    def __call__(self, ensembles: list[Ensemble], steps: int) -> list[Chunk]:
        chunks = []
        for ensemble in ensembles:
            chain = _ar1(steps, ensemble.coords.shape[0], self.rho, self.rng, ensemble.coords)
            log_probs = -0.5 * np.sum(chain**2, axis=2)
            accepted = np.full(chain.shape[1], steps // 2)
            chunks.append(Chunk(chain, log_probs, accepted, chain[-1], log_probs[-1], ()))
        return chunks


def test_a_long_run_checks_and_stores_a_bounded_amount(monkeypatch) -> None:
    walkers, dim = 64, 51
    runner = _AR1Runner(np.linspace(0.5, 0.97, dim), seed=6)
    seen: list[int] = []  # the steps each τ estimate looked at

    def counting(chain: np.ndarray, c: float = 5.0) -> np.ndarray:
        seen.append(len(chain))
        return integrated_time(chain, c)

    monkeypatch.setattr(sampler, "integrated_time", counting)
    ensembles = new_ensembles([np.zeros((walkers, dim)) for _ in range(2)], seed=0)
    settings = SamplerSettings(walkers, 8000, 1000, 50.0, 0.01, False, 4000)
    chains = run_ensembles(ensembles, settings, runner, lambda _: None, StepPlan(0))
    cap = ensembles[0].history.cap
    assert max(seen) <= cap <= 8000 // 15  # each check saw at most `cap` steps, not 8000
    stored = sum(e.history.positions.nbytes + e.history.log_prob.nbytes for e in ensembles)
    assert stored <= 2 * sampler.HISTORY_BYTES  # 8000 steps would be 2 x 213 MB
    assert chains.draws.shape == (2, 4000, dim) and chains.steps == 8000
    # τ of the slowest parameter (ρ = 0.97: τ = 65.7), and burn-in and thinning from it
    np.testing.assert_allclose(np.max(chains.tau), 1.97 / 0.03, rtol=0.2)
    assert chains.burn_in == int(2 * np.max(chains.tau))
    assert chains.thin % ensembles[0].history.stride == 0
    assert not chains.drifting  # a stationary run is not taken for a drifting one


def test_the_draws_are_the_latest_thinned_steps_walker_by_walker() -> None:
    """Positions are their step numbers (parameter 0) and walker numbers (parameter 1),
    so the draws show which steps were kept, in which order; parameter 2 sets τ."""
    walkers, rng = 8, np.random.default_rng(7)

    def run(ensembles: list[Ensemble], steps: int) -> list[Chunk]:
        chunks = []
        for ensemble in ensembles:
            t = np.arange(ensemble.steps + 1, ensemble.steps + steps + 1, dtype=float)
            chain = np.empty((steps, walkers, 3))
            chain[:, :, 0] = t[:, None]
            chain[:, :, 1] = np.arange(walkers)
            ar = _ar1(steps, walkers, np.array([0.9]), rng, ensemble.coords[:, 2:])
            chain[:, :, 2] = ar[:, :, 0]
            lp = chain[:, :, 0].copy()
            accepted = np.full(walkers, steps // 2)
            chunks.append(Chunk(chain, lp, accepted, chain[-1], lp[-1], ()))
        return chunks

    start = np.zeros((walkers, 3))
    ensembles = new_ensembles([start, start.copy()], seed=0)
    for e in ensembles:
        e.history = History.empty(walkers, 3, cap=64)
    settings = SamplerSettings(walkers, 3000, 100, 50.0, 0.01, False, 80)
    chains = run_ensembles(ensembles, settings, run, lambda _: None, StepPlan(0))
    per_walker = 80 // walkers
    for k in range(2):
        steps = chains.draws[k, :, 0].reshape(walkers, per_walker)
        walker_of = np.repeat(np.arange(walkers), per_walker)
        np.testing.assert_array_equal(chains.draws[k, :, 1], walker_of)
        np.testing.assert_array_equal(np.diff(steps, axis=1), chains.thin)  # thinned, in order
        assert np.all(steps > chains.burn_in) and np.all(steps[:, -1] > 3000 - chains.thin)
        np.testing.assert_array_equal(chains.log_density[k], chains.draws[k, :, 0])


def test_drift_between_the_halves_of_a_run_is_seen() -> None:
    rng = np.random.default_rng(8)
    settled = [_ar1(400, 32, np.array([0.8, 0.8]), rng) for _ in range(4)]
    assert np.all(drift(settled) < 1.01)
    contracting = [run.copy() for run in settled]
    for run in contracting:  # parameter 1's spread still shrinking, as from a too wide ball
        run[:, :, 1] *= np.linspace(3.0, 1.0, 400)[:, None]
    rhat = drift(contracting)
    assert rhat[0] < 1.01 < rhat[1]


def test_a_drifting_run_is_reported_not_converged() -> None:
    row = {"r_hat": 1.0, "ess_bulk": 5000.0, "ess_tail": 5000.0}
    common = {
        "n_chains": 4,
        "tau_max": 10.0,
        "steps": 2000,
        "tau_factor": 50.0,
        "stuck": [[], [], [], []],
        "acceptance": 0.4,
    }
    converged, warnings = verdict({"b1": row}, tau_converged=True, **common)
    assert converged and not warnings
    converged, warnings = verdict({"b1": row}, tau_converged=False, drifting=["b1"], **common)
    assert not converged and len(warnings) == 1 and "had not settled for b1" in warnings[0]
