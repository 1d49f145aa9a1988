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

import numpy as np

from backends.engines import engine_module, suggest_engine, tailored_settings, wait_for_preload
from backends.explain import holdout_split
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
    table: ColumnTable  # the rows the engine fits: the project's, less the held-out ones
    holdout_rows: tuple[int, ...] = ()  # project table rows (from 0) kept out of the fit
    holdout_table: str = ""  # the fingerprint of the table they number
    table_fingerprint: str = ""  # the fingerprint of the project's whole table


def prepare_run(
    project: Project,
    engine: str | None = None,
    device: str | None = None,
    seed: int | None = None,
    quick: bool = False,
    overrides: dict[str, Any] | None = None,
    holdout: float | None = None,
) -> RunPlan:
    """Check everything that can be checked up front; raise EngineError naming the problem.

    ``holdout`` (default: the project's setting) is the share of the table's rows left
    out of the fit, drawn with the run's seed, so that the report and the Predictive
    tab can say how often the intervals held on rows the model did not see."""
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
    seed = project.settings.seed if seed is None else int(seed)
    table = project.dataset.column_table()
    holdout = project.settings.holdout if holdout is None else float(holdout)
    if not 0 <= holdout < 1:  # NaN fails this too
        raise EngineError(f"the held-out share must be between 0 and 1, got {holdout}")
    kept = held = np.arange(0)
    if holdout > 0:
        kept, held = holdout_split(table.n_rows, holdout, seed=seed)
        if len(kept) < 2:
            raise EngineError(
                f"holding out {holdout:.0%} of {table.n_rows} rows leaves too few to fit"
            )
    return RunPlan(
        engine=engine,
        settings=settings,
        device=resolve_device(device or project.settings.device),
        seed=seed,
        graph=project.graph.copy(),
        table=table.take(kept) if len(held) else table,
        holdout_rows=tuple(int(i) for i in held),
        holdout_table=table.fingerprint if len(held) else "",
        table_fingerprint=table.fingerprint,
    )


def execute_plan(
    plan: RunPlan, progress: ProgressCallback = ignore_progress, cancel: CancelToken | None = None
) -> RunRecord:
    """Run the engine. Raises RunCancelled when stopped and EngineError on bad input;
    any other exception is a defect of ours and propagates as it is."""
    wait_for_preload()  # imports racing the window's background preload break torch
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
        holdout_rows=list(plan.holdout_rows),
        holdout_table=plan.holdout_table,
        graph=plan.graph.to_dict(),
        table_fingerprint=plan.table_fingerprint,
    )
    record.attach_result(result)
    return record


def failed_record(plan: RunPlan, started: str, message: str, status: str = "failed") -> RunRecord:
    """A history entry for a run that did not finish; it holds no result, but keeps the
    model and data it was asked to fit."""
    return RunRecord(
        engine=plan.engine,
        settings=plan.settings,
        seed=plan.seed,
        device=plan.device,
        started=started,
        finished=now_iso(),
        status=status,
        message=message,
        graph=plan.graph.to_dict(),
        table_fingerprint=plan.table_fingerprint,
    )
