"""Variational inference as one of the engine's samplers.

The draws come from the fitted approximation q, one "chain" of independent
draws: R-hat and ESS have nothing to say about them. What decides whether they
may be used is how well q covers the posterior, which the Pareto-k of the
importance weights p/q measures (``vi.py``); the verdict is that check, in words.
The fit starts where NUTS chains do (``initial_points``), not at the mode.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backends.graph.compile import CompiledModel
from backends.graph.gradient import TorchDensity
from backends.mcmc.initial_points import initial_points
from backends.mcmc.samplers import SamplerOutcome, Table
from backends.mcmc.start import Start
from backends.mcmc.vi import fit_vi
from backends.runtime import CancelToken, ProgressCallback

VI_DRAWS = 4000
GOOD_K = 0.5  # Yao et al. (2018): below this the approximation's draws may be used


def run_vi(
    model: CompiledModel,
    start: Start,
    opts: dict[str, Any],
    rng: np.random.Generator,
    seed: int,
    progress: ProgressCallback,
    cancel: CancelToken,
) -> SamplerOutcome:
    density = TorchDensity(model, "cpu")
    fit = fit_vi(
        density.log_density,
        model.dim,
        initial_points(model, start, 1, rng)[0],
        method=opts["vi_method"],
        max_steps=opts["vi_steps"],
        draws=VI_DRAWS,
        seed=seed,
        progress=progress,
        cancel=cancel,
    )
    cancel.raise_if_cancelled()

    def judge(_: Table) -> tuple[bool, list[str]]:
        # only a good fit (k < 0.5) passes; "with care" is said as a warning too
        return (
            (True, [])
            if fit.pareto_k < GOOD_K
            else (False, [f"Variational inference: {fit.verdict}."])
        )

    return SamplerOutcome(
        draws=fit.draws[None, :, :],
        log_density=model.log_density(fit.draws)[None, :],
        judge=judge,
        arrays={"vi_log_weights": fit.log_weights, "vi_elbo": fit.elbo},
        facts={
            "vi_method": fit.method,
            "vi_steps": fit.steps,
            "pareto_k": fit.pareto_k,
            "vi_usable": fit.usable,
            "vi_verdict": fit.verdict,
            "draws_per_chain": int(fit.draws.shape[0]),
            "chains": 1,
        },
    )
