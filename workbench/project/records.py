"""Run records and report records: the project's history.

A run record owns the engine's saved state (ResultState: JSON metadata, numpy
arrays, byte blobs) and rebuilds the live result on demand, so that opening a
project does not import torch until a result is actually used.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from backends.engines import engine_module
from backends.runtime import ResultState

RUN_STATUSES = ("finished", "failed", "cancelled")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class RunRecord:
    engine: str
    settings: dict[str, Any]
    seed: int
    device: str
    started: str
    finished: str
    status: str = "finished"
    message: str = ""
    # table rows (from 0) left out of the fit, to check the predictive intervals on
    holdout_rows: list[int] = field(default_factory=list)
    holdout_table: str = ""  # the fingerprint of the table those row numbers belong to
    # what the run was asked to fit, so that its report describes this model and these
    # data even after the project's are edited: the graph as Graph.to_dict() and the
    # whole table's ColumnTable.fingerprint. None and "": a run of an older format,
    # whose model and data were not kept
    graph: dict[str, Any] | None = None
    table_fingerprint: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    state: ResultState | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    _result: Any = field(default=None, repr=False, compare=False)
    _loading: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def result(self) -> Any:
        """The engine's live result object, rebuilt from the saved state once, even when
        several views ask from several threads at the same moment."""
        with self._loading:
            if self._result is None:
                if self.state is None:
                    raise ValueError(f"run {self.id} ({self.status}) holds no result")
                self._result = engine_module(self.engine).load_result(self.state)
            return self._result

    def attach_result(self, result: Any) -> None:
        """Keep a freshly computed result (and its state for saving)."""
        self._result = result
        self.state = result.to_state()
        self.summary = result.summary()

    def to_json(self) -> dict[str, Any]:
        """The record without its arrays and blobs (those travel as zip entries)."""
        return {
            "id": self.id,
            "engine": self.engine,
            "settings": self.settings,
            "seed": self.seed,
            "device": self.device,
            "started": self.started,
            "finished": self.finished,
            "status": self.status,
            "message": self.message,
            "holdout_rows": self.holdout_rows,
            "holdout_table": self.holdout_table,
            "graph": self.graph,
            "table_fingerprint": self.table_fingerprint,
            "summary": self.summary,
            "meta": self.state.meta if self.state else None,
        }


@dataclass
class ReportRecord:
    """An exported report, kept as an audit trail."""

    run_id: str
    kind: str  # "decision" (one row) or "model"
    row: int | None
    level: float
    file_name: str
    sha256: str
    created: str = field(default_factory=now_iso)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "run_id": self.run_id,
            "kind": self.kind,
            "row": self.row,
            "level": self.level,
            "file_name": self.file_name,
            "sha256": self.sha256,
            "created": self.created,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ReportRecord:
        return cls(
            **{
                k: raw[k]
                for k in ("id", "run_id", "kind", "row", "level", "file_name", "sha256", "created")
            }
        )
