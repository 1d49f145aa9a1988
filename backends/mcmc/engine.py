"""The MCMC engine: compile the graph, start at the MAP, sample with the chosen
sampler (emcee ensembles, NUTS or variational inference; ``samplers.py`` says
which), summarise, and draw posterior predictions.

``run`` follows the run protocol of ``backends.runtime``. It runs on the CPU (the
device argument is accepted and recorded): the ensemble's vectorised numpy
log-density over a few hundred walkers gains nothing from a GPU, and NUTS
evaluates one point at a time, which is all per-operation overhead.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from backends.graph.compile import CompiledModel, compile_model, element_labels
from backends.graph.model import ROWS, Graph
from backends.mcmc.diagnostics import parameter_table, summarise_derived
from backends.mcmc.ensemble_run import run_ensemble
from backends.mcmc.result import MCMCResult, load_result, prediction_inputs
from backends.mcmc.samplers import choose_sampler
from backends.mcmc.settings import QUICK_SETTINGS, SETTINGS
from backends.mcmc.start import find_map
from backends.runtime import (
    CancelToken,
    ColumnTable,
    EngineError,
    Progress,
    ProgressCallback,
    apply_settings,
    ignore_progress,
)

__all__ = ["SETTINGS", "QUICK_SETTINGS", "run", "load_result"]

DERIVED_LIMIT = 100  # derived quantities larger than this are not summarised


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
    choice = choose_sampler(opts["sampler"], model.dim)
    rng = np.random.default_rng(seed)
    progress(Progress(0, None, "finding the posterior mode (MAP)"))
    # The gradient-based samplers import JAX, nutpie and Pyro: only when they run. Their
    # exact gradient also serves the mode search (finite differences cost 2·dim calls).
    density = None
    if choice.name in ("nuts", "vi"):
        from backends.graph.gradient import JaxDensity

        density = JaxDensity(model)
    exact = None if density is None else density.batch_value_and_grad
    start = find_map(model.log_density, model.dim, rng, opts["map_restarts"], cancel, exact)
    progress(Progress(0, None, f"sampling with {choice.name}"))
    if density is not None and choice.name == "nuts":
        from backends.mcmc.nuts_run import run_nuts

        outcome = run_nuts(model, density, graph, start, opts, rng, seed, progress, cancel)
    elif choice.name == "vi":
        from backends.mcmc.vi_run import run_vi

        outcome = run_vi(model, start, opts, rng, seed, progress, cancel)
    else:
        outcome = run_ensemble(model, graph, table, start, opts, rng, seed, progress, cancel)
    progress(Progress(1, 1, "summarising"))
    n_chains, n_draws, dim = outcome.draws.shape
    draws = model.constrain(outcome.draws.reshape(-1, dim)).reshape(n_chains, n_draws, dim)
    arrays = {
        "draws": draws,
        "log_density": outcome.log_density,
        "map": model.constrain(start.mode[None, :])[0],
        **outcome.arrays,
    }
    arrays.update(_posterior_predictive(model, draws, opts["ppc_draws"], rng))
    table_rows = parameter_table(draws, model.names)
    converged, warnings = outcome.judge(table_rows)
    if model.info.dropped_rows:
        warnings.append(
            f"{model.info.dropped_rows} row(s) with a missing value in a column the "
            "model uses were left out."
        )
    inputs, groups = prediction_inputs(model, model.observed[0])
    summary = {
        "engine": "mcmc",
        "sampler": choice.name,
        "sampler_reason": choice.reason,
        "converged": converged,
        "warnings": warnings,
        "parameters": table_rows,
        "derived": summarise_derived(_derived(model, draws), n_chains),
        "target": model.observed[0].columns[0],
        "inputs": inputs,
        "levels": {g: model.info.levels[g] for g in groups},
        "map": {n: float(v) for n, v in zip(model.names, arrays["map"], strict=True)},
        "map_restarts": start.restarts,
        **outcome.facts,
        "rows": model.info.n_rows,
        "dropped_rows": model.info.dropped_rows,
        "device": "cpu",
        "requested_device": device,
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
