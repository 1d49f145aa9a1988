"""Posterior summaries and the convergence verdict, in ArviZ's names.

The statistics come from arviz-stats (rank-normalised split R-hat, bulk and
tail ESS, MCSE, HDI) rather than our own code: they are the reference
implementations that analysts compare against. Each independent ensemble is
one "chain". The verdict turns the numbers into plain-English warnings, since
the analyst must hear when a posterior cannot be trusted rather than read it
off a table.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from arviz_stats.base import array_stats

RHAT_LIMIT = 1.01
ESS_PER_CHAIN = 100  # Vehtari et al. (2021): at least 100 per chain, 400 for four chains
STATS = ("mean", "sd", "hdi_3%", "hdi_97%", "mcse_mean", "mcse_sd", "ess_bulk", "ess_tail", "r_hat")


def _clean(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def parameter_table(draws: np.ndarray, names: list[str]) -> dict[str, dict[str, float | None]]:
    """One row per parameter; ``draws`` is (chains, draws, parameters)."""
    x = np.moveaxis(np.asarray(draws, dtype=float), -1, 0)  # (params, chains, draws)
    with np.errstate(all="ignore"):
        mean = x.mean(axis=(1, 2))
        sd = x.reshape(x.shape[0], -1).std(axis=1, ddof=1)
        hdi = array_stats.hdi(x, 0.94, axis=(-2, -1))
        mcse_mean = array_stats.mcse(x, method="mean")
        mcse_sd = array_stats.mcse(x, method="sd")
        ess_bulk = array_stats.ess(x, method="bulk")
        ess_tail = array_stats.ess(x, method="tail", prob=0.05)
        r_hat = array_stats.rhat(x) if x.shape[1] > 1 else np.full(x.shape[0], np.nan)
    columns = (mean, sd, hdi[:, 0], hdi[:, 1], mcse_mean, mcse_sd, ess_bulk, ess_tail, r_hat)
    return {
        name: {stat: _clean(col[i]) for stat, col in zip(STATS, columns, strict=True)}
        for i, name in enumerate(names)
    }


def _listing(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def verdict(
    table: dict[str, dict[str, float | None]],
    *,
    n_chains: int,
    tau_converged: bool,
    tau_max: float,
    steps: int,
    tau_factor: float,
    stuck: list[list[int]],
    acceptance: float,
) -> tuple[bool, list[str]]:
    """(converged, warnings): converged only when every check passes."""
    warnings: list[str] = []
    if not tau_converged:
        warnings.append(
            f"The chains did not reach emcee's convergence rule: {steps} steps per ensemble, "
            f"but the longest autocorrelation time is {tau_max:.0f} steps and the rule asks for "
            f"{tau_factor:g} times that with a stable estimate. Raise the step budget."
        )
    if n_chains < 2:
        warnings.append("R-hat needs at least two independent ensembles; it was not computed.")
    else:
        high = [n for n, row in table.items() if row["r_hat"] is None or row["r_hat"] > RHAT_LIMIT]
        if high:
            warnings.append(
                f"R-hat is above {RHAT_LIMIT} for {_listing(high)}: the independent ensembles "
                "disagree, so the posterior for these is not reliable (several modes, or a "
                "shape such as a funnel that the sampler explores poorly)."
            )
    need = ESS_PER_CHAIN * max(n_chains, 1)
    low = [
        n for n, row in table.items() if min(row["ess_bulk"] or 0.0, row["ess_tail"] or 0.0) < need
    ]
    if low:
        warnings.append(
            f"The effective sample size is below {need} for {_listing(low)}: means and "
            "intervals of these are uncertain. Run longer."
        )
    n_stuck = sum(len(s) for s in stuck)
    if n_stuck:
        warnings.append(
            f"{n_stuck} walker(s) were stuck (acceptance far below the rest of their ensemble) "
            "and were left out of the draws."
        )
    if acceptance < 0.1:
        warnings.append(
            f"The mean acceptance fraction is {acceptance:.2f}, below 0.1: the ensembles move "
            "slowly; the posterior may be badly scaled or multimodal."
        )
    return not warnings, warnings


def summarise_derived(
    values: dict[str, tuple[np.ndarray, tuple[str, ...]]], n_chains: int
) -> dict[str, dict[str, float | None]]:
    """Summaries of derived quantities; each value is ((chains*draws, size), labels)."""
    out: dict[str, Any] = {}
    for value, labels in values.values():
        flat = value.reshape(value.shape[0], -1)
        out.update(parameter_table(flat.reshape(n_chains, -1, flat.shape[1]), list(labels)))
    return out
