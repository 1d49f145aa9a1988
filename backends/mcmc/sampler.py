"""Independent emcee ensembles, run in lock-step until emcee's convergence rule holds.

Why several ensembles: the walkers of one ensemble are not independent chains
(each move uses the others), so R-hat across walkers says nothing. R-hat is
computed across independent ensembles, each one a "chain" for ArviZ.

Why lock-step chunks: every ensemble advances ``check_every`` steps, then τ is
estimated on all of them. An ensemble is plain data between chunks (positions,
log-densities, random state, its history), so a chunk can run here — with
cancellation and progress checked at every step — or in a worker process of a
``concurrent.futures`` pool (``pool.py``), the ensembles being independent.

Convergence follows emcee's own guidance (Foreman-Mackey, "Autocorrelation
analysis & convergence"): estimate the integrated autocorrelation time τ as the
chain grows; stop once every ensemble's chain is longer than ``tau_factor``·τ
for every parameter and τ changed by less than ``tau_rtol`` since the last check.
Burn-in is then 2·max τ and thinning ½·min τ.

Why a bounded history: keeping every step made memory grow with the run (3.6 GB
for a 51-parameter model) and each check recompute τ over the whole chain (17 s
per check at 10,000 steps). An ensemble keeps at most ``History.cap`` steps: the
steps t = s, 2s, 3s, ... of stride s; when full, every second one is dropped and
s doubles. τ is estimated on the stored steps, in their units, times s — the same
estimator over the same span of the run, at a resolution finer than τ (at the
rule's length, 50 τ, the stored steps hold 5 to 10 per τ; a parameter mixing much
faster than s is overestimated, at most about s, which neither sets the rule nor
does harm to the thinning). A check then costs a bounded amount whatever the
chain's length, and so does the memory. The draws come from the stored steps:
thinning is ½·min τ rounded to a multiple of s.

Why more checks than emcee's rule: all ensembles start from the same ball, so
R-hat across them cannot see a start they all share and have not forgotten. Two
things are looked at on the run after burn-in: walkers stranded far below the
rest of their ensemble in log-density (``stray_walkers``; left out of the draws
like stuck ones, and counted with them), and drift between the first and second
halves of each ensemble's run (``diagnostics.drift``): while it drifts the run
goes on, and if it still does when the budget is spent the parameters are named.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import emcee
import numpy as np

from backends.mcmc.autocorr import integrated_time
from backends.mcmc.diagnostics import RHAT_LIMIT, drift
from backends.mcmc.moves import make_move
from backends.runtime import CancelToken, Progress, ProgressCallback

LogDensity = Callable[[np.ndarray], np.ndarray]
StepHook = Callable[[int, emcee.State, float], None]


HISTORY_BYTES = 32 * 2**20  # stored positions and log-densities per ensemble, at most
MIN_STORED = 256  # stored steps however large the model (then HISTORY_BYTES is exceeded)
MAX_STORED = 512  # stored steps however small the model: at the rule's 50 τ, 5-10 per τ
DRIFT_DRAWS = 2000  # draws per ensemble that the drift check compares, about
STRAY_SPREADS = 10.0  # a walker this many typical spreads of log-density below the rest strays


@dataclass
class History:
    """One ensemble's chain, progressively thinned so that it never holds more than
    ``cap`` steps: the steps t = stride, 2·stride, ... (t counted from 1 after the
    start). When a step that belongs does not fit, every second stored step is
    dropped (those kept are the multiples of 2·stride) and the stride doubles."""

    positions: np.ndarray  # (cap, walkers, dim); the first ``size`` rows are filled
    log_prob: np.ndarray  # (cap, walkers)
    stride: int = 1
    size: int = 0
    steps: int = 0  # steps seen

    @classmethod
    def empty(cls, walkers: int, dim: int, cap: int | None = None) -> History:
        if cap is None:
            fits = HISTORY_BYTES // (8 * walkers * (dim + 1))
            cap = int(np.clip(fits, MIN_STORED, MAX_STORED))
        cap = max(2, cap - cap % 2)
        return cls(np.empty((cap, walkers, dim)), np.empty((cap, walkers)))

    @property
    def cap(self) -> int:
        return len(self.positions)

    @property
    def chain(self) -> np.ndarray:
        """The stored steps, (size, walkers, dim) (a view)."""
        return self.positions[: self.size]

    @property
    def step_numbers(self) -> np.ndarray:
        """The step t of each stored row."""
        return self.stride * np.arange(1, self.size + 1)

    def add(self, chain: np.ndarray, log_prob: np.ndarray) -> None:
        """Append the steps that follow ``steps``: ``chain`` is (n, walkers, dim)."""
        t = self.steps + np.arange(1, len(chain) + 1)
        wanted = np.flatnonzero(t % self.stride == 0)
        while self.size + wanted.size > self.cap:
            self._halve()
            wanted = np.flatnonzero(t % self.stride == 0)
        end = self.size + wanted.size
        self.positions[self.size : end] = chain[wanted]
        self.log_prob[self.size : end] = log_prob[wanted]
        self.size, self.steps = end, self.steps + len(chain)

    def _halve(self) -> None:
        half = self.size // 2
        self.positions[:half] = self.positions[1 : 2 * half : 2]
        self.log_prob[:half] = self.log_prob[1 : 2 * half : 2]
        self.size, self.stride = half, 2 * self.stride

    def tau(self) -> np.ndarray:
        """τ per parameter in steps: emcee's estimate on the stored steps times the
        stride (NaN where a walker did not move)."""
        return self.stride * integrated_time(self.chain)


@dataclass
class Ensemble:
    """One ensemble between chunks: everything needed to continue it anywhere."""

    coords: np.ndarray  # (walkers, dim)
    log_prob: np.ndarray | None  # (walkers,), None before the first step
    random_state: tuple
    history: History | None = None  # None until the first chunk
    accepted: np.ndarray | None = None  # (walkers,) accepted moves so far

    @property
    def steps(self) -> int:
        return 0 if self.history is None else self.history.steps

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
    if ensemble.history is None:
        ensemble.history = History.empty(*chunk.coords.shape)
    ensemble.history.add(chunk.chain, chunk.log_probs)
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
    drifting: list[int] = field(default_factory=list)  # parameters whose halves disagree


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
    """Advance every ensemble chunk by chunk until converged or out of budget.

    Converged: emcee's rule holds and no parameter drifts between the halves of
    the run after burn-in (``_drifting``; looked at only when the rule holds and
    the run would stop, and once at the end)."""
    dim = ensembles[0].coords.shape[1]
    old_tau = np.full(dim, np.inf)
    history: list[dict] = []
    steps, rule, drifting, tau = 0, False, None, None
    while steps < settings.max_steps:
        chunk = min(settings.check_every, settings.max_steps - steps)
        for ensemble, result in zip(ensembles, run_chunk(ensembles, chunk), strict=True):
            absorb(ensemble, result)
        steps += chunk
        tau = _tau(ensembles)
        worst = np.max(tau, axis=0)
        history.append({"step": steps, "tau_max": float(np.max(worst))})
        long_enough = bool(np.all(worst * settings.tau_factor < steps))
        stable = bool(np.all(np.abs(old_tau - worst) / worst < settings.tau_rtol))
        rule = long_enough and stable
        drifting = _drifting(ensembles, tau, steps) if rule and settings.until_converged else None
        converged = rule and not drifting
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
    if drifting is None:
        drifting = _drifting(ensembles, tau, steps)
    converged = rule and not drifting
    return _collect(ensembles, tau, steps, converged, settings.max_draws, history, drifting)


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
        tau = ensemble.history.tau()
        out.append(np.where(np.isfinite(tau) & (tau > 0), tau, ensemble.steps))
    return np.array(out)


def _burn_in_and_thin(tau: np.ndarray, steps: int) -> tuple[int, int]:
    """Burn-in 2·max τ (at most half the run), thinning ½·min τ (at least 20 draws per
    walker after burn-in), both in steps."""
    burn_in = min(int(2 * np.max(tau)), steps // 2)
    thin = max(1, min(int(0.5 * np.min(tau)), max(1, (steps - burn_in) // 20)))
    return burn_in, thin


def _after_burn_in(history: History, burn_in: int, thin: int) -> tuple[np.ndarray, int]:
    """Indices of the stored steps after ``burn_in``, every ``thin`` steps as nearly as
    the stored stride allows (a multiple of it), and that spacing in steps."""
    every = max(1, round(thin / history.stride))
    first = -(-(burn_in + 1) // history.stride) - 1
    return np.arange(first, history.size, every), every * history.stride


def stuck_walkers(acceptance: np.ndarray) -> np.ndarray:
    """Walkers whose acceptance is far below their ensemble's: they sit in a poor region."""
    median = np.median(acceptance)
    return np.flatnonzero(acceptance < min(0.25 * median, 0.05))


def stray_walkers(log_prob: np.ndarray) -> np.ndarray:
    """Walkers stranded far below the rest of their ensemble, from their log-densities
    after burn-in, (steps, walkers): a median more than ``STRAY_SPREADS`` typical
    interquartile ranges (one walker's, over time) below the median walker's.

    Walkers far out in a region of negligible mass can keep moving among themselves
    (their acceptance looks normal) for thousands of steps, and they fatten the tails
    by orders of magnitude (kidiq from a start far too wide: sigma 1200 ± 10,600 for
    18.3 ± 0.6). In equilibrium a walker's median over the run after burn-in lies
    within a fraction of one spread of the others' (a Cauchy posterior's walker would
    have to sit beyond |x| = 9000 for half its run)."""
    medians = np.median(log_prob, axis=0)
    upper, lower = np.percentile(log_prob, [75, 25], axis=0)
    spread = float(np.median(upper - lower))
    if not spread > 0:
        return np.array([], dtype=int)
    return np.flatnonzero(medians < np.median(medians) - STRAY_SPREADS * spread)


def _left_out(ensemble: Ensemble, burn_in: int) -> np.ndarray:
    """Walkers kept out of the draws: stuck (``stuck_walkers``) or stranded
    (``stray_walkers``)."""
    rows, _ = _after_burn_in(ensemble.history, burn_in, 1)
    stray = stray_walkers(ensemble.history.log_prob[rows])
    return np.union1d(stuck_walkers(ensemble.acceptance()), stray).astype(int)


def _drifting(ensembles: list[Ensemble], tau: np.ndarray, steps: int) -> list[int]:
    """Parameters whose first and second halves after burn-in disagree (R-hat between
    the halves of every ensemble above the limit): the walkers had not settled."""
    burn_in, _ = _burn_in_and_thin(tau, steps)
    runs = []
    for ensemble in ensembles:
        good = np.setdiff1d(np.arange(ensemble.coords.shape[0]), _left_out(ensemble, burn_in))
        rows, _ = _after_burn_in(ensemble.history, burn_in, 1)
        wanted = max(8, DRIFT_DRAWS // good.size)  # spread over the run: all walkers count
        rows = rows[:: max(1, -(-rows.size // wanted))]
        runs.append(ensemble.history.positions[rows][:, good, :])
    return [int(i) for i in np.flatnonzero(drift(runs) > RHAT_LIMIT)]


def _collect(
    ensembles: list[Ensemble],
    tau: np.ndarray,
    steps: int,
    converged: bool,
    max_draws: int,
    history: list,
    drifting: list[int],
) -> Chains:
    burn_in, thin = _burn_in_and_thin(tau, steps)
    picked = [_after_burn_in(e.history, burn_in, thin) for e in ensembles]
    accept = [e.acceptance() for e in ensembles]
    stuck = [_left_out(e, burn_in) for e in ensembles]
    good = [np.setdiff1d(np.arange(a.size), bad) for a, bad in zip(accept, stuck, strict=True)]
    available = min(rows.size * g.size for (rows, _), g in zip(picked, good, strict=True))
    keep = min(available, max_draws)
    draws, logps = [], []
    for ensemble, (rows, _), g in zip(ensembles, picked, good, strict=True):
        latest = rows[rows.size - min(rows.size, -(-keep // g.size)) :]  # the steps kept
        draws.append(_walker_major(ensemble.history.positions[latest][:, g, :], keep))
        logps.append(_walker_major(ensemble.history.log_prob[latest][:, g, None], keep)[:, 0])
    return Chains(
        draws=np.stack(draws),
        log_density=np.stack(logps),
        tau=tau,
        acceptance=np.stack(accept),
        stuck=[[int(i) for i in bad] for bad in stuck],
        steps=steps,
        burn_in=burn_in,
        thin=picked[0][1],
        tau_converged=converged,
        history=history,
        drifting=drifting,
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
