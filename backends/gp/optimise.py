"""Optimiser loops with progress, cancellation and the stability autopilot.

The loops know nothing about GPs: they minimise a loss over a list of
parameters. The autopilot lives here because it is the same for every model:
when the loss cannot be computed (a Cholesky factor fails, NotPSDError) or
comes out NaN, the best parameters seen so far are restored, the Cholesky
jitter is raised tenfold, the event is logged, and the loop continues. When
even the largest jitter fails, the run stops with a message that says what
to change.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch
from gpytorch import settings as gsettings
from linear_operator.utils.errors import NanError, NotPSDError

from backends.runtime import CancelToken, EngineError, Progress, ProgressCallback

FIRST_JITTER = 1e-8
MAX_JITTER = 1e-2
REPORT_EVERY_S = 0.1


class Unstable(Exception):
    """The loss could not be evaluated at the current parameters."""


@dataclass
class Tracker:
    """Counts work, throttles progress records, checks the cancel token, and
    keeps the jitter and the log of what the autopilot did."""

    progress: ProgressCallback
    cancel: CancelToken
    total: int | None
    step: int = 0
    jitter: float = 0.0  # added to the diagonal of K + σ²I; raised only after a failure
    warnings: list[str] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    _last_report: float = 0.0

    def tick(self, loss: float, stage: str) -> None:
        self.cancel.raise_if_cancelled()
        self.step += 1
        self.losses.append(loss)
        now = time.monotonic()
        if now - self._last_report >= REPORT_EVERY_S:
            self._last_report = now
            self.progress(Progress(self.step, self.total, stage, {"loss": loss, "stage": stage}))

    @contextlib.contextmanager
    def numerics(self) -> Iterator[None]:
        """gpytorch settings for one loss evaluation: Cholesky always (never CG,
        whose answers are approximate), with the current jitter."""
        jitter = max(self.jitter, FIRST_JITTER)
        with (
            gsettings.max_cholesky_size(10**9),
            gsettings.cholesky_jitter(float_value=jitter * 100, double_value=jitter),
        ):
            yield

    def raise_jitter(self, stage: str, reason: str) -> None:
        new = max(self.jitter * 10, FIRST_JITTER)
        if new > MAX_JITTER:
            raise EngineError(
                f"the GP fit failed numerically ({reason}) even with a jitter of {self.jitter:g}; "
                "the data may hold duplicate rows with different targets or inputs on wildly "
                "different scales: try a larger noise lower bound (options.noise.constraint), "
                "a 'white' kernel term, or fewer inputs"
            )
        self.warnings.append(
            f"{stage}: {reason}; jitter raised from {self.jitter:g} to {new:g} "
            "(standardised units) and the best parameters so far restored"
        )
        self.jitter = new


class _Snapshot:
    """The best parameter values seen, to fall back on after a failure."""

    def __init__(self, params: list[torch.Tensor]) -> None:
        self.params = params
        self.best = math.inf
        self.values = [p.detach().clone() for p in params]

    def offer(self, loss: float) -> None:
        if loss < self.best:
            self.best = loss
            self.values = [p.detach().clone() for p in self.params]

    def save(self) -> None:
        self.values = [p.detach().clone() for p in self.params]

    def restore(self) -> None:
        with torch.no_grad():
            for p, v in zip(self.params, self.values, strict=True):
                p.copy_(v)


def _evaluate(loss_fn: Callable[[], torch.Tensor], tracker: Tracker) -> torch.Tensor:
    try:
        with tracker.numerics():
            loss = loss_fn()
    except (NotPSDError, NanError) as exc:
        raise Unstable("the kernel matrix was not positive definite") from exc
    if not torch.isfinite(loss):
        raise Unstable("the loss was not finite")
    return loss


CURVATURE_KEYS = ("old_dirs", "old_stps", "ro", "H_diag")


def lbfgs(
    params: list[torch.Tensor],
    loss_fn: Callable[[], torch.Tensor],
    max_iter: int,
    tracker: Tracker,
    stage: str,
    tolerance: float = 1e-7,
    memory: dict | None = None,
) -> bool:
    """Minimise with L-BFGS (strong Wolfe line search); True when it converged.

    The losses here are per row, so ``tolerance`` = 1e-7 stops when the
    total log likelihood of 10^4 rows changes by less than 0.001 nats.

    ``memory`` carries L-BFGS's curvature pairs from one stage to the next
    (subset → all rows): a per-row loss has about the same curvature on a
    subset, so the full-data stage starts with quasi-Newton steps instead of
    re-learning the scale of every hyperparameter through line searches.
    """
    snapshot = _Snapshot(params)
    remaining = max_iter
    while remaining > 0:
        optimizer = torch.optim.LBFGS(
            params,
            lr=1.0,
            max_iter=remaining,
            max_eval=int(remaining * 1.5) + 10,
            history_size=20,
            tolerance_grad=tolerance * 10,
            tolerance_change=tolerance,
            line_search_fn="strong_wolfe",
        )
        state = optimizer.state[optimizer._params[0]]
        if memory and all(k in memory for k in CURVATURE_KEYS):
            _resume(state, memory, params)

        def closure(optimizer: torch.optim.Optimizer = optimizer) -> torch.Tensor:
            optimizer.zero_grad()
            loss = _evaluate(loss_fn, tracker)
            loss.backward()
            value = float(loss.detach())
            snapshot.offer(value)
            tracker.tick(value, stage)
            return loss

        started = state.get("n_iter", 0)
        try:
            optimizer.step(closure)
        except Unstable as exc:
            snapshot.restore()
            tracker.raise_jitter(stage, str(exc))
            remaining -= max(state.get("n_iter", 0) - started, 1)
            memory = None
            continue
        if memory is not None:
            memory.update({k: state[k] for k in CURVATURE_KEYS if k in state})
        done = state.get("n_iter", 0) - started
        return done < remaining and state.get("func_evals", 0) < int(remaining * 1.5) + 10
    return False


def _resume(state: dict, memory: dict, params: list[torch.Tensor]) -> None:
    """Seed torch's L-BFGS state so that its first step uses the carried curvature.

    With a zero previous direction the first curvature update is skipped
    (sᵀy = 0), and the two-loop recursion runs on the carried pairs.
    """
    size = sum(p.numel() for p in params)
    if memory["old_dirs"] and memory["old_dirs"][0].numel() != size:
        return
    zeros = torch.zeros(size, dtype=params[0].dtype, device=params[0].device)
    state.update({k: memory[k] for k in CURVATURE_KEYS})
    state.update(
        n_iter=1, func_evals=0, d=zeros, t=1.0, prev_flat_grad=zeros.clone(), prev_loss=float("inf")
    )


def adam(
    params: list[torch.Tensor],
    loss_fn: Callable[[], torch.Tensor],
    steps: int,
    lr: float,
    tracker: Tracker,
    stage: str,
) -> bool:
    """Minimise with Adam; True when the loss had levelled off by the end.

    ``loss_fn`` may be stochastic (minibatches), so convergence compares the
    mean loss of the last tenth of the steps with the tenth before it.
    """
    optimizer = torch.optim.Adam(params, lr=lr)
    snapshot = _Snapshot(params)
    history: list[float] = []
    for _ in range(steps):
        optimizer.zero_grad()
        try:
            loss = _evaluate(loss_fn, tracker)
            loss.backward()
        except Unstable as exc:
            snapshot.restore()
            tracker.raise_jitter(stage, str(exc))
            continue
        optimizer.step()
        value = float(loss.detach())
        history.append(value)
        if len(history) % 25 == 0:  # the latest healthy state: a noisy loss has no reliable best
            snapshot.save()
        tracker.tick(value, stage)
    window = max(len(history) // 10, 5)
    if len(history) < 2 * window:
        return False
    last = sum(history[-window:]) / window
    before = sum(history[-2 * window : -window]) / window
    return abs(before - last) <= 1e-3 * (1 + abs(last)) + 2e-3 * _spread(history[-window:])


def _spread(values: list[float]) -> float:
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
