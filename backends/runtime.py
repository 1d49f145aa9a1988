"""The run protocol shared by every engine.

An engine is a plain function::

    run(graph, table, settings, *, device, seed, progress, cancel) -> EngineResult

It takes plain inputs (a Graph, a ColumnTable of numpy arrays, a settings dict),
reports small Progress records through the ``progress`` callback, checks the
CancelToken between steps, and returns a result that owns plain arrays only.
The same function runs in the GUI's worker thread, the CLI, tests and process
pools, so nothing here may touch Qt or hold device tensors past the run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

COLUMN_TYPES = ("numeric", "integer", "boolean", "categorical", "date", "text")


@dataclass(frozen=True)
class ColumnTable:
    """The project's table handed to engines: one numpy array per column.

    numeric, integer, boolean and date columns are float64 arrays with NaN for
    missing values (booleans as 0/1, dates as days since 1970-01-01); categorical
    and text columns are object arrays of str with None for missing values.
    """

    columns: Mapping[str, np.ndarray]
    types: Mapping[str, str]
    # which table this is (a project's: its file's SHA-256 and row count), so that row
    # numbers kept from a run can be checked against it; "" for a part of a table
    fingerprint: str = ""
    # for a part of a table (take), each row's index in the whole one: messages name
    # rows as the user's table numbers them, not as the part does
    source_rows: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def n_rows(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    def take(self, rows: np.ndarray) -> ColumnTable:
        """The table of these rows only (indices from 0), in their order."""
        rows = np.asarray(rows, dtype=np.int64)
        source = rows if self.source_rows is None else self.source_rows[rows]
        return ColumnTable(
            {k: v[rows] for k, v in self.columns.items()}, self.types, source_rows=source
        )

    def row_numbers(self, rows: np.ndarray) -> np.ndarray:
        """The numbers (from 1, as a spreadsheet shows them) that rows of this table
        (indices from 0) have in the user's whole table."""
        rows = np.asarray(rows, dtype=np.int64)
        return (rows if self.source_rows is None else self.source_rows[rows]) + 1

    def rows_text(self, mask: np.ndarray, values: np.ndarray | None = None) -> str:
        """The first three flagged rows as the user's table numbers them, for messages:
        "row 8 (55.5)" or "rows 8 (55.5), 21 (-3) and 4 more" (values only if given)."""
        flagged = np.flatnonzero(mask)
        first = flagged[:3]
        shown = ", ".join(
            f"{n}" if values is None else f"{n} ({values[i]:g})"
            for i, n in zip(first, self.row_numbers(first), strict=True)
        )
        more = f" and {flagged.size - 3} more" if flagged.size > 3 else ""
        return f"row {shown}" if flagged.size == 1 else f"rows {shown}{more}"

    def is_text(self, name: str) -> bool:
        return self.types.get(name) in ("categorical", "text")

    def levels(self, name: str) -> list[str]:
        """Distinct non-missing values of a grouping column, as text, in a fixed order:
        sorted text for categorical columns, ascending numbers (``str(float)``) otherwise."""
        values = self.columns[name]
        if self.is_text(name):
            return sorted({str(v) for v in values if v is not None})
        return [str(v) for v in np.unique(values[~np.isnan(values)])]

    def codes(self, name: str) -> tuple[np.ndarray, list[str]]:
        """Integer codes (−1 for missing) and level names of a grouping column."""
        levels = self.levels(name)
        lookup = {level: i for i, level in enumerate(levels)}
        values = self.columns[name]
        if self.is_text(name):
            codes = [lookup.get(str(v), -1) if v is not None else -1 for v in values]
        else:
            codes = [lookup.get(str(v), -1) for v in values]  # NaN maps to −1
        return np.asarray(codes, dtype=np.int64), levels


@dataclass(frozen=True)
class Progress:
    """One progress record. ``values`` carries a few numbers for live plots
    (e.g. {"loss": 1.3} or {"mu": [..one value per ensemble..]})."""

    step: int
    total: int | None
    message: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)


ProgressCallback = Callable[[Progress], None]


def ignore_progress(_: Progress) -> None:
    """The progress callback of a caller that does not listen."""


class RunCancelled(Exception):
    """Raised inside an engine when its CancelToken was set; the run is discarded."""


class EngineError(ValueError):
    """A run cannot proceed because of its input; the message says what to fix."""


class CancelToken:
    """Thread-safe flag the GUI sets and the engine checks between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise RunCancelled("the run was stopped")


@dataclass
class ResultState:
    """What a result saves: JSON metadata, numpy arrays, and raw byte blobs
    (e.g. safetensors weights). Nothing here may need pickle to load."""

    meta: dict[str, Any]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)


class EngineResult(Protocol):
    """What every engine returns. Explanations use only predict/sample_predict."""

    engine: str

    def predict(self, X: np.ndarray, level: float = 0.9) -> tuple[np.ndarray, ...]:
        """Mean, lower and upper bound of the predictive interval at ``level``."""

    def sample_predict(self, X: np.ndarray, n_draws: int, seed: int = 0) -> np.ndarray:
        """Draws of the prediction, shape (n_draws, len(X))."""

    def summary(self) -> dict[str, Any]:
        """A JSON-able summary, the body of ``workbench summary --json``."""

    def to_state(self) -> ResultState: ...


def resolve_device(name: str = "auto") -> str:
    """Map the user's choice (auto, cpu, cuda, cuda:1, gpu) to a torch device string."""
    choice = name.lower().strip()
    if choice == "cpu":
        return "cpu"
    import torch  # imported late: MCMC runs never need it

    if choice in ("auto",):
        return "cuda" if torch.cuda.is_available() else "cpu"
    if choice in ("gpu", "cuda") or choice.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise EngineError("a GPU was asked for, but torch sees no CUDA device")
        return "cuda" if choice == "gpu" else choice
    raise EngineError(f"unknown device {name!r}; use auto, cpu or cuda")


def make_rng(seed: int | None) -> np.random.Generator:
    return np.random.default_rng(seed)


@dataclass(frozen=True)
class Setting:
    """One engine setting, described so that the GUI can build a form for it."""

    name: str
    label: str
    kind: str  # "int", "float", "bool" or "choice"
    default: Any
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    zero: str = ""  # what 0 means, where it is not a number ("auto", "never")


def apply_settings(specs: list[Setting], given: Mapping[str, Any] | None) -> dict[str, Any]:
    """Defaults overlaid with the given values, each checked against its spec."""
    known = {s.name: s for s in specs}
    out = {s.name: s.default for s in specs}
    for key, value in (given or {}).items():
        spec = known.get(key)
        if spec is None:
            raise EngineError(f"unknown setting {key!r}; known: {', '.join(sorted(known))}")
        out[key] = _coerce_setting(spec, value)
    return out


def _coerce_setting(spec: Setting, value: Any) -> Any:
    try:
        if spec.kind == "int":
            coerced: Any = int(value)
        elif spec.kind == "float":
            coerced = float(value)
        elif spec.kind == "bool":
            coerced = (
                value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
            )
        else:
            coerced = str(value)
    except (TypeError, ValueError) as exc:
        raise EngineError(f"setting {spec.name!r}: {value!r} is not a valid {spec.kind}") from exc
    if spec.kind == "choice" and coerced not in spec.choices:
        raise EngineError(f"setting {spec.name!r}: {coerced!r} is not one of {spec.choices}")
    if spec.minimum is not None and coerced < spec.minimum:
        raise EngineError(f"setting {spec.name!r}: {coerced} is below the minimum {spec.minimum}")
    if spec.maximum is not None and coerced > spec.maximum:
        raise EngineError(f"setting {spec.name!r}: {coerced} is above the maximum {spec.maximum}")
    return coerced
