"""A rewritten copy of the model becomes one undoable command of small operations,
whatever it adds, changes or removes, and undo gives back the very same graph."""

from __future__ import annotations

from typing import Any

from backends.graph.model import Edge, Graph, Node, Plate
from workbench.ui.canvas.commands import apply_rewrite


def _sorted(graph: Graph) -> dict[str, Any]:
    raw = graph.to_dict()
    return {key: sorted(items, key=lambda item: item["id"]) for key, items in raw.items()}


def test_adds_changes_and_removals_apply_and_undo_exactly() -> None:
    graph = Graph()
    box = graph.add_plate(Plate("groups", over="g", index="j"))
    a = graph.add_node(Node("a", "stochastic", distribution="Normal", plate=box.id,
                            params={"mu": "0", "sigma": "1"}))  # fmt: skip
    b = graph.add_node(Node("b", "deterministic", expression="2 * a"))
    c = graph.add_node(Node("c", "constant", value=1.0))
    graph.add_edge(Edge(a.id, b.id))
    graph.add_edge(Edge(c.id, b.id))
    before = graph.to_dict()
    new = graph.copy()
    new.remove_node(c.id)  # and its edge
    new.remove_plate(box.id)  # a leaves it
    new.update_node(b.id, expression="3 * a + d")
    d = new.add_node(Node("d", "constant", value=2.0))
    new.add_edge(Edge(d.id, b.id))
    new.add_plate(Plate("rows"))
    events: list[str] = []
    graph.subscribe(lambda event: events.append(event.type))

    command = apply_rewrite(graph, new, "Rewrite")
    command.redo()
    assert _sorted(graph) == _sorted(new)
    assert "reset" not in events  # item by item: the canvas keeps what did not change
    command.undo()
    assert graph.to_dict() == before
    command.redo()
    assert _sorted(graph) == _sorted(new)
