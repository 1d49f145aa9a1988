"""Which sampler runs (the ``sampler`` setting), and what every sampler hands back.

``auto`` keeps emcee's ensemble where it wins — few parameters, where one
vectorised numpy pass moves all walkers and the ensemble's autocorrelation time
is short — and uses NUTS otherwise: an ensemble's autocorrelation time grows
with the dimension (Huijser, Goodman & Brewer 2015), NUTS's cost per
independent draw barely does. The threshold comes from measurements
(``docs/mcmc.md``, "Choosing a sampler"; ``benchmarks/results-mcmc.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# auto: the ensemble up to this many parameters, NUTS above (docs/mcmc.md).
ENSEMBLE_MAX_PARAMETERS = 8

Table = dict[str, dict[str, float | None]]
Judge = Callable[[Table], tuple[bool, list[str]]]


@dataclass(frozen=True)
class SamplerChoice:
    name: str  # "ensemble" | "nuts" | "vi"
    reason: str  # one sentence, recorded as summary["sampler_reason"]


def choose_sampler(requested: str, dim: int) -> SamplerChoice:
    """The sampler to run for ``requested`` (a value of the ``sampler`` setting)."""
    if requested != "auto":
        return SamplerChoice(requested, f"{requested} was asked for (sampler = {requested}).")
    if dim <= ENSEMBLE_MAX_PARAMETERS:
        return SamplerChoice(
            "ensemble",
            f"auto: {dim} parameter(s); up to {ENSEMBLE_MAX_PARAMETERS} the ensemble sampler "
            "needs no gradient and gives the most effective draws per second.",
        )
    return SamplerChoice(
        "nuts",
        f"auto: {dim} parameters; above {ENSEMBLE_MAX_PARAMETERS} NUTS, whose cost per "
        "effective draw grows far more slowly with the number of parameters than an "
        "ensemble's.",
    )


@dataclass
class SamplerOutcome:
    """Draws from one sampler, in the unconstrained space, and how to judge them."""

    draws: np.ndarray  # (chains, draws, dim)
    log_density: np.ndarray  # (chains, draws)
    judge: Judge  # the parameter table -> (converged, warnings)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)  # saved with the result
    facts: dict[str, Any] = field(default_factory=dict)  # entries of summary()
