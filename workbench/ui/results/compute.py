"""What the results tabs show, computed off the GUI thread.

Loading a result (torch for GP and GAN), predicting every row and computing
attributions take from milliseconds to seconds; the functions here are plain
(no Qt) and run in superqt workers so the window never waits on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from backends.design import design_matrix
from backends.explain import global_importance, pit_values
from backends.runtime import CancelToken, ColumnTable, EngineError
from workbench.project import RunRecord
from workbench.report import analysis
from workbench.report.analysis import level_name
from workbench.report.words import fmt_plain

GRID_POINTS = 1000
PIT_DRAWS = 400


@dataclass
class Predictions:
    target: str
    input_names: list[str]
    rows: np.ndarray  # table row indices shown
    X: np.ndarray
    y: np.ndarray | None
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    level: float
    grid: dict[str, np.ndarray] | None  # one numeric input: x, mean, lower, upper (+ f band)
    pit: np.ndarray | None  # probability integral transform of each observed value
    held_out: np.ndarray  # bool per shown row: left out of the fit (RunRecord.holdout_rows)


def without_results(record: RunRecord | None, what: str) -> str:
    """What a results tab says when it has nothing to show: no run yet, or a selected
    run that failed or was stopped (and so holds no result)."""
    if record is None:
        return f"No {what}: run the model first."
    return (
        f"The selected run {record.status} and holds no results: select a finished run in the list."
    )


def compute_predictions(record: RunRecord, table: ColumnTable, level: float = 0.9) -> Predictions:
    result = record.result()
    design = design_matrix(result, table)
    rows = np.flatnonzero(design.complete)
    mean, lower, upper = result.predict(design.X[rows], level)
    grid = None
    if design.X.shape[1] == 1 and table.types.get(result.input_names[0]) not in (
        "categorical",
        "text",
    ):
        grid = _grid_band(result, design.X[rows, 0], level)
    pit = None
    if design.y is not None:
        draws = result.sample_predict(design.X[rows], PIT_DRAWS, seed=0)
        y = design.y[rows]
        pit = np.where(np.isfinite(y), pit_values(draws, y), np.nan)  # no value, no PIT
    return Predictions(
        result.target,
        list(result.input_names),
        rows,
        design.X[rows],
        None if design.y is None else design.y[rows],
        np.asarray(mean),
        np.asarray(lower),
        np.asarray(upper),
        level,
        grid,
        pit,
        # the run's held-out rows, if they number this table
        np.isin(rows, record.holdout_rows) & (record.holdout_table == table.fingerprint),
    )


def _grid_band(result: Any, x: np.ndarray, level: float) -> dict[str, np.ndarray]:
    """The GP picture: mean with predictive (and, where known, credible) band over x."""
    span = x.max() - x.min()
    xs = np.linspace(x.min() - 0.1 * span, x.max() + 0.1 * span, GRID_POINTS)
    mean, lower, upper = result.predict(xs[:, None], level)
    band = {
        "x": xs,
        "mean": np.asarray(mean),
        "lower": np.asarray(lower),
        "upper": np.asarray(upper),
    }
    if hasattr(result, "credible_band"):
        _, f_lower, f_upper = result.credible_band(xs[:, None], level)
        band.update(f_lower=np.asarray(f_lower), f_upper=np.asarray(f_upper))
    return band


@dataclass
class AttributionView:
    rows: np.ndarray  # table row indices explained
    attributions: Any  # backends.explain.Attributions
    importance: list[dict[str, Any]]
    # categorical inputs' level names, in code order (X holds the codes)
    levels: dict[str, list[str]] = field(default_factory=dict)

    def shown_value(self, feature: str, value: float) -> str:
        """An input's value as the table shows it: a category by its level."""
        names = self.levels.get(feature)
        if names is not None and np.isfinite(value) and 0 <= int(value) < len(names):
            return level_name(names[int(value)])
        return fmt_plain(value)  # "30,000", not "3e+04"


def compute_attributions(
    record: RunRecord, table: ColumnTable, level: float = 0.9, cancel: CancelToken | None = None
) -> AttributionView:
    """Attributions with intervals for the report's sample of rows, with its background
    and seed: the tab shows the same global importance as the report's annex.
    ``cancel`` stops the computation between rows (RunCancelled)."""
    result = record.result()
    design = design_matrix(result, table)
    complete = np.flatnonzero(design.complete)
    if len(complete) == 0:
        raise EngineError("no row of the table has every input of the model")
    data = analysis.RunData(record, result, design, complete, table)
    rows, attributions = analysis.explain_sample(data, level, cancel)
    return AttributionView(rows, attributions, global_importance(attributions), design.levels)
