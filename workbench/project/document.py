"""The project document: data, model graph, settings, runs and reports.

The document knows nothing about Qt. Views follow it through ``subscribe``:
every change is announced as a ProjectEvent, graph edits included (forwarded
from the graph's own events), and the document keeps its ``modified`` flag.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backends.graph.model import Graph, GraphEvent
from workbench.project.dataset import Dataset
from workbench.project.records import ReportRecord, RunRecord, now_iso


@dataclass(frozen=True)
class ProjectEvent:
    """``type``: dataset_changed, graph_changed, settings_changed, run_added,
    run_removed, report_added, saved, modified_changed. ``detail`` is the id
    of what changed, or for graph_changed the GraphEvent."""

    type: str
    detail: Any = None


@dataclass
class Settings:
    """Engine choice and the organisation's details the report prints."""

    engine: str | None = None  # None: follow the graph's suggestion
    device: str = "auto"
    seed: int = 1
    # the share of table rows each run leaves out, to check its intervals on (0: none)
    holdout: float = 0.0
    engine_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "device": self.device,
            "seed": self.seed,
            "holdout": self.holdout,
            "engine_settings": self.engine_settings,
            "report": self.report,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Settings:
        return cls(
            engine=raw.get("engine"),
            device=raw.get("device", "auto"),
            seed=int(raw.get("seed", 1)),
            holdout=float(raw.get("holdout", 0.0)),
            engine_settings=dict(raw.get("engine_settings", {})),
            report=dict(raw.get("report", {})),
        )


Listener = Callable[[ProjectEvent], None]


class Project:
    def __init__(
        self,
        dataset: Dataset | None = None,
        graph: Graph | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.dataset = dataset
        self.graph = graph if graph is not None else Graph()
        self.settings = settings or Settings()
        self.runs: list[RunRecord] = []
        self.reports: list[ReportRecord] = []
        self.created = now_iso()
        self.path: Path | None = None
        self._modified = False
        self._listeners: list[Listener] = []
        self.graph.subscribe(self._on_graph_event)

    # ----------------------------------------------------------------- events
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def _emit(self, type_: str, detail: Any = None, *, modifies: bool = True) -> None:
        event = ProjectEvent(type_, detail)
        for listener in list(self._listeners):
            listener(event)
        if modifies:
            self.modified = True

    def _on_graph_event(self, event: GraphEvent) -> None:
        self._emit("graph_changed", event)

    @property
    def modified(self) -> bool:
        return self._modified

    @modified.setter
    def modified(self, value: bool) -> None:
        if value != self._modified:
            self._modified = value
            self._emit("modified_changed", value, modifies=False)

    @property
    def title(self) -> str:
        return self.path.stem if self.path else "Untitled"

    # ---------------------------------------------------------------- changes
    def set_dataset(self, dataset: Dataset | None) -> None:
        """Replace the table; the model stays and is re-validated by whoever listens."""
        self.dataset = dataset
        self._emit("dataset_changed")

    def set_graph(self, graph: Graph) -> None:
        """Take over another graph's contents (the listeners of ours stay)."""
        self.graph.replace_with(graph)

    def update_settings(self, **changes: Any) -> None:
        for key, value in changes.items():
            if not hasattr(self.settings, key):
                raise KeyError(f"no project setting {key!r}")
            setattr(self.settings, key, value)
        self._emit("settings_changed")

    def add_run(self, record: RunRecord) -> None:
        self.runs.append(record)
        self._emit("run_added", record.id)

    def remove_run(self, run_id: str) -> None:
        self.runs = [r for r in self.runs if r.id != run_id]
        self._emit("run_removed", run_id)

    def latest_run(self, engine: str | None = None) -> RunRecord | None:
        """The newest finished run (of one engine, if given): the 'current results'."""
        for record in reversed(self.runs):
            if record.status == "finished" and (engine is None or record.engine == engine):
                return record
        return None

    def run_by_id(self, run_id: str) -> RunRecord:
        for record in self.runs:
            if record.id == run_id:
                return record
        raise KeyError(f"no run {run_id!r} in this project")

    def add_report(self, record: ReportRecord) -> None:
        self.reports.append(record)
        self._emit("report_added", record.id)

    def mark_saved(self, path: Path) -> None:
        self.path = path
        self._emit("saved", str(path), modifies=False)
        self.modified = False
