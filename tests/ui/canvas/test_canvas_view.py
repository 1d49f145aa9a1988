"""Zoom, pan, fit, arrows selected and deleted, nodes dragged into a plate, layout."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from workbench.ui.canvas import ModelEditor


def test_wheel_zooms_and_middle_button_pans(editor: ModelEditor) -> None:
    for k in range(12):
        editor.add_node("stochastic", (k * 160.0, k * 90.0))
    view = editor.view
    view.resetTransform()
    centre = QPointF(view.viewport().rect().center())
    wheel = QWheelEvent(
        centre,
        QPointF(view.viewport().mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, 240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view.viewport(), wheel)
    assert abs(view.transform().m11() - 1.15**2) < 1e-9
    view.zoom(0.5)
    editor.scene.clearSelection()
    h, v = view.horizontalScrollBar().value(), view.verticalScrollBar().value()
    middle, none = Qt.MouseButton.MiddleButton, Qt.MouseButton.NoButton
    vp = view.viewport()
    for kind, pos, button, buttons in (
        (QEvent.Type.MouseButtonPress, QPoint(300, 300), middle, middle),
        (QEvent.Type.MouseMove, QPoint(260, 280), none, middle),
        (QEvent.Type.MouseButtonRelease, QPoint(260, 280), middle, none),
    ):
        event = QMouseEvent(
            kind,
            QPointF(pos),
            QPointF(vp.mapToGlobal(pos)),
            button,
            buttons,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(vp, event)
    assert (view.horizontalScrollBar().value(), view.verticalScrollBar().value()) == (
        h + 40,
        v + 20,
    )
    assert editor.scene.selectedItems() == []  # a pan selects nothing
    view.fit()
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert visible.contains(editor.scene.itemsBoundingRect())


def test_an_arrow_can_be_selected_and_deleted(editor: ModelEditor, click) -> None:  # noqa: ANN001
    a = editor.add_node("stochastic", (0, 0))
    b = editor.add_node("stochastic", (0, 200))
    editor.scene.connect(a, b)
    edge_id = next(iter(editor.graph.edges))
    editor.scene.clearSelection()
    click(editor, QPointF(0, 100))  # the middle of the arrow
    assert editor.scene.selected_ids() == ([], [edge_id], [])
    editor.delete_selection()
    assert not editor.graph.edges and len(editor.graph.nodes) == 2
    editor.undo_stack.undo()
    assert list(editor.graph.edges) == [edge_id]


def test_dragging_a_node_into_a_plate_puts_it_inside(editor: ModelEditor, drag) -> None:  # noqa: ANN001
    plate = editor.add_node("plate", (400, 0))
    node = editor.add_node("observed", (0, 0))
    assert editor.graph.nodes[node].plate is None
    editor.scene.select_ids([node])
    drag(editor, QPointF(-30, 0), QPointF(370, 0))
    assert editor.graph.nodes[node].plate == plate
    editor.undo_stack.undo()  # one Move carries the position and the membership
    assert editor.graph.nodes[node].plate is None and editor.graph.nodes[node].position == (0, 0)


def test_auto_layout_puts_parents_above_and_wraps_plates(editor: ModelEditor) -> None:
    y = editor.add_node("observed", (0, 0))
    mu = editor.add_node("stochastic", (0, 300))
    plate = editor.add_node("plate", (0, 0))
    editor.graph.update_node(y, params={"mu": "theta", "sigma": "1"}, plate=plate)
    editor.auto_layout()
    graph = editor.graph
    assert graph.nodes[mu].position[1] < graph.nodes[y].position[1]
    (left, top), (width, height) = graph.plates[plate].position, graph.plates[plate].size
    x, yy = graph.nodes[y].position
    assert left < x < left + width and top < yy < top + height
    assert not (
        left < graph.nodes[mu].position[0] < left + width
        and top < graph.nodes[mu].position[1] < top + height
    )
    editor.undo_stack.undo()
    assert graph.nodes[mu].position == (0, 300)
