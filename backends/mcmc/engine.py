"""The MCMC engine: compile the graph, start at the MAP, run independent emcee
ensembles until converged, summarise, and draw posterior predictions.

``run`` follows the run protocol of ``backends.runtime``; it is plain numpy on
the CPU (the device argument is accepted and recorded, but a vectorised numpy
log-density over a few hundred walkers gains nothing from a GPU).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from backends.graph.compile import CompiledModel, compile_model, element_labels
from backends.graph.model import ROWS, Graph
from backends.mcmc.diagnostics import parameter_table, summarise_derived, verdict
from backends.mcmc.moves import MOVES
from backends.mcmc.pool import PoolRunner
from backends.mcmc.result import MCMCResult, load_result, prediction_inputs
from backends.mcmc.sampler import (
    SamplerSettings,
    StepPlan,
    local_runner,
    new_ensembles,
    run_ensembles,
)
from backends.mcmc.start import find_map, initial_ball
from backends.runtime import (
    CancelToken,
    ColumnTable,
    EngineError,
    Progress,
    ProgressCallback,
    Setting,
    apply_settings,
    ignore_progress,
)

__all__ = ["SETTINGS", "QUICK_SETTINGS", "run", "load_result"]

SETTINGS: list[Setting] = [
    Setting(
        "ensembles",
        "Independent ensembles",
        "int",
        4,
        "Independent ensembles of walkers; R-hat compares them.",
        1,
        32,
    ),
    Setting(
        "walkers",
        "Walkers per ensemble",
        "int",
        0,
        "0 picks 32 to 256 by the number of rows (at least 4 × parameters).",
        0,
        4096,
        zero="auto",
    ),
    Setting(
        "move",
        "Proposal",
        "choice",
        "de",
        "de: differential evolution, emcee's DEMove (mixes fastest on most posteriors); "
        "stretch: emcee's default stretch move.",
        choices=MOVES,
    ),
    Setting(
        "max_steps",
        "Step budget per ensemble",
        "int",
        20000,
        "The most steps each ensemble may take.",
        50,
        10_000_000,
    ),
    Setting(
        "until_converged",
        "Stop when converged",
        "bool",
        True,
        "Stop as soon as emcee's rule holds; otherwise take the whole budget.",
    ),
    Setting(
        "check_every",
        "Check convergence every",
        "int",
        100,
        "Steps between estimates of the autocorrelation time τ.",
        10,
        100_000,
    ),
    Setting(
        "tau_factor",
        "Chain length in τ",
        "float",
        50.0,
        "emcee's rule: the chain must be longer than this many autocorrelation times.",
        1.0,
        1000.0,
    ),
    Setting(
        "tau_rtol",
        "τ stability",
        "float",
        0.01,
        "emcee's rule: τ must change by less than this fraction between checks.",
        0.0001,
        1.0,
    ),
    Setting(
        "max_draws",
        "Draws kept per ensemble",
        "int",
        4000,
        "After burn-in and thinning, at most this many draws are kept per ensemble.",
        10,
        1_000_000,
    ),
    Setting(
        "map_restarts",
        "MAP restarts",
        "int",
        4,
        "Random starts of the optimiser that finds the posterior mode.",
        1,
        100,
    ),
    Setting(
        "processes",
        "Worker processes",
        "int",
        1,
        "1 runs the ensembles here, one after another; more runs them in a local process "
        "pool (each worker takes a second or two to start: worth it for long runs).",
        1,
        64,
    ),
    Setting(
        "ppc_draws",
        "Posterior predictive draws",
        "int",
        200,
        "Replicated data sets drawn for each observed node (for checks and plots).",
        0,
        10000,
    ),
]

QUICK_SETTINGS: dict[str, Any] = {
    "ensembles": 3,
    "walkers": 32,
    "max_steps": 1500,
    "check_every": 50,
    "tau_factor": 30.0,
    "tau_rtol": 0.05,
    "max_draws": 1000,
    "map_restarts": 2,
    "ppc_draws": 50,
}

DERIVED_LIMIT = 100  # derived quantities larger than this are not summarised


def auto_walkers(dim: int, n_rows: int) -> int:
    """At least 4 per parameter, and 64 at most: the run stops by a rule counted in
    steps (50 τ) and keeps at most ``max_draws`` per ensemble, so more walkers add time
    without adding kept draws (kidiq: 18 s with 64, 35 s with 256, both converged with
    a bulk ESS over 6000); for long tables fewer still, so that a (walkers, rows)
    temporary stays near 200 000 numbers (1.6 MB)."""
    walkers = max(4 * dim, min(64, max(32, 200_000 // max(n_rows, 1))))
    return walkers + walkers % 2


def _check_graph(graph: Graph) -> None:
    kinds = {n.kind for n in graph.nodes.values()}
    if kinds & {"gp", "generator"}:
        raise EngineError(
            "the MCMC engine does not handle GP or generator nodes; use the gp or gan engine"
        )
    if "observed" not in kinds:
        raise EngineError("the model has no observed node: bind a node to the column it explains")
    if "stochastic" not in kinds:
        raise EngineError("the model has no unknown parameter (stochastic node) to sample")


def run(
    graph: Graph,
    table: ColumnTable,
    settings: dict[str, Any] | None = None,
    *,
    device: str = "cpu",
    seed: int = 0,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> MCMCResult:
    """Sample the posterior of ``graph`` given ``table``; see docs/mcmc.md."""
    opts = apply_settings(SETTINGS, settings)
    cancel = cancel or CancelToken()
    began = time.perf_counter()
    _check_graph(graph)
    graph = graph.copy()
    model = compile_model(graph, table)
    rng = np.random.default_rng(seed)
    progress(Progress(0, None, "finding the posterior mode (MAP)"))
    start = find_map(model.log_density, model.dim, rng, opts["map_restarts"], cancel)
    walkers = opts["walkers"] or auto_walkers(model.dim, model.info.n_rows)
    walkers += walkers % 2
    if walkers < 2 * model.dim:
        raise EngineError(
            f"{walkers} walkers are too few for {model.dim} parameters; "
            f"use at least {2 * model.dim}"
        )
    balls = [initial_ball(model.log_density, start, walkers, rng) for _ in range(opts["ensembles"])]
    sampler_settings = SamplerSettings(
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
            chains = run_ensembles(ensembles, sampler_settings, runner, progress, plan)
    else:
        runner = local_runner(
            model.log_density, progress, cancel, model.names, model.constrain, plan, opts["move"]
        )
        chains = run_ensembles(ensembles, sampler_settings, runner, progress, plan)
    cancel.raise_if_cancelled()
    progress(Progress(1, 1, "summarising"))
    n_chains, n_draws, dim = chains.draws.shape
    draws = model.constrain(chains.draws.reshape(-1, dim)).reshape(n_chains, n_draws, dim)
    arrays = {
        "draws": draws,
        "log_density": chains.log_density,
        "tau": chains.tau,
        "acceptance": chains.acceptance,
        "map": model.constrain(start.mode[None, :])[0],
    }
    arrays.update(_posterior_predictive(model, draws, opts["ppc_draws"], rng))
    table_rows = parameter_table(draws, model.names)
    converged, warnings = verdict(
        table_rows,
        n_chains=n_chains,
        tau_converged=chains.tau_converged,
        tau_max=float(np.max(chains.tau)),
        steps=chains.steps,
        tau_factor=opts["tau_factor"],
        stuck=chains.stuck,
        acceptance=float(np.mean(chains.acceptance)),
    )
    if model.info.dropped_rows:
        warnings.append(
            f"{model.info.dropped_rows} row(s) with a missing value in a column the "
            "model uses were left out."
        )
    inputs, groups = prediction_inputs(model, model.observed[0])
    summary = {
        "engine": "mcmc",
        "converged": converged,
        "warnings": warnings,
        "parameters": table_rows,
        "derived": summarise_derived(_derived(model, draws), n_chains),
        "target": model.observed[0].columns[0],
        "inputs": inputs,
        "levels": {g: model.info.levels[g] for g in groups},
        "map": {n: float(v) for n, v in zip(model.names, arrays["map"], strict=True)},
        "map_restarts": start.restarts,
        "tau": {n: float(v) for n, v in zip(model.names, np.max(chains.tau, axis=0), strict=True)},
        "ensembles": n_chains,
        "walkers": walkers,
        "steps": chains.steps,
        "burn_in": chains.burn_in,
        "thin": chains.thin,
        "draws_per_ensemble": n_draws,
        "acceptance": float(np.mean(chains.acceptance)),
        "stuck_walkers": chains.stuck,
        "rows": model.info.n_rows,
        "dropped_rows": model.info.dropped_rows,
        "device": "cpu",
        "requested_device": device,
        "processes": opts["processes"],
        "seconds": time.perf_counter() - began,
    }
    return MCMCResult(graph, model.info, arrays, summary, opts, seed)


def _derived(model: CompiledModel, draws: np.ndarray) -> dict[str, tuple[np.ndarray, tuple]]:
    """Deterministic nodes outside the rows plate (e.g. theta = mu + tau * eta)."""
    graph = model.graph
    wanted = [
        n
        for n in graph.nodes_of_kind("deterministic")
        if not (n.plate in graph.plates and graph.plates[n.plate].over == ROWS)
    ]
    if not wanted:
        return {}
    flat = draws.reshape(-1, draws.shape[-1])
    with np.errstate(all="ignore"):
        values = model.evaluate(flat, unconstrained=False, likelihood=False).values
    out = {}
    for node in wanted:
        value = np.asarray(values.get(node.name))
        if value.ndim == 0 or value.shape[0] != flat.shape[0] or value[0].size > DERIVED_LIMIT:
            continue  # constant in the draws, per row, or too large to tabulate
        shape = value.shape[1:]
        try:
            labels = element_labels(graph, node, shape, model.info)
        except (KeyError, IndexError):
            labels = tuple(f"{node.name}[{i}]" for i in range(int(np.prod(shape))))
        if len(labels) == value[0].size:
            out[node.name] = (value.reshape(value.shape[0], -1), labels)
    return out


def _posterior_predictive(model: CompiledModel, draws: np.ndarray, n: int, rng) -> dict:
    """Replicated data for each observed node at ``n`` random draws, (n, rows)."""
    if n <= 0:
        return {}
    flat = draws.reshape(-1, draws.shape[-1])
    picked = flat[rng.choice(len(flat), size=n, replace=n > len(flat))]
    out = {}
    for node in model.observed:
        with np.errstate(all="ignore"):
            fam, params = model.distribution_of(node.name, picked, model.rows)
            out[f"ppc:{node.name}"] = np.asarray(fam.sample(rng, params), dtype=float)
    return out
