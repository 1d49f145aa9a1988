"""Undoable edits of the model graph, orange-canvas-core style.

A command changes only the Graph, through its methods; the scene, the inspector
and the formulas pane follow the graph's events. Each command is a list of
small reversible operations built from the graph's state when the command is
made (commands are pushed at once, so that state is the one ``redo`` starts
from). Undo runs the operations backwards, so deleting a node together with
its edges, or a rename that rewrites every expression using the old name, is
one step on the stack, and undo restores the same ids.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Iterable
from typing import Any

from PySide6.QtGui import QUndoCommand

from backends.graph.model import Edge, Graph, Node, Plate


class _Op:
    def redo(self, graph: Graph) -> None:
        raise NotImplementedError

    def undo(self, graph: Graph) -> None:
        raise NotImplementedError


class _AddNode(_Op):
    def __init__(self, node: Node) -> None:
        self.raw = node.to_dict()

    def redo(self, graph: Graph) -> None:
        graph.add_node(Node.from_dict(self.raw))

    def undo(self, graph: Graph) -> None:
        graph.remove_node(self.raw["id"])


class _RemoveNode(_AddNode):
    def redo(self, graph: Graph) -> None:
        _AddNode.undo(self, graph)

    def undo(self, graph: Graph) -> None:
        _AddNode.redo(self, graph)


class _AddEdge(_Op):
    def __init__(self, edge: Edge) -> None:
        self.raw = edge.to_dict()

    def redo(self, graph: Graph) -> None:
        graph.add_edge(Edge.from_dict(self.raw))

    def undo(self, graph: Graph) -> None:
        graph.remove_edge(self.raw["id"])


class _RemoveEdge(_AddEdge):
    def redo(self, graph: Graph) -> None:
        _AddEdge.undo(self, graph)

    def undo(self, graph: Graph) -> None:
        _AddEdge.redo(self, graph)


class _AddPlate(_Op):
    def __init__(self, plate: Plate) -> None:
        self.raw = plate.to_dict()

    def redo(self, graph: Graph) -> None:
        graph.add_plate(Plate.from_dict(self.raw))

    def undo(self, graph: Graph) -> None:
        graph.remove_plate(self.raw["id"])


class _RemovePlate(_AddPlate):
    def redo(self, graph: Graph) -> None:
        _AddPlate.undo(self, graph)

    def undo(self, graph: Graph) -> None:
        _AddPlate.redo(self, graph)


class _Update(_Op):
    """Set fields of a node or plate; the old values are deep copies, so later
    in-place edits of the live object cannot leak into the undo history."""

    def __init__(self, target: Node | Plate, changes: dict[str, Any]) -> None:
        self.is_plate = isinstance(target, Plate)
        self.id = target.id
        self.new = copy.deepcopy(changes)
        self.old = {key: copy.deepcopy(getattr(target, key)) for key in changes}

    def _apply(self, graph: Graph, values: dict[str, Any]) -> None:
        update = graph.update_plate if self.is_plate else graph.update_node
        update(self.id, **copy.deepcopy(values))

    def redo(self, graph: Graph) -> None:
        self._apply(graph, self.new)

    def undo(self, graph: Graph) -> None:
        self._apply(graph, self.old)


class _Replace(_Op):
    def __init__(self, old: Graph, new: Graph) -> None:
        self.old, self.new = old.to_dict(), new.to_dict()

    def redo(self, graph: Graph) -> None:
        graph.replace_with(Graph.from_dict(self.new))

    def undo(self, graph: Graph) -> None:
        graph.replace_with(Graph.from_dict(self.old))


class GraphCommand(QUndoCommand):
    """One step on the undo stack: a sequence of reversible graph operations."""

    def __init__(self, graph: Graph, text: str, ops: list[_Op]) -> None:
        super().__init__(text)
        self._graph = graph
        self._ops = ops

    @property
    def empty(self) -> bool:
        return not self._ops

    def redo(self) -> None:
        for op in self._ops:
            op.redo(self._graph)

    def undo(self) -> None:
        for op in reversed(self._ops):
            op.undo(self._graph)


# ------------------------------------------------------------------ builders
def add_node(graph: Graph, node: Node) -> GraphCommand:
    return GraphCommand(graph, f"Add {node.name}", [_AddNode(node)])


def add_edge(graph: Graph, edge: Edge) -> GraphCommand:
    src, dst = graph.nodes[edge.source].name, graph.nodes[edge.target].name
    return GraphCommand(graph, f"Connect {src} → {dst}", [_AddEdge(edge)])


def add_plate(graph: Graph, plate: Plate, members: Iterable[str] = ()) -> GraphCommand:
    """Add a plate and move the listed nodes (those drawn inside it) into it."""
    ops: list[_Op] = [_AddPlate(plate)]
    ops += [_Update(graph.nodes[nid], {"plate": plate.id}) for nid in members]
    return GraphCommand(graph, f"Add plate {plate.name}", ops)


def remove_items(
    graph: Graph,
    node_ids: Iterable[str],
    edge_ids: Iterable[str] = (),
    plate_ids: Iterable[str] = (),
) -> GraphCommand:
    """Delete nodes with every edge touching them, chosen edges, and plates.

    Nodes inside a deleted plate stay (outside it), as ``Graph.remove_plate`` does;
    the membership change is recorded so that undo puts them back in.
    """
    node_ids, plate_ids = list(dict.fromkeys(node_ids)), list(dict.fromkeys(plate_ids))
    edges = set(edge_ids) | {
        e.id for e in graph.edges.values() if e.source in node_ids or e.target in node_ids
    }
    ops: list[_Op] = [_RemoveEdge(graph.edges[eid]) for eid in sorted(edges)]
    ops += [_RemoveNode(graph.nodes[nid]) for nid in node_ids]
    for pid in plate_ids:
        plate = graph.plates[pid]
        for node in graph.nodes.values():
            if node.plate == pid and node.id not in node_ids:
                ops.append(_Update(node, {"plate": plate.parent}))
        ops.append(_RemovePlate(plate))
    count = len(node_ids) + len(set(edge_ids)) + len(plate_ids)
    return GraphCommand(graph, f"Delete {count} item(s)", ops)


def update_node(graph: Graph, node_id: str, text: str, **changes: Any) -> GraphCommand:
    return GraphCommand(graph, text, [_Update(graph.nodes[node_id], changes)])


def update_node_and_connect(
    graph: Graph, node_id: str, text: str, sources: Iterable[str], **changes: Any
) -> GraphCommand:
    """Edit a node and draw the arrows its new expressions imply (from ``sources``)."""
    ops: list[_Op] = [_Update(graph.nodes[node_id], changes)]
    drawn = {(e.source, e.target) for e in graph.edges.values()}
    for src in sources:
        if src != node_id and (src, node_id) not in drawn:
            ops.append(_AddEdge(Edge(src, node_id)))
    return GraphCommand(graph, text, ops)


def update_plate(graph: Graph, plate_id: str, text: str, **changes: Any) -> GraphCommand:
    return GraphCommand(graph, text, [_Update(graph.plates[plate_id], changes)])


def move(
    graph: Graph,
    nodes: dict[str, dict[str, Any]],
    plates: dict[str, dict[str, Any]],
    text: str = "Move",
) -> GraphCommand:
    """One command for a whole drag (or a layout): new position, plate, size per item."""
    ops: list[_Op] = [_Update(graph.plates[pid], ch) for pid, ch in plates.items()]
    ops += [_Update(graph.nodes[nid], ch) for nid, ch in nodes.items()]
    return GraphCommand(graph, text, ops)


def rename_node(graph: Graph, node_id: str, new_name: str) -> GraphCommand:
    """Rename a node and every expression that names it, as one step."""
    node = graph.nodes[node_id]
    old = node.name
    pattern = re.compile(rf"(?<![\w.]){re.escape(old)}(?!\w)")
    ops: list[_Op] = [_Update(node, {"name": new_name})]
    for other in graph.nodes.values():
        changes: dict[str, Any] = {}
        params = {k: pattern.sub(new_name, v) for k, v in other.params.items()}
        if params != other.params:
            changes["params"] = params
        if other.expression and pattern.search(other.expression):
            changes["expression"] = pattern.sub(new_name, other.expression)
        if changes:
            ops.append(_Update(other, changes))
    return GraphCommand(graph, f"Rename {old} to {new_name}", ops)


def replace_graph(graph: Graph, new: Graph, text: str) -> GraphCommand:
    return GraphCommand(graph, text, [_Replace(graph, new)])


def paste(graph: Graph, nodes: list[Node], edges: list[Edge], plates: list[Plate]) -> GraphCommand:
    ops: list[_Op] = [_AddPlate(p) for p in plates]
    ops += [_AddNode(n) for n in nodes]
    ops += [_AddEdge(e) for e in edges]
    return GraphCommand(graph, f"Paste {len(nodes) + len(plates)} item(s)", ops)


def apply_rewrite(graph: Graph, new: Graph, text: str) -> GraphCommand:
    """Turn ``graph`` into ``new``, a rewritten copy of it that shares its ids (the
    non-centred rewrite), as one command of small operations: the scene updates the
    few items that changed rather than rebuilding, and undo restores the same ids.

    Order matters for undo, which runs backwards: a node leaves a plate (an update)
    before the plate is removed, and edges go before their nodes and come after them.
    """
    ops: list[_Op] = [_RemoveEdge(e) for eid, e in graph.edges.items() if eid not in new.edges]
    ops += [_RemoveNode(n) for nid, n in graph.nodes.items() if nid not in new.nodes]
    ops += [_AddPlate(p) for pid, p in new.plates.items() if pid not in graph.plates]
    ops += [
        _Update(plate, changes)
        for pid, plate in graph.plates.items()
        if pid in new.plates and (changes := _changed(plate, new.plates[pid]))
    ]
    ops += [_AddNode(n) for nid, n in new.nodes.items() if nid not in graph.nodes]
    ops += [
        _Update(node, changes)
        for nid, node in graph.nodes.items()
        if nid in new.nodes and (changes := _changed(node, new.nodes[nid]))
    ]
    ops += [_RemovePlate(p) for pid, p in graph.plates.items() if pid not in new.plates]
    ops += [_AddEdge(e) for eid, e in new.edges.items() if eid not in graph.edges]
    return GraphCommand(graph, text, ops)


def _changed(old: Node | Plate, new: Node | Plate) -> dict[str, Any]:
    """The fields of ``new`` that differ from ``old`` (the same item, by id)."""
    return {
        f.name: getattr(new, f.name)
        for f in dataclasses.fields(old)
        if f.name != "id" and getattr(old, f.name) != getattr(new, f.name)
    }
