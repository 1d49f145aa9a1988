"""NUTS as one of the engine's samplers: start points, nutpie, and the verdict."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from backends.graph.compile import CompiledModel
from backends.graph.gradient import JaxDensity
from backends.graph.model import Graph
from backends.mcmc.diagnostics import draw_checks
from backends.mcmc.initial_points import initial_points
from backends.mcmc.nuts import NutsSettings, sample_nuts
from backends.mcmc.nuts_checks import energy_bfmi, nuts_warnings
from backends.mcmc.samplers import SamplerOutcome, Table
from backends.mcmc.start import Start
from backends.runtime import CancelToken, ProgressCallback


def run_nuts(
    model: CompiledModel,
    density: JaxDensity,
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
        found = own + draw_checks(parameters, chains_n, "chain")
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

