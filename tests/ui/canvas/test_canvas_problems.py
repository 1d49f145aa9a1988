"""Problems show on the nodes they concern, as soon as they arise."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from backends.graph.model import Edge, Graph, Node
from workbench.ui.canvas import ModelEditor


def _markers(editor: ModelEditor) -> dict[str, tuple[str, str]]:
    """node name -> (severity, tooltip) of every visible marker."""
    out = {}
    for nid, item in editor.scene.node_items.items():
        if item.marker.isVisible():
            out[editor.graph.nodes[nid].name] = (item.marker.severity, item.marker.toolTip())
    return out


def test_a_cycle_an_unknown_name_and_an_unbound_observed_node_are_marked(
    qtbot, editor: ModelEditor
) -> None:  # noqa: ANN001
    graph = Graph()
    a = graph.add_node(
        Node(
            "a",
            "stochastic",
            distribution="Normal",
            params={"mu": "b", "sigma": "1"},
            position=(0, 0),
        )
    )
    b = graph.add_node(Node("b", "deterministic", expression="a + 1", position=(0, 120)))
    graph.add_edge(Edge(a.id, b.id))
    graph.add_edge(Edge(b.id, a.id))
    graph.add_node(Node("c", "deterministic", expression="2 * nobody", position=(200, 0)))
    graph.add_node(
        Node(
            "y",
            "observed",
            distribution="Normal",
            params={"mu": "0", "sigma": "1"},
            position=(200, 120),
        )
    )
    editor.replace_graph(graph, "broken")
    with qtbot.waitSignal(editor.problems_changed, timeout=2000):
        pass  # the debounced re-validation runs after the change
    markers = _markers(editor)
    assert markers["a"][0] == "error" and "cycle" in markers["a"][1]
    assert markers["b"][0] == "error" and "cycle" in markers["b"][1]
    assert "unknown name 'nobody'" in markers["c"][1]
    assert "exactly one column" in markers["y"][1]
    assert "error(s)" in editor.verdict.text()

    # fixing the observed node clears its marker at once
    y = graph.node_by_name("y").id
    editor.scene.select_ids([y])
    editor.inspector.rebuild()
    combo = editor.inspector.fields["columns"]
    combo.setCurrentIndex(combo.findData("kid_score"))
    with qtbot.waitSignal(editor.problems_changed, timeout=2000):
        pass
    assert "y" not in _markers(editor)
    # the inspector lists the selected node's problems too
    editor.scene.select_ids([graph.node_by_name("c").id])
    editor.inspector.rebuild()
    labels = editor.inspector.widget().findChildren(QLabel)
    assert any("unknown name 'nobody'" in label.text() for label in labels)


def test_a_warning_is_amber(qtbot, editor: ModelEditor) -> None:  # noqa: ANN001
    a = editor.add_node("stochastic", (0, 0))
    b = editor.add_node("stochastic", (0, 150))
    editor.scene.connect(a, b)  # an arrow no expression uses
    editor.revalidate()
    severity, tip = _markers(editor)["theta_2"]
    assert severity == "warning" and "not used by any expression" in tip
    assert "warning" in editor.verdict.text()
