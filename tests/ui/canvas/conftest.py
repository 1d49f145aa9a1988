"""Fixtures for the canvas tests: an editor on the kidiq table, and mouse gestures
sent to the canvas viewport as real press / move / release events."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QUndoStack
from PySide6.QtWidgets import QApplication

from workbench.project import Project, read_table
from workbench.ui.canvas import ModelEditor

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def project() -> Project:
    return Project(read_table(ROOT / "resources" / "data" / "kidiq.csv"))


@pytest.fixture
def editor(qtbot, project: Project) -> Iterator[ModelEditor]:  # noqa: ANN001
    widget = ModelEditor(project, QUndoStack())
    widget.resize(1200, 760)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.detach()


def _send(
    viewport,
    kind: QEvent.Type,
    pos: QPoint,
    button: Qt.MouseButton,  # noqa: ANN001
    buttons: Qt.MouseButton,
    modifiers: Qt.KeyboardModifier,
) -> None:
    local = QPointF(pos)
    event = QMouseEvent(kind, local, QPointF(viewport.mapToGlobal(pos)), button, buttons, modifiers)
    QApplication.sendEvent(viewport, event)


def _drag(
    editor: ModelEditor,
    start: QPointF,
    end: QPointF,
    modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
    steps: int = 5,
) -> None:
    """Press at ``start``, move in steps, release at ``end`` (scene coordinates)."""
    view = editor.view
    a, b = view.mapFromScene(start), view.mapFromScene(end)
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    _send(view.viewport(), QEvent.Type.MouseButtonPress, a, left, left, modifiers)
    for k in range(1, steps + 1):
        p = a + (b - a) * (k / steps)
        _send(view.viewport(), QEvent.Type.MouseMove, p, none, left, modifiers)
    _send(view.viewport(), QEvent.Type.MouseButtonRelease, b, left, none, modifiers)


def _click(
    editor: ModelEditor,
    at: QPointF,
    modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    view = editor.view
    p = view.mapFromScene(at)
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    _send(view.viewport(), QEvent.Type.MouseButtonPress, p, left, left, modifiers)
    _send(view.viewport(), QEvent.Type.MouseButtonRelease, p, left, none, modifiers)


@pytest.fixture
def drag():  # noqa: ANN201
    return _drag


@pytest.fixture
def click():  # noqa: ANN201
    return _click
