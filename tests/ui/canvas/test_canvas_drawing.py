"""Draw the classic model by pointing and clicking; save, reopen, undo, redo."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from backends.graph.validate import errors_of
from workbench.project import load_project, save_project
from workbench.ui.canvas import ModelEditor
from workbench.ui.canvas.fields import ExpressionField


def _selected(editor: ModelEditor) -> str:
    nodes, _, plates = editor.scene.selected_ids()
    return (nodes + plates)[0]


def _type_into(qtbot, widget, text: str) -> None:  # noqa: ANN001
    """Replace a line edit's text by typing, then press Enter (one committed edit)."""
    widget.setFocus()
    widget.selectAll()
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, Qt.Key.Key_Return)


def _field(editor: ModelEditor, key: str):  # noqa: ANN202
    editor.inspector.rebuild()
    field = editor.inspector.fields[key]
    return field.edit if isinstance(field, ExpressionField) else field


def _place(click, editor: ModelEditor, kind: str, at: QPointF) -> str:  # noqa: ANN001
    """Click the palette button, then click on the canvas."""
    QTest.mouseClick(editor.palette.buttons[kind], Qt.MouseButton.LeftButton)
    assert editor.scene.armed == kind
    click(editor, at)
    assert editor.scene.armed == ""
    return _selected(editor)


def _draw_classic(qtbot, editor: ModelEditor, click, drag) -> dict[str, str]:  # noqa: ANN001
    ids = {}
    for name, kind, at in (
        ("mu", "stochastic", QPointF(-120, -120)),
        ("sigma", "stochastic", QPointF(120, -120)),
        ("y", "observed", QPointF(0, 80)),
    ):
        node_id = _place(click, editor, kind, at)
        _type_into(qtbot, _field(editor, "name"), name)
        assert editor.graph.nodes[node_id].name == name
        ids[name] = node_id
    # arrows: one from mu's handle, one by Shift-dragging out of sigma's body
    mu_item, y_item = editor.scene.node_items[ids["mu"]], editor.scene.node_items[ids["y"]]
    drag(editor, mu_item.mapToScene(mu_item.handle_center()), y_item.scenePos())
    sigma_item = editor.scene.node_items[ids["sigma"]]
    drag(editor, sigma_item.scenePos(), y_item.scenePos(), Qt.KeyboardModifier.ShiftModifier)
    edges = {(e.source, e.target) for e in editor.graph.edges.values()}
    assert edges == {(ids["mu"], ids["y"]), (ids["sigma"], ids["y"])}
    # priors
    for name, upper in (("mu", "200"), ("sigma", "100")):
        editor.scene.select_ids([ids[name]])
        _field(editor, "distribution").setCurrentText("Uniform")
        _type_into(qtbot, _field(editor, "params.lower"), "0")
        _type_into(qtbot, _field(editor, "params.upper"), upper)
    # the likelihood
    editor.scene.select_ids([ids["y"]])
    combo = _field(editor, "columns")
    combo.setCurrentIndex(combo.findData("kid_score"))
    _type_into(qtbot, _field(editor, "params.mu"), "mu")
    _type_into(qtbot, _field(editor, "params.sigma"), "sigma")
    return ids


def test_draw_the_classic_model_save_reopen_undo_redo(
    qtbot, editor: ModelEditor, click, drag, tmp_path: Path
) -> None:  # noqa: ANN001
    ids = _draw_classic(qtbot, editor, click, drag)
    graph = editor.graph
    assert graph.nodes[ids["mu"]].distribution == "Uniform"
    assert graph.nodes[ids["mu"]].params == {"lower": "0", "upper": "200"}
    assert graph.nodes[ids["y"]].columns == ["kid_score"]
    assert graph.nodes[ids["y"]].params == {"mu": "mu", "sigma": "sigma"}
    assert len(graph.edges) == 2  # typing the names did not add arrows already drawn
    problems = editor.revalidate()
    assert errors_of(problems) == [], problems
    assert (
        "y[i] ~ Normal(mu, sigma)  for i in rows    (observed: kid_score)"
        in editor.formulas.toPlainText()
    )
    assert not any(item.marker.isVisible() for item in editor.scene.node_items.values())

    full = graph.to_dict()
    stack = editor.undo_stack
    steps = stack.count()
    while stack.canUndo():
        stack.undo()
    assert graph.to_dict() == {"nodes": [], "edges": [], "plates": []}
    assert editor.scene.items() == []
    while stack.canRedo():
        stack.redo()
    assert graph.to_dict() == full
    assert stack.count() == steps
    assert set(editor.scene.node_items) == set(ids.values()) and len(editor.scene.edge_items) == 2

    path = tmp_path / "classic.wbproj"
    save_project(editor.project, path)
    reopened = load_project(path)
    assert reopened.graph.to_dict() == graph.to_dict()
    stack.clear()  # what the window does when it opens a project
    editor.set_project(reopened)
    assert set(editor.scene.node_items) == set(ids.values()) and len(editor.scene.edge_items) == 2


def test_a_drag_is_one_move_and_a_deletion_takes_its_edges(
    qtbot, editor: ModelEditor, click, drag
) -> None:  # noqa: ANN001
    ids = _draw_classic(qtbot, editor, click, drag)
    graph, stack = editor.graph, editor.undo_stack
    before = graph.to_dict()
    editor.scene.select_ids([ids["mu"], ids["sigma"]])
    mu = editor.scene.node_items[ids["mu"]]
    count = stack.count()
    drag(editor, mu.scenePos() + QPointF(-30, 0), mu.scenePos() + QPointF(-30 + 60, 40), steps=8)
    assert stack.count() == count + 1 and stack.undoText() == "Move"
    assert graph.nodes[ids["mu"]].position == (-120 + 60, -120 + 40)
    assert graph.nodes[ids["sigma"]].position == (120 + 60, -120 + 40)
    stack.undo()
    assert graph.to_dict() == before

    editor.scene.select_ids([ids["y"]])
    editor.delete_selection()
    assert ids["y"] not in graph.nodes and not graph.edges
    stack.undo()
    assert sorted(graph.edges) == sorted(e["id"] for e in before["edges"])
    assert graph.nodes[ids["y"]].to_dict() == next(
        n for n in before["nodes"] if n["id"] == ids["y"]
    )


def test_renaming_is_one_command_that_rewrites_expressions(
    qtbot, editor: ModelEditor, click, drag
) -> None:  # noqa: ANN001
    ids = _draw_classic(qtbot, editor, click, drag)
    editor.scene.select_ids([ids["mu"]])
    count = editor.undo_stack.count()
    _type_into(qtbot, _field(editor, "name"), "centre")
    assert editor.undo_stack.count() == count + 1
    assert editor.graph.nodes[ids["y"]].params["mu"] == "centre"
    editor.undo_stack.undo()
    assert editor.graph.nodes[ids["y"]].params["mu"] == "mu"
    assert editor.graph.nodes[ids["mu"]].name == "mu"


def test_typing_a_parent_name_draws_the_arrow(qtbot, editor: ModelEditor, click, drag) -> None:  # noqa: ANN001
    a = editor.add_node("stochastic", (0, 0))
    b = editor.add_node("stochastic", (0, 150))
    editor.scene.select_ids([b])
    _type_into(qtbot, _field(editor, "params.mu"), "2 * theta")
    assert [(e.source, e.target) for e in editor.graph.edges.values()] == [(a, b)]
    editor.undo_stack.undo()  # the edit and its arrow are one step
    assert not editor.graph.edges and editor.graph.nodes[b].params["mu"] == "0"


def test_copy_paste_gives_new_names_and_ids(qtbot, editor: ModelEditor, click, drag) -> None:  # noqa: ANN001
    ids = _draw_classic(qtbot, editor, click, drag)
    editor.scene.select_ids(list(ids.values()))
    editor.copy_selection()
    editor.paste()
    names = sorted(n.name for n in editor.graph.nodes.values())
    assert names == ["mu", "mu_2", "sigma", "sigma_2", "y", "y_2"]
    assert len(editor.graph.edges) == 4
    editor.undo_stack.undo()
    assert len(editor.graph.nodes) == 3


def test_drop_from_the_palette_and_a_plate_that_carries_its_nodes(
    qtbot, editor: ModelEditor, click, drag
) -> None:  # noqa: ANN001
    view = editor.view
    node_id = view.drop_kind("observed", QPointF(view.mapFromScene(QPointF(0, 0))))
    plate_id = editor.add_node("plate", (0, 0))
    assert editor.graph.nodes[node_id].plate == plate_id  # drawn around the node: it is inside
    plate_item = editor.scene.plate_items[plate_id]
    editor.scene.select_ids([plate_id])
    grab = plate_item.scenePos() + QPointF(20, 20)
    drag(editor, grab, grab + QPointF(100, 50))
    assert editor.graph.plates[plate_id].position == (-120 + 100, -80 + 50)
    assert editor.graph.nodes[node_id].position == (100, 50)
    assert editor.undo_stack.undoText() == "Move"
    editor.revalidate()
    assert "y[i] ~ Normal(0, 1)  for i in rows" in editor.formulas.toPlainText()


@pytest.mark.parametrize("zoom", [0.5, 2.0])
def test_a_node_lands_under_the_click_anywhere_in_the_view(
    qtbot, editor: ModelEditor, zoom: float
) -> None:  # noqa: ANN001
    """The scene grows around new nodes; the view must not scroll or re-centre under
    the user's hand, so each node stays where it was clicked (viewport coordinates)."""
    view = editor.view
    view.zoom(zoom)
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    size = view.viewport().size()
    placed = 0
    for fx, fy in ((0.9, 0.9), (0.1, 0.1), (0.5, 0.5), (0.95, 0.1), (0.1, 0.95)):
        at = QPoint(int(size.width() * fx), int(size.height() * fy))
        QTest.mouseClick(editor.palette.buttons["stochastic"], left)
        for kind, button, buttons in (
            (QEvent.Type.MouseButtonPress, left, left),
            (QEvent.Type.MouseButtonRelease, left, none),
        ):
            global_at = QPointF(view.viewport().mapToGlobal(at))
            event = QMouseEvent(
                kind, QPointF(at), global_at, button, buttons, Qt.KeyboardModifier.NoModifier
            )
            QApplication.sendEvent(view.viewport(), event)
        item = editor.scene.node_items[_selected(editor)]
        landed = view.mapFromScene(item.scenePos())
        assert (landed - at).manhattanLength() <= 2, (at, landed)
        placed += 1
    assert len(editor.graph.nodes) == placed == 5


def test_dragging_from_any_part_of_the_handle_draws_an_arrow_and_moves_nothing(
    qtbot, editor: ModelEditor, click, drag
) -> None:  # noqa: ANN001
    a = _place(click, editor, "stochastic", QPointF(-100, -100))
    b = _place(click, editor, "stochastic", QPointF(100, 100))
    item_a, item_b = editor.scene.node_items[a], editor.scene.node_items[b]
    for offset in (QPointF(0, 0), QPointF(5, 3), QPointF(-6, -2), QPointF(0, -6), QPointF(7, 6)):
        start = item_a.mapToScene(item_a.handle_center() + offset)
        drag(editor, start, QPointF(300, -200))  # into empty space: no arrow
        assert not editor.graph.edges
    drag(editor, item_a.mapToScene(item_a.handle_center()), item_b.scenePos())
    assert [(e.source, e.target) for e in editor.graph.edges.values()] == [(a, b)]
    assert editor.graph.nodes[a].position == (-100.0, -100.0)
    assert editor.graph.nodes[b].position == (100.0, 100.0)
