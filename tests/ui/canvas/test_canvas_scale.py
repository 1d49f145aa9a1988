"""A 200-node model: the scene is built once, drags and pans touch only what moves.

Behaviour, not timing: items cache their pixmaps, nothing re-validates while the
mouse moves, a drag of many nodes is one command, a pan moves the view only.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView

from backends.graph.model import Edge, Graph, Node
from workbench.ui.canvas import ModelEditor


def _big_graph(n: int = 200) -> Graph:
    graph = Graph()
    ids = []
    for k in range(n):
        parent = ids[k // 2] if k else None
        mu = graph.nodes[parent].name if parent else "0"
        node = graph.add_node(
            Node(
                f"n{k}",
                "stochastic",
                distribution="Normal",
                params={"mu": mu, "sigma": "1"},
                position=(float(k % 20) * 150, float(k // 20) * 110),
            )
        )
        ids.append(node.id)
        if parent:
            graph.add_edge(Edge(parent, node.id))
    return graph


def test_two_hundred_nodes_drag_and_pan(qtbot, editor: ModelEditor, drag) -> None:  # noqa: ANN001
    editor.replace_graph(_big_graph(), "big")
    scene = editor.scene
    assert len(scene.node_items) == 200 and len(scene.edge_items) == 199
    assert all(
        i.cacheMode() == QGraphicsItem.CacheMode.DeviceCoordinateCache
        for i in scene.node_items.values()
    )
    assert (
        editor.view.viewportUpdateMode() == QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate
    )
    editor.revalidate()
    # the tree's 100 leaves are priors nothing uses: warnings, not errors
    assert [p for p in editor.problems if p.severity == "error"] == []

    validations = []
    editor.problems_changed.connect(validations.append)
    editor.view.resetTransform()
    editor.view.centerOn(QPointF(300, 200))
    chosen = [
        nid
        for nid, item in scene.node_items.items()
        if editor.graph.nodes[nid].position[1] <= 110.0
    ]  # the first two rows: 40 nodes
    scene.select_ids(chosen)
    first = scene.node_items[chosen[0]]
    before = {nid: editor.graph.nodes[nid].position for nid in chosen}
    count = editor.undo_stack.count()
    grab = first.scenePos() + QPointF(-30, 0)
    drag(editor, grab, grab + QPointF(45, 30), steps=20)
    assert validations == []  # nothing re-validated while the mouse moved
    assert editor.undo_stack.count() == count + 1
    for nid in chosen:
        x, y = before[nid]
        assert editor.graph.nodes[nid].position == (x + 45, y + 30)
    edge = next(e for e in scene.edge_items.values() if e.target.node_id == chosen[-1])
    assert edge.path().pointAtPercent(1.0) == edge.target.boundary_point(edge.source.scenePos())
    qtbot.waitUntil(lambda: len(validations) == 1, timeout=2000)  # once, after the release

    h = editor.view.horizontalScrollBar().value()
    positions = {nid: item.pos() for nid, item in scene.node_items.items()}
    editor.view.pan(200, 0)
    assert editor.view.horizontalScrollBar().value() == h + 200
    assert {nid: item.pos() for nid, item in scene.node_items.items()} == positions
    assert editor.undo_stack.count() == count + 1  # panning is not an edit

    editor.auto_layout()
    layers = {
        editor.graph.nodes[nid].name: editor.graph.nodes[nid].position[1]
        for nid in editor.graph.nodes
    }
    assert all(layers[f"n{k}"] > layers[f"n{k // 2}"] for k in range(1, 200))
