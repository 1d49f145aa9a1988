"""Independent emcee ensembles, run in lock-step until emcee's convergence rule holds.

Why several ensembles: the walkers of one ensemble are not independent chains
(each move uses the others), so R-hat across walkers says nothing. R-hat is
computed across independent ensembles, each one a "chain" for ArviZ.

Why lock-step chunks: every ensemble advances ``check_every`` steps, then τ is
estimated on all of them. An ensemble is plain data between chunks (positions,
log-densities, random state, the chain so far), so a chunk can run here — with
cancellation and progress checked at every step — or in a worker process of a
``concurrent.futures`` pool (``pool.py``), the ensembles being independent.

Convergence follows emcee's own guidance (Foreman-Mackey, "Autocorrelation
analysis & convergence"): estimate the integrated autocorrelation time τ as the
chain grows; stop once every ensemble's chain is longer than ``tau_factor``·τ
for every parameter and τ changed by less than ``tau_rtol`` since the last check.
Burn-in is then 2·max τ and thinning ½·min τ.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import emcee
import numpy as np

from backends.mcmc.autocorr import integrated_time
from backends.mcmc.moves import make_move
from backends.runtime import CancelToken, Progress, ProgressCallback

LogDensity = Callable[[np.ndarray], np.ndarray]
StepHook = Callable[[int, emcee.State, float], None]


@dataclass
class Ensemble:
    """One ensemble between chunks: everything needed to continue it anywhere."""

    coords: np.ndarray  # (walkers, dim)
    log_prob: np.ndarray | None  # (walkers,), None before the first step
    random_state: tuple
    chain: list[np.ndarray] = field(default_factory=list)  # chunks of (steps, walkers, dim)
    log_probs: list[np.ndarray] = field(default_factory=list)  # chunks of (steps, walkers)
    accepted: np.ndarray | None = None  # (walkers,) accepted moves so far

    @property
    def steps(self) -> int:
        return sum(len(c) for c in self.chain)

    def full_chain(self) -> np.ndarray:
        return np.concatenate(self.chain)

    def acceptance(self) -> np.ndarray:
        return self.accepted / max(self.steps, 1)


@dataclass
class Chunk:
    """What advancing an ensemble by some steps produced."""

    chain: np.ndarray
    log_probs: np.ndarray
    accepted: np.ndarray
    coords: np.ndarray
    log_prob: np.ndarray
    random_state: tuple


def advance(
    log_density: LogDensity,
    ensemble: Ensemble,
    steps: int,
    move: str,
    hook: StepHook | None = None,
) -> Chunk:
    """Run one ensemble ``steps`` steps of ``move`` (``moves.MOVES``) from where it stopped."""
    walkers, dim = ensemble.coords.shape
    sampler = emcee.EnsembleSampler(
        walkers, dim, log_density, vectorize=True, moves=make_move(move)
    )
    start = emcee.State(
        ensemble.coords, log_prob=ensemble.log_prob, random_state=ensemble.random_state
    )
    for i, state in enumerate(
        sampler.sample(start, iterations=steps, skip_initial_state_check=True)
    ):
        if hook is not None:
            hook(i, state, float(np.mean(sampler.backend.accepted) / (i + 1)))
    last = sampler.get_last_sample()
    return Chunk(
        sampler.get_chain(),
        sampler.get_log_prob(),
        sampler.backend.accepted.copy(),
        last.coords,
        last.log_prob,
        sampler.random_state,
    )


def absorb(ensemble: Ensemble, chunk: Chunk) -> None:
    ensemble.chain.append(chunk.chain)
    ensemble.log_probs.append(chunk.log_probs)
    ensemble.accepted = (
        chunk.accepted if ensemble.accepted is None else (ensemble.accepted + chunk.accepted)
    )
    ensemble.coords, ensemble.log_prob = chunk.coords, chunk.log_prob
    ensemble.random_state = chunk.random_state


@dataclass
class Chains:
    """What the ensembles produced, in the unconstrained space."""

    draws: np.ndarray  # (ensembles, draws, dim): burn-in removed, thinned, stuck walkers out
    log_density: np.ndarray  # (ensembles, draws)
    tau: np.ndarray  # (ensembles, dim)
    acceptance: np.ndarray  # (ensembles, walkers)
    stuck: list[list[int]]  # stuck walker indices per ensemble
    steps: int
    burn_in: int
    thin: int
    tau_converged: bool
    history: list[dict] = field(default_factory=list)  # τ at each check, for the report


@dataclass
class SamplerSettings:
    walkers: int
    max_steps: int
    check_every: int
    tau_factor: float
    tau_rtol: float
    until_converged: bool
    max_draws: int


ChunkRunner = Callable[[list[Ensemble], int], list[Chunk]]


@dataclass
class StepPlan:
    """The steps, over all ensembles, that the run expects to take: the budget at first,
    then what emcee's rule asks for given τ so far (run_ensembles updates it), so that
    the progress bar and its time estimate follow a run that stops when converged."""

    total: int


def new_ensembles(starts: list[np.ndarray], seed: int) -> list[Ensemble]:
    return [
        Ensemble(start, None, np.random.RandomState(seed + 7919 * (k + 1)).get_state())
        for k, start in enumerate(starts)
    ]


def local_runner(
    log_density: LogDensity,
    progress: ProgressCallback,
    cancel: CancelToken,
    names: list[str],
    constrain: Callable[[np.ndarray], np.ndarray],
    plan: StepPlan,
    move: str,
) -> ChunkRunner:
    """Run chunks in this process, one ensemble after another, checking Stop every step."""
    reporter = _Reporter(progress, plan, names, constrain)

    def run(ensembles: list[Ensemble], steps: int) -> list[Chunk]:
        chunks = []
        for k, ensemble in enumerate(ensembles):

            def hook(_: int, state: emcee.State, acceptance: float, k: int = k) -> None:
                cancel.raise_if_cancelled()
                reporter.step(k, state, acceptance)

            chunks.append(advance(log_density, ensemble, steps, move, hook))
        return chunks

    return run


def run_ensembles(
    ensembles: list[Ensemble],
    settings: SamplerSettings,
    run_chunk: ChunkRunner,
    progress: ProgressCallback,
    plan: StepPlan,
) -> Chains:
    """Advance every ensemble chunk by chunk until converged or out of budget."""
    dim = ensembles[0].coords.shape[1]
    old_tau = np.full(dim, np.inf)
    history: list[dict] = []
    steps, converged = 0, False
    while steps < settings.max_steps:
        chunk = min(settings.check_every, settings.max_steps - steps)
        for ensemble, result in zip(ensembles, run_chunk(ensembles, chunk), strict=True):
            absorb(ensemble, result)
        steps += chunk
        worst = np.max(_tau(ensembles), axis=0)
        history.append({"step": steps, "tau_max": float(np.max(worst))})
        long_enough = bool(np.all(worst * settings.tau_factor < steps))
        stable = bool(np.all(np.abs(old_tau - worst) / worst < settings.tau_rtol))
        converged = long_enough and stable
        old_tau = worst
        plan.total = _expected_steps(settings, steps, worst) * len(ensembles)
        message = f"{steps} steps per ensemble; max τ = {np.max(worst):.1f}"
        progress(
            Progress(
                steps * len(ensembles),
                plan.total,
                message,
                {"tau_max": float(np.max(worst)), "converged": converged, "steps": steps},
            )
        )
        if converged and settings.until_converged:
            break
    return _collect(ensembles, steps, converged, settings.max_draws, history)


def _expected_steps(settings: SamplerSettings, steps: int, worst_tau: np.ndarray) -> int:
    """Steps per ensemble this run will likely take: the whole budget, or, when it stops
    once converged, the chain length the rule asks for given τ so far (at least one
    more check)."""
    if not settings.until_converged:
        return settings.max_steps
    wanted = int(np.ceil(settings.tau_factor * np.max(worst_tau)))
    return min(settings.max_steps, max(steps + settings.check_every, wanted))


def _tau(ensembles: list[Ensemble]) -> np.ndarray:
    """τ per ensemble and parameter (an estimate even for short chains; a chain too
    short or stuck to give one counts as τ = its length)."""
    out = []
    for ensemble in ensembles:
        tau = integrated_time(ensemble.full_chain())
        out.append(np.where(np.isfinite(tau) & (tau > 0), tau, ensemble.steps))
    return np.array(out)


def stuck_walkers(acceptance: np.ndarray) -> np.ndarray:
    """Walkers whose acceptance is far below their ensemble's: they sit in a poor region."""
    median = np.median(acceptance)
    return np.flatnonzero(acceptance < min(0.25 * median, 0.05))


def _collect(
    ensembles: list[Ensemble], steps: int, converged: bool, max_draws: int, history: list
) -> Chains:
    tau = _tau(ensembles)
    burn_in = min(int(2 * np.max(tau)), steps // 2)
    thin = max(1, min(int(0.5 * np.min(tau)), max(1, (steps - burn_in) // 20)))
    draws, logps, accept, stuck = [], [], [], []
    for ensemble in ensembles:
        acceptance = ensemble.acceptance()
        bad = stuck_walkers(acceptance)
        good = np.setdiff1d(np.arange(acceptance.size), bad)
        draws.append(ensemble.full_chain()[burn_in::thin][:, good, :])
        logps.append(np.concatenate(ensemble.log_probs)[burn_in::thin][:, good])
        accept.append(acceptance)
        stuck.append([int(i) for i in bad])
    keep = min(min(c.shape[0] * c.shape[1] for c in draws), max_draws)
    return Chains(
        draws=np.stack([_walker_major(c, keep) for c in draws]),
        log_density=np.stack([_walker_major(lp[..., None], keep)[:, 0] for lp in logps]),
        tau=tau,
        acceptance=np.stack(accept),
        stuck=stuck,
        steps=steps,
        burn_in=burn_in,
        thin=thin,
        tau_converged=converged,
        history=history,
    )


def _walker_major(chain: np.ndarray, keep: int) -> np.ndarray:
    """``keep`` draws of a (steps, walkers, dim) chain, one walker's run after another.

    Walker-major order keeps each walker's autocorrelation at short lags, where
    ESS estimators see it; step-major order would hide it at lag = walkers and
    overstate the ESS. The latest steps are kept.
    """
    steps, walkers = chain.shape[:2]
    recent = chain[steps - min(steps, -(-keep // walkers)) :]
    return np.swapaxes(recent, 0, 1).reshape(-1, chain.shape[-1])[:keep]


class _Reporter:
    """Progress records at most every 0.1 s, with a few numbers for live plots."""

    def __init__(
        self, progress: ProgressCallback, plan: StepPlan, names: list[str], constrain
    ) -> None:
        self.progress, self.plan, self.names = progress, plan, names[:8]
        self.constrain = constrain
        self.done = 0
        self.last = 0.0

    def step(self, ensemble: int, state: emcee.State, acceptance: float) -> None:
        self.done += 1
        now = time.monotonic()
        if now - self.last < 0.1:
            return
        self.last = now
        means = self.constrain(state.coords).mean(axis=0)
        values = {
            "ensemble": ensemble,
            "log_density": float(np.mean(state.log_prob)),
            "acceptance": acceptance,
            "walker_means": {n: float(means[i]) for i, n in enumerate(self.names)},
        }
        self.progress(Progress(self.done, self.plan.total, "sampling", values))
