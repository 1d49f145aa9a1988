"""One run of an engine on a project, shared by the CLI and the GUI's worker.

``prepare_run`` does the checks that must happen before any numeric work (a valid
model, a table, a known engine, valid settings, a usable device) and returns a
RunPlan of plain data; ``execute_plan`` runs it (in any thread) and returns a
RunRecord. The project itself is only changed by the caller, on its own thread,
by ``project.add_run``: a failed or stopped run never touches earlier results.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from backends.engines import engine_module, suggest_engine, tailored_settings
from backends.graph.model import Graph
from backends.runtime import (
    CancelToken,
    ColumnTable,
    EngineError,
    ProgressCallback,
    apply_settings,
    ignore_progress,
    resolve_device,
)
from workbench.project.checks import model_errors
from workbench.project.document import Project
from workbench.project.records import RunRecord, now_iso


@dataclass(frozen=True)
class RunPlan:
    engine: str
    settings: dict[str, Any]
    device: str
    seed: int
    graph: Graph  # a copy: the user may keep editing while the run goes on
    table: ColumnTable


def prepare_run(
    project: Project,
    engine: str | None = None,
    device: str | None = None,
    seed: int | None = None,
    quick: bool = False,
    overrides: dict[str, Any] | None = None,
) -> RunPlan:
    """Check everything that can be checked up front; raise EngineError naming the problem."""
    if project.dataset is None:
        raise EngineError("the project has no data table; import one first")
    problems = model_errors(project)
    if problems:
        details = "; ".join(p.describe(project.graph) for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise EngineError(f"the model is not valid: {details}{more}")
    engine = engine or project.settings.engine or suggest_engine(project.graph)
    module = engine_module(engine)
    base = tailored_settings(engine, project.graph)
    base.update(project.settings.engine_settings.get(engine, {}))
    if quick:
        base.update(tailored_settings(engine, project.graph, quick=True))
    base.update(overrides or {})
    settings = apply_settings(module.SETTINGS, base)
    return RunPlan(
        engine=engine,
        settings=settings,
        device=resolve_device(device or project.settings.device),
        seed=project.settings.seed if seed is None else int(seed),
        graph=project.graph.copy(),
        table=project.dataset.column_table(),
    )


def execute_plan(
    plan: RunPlan, progress: ProgressCallback = ignore_progress, cancel: CancelToken | None = None
) -> RunRecord:
    """Run the engine. Raises RunCancelled when stopped and EngineError on bad input;
    any other exception is a defect of ours and propagates as it is."""
    started = now_iso()
    began = time.perf_counter()
    result = engine_module(plan.engine).run(
        plan.graph,
        plan.table,
        plan.settings,
        device=plan.device,
        seed=plan.seed,
        progress=progress,
        cancel=cancel or CancelToken(),
    )
    record = RunRecord(
        engine=plan.engine,
        settings=plan.settings,
        seed=plan.seed,
        device=plan.device,
        started=started,
        finished=now_iso(),
        status="finished",
        message=f"took {time.perf_counter() - began:.1f} s",
    )
    record.attach_result(result)
    return record


def failed_record(plan: RunPlan, started: str, message: str, status: str = "failed") -> RunRecord:
    """A history entry for a run that did not finish; it holds no result."""
    return RunRecord(
        engine=plan.engine,
        settings=plan.settings,
        seed=plan.seed,
        device=plan.device,
        started=started,
        finished=now_iso(),
        status=status,
        message=message,
    )
