"""Run a plain function on a superqt worker thread and deliver only the latest answer.

A results tab asks again whenever the selected run changes; an answer for a run
that is no longer selected is dropped, so a slow old computation can never
overwrite what the analyst is looking at.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from superqt.utils import create_worker


class LatestOnly(QObject):
    answered = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._generation = 0
        self._workers: set[Any] = set()

    def ask(self, function: Callable[..., Any], *args: Any) -> None:
        self._generation += 1
        generation = self._generation
        worker = create_worker(function, *args, _start_thread=False)
        worker.returned.connect(lambda value: self._deliver(generation, value))
        worker.errored.connect(lambda exc: self._fail(generation, exc))
        worker.finished.connect(lambda: self._workers.discard(worker))
        self._workers.add(worker)  # keep it alive until it is done
        worker.start()

    def forget(self) -> None:
        """Drop every answer still on its way."""
        self._generation += 1

    @property
    def busy(self) -> bool:
        return bool(self._workers)

    def _deliver(self, generation: int, value: Any) -> None:
        if generation == self._generation:
            self.answered.emit(value)

    def _fail(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self.failed.emit(str(exc))
