"""Variational inference (ADVI) on an unconstrained log-density, with an honest check.

What it fits: a Gaussian q over the unconstrained parameter vector u, full-rank
(Pyro's ``AutoMultivariateNormal``) or mean-field (``AutoDiagonalNormal``), by
maximising the ELBO with reparameterised gradients (Kucukelbir et al. 2017,
"Automatic Differentiation Variational Inference"). The Pyro model has one site,
an improper flat vector, and a factor equal to the caller's log-density, so q
approximates exactly the posterior the other samplers draw from. q is fitted in
coordinates z = (u − start) / scales, the scales read off the curvature at the
start (``_Frame``), and begins as the diagonal Laplace approximation there.
Each step averages ``PARTICLES`` draws of q in one batched call of the density
(Pyro's vectorised particles): measured, 16 draws cost ~1.2× one draw, for a
gradient with a sixteenth of the variance.

Stopping rule: every step's ELBO estimate is kept; every ``WINDOW`` steps the
mean over that window is compared with the best window mean so far. A window
that does not beat it by ``RTOL·|best| + ATOL`` nats is a stall; ``PATIENCE``
stalls in a row are a plateau. At a plateau of stochastic gradients the
parameters jitter around the optimum by about one learning rate, so at each of
the first ``LR_DROPS`` plateaus the learning rate is divided by ten and the fit
goes on; the next plateau ends it. ``max_steps`` bounds it in any case, and the
verdict says when that bound, not the rule, ended it.

The check (Yao, Vehtari, Simpson & Gelman 2018, "Yes, but did it work?"): at
least ``CHECK_DRAWS`` independent draws of q are weighted by p/q, and the Pareto
shape k of the weights' tail is estimated by PSIS (arviz-stats). k < 0.5: the
approximation is good; 0.5 ≤ k < 0.7: usable with care; k ≥ 0.7: not reliable.

Pyro keeps its effect-handler stack and settings in module globals, and q's
draws come from torch's global generator, so one lock serialises the fits of a
process; the generator is forked, seeded and restored around each fit, so that
a seed gives the same fit and the caller's random stream is left as it was.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyro
import pyro.distributions as dist
import torch
from arviz_stats.base import array_stats
from pyro.infer import Trace_ELBO
from pyro.infer.autoguide import (
    AutoContinuous,
    AutoDiagonalNormal,
    AutoMultivariateNormal,
    init_to_value,
)
from pyro.optim.clipped_adam import ClippedAdam
from threadpoolctl import threadpool_limits
from torch.distributions import constraints

from backends.runtime import CancelToken, EngineError, Progress, ProgressCallback, ignore_progress

LogDensity = Callable[[torch.Tensor], torch.Tensor]

GUIDES: dict[str, type[AutoContinuous]] = {
    "fullrank": AutoMultivariateNormal,
    "meanfield": AutoDiagonalNormal,
}
PARTICLES = 16
INIT_SCALE = 1.0  # q's initial sds in z: the curvature's, as the Laplace approximation's
WINDOW = 50
PATIENCE = 3
RTOL = 1e-5
ATOL = 1e-3
LR_DROPS = 2
GOOD_K = 0.5
USABLE_K = 0.7
MIN_DRAWS = 100
PROGRESS_EVERY_S = 0.1
CHECK_BATCH = 1024  # draws per density call in the check, to bound its memory
# With 4,000 draws, k of a 10-d funnel's fit ranged 0.67–0.99 over five seeds,
# so twice below 0.7; with 20,000 it ranged 0.80–0.98.
CHECK_DRAWS = 20000

# Re-entrant, so that a progress callback that starts a fit does not deadlock.
_PYRO_LOCK = threading.RLock()


@dataclass
class VIFit:
    """A fitted approximation, its draws and how far they can be trusted."""

    draws: np.ndarray  # (n_draws, dim) independent draws of q, unconstrained space
    log_weights: np.ndarray  # (n_draws,) log p(x) − log q(x), p unnormalised
    pareto_k: float  # PSIS Pareto k of the weights of max(draws, CHECK_DRAWS) draws of q
    elbo: np.ndarray  # (steps,) the ELBO estimate at every step, NaN where not finite
    steps: int
    method: str  # "fullrank" | "meanfield"
    usable: bool  # pareto_k < USABLE_K
    verdict: str  # one plain-English sentence on whether the draws may be used


def fit_vi(
    log_density: LogDensity,
    dim: int,
    start: np.ndarray,
    *,
    method: str = "fullrank",
    max_steps: int = 10000,
    draws: int = 4000,
    learning_rate: float = 0.01,
    seed: int = 0,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> VIFit:
    """Fit q to the posterior whose batched log-density ``log_density`` maps
    (W, dim) float64 to (W,), from ``start`` (the MAP), and check it."""
    if method not in GUIDES:
        raise EngineError(f"unknown VI method {method!r}: use one of {', '.join(GUIDES)}")
    if draws < MIN_DRAWS:
        raise EngineError(f"VI needs at least {MIN_DRAWS} draws, not {draws}")
    if max_steps < WINDOW:
        raise EngineError(f"VI needs at least {WINDOW} steps, not {max_steps}")
    start = np.asarray(start, dtype=np.float64)
    if start.shape != (dim,):
        raise ValueError(f"start has shape {start.shape}, expected ({dim},)")

    with (
        _PYRO_LOCK,
        pyro.settings.context(module_local_params=True),  # q's parameters stay in q
        torch.random.fork_rng(devices=[]),
        torch.enable_grad(),  # the caller may hold torch.no_grad()
    ):
        torch.manual_seed(seed)
        frame = _Frame.at(log_density, torch.from_numpy(start.copy()))
        guide = GUIDES[method](
            _model(log_density, frame),
            init_loc_fn=init_to_value(values={"z": torch.zeros(dim, dtype=torch.float64)}),
            init_scale=INIT_SCALE,
        )
        # A step works on tensors of a few hundred numbers, where torch's OpenMP
        # threads only contend: on 2 busy cores a full-rank step took 10× longer
        # with 2 threads than with 1. The limit holds for this thread only, and
        # torch sets a thread's count at its first call there, which
        # get_num_threads makes happen now rather than under the limit.
        torch.get_num_threads()
        with threadpool_limits(limits=1):
            elbo, settled = _optimise(guide, max_steps, learning_rate, method, progress, cancel)
        progress(Progress(len(elbo), max_steps, "checking the approximation (PSIS)"))
        x, log_weights = _weighted_draws(
            log_density, guide, frame, keep=draws, n=max(draws, CHECK_DRAWS)
        )

    k = _pareto_k(log_weights)
    return VIFit(
        draws=x,
        log_weights=log_weights[:draws],
        pareto_k=k,
        elbo=elbo,
        steps=len(elbo),
        method=method,
        usable=k < USABLE_K,
        verdict=_verdict(k, settled, max_steps),
    )


@dataclass(frozen=True)
class _Frame:
    """The coordinates q is fitted in: u = start + scales · z.

    With scales from the curvature at the start, every coordinate of z has a
    posterior sd of order one, so that one learning rate suits them all: fitted
    in u directly, a posterior with sds from 0.01 to 100 stopped with the widest
    one's sd a third too small (Pareto k 1.0). The map is diagonal, so a
    mean-field q in z is mean-field in u."""

    start: torch.Tensor  # (dim,)
    scales: torch.Tensor  # (dim,)

    @classmethod
    def at(cls, log_density: LogDensity, start: torch.Tensor) -> _Frame:
        """Scales 1/sqrt(−∂²log p/∂u_i²) at the start (the conditional sds of the
        Laplace approximation), 1 where the density does not curve down there."""
        hessian = torch.autograd.functional.hessian(lambda u: log_density(u[None])[0], start)
        curvature = -hessian.diagonal()
        curved = torch.isfinite(curvature) & (curvature > 0)
        return cls(start, torch.where(curved, curvature, torch.ones_like(curvature)).rsqrt())

    def to_u(self, z: torch.Tensor) -> torch.Tensor:
        return self.start + self.scales * z

    @property
    def log_jacobian(self) -> torch.Tensor:
        """log |du/dz|: the density of u, seen in z, is p(u(z))·|du/dz|."""
        return self.scales.log().sum()


def _model(log_density: LogDensity, frame: _Frame) -> Callable[[], None]:
    """A Pyro model whose posterior is the caller's, over z."""
    dim = frame.start.shape[0]

    def model() -> None:
        # ImproperUniform adds nothing: the factor is all of the density. With the
        # Jacobian in it, the ELBO is the same number in z as in u.
        z = pyro.sample("z", dist.ImproperUniform(constraints.real, (), (dim,)))
        # z is (dim,) when Pyro sets the guide up and (PARTICLES, dim) in a step.
        log_p = log_density(frame.to_u(z).reshape(-1, dim)).reshape(z.shape[:-1])
        pyro.factor("log_density", log_p + frame.log_jacobian)

    return model


class _StoppingRule:
    """The plateau rule of the module docstring, fed one window mean at a time."""

    def __init__(self) -> None:
        self.best = -math.inf
        self.stalls = 0
        self.drops = 0

    def after_window(self, mean: float) -> str:
        """'continue', 'drop' (divide the learning rate by ten) or 'stop'."""
        if self.best == -math.inf or mean > self.best + RTOL * abs(self.best) + ATOL:
            self.best = mean
            self.stalls = 0
            return "continue"
        self.stalls += 1
        if self.stalls < PATIENCE:
            return "continue"
        self.stalls = 0
        if self.drops < LR_DROPS:
            self.drops += 1
            return "drop"
        return "stop"


def _optimise(
    guide: AutoContinuous,
    max_steps: int,
    learning_rate: float,
    method: str,
    progress: ProgressCallback,
    cancel: CancelToken | None,
) -> tuple[np.ndarray, bool]:
    """Maximise the ELBO until the stopping rule or ``max_steps`` ends it: the
    ELBO trace, and whether the rule (not the step limit) ended it."""
    loss_fn = Trace_ELBO(num_particles=PARTICLES, vectorize_particles=True, max_plate_nesting=0)(
        guide.model, guide
    )
    loss_fn()  # the first call creates the guide's parameters
    # Clipping bounds each gradient component, so that one draw far in a heavy
    # tail cannot throw q far in one step.
    optimiser = ClippedAdam(loss_fn.parameters(), lr=learning_rate)
    rule = _StoppingRule()
    trace = np.full(max_steps, np.nan)
    message = f"ADVI ({method})"
    last_report = -math.inf
    for step in range(max_steps):
        if cancel is not None:
            cancel.raise_if_cancelled()
        optimiser.zero_grad()
        loss = loss_fn()
        # A non-finite ELBO has no useful gradient: skip the update, keep q.
        if torch.isfinite(loss):
            loss.backward()
            optimiser.step()
            trace[step] = -loss.item()
        now = time.monotonic()
        if now - last_report >= PROGRESS_EVERY_S:
            last_report = now
            recent = trace[max(0, step + 1 - WINDOW) : step + 1]
            progress(Progress(step + 1, max_steps, message, {"elbo": _finite_mean(recent)}))
        if (step + 1) % WINDOW:
            continue
        window = trace[step + 1 - WINDOW : step + 1]
        if not np.isfinite(window).any():
            raise EngineError(
                f"the log-density was not finite at any draw of the approximation for "
                f"{WINDOW} steps: check the model's priors and data"
            )
        decision = rule.after_window(_finite_mean(window))
        if decision == "stop":
            return trace[: step + 1], True
        if decision == "drop":
            for group in optimiser.param_groups:
                group["lr"] /= 10
    return trace, False


def _finite_mean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else math.nan


def _weighted_draws(
    log_density: LogDensity, guide: AutoContinuous, frame: _Frame, *, keep: int, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """The first ``keep`` of n independent draws of q, in u, and the log importance
    ratios log p − log q of all n, CHECK_BATCH at a time so that a large model
    holds no more than ``keep`` draws."""
    q = guide.get_posterior()
    kept: list[np.ndarray] = []
    log_weights: list[np.ndarray] = []
    with torch.no_grad():
        for first in range(0, n, CHECK_BATCH):
            z = q.sample((min(CHECK_BATCH, n - first),))
            x = frame.to_u(z)
            # q's density in u is its density in z divided by |du/dz|
            log_weights.append((log_density(x) - q.log_prob(z) + frame.log_jacobian).numpy())
            if first < keep:
                kept.append(x[: keep - first].numpy())
    all_weights = np.concatenate(log_weights)
    # A draw where the density cannot be evaluated counts as one it rules out.
    return np.concatenate(kept), np.where(np.isnan(all_weights), -np.inf, all_weights)


def _pareto_k(log_weights: np.ndarray) -> float:
    """PSIS Pareto k of the importance weights of independent draws (r_eff = 1)."""
    # arviz-stats' psislw takes the ratios negated (it is built for LOO, where
    # the weights are 1 / likelihood) and negates them back.
    _, k = array_stats.psislw(-log_weights, r_eff=1.0)
    return float(k)


def _verdict(k: float, settled: bool, max_steps: int) -> str:
    if k < GOOD_K:
        sentence = (
            f"the approximation is good (Pareto k = {k:.2f} < {GOOD_K}): its draws may be used"
        )
    elif k < USABLE_K:
        sentence = (
            f"the approximation may be used with care (Pareto k = {k:.2f}, between "
            f"{GOOD_K} and {USABLE_K}): check the results that matter with NUTS"
        )
    else:
        sentence = (
            f"the approximation is not reliable (Pareto k = {k:.2f} ≥ {USABLE_K}): run NUTS instead"
        )
    if not settled:
        sentence += f", and its fit had not settled when the {max_steps} steps ran out"
    return sentence
