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


def drift(runs: list[np.ndarray]) -> np.ndarray:
    """R-hat per parameter between the first and the second half in time of each
    ensemble's run: ``runs`` holds one (steps, walkers, parameters) array per
    ensemble (burn-in removed). Each half is one chain, flattened walker by walker
    like the draws; rank-normalised R-hat sees a shift of location or of spread. The
    draws' own R-hat cannot: it compares ensembles, which share their start, and it
    splits each chain by walkers (the draws are walker-major), not in time. NaN
    where it cannot be computed (too few steps, a constant parameter)."""
    half = min(len(run) for run in runs) // 2
    dim = runs[0].shape[-1]
    if half < 2:
        return np.full(dim, np.nan)
    size = min(half * run.shape[1] for run in runs)
    chains = []
    for run in runs:
        run = run[len(run) - 2 * half :]
        for part in (run[:half], run[half:]):
            chains.append(np.swapaxes(part, 0, 1).reshape(-1, dim)[:size])
    with np.errstate(all="ignore"):
        return np.asarray(array_stats.rhat(np.moveaxis(np.stack(chains), -1, 0)), dtype=float)


def _listing(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def draw_checks(table: dict[str, dict[str, float | None]], n_chains: int, unit: str) -> list[str]:
    """R-hat across independent ``unit``s ("chain", "ensemble") and bulk/tail ESS: the
    checks every Markov chain sampler shares (Vehtari et al. 2021)."""
    warnings: list[str] = []
    if n_chains < 2:
        warnings.append(f"R-hat needs at least two independent {unit}s; it was not computed.")
    else:
        high = [n for n, row in table.items() if row["r_hat"] is None or row["r_hat"] > RHAT_LIMIT]
        if high:
            warnings.append(
                f"R-hat is above {RHAT_LIMIT} for {_listing(high)}: the independent {unit}s "
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
    return warnings


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
    drifting: list[str] | None = None,
) -> tuple[bool, list[str]]:
    """(converged, warnings): converged only when every check passes. ``drifting``
    names the parameters whose run after burn-in drifts (``sampler.Chains.drifting``);
    the sampler then also reports ``tau_converged`` false."""
    warnings: list[str] = []
    if drifting:
        warnings.append(
            f"The walkers had not settled for {_listing(drifting)}: the first and second "
            "halves of each ensemble's run after burn-in disagree (R-hat between them above "
            f"{RHAT_LIMIT}), so these draws still depend on where the walkers started, "
            "whatever the R-hat between ensembles says. Raise the step budget; if that does "
            "not help, try move = stretch."
        )
    if not tau_converged and (not drifting or steps <= tau_factor * tau_max):
        warnings.append(
            f"The chains did not reach emcee's convergence rule: {steps} steps per ensemble, "
            f"but the longest autocorrelation time is {tau_max:.0f} steps and the rule asks for "
            f"{tau_factor:g} times that with a stable estimate. Raise the step budget."
        )
    warnings.extend(draw_checks(table, n_chains, "ensemble"))
    n_stuck = sum(len(s) for s in stuck)
    if n_stuck:
        warnings.append(
            f"{n_stuck} walker(s) were stuck or stranded (acceptance, or log-density, far "
            "below the rest of their ensemble) and were left out of the draws: the start was "
            "poor or the posterior has regions the ensembles cross only rarely."
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
