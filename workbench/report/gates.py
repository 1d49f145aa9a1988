"""Honesty gates: a report never presents a doubtful result as a sound one.

Two kinds of doubt, two answers (docs/report.md, "Honesty gates"):

- The run's own convergence check failed (MCMC chains, GP optimiser, GAN
  quality), or the attribution intervals did not reach their Monte Carlo
  tolerance. The numbers are still the model's best account, so the report is
  made, but layer 1 opens with a plain warning that names the problem and points
  to human review, and the annex lists the engine's warnings.
- The attributions do not add up to the prediction (additivity error above
  ADDITIVITY_TOLERANCE of the attributions' total size). Then the factors shown
  would not explain the prediction shown: that is a false explanation, not an
  uncertain one, so export is refused with the reason.
"""

from __future__ import annotations

from typing import Any

from workbench.report.errors import ReportError

ADDITIVITY_TOLERANCE = 0.01  # of sum |attribution| (or of |prediction| when all are ~0)


def additivity_scale(values: list[float], explained: float) -> float:
    return max(sum(abs(v) for v in values), 1e-6 * max(1.0, abs(explained)))


def check_additivity(error: float, values: list[float], explained: float, where: str) -> None:
    """Refuse (ReportError) when base + attributions misses the explained value."""
    scale = additivity_scale(values, explained)
    if not error <= ADDITIVITY_TOLERANCE * scale:
        raise ReportError(
            f"the explanation of {where} does not add up: the factors miss the prediction by "
            f"{error:.3g}, more than {ADDITIVITY_TOLERANCE:.0%} of their total size "
            f"({scale:.3g}). A report would misstate why the model decided as it did. "
            "Re-run the model; if it persists, the model's prediction for a row changes "
            "from one call to the next, and it cannot be explained."
        )


def run_doubts(summary: dict[str, Any], details: str, decision: bool = True) -> list[str]:
    """Plain-language reasons to doubt the run itself (empty when its checks passed)."""
    if summary.get("converged", True):
        return []
    subject = "The computer model behind this decision" if decision else "This model"
    return [
        f"{subject} did not pass its own reliability check: "
        "the calculation that fitted it to the data may not have settled. The "
        f"details are in {details}."
    ]


def explanation_doubts(record: dict[str, Any]) -> list[str]:
    """Doubts about one row's attributions (intervals not settled)."""
    if record.get("converged", True):
        return []
    return [
        "The ranges given for the factors below were computed from a limited number of "
        "simulations and may be somewhat too narrow or too wide."
    ]
