"""Results tabs compute on worker threads: only the latest answer is shown, and a
computation whose answer nobody wants any more is told to stop."""

from __future__ import annotations

import threading
import time

from backends.runtime import CancelToken
from workbench.ui.results import background
from workbench.ui.results.background import LatestOnly


def _until_cancelled(started: threading.Event, cancel: CancelToken) -> str:
    started.set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        cancel.raise_if_cancelled()
        time.sleep(0.005)
    return "never cancelled"


def test_a_new_question_stops_the_old_computation_and_only_its_answer_arrives(qtbot) -> None:  # noqa: ANN001
    task = LatestOnly()
    answers, failures = [], []
    task.answered.connect(answers.append)
    task.failed.connect(failures.append)
    started = threading.Event()
    task.ask(_until_cancelled, started, cancellable=True)
    assert started.wait(5)
    task.ask(lambda: "fresh")
    qtbot.waitUntil(lambda: not task.busy, timeout=5000)
    assert answers == ["fresh"] and failures == []


def test_closing_the_window_stops_every_background_computation(qtbot) -> None:  # noqa: ANN001
    task = LatestOnly()
    failures: list[str] = []
    task.failed.connect(failures.append)
    started = threading.Event()
    began = time.monotonic()
    task.ask(_until_cancelled, started, cancellable=True)
    assert started.wait(5)
    background.cancel_all()
    qtbot.waitUntil(lambda: not task.busy, timeout=5000)
    assert time.monotonic() - began < 5 and failures == ["the run was stopped"]
    assert not background._RUNNING
