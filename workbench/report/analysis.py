"""The numbers behind a report: one row's explanation record, global importance,
calibration and group outcome rates — computed from a run through the result
interface only (backends.explain), so every engine gets the same report.

Every random choice has a fixed seed, so the report and ``explain_row_json``
for the same row give the same numbers (a test holds them to equality).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from backends.design import Design, design_matrix
from backends.explain import (
    GLOBAL_MC_TOLERANCE,
    calibration,
    explain_rows,
    explanation_record,
    find_counterfactuals,
    rows_for_global_views,
    summarise_background,
)
from backends.explain.attributions import Attributions
from backends.runtime import CancelToken, ColumnTable, EngineError
from workbench.project import Project, RunRecord
from workbench.report import provenance
from workbench.report.errors import ReportError
from workbench.report.settings import ReportSettings, read_settings

BACKGROUND_ROWS = 100
IMPORTANCE_ROWS = 100  # rows behind global importance; exact response-scale cost grows with it
CHECK_ROWS = 2000  # rows used for calibration and group rates (a fixed random sample beyond)
CALIBRATION_LEVELS = (0.5, 0.8, 0.9, 0.95)
MAX_GROUPS = 10
SEED = 0


def finished_run(project: Project, run_id: str | None) -> RunRecord:
    """The run to report on: the given one, or the newest finished run."""
    if run_id:
        try:
            record = project.run_by_id(run_id)
        except KeyError as exc:
            raise ReportError(f"there is no run {run_id!r} in this project") from exc
        if record.status != "finished":
            raise ReportError(f"run {run_id[:8]} {record.status}: it has no results to report")
        return record
    record = project.latest_run()
    if record is None:
        raise ReportError("the project holds no finished run; run the model first")
    return record


def project_settings(project: Project) -> ReportSettings:
    columns = project.dataset.columns if project.dataset is not None else []
    return read_settings(project.settings.report, columns)


@dataclass
class RunData:
    """A run's result and the project's table as its X (built once per report)."""

    record: RunRecord
    result: Any
    design: Design
    complete: np.ndarray  # indices of rows with every input present
    table: ColumnTable

    def background(self) -> tuple[np.ndarray, np.ndarray]:
        return summarise_background(self.design.X[self.complete], size=BACKGROUND_ROWS, seed=SEED)

    def sample(self, size: int, need_target: bool = False) -> np.ndarray:
        rows = self.complete
        if need_target and self.design.y is not None:
            rows = rows[np.isfinite(self.design.y[rows])]
        return _at_most(rows, size)


def _at_most(rows: np.ndarray, size: int) -> np.ndarray:
    """The rows, or a fixed random sample of ``size`` of them (the report's seed)."""
    if len(rows) <= size:
        return rows
    return np.sort(np.random.default_rng(SEED).choice(rows, size=size, replace=False))


def run_data(project: Project, record: RunRecord) -> RunData:
    if project.dataset is None:
        raise ReportError("the project has no data table")
    result = record.result()
    table = project.dataset.column_table()
    try:
        design = design_matrix(result, table)
    except EngineError as exc:
        raise ReportError(f"the table no longer fits run {record.id[:8]}: {exc}") from exc
    complete = np.flatnonzero(design.complete)
    if len(complete) == 0:
        raise ReportError("no row of the table has every input of the model")
    return RunData(record, result, design, complete, table)


def attribution_scale(result: Any) -> str:
    """ "response" (the prediction itself) for models linear on a logit or log link,
    so that the person reads effects on the probability or count, not on log-odds;
    "link" otherwise — the same numbers, by the cheap exact route, when the link is
    the identity."""
    terms = result.linear_terms() if hasattr(result, "linear_terms") else None
    return "response" if terms is not None and terms["link"] != "identity" else "link"


def binary_target(data: RunData) -> bool:
    """Whether the target holds only 0 and 1 (a classifier: predictions are probabilities)."""
    y = data.design.y
    if y is None:
        return False
    known = y[np.isfinite(y)]
    return len(known) > 0 and bool(np.all((known == 0) | (known == 1)))


def row_index(data: RunData, row: int) -> int:
    """The 0-based index of table row ``row`` (rows are numbered from 1, as on screen)."""
    n = len(data.design.X)
    if isinstance(row, bool) or not isinstance(row, int | np.integer):
        raise ReportError(f"the row must be a whole number, got {row!r}")
    if not 1 <= row <= n:
        raise ReportError(f"row {row} does not exist: the table has rows 1 to {n}")
    if not data.design.complete[row - 1]:
        unusable = [
            name
            for name, v in zip(data.result.input_names, data.design.X[row - 1], strict=True)
            if not np.isfinite(v)
        ]
        for name in unusable:
            value = data.table[name][row - 1]
            levels = data.design.levels.get(name)
            if levels is not None and value is not None and value == value:  # not NaN
                raise ReportError(
                    f"row {row}: {value!r} in column {name!r} is not a level the model was "
                    f"fitted with ({', '.join(levels)}), so the model made no prediction for it"
                )
        raise ReportError(
            f"row {row} has no value for {', '.join(unusable)}, an input of the "
            "model, so the model made no prediction for it"
        )
    return row - 1


def explain_one_row(
    data: RunData,
    row: int,
    level: float,
    settings: ReportSettings,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """The explanation record (schema workbench.explanation/1) of table row ``row``."""
    index = row_index(data, row)
    x = data.design.X[index : index + 1]
    background, weights = data.background()
    attributions = explain_rows(
        data.result,
        x,
        background,
        weights=weights,
        level=level,
        seed=SEED,
        scale=attribution_scale(data.result),
        cancel=cancel,
    )
    rule = settings.decision.rule if settings.decision else None
    counterfactuals = None
    names = list(data.result.input_names)
    levels = data.design.levels
    # the search moves numbers along a grid: a category's codes are not amounts
    categorical = [a.feature for a in settings.actionable if a.feature in levels]
    usable = settings.changeable(names, levels)
    if rule is not None and usable:
        counterfactuals = find_counterfactuals(
            data.result, x[0], rule, usable, scales=background.std(axis=0), seed=SEED, cancel=cancel
        )
    record = explanation_record(
        data.result, attributions, 0, row=row, counterfactuals=counterfactuals, rule=rule
    )
    record["input_levels"] = {
        name: level_name(levels[name][int(record["inputs"][name])]) for name in levels
    }
    # which model and data made these numbers: the run's own, or "not known"
    record.update(provenance.facts(data.record, data.table.fingerprint))
    if rule is not None and categorical:
        record["notes"].append(
            f"Categorical inputs ({', '.join(categorical)}) are not searched for "
            "counterfactuals: the search changes amounts, and a category is not one."
        )
    if rule is not None and not usable and not categorical:
        record["notes"].append(
            "No counterfactuals were searched: the report settings mark no input of the "
            "model as actionable."
        )
    elif rule is not None and usable and not counterfactuals:
        names = ", ".join(a.feature for a in usable)
        record["notes"].append(
            f"No change to the actionable inputs ({names}) within their allowed ranges "
            "would alter the decision."
        )
    return record


def held_out_rows(data: RunData) -> np.ndarray:
    """The run's held-out rows that can be checked: every input and the target known.
    Rows past the table's end (a table replaced since) are left out."""
    if data.record.holdout_table != data.table.fingerprint:  # numbers of another table
        return np.zeros(0, dtype=int)
    held = np.unique(np.asarray(data.record.holdout_rows, dtype=np.int64))
    held = held[held < len(data.design.X)]
    y = data.design.y
    return held[data.design.complete[held] & np.isfinite(y[held])] if y is not None else held[:0]


def level_name(level: str) -> str:
    """A level as the person knows it: a numeric grouping column's levels are kept as
    str(float), "3.0", and read "3"; a text category ("007", "1e3") stays as written."""
    return level[:-2] if re.fullmatch(r"-?\d+\.0", level) else level


def explain_sample(
    data: RunData, level: float, cancel: CancelToken | None = None
) -> tuple[np.ndarray, Attributions]:
    """Attributions of a fixed random sample of rows, for the global views."""
    rows = data.sample(rows_for_global_views(data.design.X.shape[1], IMPORTANCE_ROWS))
    background, weights = data.background()
    a = explain_rows(
        data.result,
        data.design.X[rows],
        background,
        weights=weights,
        level=level,
        mc_tolerance=GLOBAL_MC_TOLERANCE,
        seed=SEED,
        scale=attribution_scale(data.result),
        cancel=cancel,
    )
    return rows, a


def calibration_check(data: RunData, level: float) -> dict[str, Any] | None:
    """Coverage of the predictive intervals on the rows the run held out ("held_out":
    true), or, for a run that used every row, on the rows it was fitted to (a
    posterior predictive check, which the report calls by its name)."""
    if data.design.y is None:
        return None
    held = held_out_rows(data)
    rows = _at_most(held, CHECK_ROWS) if len(held) else data.sample(CHECK_ROWS, need_target=True)
    if len(rows) == 0:
        return None
    levels = tuple(sorted({*CALIBRATION_LEVELS, float(level)}))
    out = calibration(
        data.result, data.design.X[rows], data.design.y[rows], levels=levels, seed=SEED
    )
    out["pit"].pop("values")  # one number per row: not for a report
    out["rows_total"] = int(len(held)) if len(held) else int(len(data.complete))
    out["held_out"] = bool(len(held))
    if data.record.holdout_rows and not len(held):  # why the run's own rows were not used
        out["held_out_note"] = (
            "the table has changed since the run, so its row numbers no longer point to them"
            if data.record.holdout_table != data.table.fingerprint
            else "none of them has every input and the target"
        )
    return out


def group_rates(
    project: Project, data: RunData, column: str, settings: ReportSettings
) -> dict[str, Any]:
    """Predicted (and observed) outcomes per group of the protected column."""
    rows = data.sample(CHECK_ROWS)
    mean = np.asarray(data.result.predict(data.design.X[rows])[0], dtype=float)
    labels = _group_labels(project.dataset.frame[column].to_numpy()[rows])
    y = data.design.y[rows] if data.design.y is not None else None
    rule = settings.decision.rule if settings.decision else None
    groups = []
    for label in sorted(set(labels), key=str):
        inside = labels == label
        entry: dict[str, Any] = {
            "group": str(label),
            "n": int(inside.sum()),
            "mean_prediction": float(mean[inside].mean()),
        }
        if y is not None and np.isfinite(y[inside]).any():
            entry["mean_observed"] = float(np.nanmean(y[inside]))
        if rule is not None:
            entry["positive_rate"] = float(np.mean(rule.positive(mean[inside])))
            if "mean_observed" in entry:
                known = np.isfinite(y[inside])
                entry["observed_positive_rate"] = float(np.mean(rule.positive(y[inside][known])))
        groups.append(entry)
    return {"column": column, "rows": int(len(rows)), "groups": groups}


def _group_labels(values: np.ndarray) -> np.ndarray:
    """Few distinct values: one group each; a many-valued number: below / from its median."""
    present = [v for v in values if v is not None and v == v]
    distinct = set(map(str, present))
    numeric = all(isinstance(v, int | float | np.integer | np.floating) for v in present)
    if len(distinct) <= MAX_GROUPS or not numeric:
        return np.array(
            ["(missing)" if v is None or v != v else str(v) for v in values], dtype=object
        )
    median = float(np.median(np.asarray(present, dtype=float)))
    return np.array(
        [
            "(missing)"
            if v is None or v != v
            else f"below {median:g}"
            if float(v) < median
            else f"{median:g} or more"
            for v in values
        ],
        dtype=object,
    )
