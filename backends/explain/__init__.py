"""Explanations of any engine's result: attributions with uncertainty, global
views, counterfactuals, calibration, and the per-row explanation record.

Everything here uses only the result interface (predict, sample_predict,
sample_mean, input_names) plus two optional extras that unlock exact methods:
``linear_terms()`` and ``exact_shapley_data()`` (see docs/explain.md).
"""

from backends.explain.attributions import Attributions, explain_rows
from backends.explain.background import summarise_background
from backends.explain.calibration import calibration, coverage_sentence, holdout_split, pit_values
from backends.explain.coalitions import exact_shapley
from backends.explain.counterfactual import (
    Actionable,
    Counterfactual,
    DecisionRule,
    find_counterfactuals,
)
from backends.explain.global_views import (
    GLOBAL_MC_TOLERANCE,
    beeswarm_points,
    dependence,
    global_importance,
    rows_for_global_views,
)
from backends.explain.record import SCHEMA, explanation_record

__all__ = [
    "GLOBAL_MC_TOLERANCE",
    "SCHEMA",
    "Actionable",
    "Attributions",
    "Counterfactual",
    "DecisionRule",
    "beeswarm_points",
    "calibration",
    "coverage_sentence",
    "dependence",
    "exact_shapley",
    "explain_rows",
    "explanation_record",
    "find_counterfactuals",
    "global_importance",
    "holdout_split",
    "pit_values",
    "rows_for_global_views",
    "summarise_background",
]
