"""Run a plain function on a superqt worker thread and deliver only the latest answer.

A results tab asks again whenever the selected run changes; an answer for a run
that is no longer selected is dropped, so a slow old computation can never
overwrite what the analyst is looking at. A function that takes a ``cancel`` token
is also told to stop as soon as its answer is no longer wanted (another run
selected, or the window closing: ``cancel_all``), so it does not hold a core.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal
from superqt.utils import create_worker

from backends.runtime import CancelToken

# Every worker still running, with its token. Kept here, not by the tab that asked,
# so that a worker outlives a closed window until it returns (its signals must exist
# when it emits).
_RUNNING: dict[Any, CancelToken] = {}


def cancel_all() -> None:
    """Ask every background computation to stop at its next check (the window closes)."""
    for token in list(_RUNNING.values()):
        token.cancel()


class LatestOnly(QObject):
    answered = Signal(object)
    failed = Signal(str)  # the error's message
    errored = Signal(object)  # the error itself, for callers that tell kinds apart

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._generation = 0
        self._token = CancelToken()
        self._workers: set[Any] = set()

    def ask(
        self, function: Callable[..., Any], *args: Any, cancellable: bool = False, **kwargs: Any
    ) -> None:
        """Run ``function(*args, **kwargs)`` (with ``cancel=`` a token when ``cancellable``)."""
        self.forget()
        generation = self._generation
        self._token = token = CancelToken()
        if cancellable:
            kwargs["cancel"] = token
        # errors are ours to report (failed); superqt would also re-raise them in the
        # event loop, where they end up as tracebacks on the console
        worker = create_worker(function, *args, _start_thread=False, _ignore_errors=True, **kwargs)
        worker.returned.connect(lambda value: self._deliver(generation, value))
        worker.errored.connect(lambda exc: self._fail(generation, exc))
        worker.finished.connect(lambda: self._done(worker))
        self._workers.add(worker)
        _RUNNING[worker] = token
        worker.start()

    def forget(self) -> None:
        """Drop every answer still on its way, and stop the computation that owes it."""
        self._generation += 1
        self._token.cancel()

    @property
    def busy(self) -> bool:
        return bool(self._workers)

    def _done(self, worker: Any) -> None:
        _RUNNING.pop(worker, None)
        self._workers.discard(worker)

    def _deliver(self, generation: int, value: Any) -> None:
        if shiboken6.isValid(self) and generation == self._generation:
            self.answered.emit(value)

    def _fail(self, generation: int, exc: BaseException) -> None:
        if shiboken6.isValid(self) and generation == self._generation:
            self.failed.emit(str(exc))
            self.errored.emit(exc)
