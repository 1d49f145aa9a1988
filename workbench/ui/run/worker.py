"""Runs an engine on a worker thread and reports back on the GUI thread.

QThread + a QObject worker (Qt's documented pattern): the worker's signals cross
to the GUI thread as queued connections, so slots there may touch widgets.
Progress records arrive as fast as the engine makes them; the controller keeps
only the newest and hands it on at most ten times a second, so a chatty engine
cannot flood the event loop.
"""

from __future__ import annotations

import traceback

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from backends.runtime import CancelToken, EngineError, Progress, RunCancelled
from workbench.project.records import RunRecord, now_iso
from workbench.runner import RunPlan, execute_plan, failed_record

PROGRESS_INTERVAL_MS = 100
STOP_WAIT_MS = 5000


class _Worker(QObject):
    progressed = Signal(object)  # Progress
    finished = Signal(object)  # RunRecord
    failed = Signal(object, str)  # RunRecord with status failed/cancelled, detail for the log

    def __init__(self, plan: RunPlan, cancel: CancelToken) -> None:
        super().__init__()
        self._plan = plan
        self._cancel = cancel

    @Slot()
    def run(self) -> None:
        started = now_iso()
        try:
            record = execute_plan(self._plan, self.progressed.emit, self._cancel)
        except RunCancelled:
            self.failed.emit(
                failed_record(self._plan, started, "stopped by the user", "cancelled"), ""
            )
        except EngineError as exc:
            self.failed.emit(failed_record(self._plan, started, str(exc)), "")
        except Exception as exc:  # noqa: BLE001 - a defect in an engine must not kill the window
            message = f"internal error in the {self._plan.engine} engine: {exc}"
            self.failed.emit(failed_record(self._plan, started, message), traceback.format_exc())
        else:
            self.finished.emit(record)


class RunController(QObject):
    """Starts one run at a time; emits run_progressed (throttled), run_finished, run_failed."""

    run_started = Signal()
    run_progressed = Signal(object)  # Progress
    run_finished = Signal(object)  # RunRecord
    run_failed = Signal(object, str)  # RunRecord, traceback text ("" for bad input or a stop)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self._cancel: CancelToken | None = None
        self._pending: Progress | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(PROGRESS_INTERVAL_MS)
        self._timer.timeout.connect(self._flush_progress)

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, plan: RunPlan) -> None:
        if self.running:
            raise RuntimeError("a run is already going on")
        self._cancel = CancelToken()
        self._thread = QThread()
        self._worker = _Worker(plan, self._cancel)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.progressed.connect(self._on_worker_progressed)
        self._worker.finished.connect(self._on_worker_finished)
        self._worker.failed.connect(self._on_worker_failed)
        self._timer.start()
        self._thread.start()
        self.run_started.emit()

    def stop(self) -> None:
        """Ask the engine to stop at its next check (engines check every step)."""
        if self._cancel is not None:
            self._cancel.cancel()

    def stop_and_wait(self, timeout_ms: int = STOP_WAIT_MS) -> bool:
        """For closing the window: stop, and wait for the thread to end."""
        if self._thread is None:
            return True
        self.stop()
        return self._thread.wait(timeout_ms)

    def _on_worker_progressed(self, record: Progress) -> None:
        self._pending = record

    def _flush_progress(self) -> None:
        if self._pending is not None:
            record, self._pending = self._pending, None
            self.run_progressed.emit(record)

    def _on_worker_finished(self, record: RunRecord) -> None:
        self._end()
        self.run_finished.emit(record)

    def _on_worker_failed(self, record: RunRecord, detail: str) -> None:
        self._end()
        self.run_failed.emit(record, detail)

    def _end(self) -> None:
        self._timer.stop()
        self._flush_progress()
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
        if self._worker is not None:
            self._worker.deleteLater()
        if self._thread is not None:
            self._thread.deleteLater()
        self._thread = self._worker = self._cancel = None
