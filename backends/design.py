"""The rows of a table as a result's X: the one way to feed a table to ``predict``.

Every result names its inputs (``input_names``) and its target; numeric columns
enter X as they are, and a categorical or grouping column enters as the index of
its level in the result's own level list (MCMC group indices, a GAN's categories:
``summary()["levels"]``). A text column where the result saved no levels held
numbers at fitting time: its values are read as numbers, and one that is not a
number is refused with its row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from backends.runtime import ColumnTable, EngineError


@dataclass(frozen=True)
class Design:
    X: np.ndarray  # (n, len(input_names)), NaN where a value is missing
    y: np.ndarray | None  # the target column as numbers, when the table has it
    complete: np.ndarray  # bool (n,): rows with every input present
    # the level names of each categorical input, in the order of their codes in X
    levels: dict[str, list[str]] = field(default_factory=dict)
    # per categorical input, the rows whose value is present but not one of its levels
    # (their X is NaN, as for a missing value, but the reason to tell is another)
    unseen: dict[str, np.ndarray] = field(default_factory=dict)
    # the first such value of each input, for messages
    unseen_example: dict[str, str] = field(default_factory=dict)

    def not_predicted(self) -> str:
        """Why the incomplete rows get no prediction, in a sentence ("" if none)."""
        n_unseen = np.zeros(len(self.X), dtype=bool)
        examples = []
        for name, rows in self.unseen.items():
            n_unseen |= rows
            if rows.any():
                first = int(np.flatnonzero(rows)[0]) + 1
                examples.append(f"{name} {self.unseen_example[name]} in row {first}")
        missing = int(np.sum(~self.complete & ~n_unseen))
        parts = []
        if n_unseen.any():
            parts.append(
                f"{int(n_unseen.sum())} row(s) hold a level the model was not fitted with "
                f"(first: {', '.join(examples)})"
            )
        if missing:
            parts.append(f"{missing} row(s) miss an input")
        return "; ".join(parts) + ": not predicted" if parts else ""

    def row(self, index: int) -> np.ndarray:
        """X of one table row (0-based), refusing a row with a missing input."""
        if not 0 <= index < len(self.X):
            raise EngineError(f"row {index + 1} does not exist: the table has {len(self.X)} rows")
        if not self.complete[index]:
            for name, rows in self.unseen.items():
                if rows[index]:
                    raise EngineError(
                        f"row {index + 1}: column {name!r} holds a level the model was not "
                        "fitted with"
                    )
            raise EngineError(f"row {index + 1} has a missing value in an input of the model")
        return self.X[index : index + 1]


def design_matrix(result: Any, table: ColumnTable) -> Design:
    names = list(result.input_names)
    saved_levels: dict[str, list[str]] = (result.summary() or {}).get("levels") or {}
    columns = []
    levels: dict[str, list[str]] = {}
    unseen: dict[str, np.ndarray] = {}
    example: dict[str, str] = {}
    for name in names:
        if name not in table:
            raise EngineError(f"the table has no column {name!r}, an input of this result")
        if name in saved_levels:
            levels[name] = [str(v) for v in saved_levels[name]]
        elif table.is_text(name):
            # every engine saves the levels of its categorical inputs: this one was
            # fitted on numbers, and codes of this table's levels would be nonsense
            columns.append(_numbers_in_text(table, name))
            continue
        columns.append(_as_numbers(table, name, levels.get(name)))
        if name in levels:
            present = np.array([v is not None and v == v for v in table[name]], dtype=bool)
            unseen[name] = present & np.isnan(columns[-1])
            if unseen[name].any():
                example[name] = repr(table[name][int(np.flatnonzero(unseen[name])[0])])
    X = np.column_stack(columns) if columns else np.empty((table.n_rows, 0))
    target = getattr(result, "target", None)
    y = None
    if target in table and not table.is_text(target):
        y = np.asarray(table[target], dtype=float)
    return Design(X, y, np.all(np.isfinite(X), axis=1), levels, unseen, example)


def _numbers_in_text(table: ColumnTable, name: str) -> np.ndarray:
    """A text column holding a numeric input, as numbers; refuses a value that is not one."""
    out = np.full(table.n_rows, np.nan)
    for i, value in enumerate(table[name]):
        if value is None or str(value).strip() == "":
            continue
        try:
            out[i] = float(str(value))
        except ValueError:
            row = table.row_numbers([i])[0]
            raise EngineError(
                f"column {name!r} holds {value!r} in row {row}, but the model was fitted on "
                "numbers in it; correct the value or leave the row out"
            ) from None
    return out


def _as_numbers(table: ColumnTable, name: str, levels: list[str] | None) -> np.ndarray:
    values = table[name]
    if levels is None:
        return np.asarray(values, dtype=float)
    lookup = {str(level): float(i) for i, level in enumerate(levels)}
    if table.is_text(name):
        return np.array([lookup.get(str(v), np.nan) if v is not None else np.nan for v in values])
    # numeric levels are written str(float(value)), as ColumnTable.levels writes them
    return np.array([lookup.get(str(float(v)), np.nan) for v in values])
