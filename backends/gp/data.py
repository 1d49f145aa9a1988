"""From the project's table to the arrays a GP is fitted on, with every check
that gives the analyst a clear message instead of a NaN loss or NotPSDError.

Inputs are standardised (mean 0, standard deviation 1) so that default
hyperparameters and priors mean the same thing for any data; a Gaussian target
is standardised too. Rows without a target value are left out (they are the
rows one predicts); a missing input among the remaining rows is an error,
because a GP cannot guess where a row lies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from backends.gp.spec import GPSpec
from backends.runtime import ColumnTable, EngineError

NUMERIC_TYPES = ("numeric", "integer", "boolean", "date")
MIN_ROWS = 3


@dataclass
class TrainingData:
    """Raw training arrays and the affine maps to the standardised scale."""

    X: np.ndarray  # (n, D) float64, original units
    y: np.ndarray  # (n,) float64: values, 0/1, or counts
    x_mean: np.ndarray
    x_scale: np.ndarray
    y_mean: float
    y_scale: float
    positive_class: str | None = None  # a two-level categorical target's "1"
    warnings: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.y)

    def x_std(self, X: np.ndarray) -> np.ndarray:
        return (np.asarray(X, dtype=np.float64) - self.x_mean) / self.x_scale

    def y_std(self) -> np.ndarray:
        return (self.y - self.y_mean) / self.y_scale


def input_matrix(spec: GPSpec, table: ColumnTable) -> np.ndarray:
    """The input columns as an (n, D) float64 matrix; refuses non-numeric columns."""
    for name in spec.inputs:
        if name not in table:
            raise EngineError(
                f"GP node {spec.node_name!r}: input column {name!r} is not in the table"
            )
        kind = table.types.get(name, "numeric")
        if kind not in NUMERIC_TYPES:
            raise EngineError(
                f"GP node {spec.node_name!r}: input column {name!r} is {kind}; a GP needs numeric "
                "inputs (encode the categories as numbers, or leave the column out)"
            )
    return np.column_stack([np.asarray(table[n], dtype=np.float64) for n in spec.inputs])


def _target(spec: GPSpec, table: ColumnTable) -> tuple[np.ndarray, str | None]:
    name = spec.target
    if name not in table:
        raise EngineError(f"GP node {spec.node_name!r}: target column {name!r} is not in the table")
    kind = table.types.get(name, "numeric")
    raw = table[name]
    if kind in ("categorical", "text"):
        levels = table.levels(name)
        if spec.likelihood != "bernoulli" or len(levels) != 2:
            raise EngineError(
                f"target column {name!r} is {kind} with {len(levels)} levels; a GP needs a numeric "
                "target, or a two-level column for classification"
            )
        y = np.array([np.nan if v is None else float(str(v) == levels[1]) for v in raw])
        return y, levels[1]
    return np.asarray(raw, dtype=np.float64), None


def training_data(spec: GPSpec, table: ColumnTable) -> TrainingData:
    """Checked, cleaned training arrays for a GPSpec; raises EngineError naming the column."""
    X = input_matrix(spec, table)
    y, positive = _target(spec, table)
    warnings: list[str] = []
    missing_y = np.isnan(y)
    if missing_y.any():
        warnings.append(
            f"{int(missing_y.sum())} rows without a value of {spec.target!r} were "
            "left out of the fit"
        )
    keep = ~missing_y
    for j, name in enumerate(spec.inputs):
        bad = keep & ~np.isfinite(X[:, j])
        if bad.any():
            raise EngineError(
                f"input column {name!r} is missing (or not finite) in {table.rows_text(bad)}; "
                "fill those values or filter the rows out"
            )
    _check_target_rows(spec, table, y, keep)
    X, y = X[keep], y[keep]
    if len(y) < MIN_ROWS:
        raise EngineError(
            f"the GP needs at least {MIN_ROWS} rows with a value of {spec.target!r}; found {len(y)}"
        )
    return standardised(spec, X, y, positive, warnings)


def standardised(
    spec: GPSpec, X: np.ndarray, y: np.ndarray, positive: str | None, warnings: list[str]
) -> TrainingData:
    """Checked training arrays with their standardisation computed from these rows."""
    _check_target_spread(spec, y)
    x_mean, x_scale = X.mean(axis=0), X.std(axis=0)
    for j, name in enumerate(spec.inputs):
        if x_scale[j] == 0:
            raise EngineError(
                f"input column {name!r} is constant (every row is {X[0, j]:g}); "
                "it cannot explain anything, so leave it out of the inputs"
            )
    y_mean, y_scale = 0.0, 1.0
    if spec.likelihood == "gaussian":
        y_mean, y_scale = float(y.mean()), float(y.std())
    return TrainingData(X, y, x_mean, x_scale, y_mean, y_scale, positive, list(warnings))


def split(
    spec: GPSpec, data: TrainingData, fraction: float, seed: int
) -> tuple[TrainingData, np.ndarray, np.ndarray]:
    """Hold out a random ``fraction`` of the rows: (training data, X_test, y_test)."""
    rng = np.random.default_rng([seed, 7])
    order = rng.permutation(data.n)
    n_test = int(round(fraction * data.n))
    if data.n - n_test < MIN_ROWS or n_test < 1:
        raise EngineError(
            f"a hold-out of {fraction:g} leaves {data.n - n_test} training and "
            f"{n_test} test rows; use more data or a different fraction"
        )
    test, train = order[:n_test], np.sort(order[n_test:])
    kept = standardised(spec, data.X[train], data.y[train], data.positive_class, data.warnings)
    return kept, data.X[test], data.y[test]


def _check_target_rows(spec: GPSpec, table: ColumnTable, y: np.ndarray, used: np.ndarray) -> None:
    """Refuse target values the likelihood cannot take, naming the table's rows;
    ``used`` marks the rows that enter the fit (y present)."""
    name = spec.target
    if np.any(used & np.isinf(y)):
        raise EngineError(
            f"target column {name!r} holds infinite values in {table.rows_text(used & np.isinf(y))}"
        )
    if spec.likelihood == "bernoulli":
        bad = used & (y != 0) & (y != 1)
        if bad.any():
            raise EngineError(
                f"a Bernoulli target must be 0 or 1; column {name!r} is not in "
                f"{table.rows_text(bad)}"
            )
    if spec.likelihood == "poisson":
        bad = used & ((y < 0) | (y != np.round(y)))
        if bad.any():
            raise EngineError(
                f"a Poisson target must be a count (0, 1, 2, ...); column {name!r} "
                f"is not in {table.rows_text(bad)}"
            )


def _check_target_spread(spec: GPSpec, y: np.ndarray) -> None:
    """Refuse a target that leaves nothing to learn in these rows."""
    name = spec.target
    if spec.likelihood == "gaussian" and y.std() == 0:
        raise EngineError(
            f"target column {name!r} is constant (every row is {y[0]:g}); "
            "there is nothing for a GP to learn"
        )
    if spec.likelihood == "bernoulli" and y.min() == y.max():
        raise EngineError(
            f"target column {name!r} has only one class ({y[0]:g}); classification needs both"
        )
