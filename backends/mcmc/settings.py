"""The MCMC engine's settings: which sampler, and each sampler's own knobs.

The Run tab builds its form from this list and ``--set name=value`` checks
against it; ``docs/mcmc.md`` explains each. Settings of a sampler that did not
run are kept but unused.
"""

from __future__ import annotations

from typing import Any

from backends.mcmc.moves import MOVES
from backends.runtime import Setting

SAMPLERS = ("auto", "nuts", "ensemble", "vi")
VI_METHODS = ("fullrank", "meanfield")

SETTINGS: list[Setting] = [
    Setting(
        "sampler",
        "Sampler",
        "choice",
        "auto",
        "auto: the ensemble sampler for small models, NUTS otherwise (the reason is "
        "recorded with the run); nuts: the No-U-Turn sampler (nutpie) on the model's "
        "gradient; ensemble: emcee's ensemble of walkers, no gradient; vi: variational "
        "inference (ADVI), fast and approximate, with a check of whether it may be used.",
        choices=SAMPLERS,
    ),
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
        "chains",
        "NUTS chains",
        "int",
        4,
        "Independent NUTS chains; R-hat compares them.",
        1,
        64,
    ),
    Setting(
        "tune",
        "NUTS warm-up draws",
        "int",
        500,
        "Warm-up draws per chain, discarded: step size and mass matrix are adapted here.",
        10,
        1_000_000,
    ),
    Setting(
        "draws",
        "NUTS draws per chain",
        "int",
        2000,
        "Draws kept per NUTS chain after warm-up. 2000 rather than the usual 1000: with "
        "hundreds of parameters, R-hat's own noise over 4 × 1000 draws crosses 1.01 by "
        "chance for some of them.",
        10,
        1_000_000,
    ),
    Setting(
        "target_accept",
        "NUTS target acceptance",
        "float",
        0.8,
        "The step size is adapted to this mean acceptance; raise it (0.9, 0.95) when "
        "there are divergent transitions.",
        0.5,
        0.999,
    ),
    Setting(
        "max_tree_depth",
        "NUTS maximum tree depth",
        "int",
        10,
        "A NUTS trajectory has at most 2^depth steps.",
        2,
        15,
    ),
    Setting(
        "vi_method",
        "VI family",
        "choice",
        "fullrank",
        "fullrank: a Gaussian with a full covariance (captures correlations); meanfield: "
        "independent Gaussians (faster, underestimates spread when parameters correlate).",
        choices=VI_METHODS,
    ),
    Setting(
        "vi_steps",
        "VI optimisation budget",
        "int",
        10000,
        "The most optimisation steps; the fit stops earlier when the ELBO stops improving.",
        100,
        1_000_000,
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
    "chains": 3,
    "tune": 300,
    "draws": 500,
    "vi_steps": 3000,
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
