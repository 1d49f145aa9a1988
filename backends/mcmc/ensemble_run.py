"""The ensemble sampler as one of the engine's samplers: walkers in balls around the
mode, independent emcee ensembles until emcee's rule holds (``sampler.py``), judged
by the ensemble verdict (``diagnostics.verdict``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from backends.graph.compile import CompiledModel
from backends.graph.model import Graph
from backends.mcmc.diagnostics import verdict
from backends.mcmc.pool import PoolRunner
from backends.mcmc.sampler import (
    SamplerSettings,
    StepPlan,
    local_runner,
    new_ensembles,
    run_ensembles,
)
from backends.mcmc.samplers import SamplerOutcome, Table
from backends.mcmc.start import Start, initial_ball
from backends.runtime import CancelToken, ColumnTable, EngineError, ProgressCallback


def auto_walkers(dim: int, n_rows: int) -> int:
    """At least 4 per parameter, and 64 at most: the run stops by a rule counted in
    steps (50 τ) and keeps at most ``max_draws`` per ensemble, so more walkers add time
    without adding kept draws (kidiq: 18 s with 64, 35 s with 256, both converged with
    a bulk ESS over 6000); for long tables fewer still, so that a (walkers, rows)
    temporary stays near 200 000 numbers (1.6 MB)."""
    walkers = max(4 * dim, min(64, max(32, 200_000 // max(n_rows, 1))))
    return walkers + walkers % 2


def run_ensemble(
    model: CompiledModel,
    graph: Graph,
    table: ColumnTable,
    start: Start,
    opts: dict[str, Any],
    rng: np.random.Generator,
    seed: int,
    progress: ProgressCallback,
    cancel: CancelToken,
) -> SamplerOutcome:
    walkers = opts["walkers"] or auto_walkers(model.dim, model.info.n_rows)
    walkers += walkers % 2
    if walkers < 2 * model.dim:
        raise EngineError(
            f"{walkers} walkers are too few for {model.dim} parameters; "
            f"use at least {2 * model.dim}"
        )
    balls = [initial_ball(model.log_density, start, walkers, rng) for _ in range(opts["ensembles"])]
    settings = SamplerSettings(
        walkers,
        opts["max_steps"],
        opts["check_every"],
        opts["tau_factor"],
        opts["tau_rtol"],
        opts["until_converged"],
        opts["max_draws"],
    )
    ensembles = new_ensembles(balls, seed)
    plan = StepPlan(opts["max_steps"] * opts["ensembles"])
    if opts["processes"] > 1:
        with PoolRunner(graph, table, opts["processes"], opts["move"], cancel) as runner:
            chains = run_ensembles(ensembles, settings, runner, progress, plan)
    else:
        runner = local_runner(
            model.log_density, progress, cancel, model.names, model.constrain, plan, opts["move"]
        )
        chains = run_ensembles(ensembles, settings, runner, progress, plan)
    cancel.raise_if_cancelled()
    n_chains = chains.draws.shape[0]
    acceptance = float(np.mean(chains.acceptance))

    def judge(parameters: Table) -> tuple[bool, list[str]]:
        return verdict(
            parameters,
            n_chains=n_chains,
            tau_converged=chains.tau_converged,
            tau_max=float(np.max(chains.tau)),
            steps=chains.steps,
            tau_factor=opts["tau_factor"],
            stuck=chains.stuck,
            acceptance=acceptance,
            drifting=[model.names[i] for i in chains.drifting],
        )

    return SamplerOutcome(
        draws=chains.draws,
        log_density=chains.log_density,
        judge=judge,
        arrays={"tau": chains.tau, "acceptance": chains.acceptance},
        facts={
            "tau": {
                n: float(v) for n, v in zip(model.names, np.max(chains.tau, axis=0), strict=True)
            },
            "chains": n_chains,
            "ensembles": n_chains,
            "walkers": walkers,
            "steps": chains.steps,
            "burn_in": chains.burn_in,
            "thin": chains.thin,
            "draws_per_ensemble": chains.draws.shape[1],
            "acceptance": acceptance,
            "stuck_walkers": chains.stuck,
            "processes": opts["processes"],
        },
    )
