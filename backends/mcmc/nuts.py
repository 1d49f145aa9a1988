"""NUTS on the drawn model: nutpie's sampler driving our autograd log-density.

nutpie (Rust; Stan's NUTS with a mass matrix adapted from draws and gradients)
takes any Python function that returns the log-density and its gradient
(``from_pyfunc``). The function is ``JaxDensity.value_and_grad``: the compiled
graph in JAX, differentiated and compiled by ``jax.jit``. nutpie runs the chains on
its own threads and keeps the draws; this module starts it, reports progress,
honours Stop, and hands back plain arrays with the sampler statistics that NUTS
users read (divergences, tree depth, step size, energy).

Progress: nutpie calls the "expand" function once per kept draw of every chain
(warm-up included, as warm-up draws are saved), so counting its calls gives the
draws done out of chains × (tune + draws) without reading nutpie's internals.
Stop: the waiting loop checks the cancel token every 0.1 s and cancels nutpie.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass

import numpy as np

from backends.graph.gradient import JaxDensity
from backends.runtime import CancelToken, Progress, ProgressCallback

POLL_SECONDS = 0.1


@dataclass(frozen=True)
class NutsSettings:
    chains: int
    tune: int
    draws: int
    target_accept: float
    max_depth: int
    cores: int
    seed: int


@dataclass
class NutsChains:
    """What nutpie produced, after warm-up, in the unconstrained space."""

    draws: np.ndarray  # (chains, draws, dim)
    log_density: np.ndarray  # (chains, draws)
    diverging: np.ndarray  # (chains, draws) bool
    tree_depth: np.ndarray  # (chains, draws) int
    max_depth_reached: np.ndarray  # (chains, draws) bool
    energy: np.ndarray  # (chains, draws)
    step_size: np.ndarray  # (chains,) the adapted step size
    accept: np.ndarray  # (chains, draws) mean acceptance probability of each tree
    gradient_evaluations: int


class _Counter:
    """Calls counted from nutpie's threads (under the GIL), read by the waiting loop."""

    def __init__(self) -> None:
        self.draws = 0
        self.gradients = 0
        self.latest: np.ndarray | None = None
        self.lock = threading.Lock()


def sample_nuts(
    density: JaxDensity,
    starts: np.ndarray,
    settings: NutsSettings,
    progress: ProgressCallback,
    cancel: CancelToken,
    constrain,
    names: list[str],
) -> NutsChains:
    """Run ``settings.chains`` NUTS chains from ``starts`` (chains, dim)."""
    import nutpie  # imported here: only gradient-based runs pay for it

    counter = _Counter()
    dim = density.dim

    def make_logp():
        def logp(x: np.ndarray) -> tuple[float, np.ndarray]:
            counter.gradients += 1
            return density.value_and_grad(x)

        return logp

    def make_expand(_seed1: int, _seed2: int, _chain: int):
        def expand(x: np.ndarray) -> dict[str, np.ndarray]:
            with counter.lock:
                counter.draws += 1
                counter.latest = x
            return {"u": np.array(x, dtype=float)}

        return expand

    def initial_point(seed: int) -> np.ndarray:
        return np.array(starts[int(seed) % len(starts)], dtype=float)

    model = nutpie.compiled_pyfunc.from_pyfunc(
        dim,
        make_logp,
        make_expand,
        [np.dtype("float64")],
        [(dim,)],
        ["u"],
        make_initial_point_fn=initial_point,
    )
    total = settings.chains * (settings.tune + settings.draws)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nutpie's arviz import announces its refactor
        sampler = nutpie.sample(
            model,
            draws=settings.draws,
            tune=settings.tune,
            chains=settings.chains,
            cores=settings.cores,
            seed=settings.seed,
            progress_bar=False,
            blocking=False,
            save_warmup=False,
            target_accept=settings.target_accept,
            maxdepth=settings.max_depth,
        )
        trace = _wait(sampler, counter, total, progress, cancel, constrain, names)
    return _chains(trace, counter.gradients)


def _wait(sampler, counter, total, progress, cancel, constrain, names):
    """Wait for nutpie, reporting progress and stopping it when asked to."""
    shown = names[:8]
    while True:
        if cancel.cancelled:
            sampler.cancel()
            cancel.raise_if_cancelled()
        try:
            return sampler.wait(timeout=POLL_SECONDS)
        except TimeoutError:
            pass
        with counter.lock:
            done, latest = counter.draws, counter.latest
        values: dict = {"gradients": counter.gradients}
        if latest is not None:
            point = constrain(latest[None, :])[0]
            values["draw"] = {n: float(point[i]) for i, n in enumerate(shown)}
        progress(Progress(min(done, total), total, "sampling (NUTS)", values))


def _chains(trace, gradients: int) -> NutsChains:
    stats = trace.sample_stats
    step = np.asarray(stats["step_size"].values, dtype=float)
    return NutsChains(
        draws=np.asarray(trace.posterior["u"].values, dtype=float),
        log_density=np.asarray(stats["logp"].values, dtype=float),
        diverging=np.asarray(stats["diverging"].values, dtype=bool),
        tree_depth=np.asarray(stats["depth"].values, dtype=int),
        max_depth_reached=np.asarray(stats["maxdepth_reached"].values, dtype=bool),
        energy=np.asarray(stats["energy"].values, dtype=float),
        step_size=step[:, -1],
        accept=np.asarray(stats["mean_tree_accept"].values, dtype=float),
        gradient_evaluations=gradients,
    )

