"""The GP engine's entry points for the registry (backends/engines.py).

``run`` reads the GP node from the graph, checks and standardises the data,
picks exact / SVGP / deep inference, fits, and returns a GPResult that owns
plain arrays. See docs/gp.md for the node's options and the settings.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from backends.gp.data import split, training_data
from backends.gp.fit import Fitted, choose_method, fit, variational_objective
from backends.gp.optimise import Tracker
from backends.gp.posterior import batch_rows
from backends.gp.readout import hyperparameters, metrics
from backends.gp.result import GPResult, state_arrays
from backends.gp.result import load_result as _load_result
from backends.gp.spec import gp_spec_from_graph
from backends.graph.model import Graph
from backends.runtime import (
    CancelToken,
    ColumnTable,
    ProgressCallback,
    ResultState,
    Setting,
    apply_settings,
    ignore_progress,
    resolve_device,
)

EXACT_MAX_ROWS = {"cpu": 6000, "cuda": 60000}
HISTORY_POINTS = 200

SETTINGS: list[Setting] = [
    Setting(
        "method",
        "Inference",
        "choice",
        "auto",
        "auto: exact when the data fit the device, else sparse (SVGP); deep = 2-layer deep GP",
        choices=("auto", "exact", "svgp", "deep"),
    ),
    Setting(
        "optimizer",
        "Optimiser",
        "choice",
        "auto",
        "auto: L-BFGS for exact GPs and full-batch SVGP, Adam for minibatches",
        choices=("auto", "lbfgs", "adam"),
    ),
    Setting(
        "steps",
        "Iterations",
        "int",
        200,
        "L-BFGS iterations or Adam steps per stage",
        minimum=0,
        maximum=100000,
    ),
    Setting("learning_rate", "Learning rate (Adam)", "float", 0.02, minimum=1e-5, maximum=1.0),
    Setting(
        "restarts",
        "Restarts",
        "int",
        3,
        "random starting points tried on a subset; the best is refined on all rows",
        minimum=1,
        maximum=20,
    ),
    Setting(
        "subset",
        "Rows for restarts",
        "int",
        500,
        "exact GP: restarts and the first descent use this many random rows",
        minimum=10,
    ),
    Setting(
        "refine_steps",
        "Iterations on all rows",
        "int",
        30,
        "exact GP: L-BFGS iterations on all rows after the subset stage",
        minimum=0,
    ),
    Setting(
        "inducing_points", "Inducing points", "int", 256, "SVGP / deep GP", minimum=4, maximum=20000
    ),
    Setting("batch_size", "Minibatch size", "int", 1024, "SVGP / deep GP", minimum=8),
    Setting(
        "hidden_dims",
        "Hidden GPs (deep)",
        "int",
        0,
        "0: min(inputs, 5), at least 2",
        minimum=0,
        maximum=32,
        zero="auto",
    ),
    Setting(
        "exact_max_rows",
        "Largest exact GP",
        "int",
        0,
        "0: 6000 rows on the CPU, 60000 on a GPU (and never more than half the free memory)",
        minimum=0,
        zero="auto",
    ),
    Setting(
        "holdout",
        "Held-out fraction",
        "float",
        0.0,
        "rows kept out of the fit to measure test NLL and band coverage",
        minimum=0.0,
        maximum=0.5,
        zero="none",
    ),
    Setting(
        "level",
        "Band level",
        "float",
        0.9,
        "default level of predictive bands",
        minimum=0.5,
        maximum=0.999,
    ),
]

QUICK_SETTINGS: dict[str, Any] = {
    "steps": 40,
    "restarts": 1,
    "subset": 200,
    "inducing_points": 32,
    "batch_size": 256,
}


def run(
    graph: Graph,
    table: ColumnTable,
    settings: dict[str, Any] | None = None,
    *,
    device: str = "auto",
    seed: int = 0,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> GPResult:
    """Fit the graph's GP node to the table; raises EngineError/GPSpecError on bad input."""
    s = apply_settings(SETTINGS, settings)
    spec = gp_spec_from_graph(graph)
    device = resolve_device(device)
    data = training_data(spec, table)
    test = None
    if s["holdout"] > 0:
        data, X_test, y_test = split(spec, data, s["holdout"], seed)
        test = (X_test, y_test)
    if s["exact_max_rows"] == 0:
        s["exact_max_rows"] = EXACT_MAX_ROWS["cuda" if device.startswith("cuda") else "cpu"]
    method, reason = choose_method(data.n, spec.likelihood, device, s)
    stages = (s["restarts"] + 1) if method == "exact" else 1
    tracker = Tracker(progress, cancel or CancelToken(), total=stages * s["steps"])
    fitted = fit(spec, data, s, method, device, seed, tracker)
    tracker.cancel.raise_if_cancelled()

    meta: dict[str, Any] = {
        "level": s["level"],
        "jitter": tracker.jitter,
        "inducing": fitted.inducing,
        "hidden": fitted.hidden,
        "learn_inducing": fitted.inducing < data.n or method == "deep",
    }
    result = GPResult(
        spec, data, method, state_arrays(fitted.built.model, fitted.built.likelihood), meta, device
    )
    lml, lml_kind = _evidence(fitted, result)
    summary = {
        "engine": "gp",
        "method": method,
        "method_reason": reason,
        "likelihood": spec.likelihood,
        "target": spec.target,
        "inputs": list(spec.inputs),
        "n_train": data.n,
        "device": device,
        "seed": seed,
        "hyperparameters": hyperparameters(fitted.built, spec, data),
        "log_marginal_likelihood": lml,
        "log_marginal_likelihood_kind": lml_kind,
        "converged": bool(fitted.converged),
        "warnings": list(data.warnings) + list(tracker.warnings) + _convergence_warning(fitted),
        "jitter": tracker.jitter,
        "iterations": tracker.step,
        "loss_history": _thin(tracker.losses),
        "settings": s,
    }
    if data.positive_class is not None:
        summary["positive_class"] = data.positive_class  # the level predicted as class 1
    summary["metrics"] = metrics(result, data.X, data.y, "train")
    if test is not None:
        summary["metrics"].update(metrics(result, test[0], test[1], "test"))
    result.meta["summary"] = summary
    return result.to("cpu")


def _evidence(fitted: Fitted, result: GPResult) -> tuple[float, str]:
    """Exact log marginal likelihood, or the ELBO (a lower bound), in the target's units."""
    data = result.data
    shift = -data.n * float(np.log(data.y_scale))
    if fitted.method == "exact":
        return result._built_posterior().log_marginal + shift, "exact"
    objective = variational_objective(fitted, data.n)
    x, y = fitted.x, fitted.y
    total = 0.0
    size = batch_rows(data.n)
    with torch.no_grad(), torch.random.fork_rng(devices=[x.device] if x.is_cuda else []):
        torch.manual_seed(0)
        for start in range(0, data.n, size):
            xb, yb = x[start : start + size], y[start : start + size]
            total += float(objective(fitted.built.model(xb), yb)) * len(yb)
    return total + shift, "elbo (a lower bound)"


def _convergence_warning(fitted: Fitted) -> list[str]:
    if fitted.converged:
        return []
    return [
        "the optimiser stopped at its iteration limit before the loss levelled off; "
        "more iterations may give a better fit"
    ]


def _thin(values: list[float]) -> list[float]:
    if len(values) <= HISTORY_POINTS:
        return [float(v) for v in values]
    idx = np.linspace(0, len(values) - 1, HISTORY_POINTS).round().astype(int)
    return [float(values[i]) for i in idx]


def load_result(state: ResultState, device: str = "cpu") -> GPResult:
    return _load_result(state, device)
