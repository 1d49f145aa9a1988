"""The explanation record of one row: exactly the numbers the report prints.

A plain JSON-able dict (schema documented in docs/explain.md, name and version in
"schema"), built from an Attributions object, the result's predictive interval
and, optionally, counterfactuals. `workbench explain --json` prints it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backends.explain.attributions import Attributions
from backends.explain.counterfactual import Counterfactual, DecisionRule
from backends.runtime import EngineError

SCHEMA = "workbench.explanation/1"


def has_ranges(record: dict[str, Any]) -> bool:
    """Whether an explanation record's attributions have intervals: not those of a model
    without a posterior, nor of a GP explained through its predictive mean."""
    return any(a["lower"] != a["upper"] for a in record["attributions"].values())


def explanation_record(
    result: Any,
    attributions: Attributions,
    index: int,
    *,
    row: int | None = None,
    counterfactuals: list[Counterfactual] | None = None,
    rule: DecisionRule | None = None,
) -> dict[str, Any]:
    """Record of the ``index``-th explained row (from 0); ``row`` is its number in the
    table, from 1 (defaults to ``index + 1``). Attributions are listed largest |value|
    first."""
    a = attributions
    if not 0 <= index < len(a.X):
        raise EngineError(f"row index {index} is outside the {len(a.X)} explained rows")
    x = a.X[index]
    mean, lower, upper = (
        float(np.asarray(v)[0]) for v in result.predict(x[None, :], level=a.level)
    )
    order = np.argsort(-np.abs(a.values[index]), kind="stable")
    attributions_out = {
        a.input_names[j]: {
            "value": float(a.values[index, j]),
            "lower": float(a.lower[index, j]),
            "upper": float(a.upper[index, j]),
            "sd": float(a.sd[index, j]),
            "mc_error": float(a.mc_error[index, j]),
            "feature_value": float(x[j]),
        }
        for j in order
    }
    row_additivity = abs(a.base_value + a.values[index].sum() - a.output[index])
    return {
        "schema": SCHEMA,
        "row": int(index + 1 if row is None else row),
        "target": getattr(result, "target", ""),
        "engine": getattr(result, "engine", ""),
        "prediction": {"mean": mean, "lower": lower, "upper": upper, "level": float(a.level)},
        "inputs": {name: float(v) for name, v in zip(a.input_names, x, strict=True)},
        "method": a.method,
        "scale": a.scale,
        "base_value": float(a.base_value),
        "explained_value": float(a.output[index]),
        "attributions": attributions_out,
        "additivity_error": float(row_additivity),
        "additivity_error_all_draws": float(a.additivity_error),
        "mc_error": float(np.nanmax(a.mc_error[index]))
        if np.isfinite(a.mc_error[index]).any()
        else None,
        "draws_error": float(np.max(a.draws_error[index], initial=0.0)),  # 0 inputs: 0
        "n_draws": int(a.n_draws),
        "converged": bool(a.converged),
        "notes": list(a.notes),
        "decision_rule": None
        if rule is None
        else {"threshold": rule.threshold, "direction": rule.direction},
        "counterfactuals": [
            {
                "changes": {f: {"from": old, "to": new} for f, (old, new) in c.changes.items()},
                "prediction": c.prediction,
                "probability": c.probability,
                "cost": c.cost,
            }
            for c in (counterfactuals or [])
        ],
    }
