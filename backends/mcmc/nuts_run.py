"""NUTS as one of the engine's samplers: start points, nutpie, and the verdict."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from backends.graph.compile import CompiledModel
from backends.graph.gradient import JaxDensity
from backends.graph.model import Graph
from backends.mcmc.diagnostics import verdict
from backends.mcmc.nuts import NutsSettings, sample_nuts
from backends.mcmc.nuts_checks import energy_bfmi, nuts_warnings
from backends.mcmc.samplers import SamplerOutcome, Table
from backends.mcmc.start import Start
from backends.runtime import CancelToken, ProgressCallback

INIT_TRIES = 100  # as Stan: random starts tried per chain before giving up on them
NARROW_SCALE = 0.01  # posterior sds (unconstrained) this small start near the mode


def run_nuts(
    model: CompiledModel,
    graph: Graph,
    start: Start,
    opts: dict[str, Any],
    rng: np.random.Generator,
    seed: int,
    progress: ProgressCallback,
    cancel: CancelToken,
) -> SamplerOutcome:
    """NUTS as one of the engine's samplers, on the CPU: one point per call is all
    per-operation overhead, which a GPU only adds to."""
    density = JaxDensity(model)
    chains_n = opts["chains"]
    starts = initial_points(model, start, chains_n, rng)
    settings = NutsSettings(
        chains=chains_n,
        tune=opts["tune"],
        draws=opts["draws"],
        target_accept=opts["target_accept"],
        max_depth=opts["max_tree_depth"],
        cores=max(1, min(chains_n, os.cpu_count() or 1)),
        seed=seed,
    )
    chains = sample_nuts(density, starts, settings, progress, cancel, model.constrain, model.names)
    cancel.raise_if_cancelled()
    own, funnel = nuts_warnings(chains, model.blocks, graph, settings.max_depth)

    def judge(parameters: Table) -> tuple[bool, list[str]]:
        _, shared = verdict(
            parameters,
            n_chains=chains_n,
            tau_converged=True,
            tau_max=0.0,
            steps=settings.draws,
            tau_factor=1.0,
            stuck=[],
            acceptance=1.0,
        )
        found = own + shared
        return not found, found

    return SamplerOutcome(
        draws=chains.draws,
        log_density=chains.log_density,
        judge=judge,
        arrays={
            "diverging": chains.diverging.astype(np.int8),
            "tree_depth": chains.tree_depth,
            "energy": chains.energy,
            "step_size": chains.step_size,
        },
        facts={
            "chains": chains_n,
            "tune": settings.tune,
            "draws_per_chain": settings.draws,
            "divergences": int(chains.diverging.sum()),
            "max_tree_depth_hits": int(chains.max_depth_reached.sum()),
            "max_tree_depth": settings.max_depth,
            "step_size": [float(s) for s in chains.step_size],
            "mean_tree_depth": float(chains.tree_depth.mean()),
            "e_bfmi": energy_bfmi(chains),
            "acceptance": float(chains.accept.mean()),
            "gradient_evaluations": chains.gradient_evaluations,
            "funnel": None if funnel is None else {"node": funnel.node, "scale": funnel.scale},
        },
    )


def initial_points(
    model: CompiledModel, start: Start, n: int, rng: np.random.Generator
) -> np.ndarray:
    """Stan's initialisation: each chain at a uniform point in [-2, 2]^dim of the
    unconstrained space, redrawn (up to ``INIT_TRIES`` times) where the density is not
    finite. Not the mode: a hierarchical model's mode sits in the neck of its funnel
    (scale → 0), where NUTS adapts a tiny step and never leaves; dispersed starts also
    give R-hat something to compare. One exception: a coordinate whose posterior the
    curvature at the mode shows to be far narrower than that box (a "flat"
    Uniform(-1e8, 1e8) prior puts a coefficient's posterior within 1e-7 of 0) starts
    within ±2 of its approximate sds around the mode; from the box, warm-up spends
    itself shrinking the step size by orders of magnitude and leaves divergences. A
    chain with no finite point starts at the mode, jittered by those sds."""
    narrow = start.scale < NARROW_SCALE
    points = np.empty((n, model.dim))
    for k in range(n):
        tries = rng.uniform(-2.0, 2.0, size=(INIT_TRIES, model.dim))
        tries[:, narrow] = start.mode[narrow] + tries[:, narrow] * start.scale[narrow]
        finite = np.flatnonzero(np.isfinite(model.log_density(tries)))
        if finite.size:
            points[k] = tries[finite[0]]
        else:
            points[k] = start.mode + rng.normal(size=model.dim) * start.scale
    return points
