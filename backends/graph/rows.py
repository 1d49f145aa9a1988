"""The data side of a compiled model: which rows, which columns, how scaled.

A compiled model's structure depends on the table only through a few numbers —
how many rows it was fitted on, the levels of each grouping column, the centre
and scale of each standardised column. ``DataInfo`` keeps exactly those, as
JSON, so that a saved result can rebuild its model and predict on new rows
without the training table. ``RowBatch`` holds the row values themselves (the
training rows, or the rows of an X given to ``predict``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from backends.runtime import ColumnTable, EngineError

NON_NUMERIC = ("categorical", "text")


@dataclass
class DataInfo:
    n_rows: int = 0
    dropped_rows: int = 0
    scaling: dict[str, tuple[float, float]] = field(default_factory=dict)
    levels: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_rows": self.n_rows,
            "dropped_rows": self.dropped_rows,
            "scaling": {k: [float(c), float(s)] for k, (c, s) in self.scaling.items()},
            "levels": {k: list(v) for k, v in self.levels.items()},
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> DataInfo:
        return cls(
            n_rows=int(raw["n_rows"]),
            dropped_rows=int(raw.get("dropped_rows", 0)),
            scaling={k: (float(v[0]), float(v[1])) for k, v in raw.get("scaling", {}).items()},
            levels={k: [str(x) for x in v] for k, v in raw.get("levels", {}).items()},
        )


@dataclass
class RowBatch:
    """Row values: numeric columns as float arrays, grouping columns as integer codes."""

    n: int
    values: dict[str, np.ndarray] = field(default_factory=dict)
    codes: dict[str, np.ndarray] = field(default_factory=dict)
    cache: dict = field(default_factory=dict)  # values that depend on these rows only


def table_rows(
    table: ColumnTable,
    numeric: Iterable[str],
    grouping: Iterable[str],
    standardised: Iterable[str],
) -> tuple[RowBatch, DataInfo]:
    """The complete rows of ``table`` for the columns a model uses, and their DataInfo.

    Rows with a missing value in any used column are dropped (and counted), since
    the likelihood cannot use them; standardisation is computed on the kept rows.
    """
    numeric, grouping = sorted(set(numeric)), sorted(set(grouping))
    keep = np.ones(table.n_rows, dtype=bool)
    codes: dict[str, np.ndarray] = {}
    levels: dict[str, list[str]] = {}
    for name in grouping:
        codes[name], levels[name] = table.codes(name)
        keep &= codes[name] >= 0
    values: dict[str, np.ndarray] = {}
    for name in numeric:
        values[name] = np.asarray(table[name], dtype=float)
        keep &= ~np.isnan(values[name])
    batch = RowBatch(
        int(keep.sum()),
        {k: v[keep] for k, v in values.items()},
        {k: v[keep] for k, v in codes.items()},
    )
    scaling = {}
    for name in standardised:
        column = batch.values[name]
        scale = float(np.std(column)) if batch.n > 1 else 1.0
        scaling[name] = (float(np.mean(column)) if batch.n else 0.0, scale if scale > 0 else 1.0)
    info = DataInfo(batch.n, int((~keep).sum()), scaling, levels)
    if batch.n == 0:
        raise EngineError("no complete rows: every row misses a value in a column the model uses")
    return batch, info


def matrix_rows(
    X: np.ndarray, names: list[str], grouping: Iterable[str], info: DataInfo
) -> RowBatch:
    """A RowBatch from a float matrix whose columns are ``names``.

    Grouping columns carry level codes 0..L-1 (the order of ``info.levels``).
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != len(names):
        raise EngineError(
            f"X must have shape (n, {len(names)}) with columns {names}; got {X.shape}"
        )
    if np.isnan(X).any():
        row = int(np.argwhere(np.isnan(X))[0][0])
        raise EngineError(f"X has a missing value in row {row + 1}")
    grouping = set(grouping)
    batch = RowBatch(X.shape[0])
    for j, name in enumerate(names):
        if name in grouping:
            n_levels = len(info.levels[name])
            column = X[:, j]
            if np.any((column < 0) | (column >= n_levels) | (np.floor(column) != column)):
                raise EngineError(
                    f"column {name!r} of X must hold group codes 0..{n_levels - 1} "
                    f"(levels {info.levels[name]})"
                )
            batch.codes[name] = column.astype(np.int64)
        else:
            batch.values[name] = X[:, j]
    return batch
