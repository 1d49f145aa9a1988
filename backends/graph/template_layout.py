"""Placing a template's nodes on the canvas, and naming them.

Canvas units, y downward: priors on the top row, group-level nodes below them,
then the data and deterministic nodes with the observed node last on their row (at
the bottom below them, the arrow from a prior on the right, e.g. sigma, would
cross the deterministic node on its way: tested for every template). A
node's position is its centre (a node is about ``NODE_SIZE``); a plate's
position is its top-left corner and its size wraps its contents with a margin.
Arrows are drawn for exactly the names each expression uses, so the drawing
and the expressions agree from the start.
"""

from __future__ import annotations

from backends.graph.dependencies import parsed_fields
from backends.graph.expressions import Expression
from backends.graph.model import ROWS, Edge, Graph, Node, Plate

NODE_SIZE = (120.0, 48.0)
COLUMN_STEP = 170.0
ROW_Y = {"prior": 60.0, "group": 190.0, "row": 340.0}
ROW_OF_TIER = {"prior": "prior", "group": "group", "row": "row", "observed": "row"}
PLATE_PAD = 28.0


def identifier(text: str, taken: set[str]) -> str:
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in text).strip("_") or "v"
    if name[0].isdigit():
        name = f"v_{name}"
    while name in taken:
        name += "_"
    taken.add(name)
    return name


class Builder:
    """Adds nodes on a grid and wraps plates around their contents."""

    def __init__(self) -> None:
        self.graph = Graph()
        self.rows = self.graph.add_plate(Plate("rows", over=ROWS, index="i"))
        self.taken: set[str] = set()
        self.slots: dict[str, int] = {}

    def add(self, name: str, kind: str, tier: str, plate: Plate | None = None, **fields) -> Node:
        row = ROW_OF_TIER[tier]
        column = self.slots.get(row, 0)
        self.slots[row] = column + 1
        position = (80.0 + COLUMN_STEP * column, ROW_Y[row])
        node = Node(name, kind, position=position, plate=plate.id if plate else None, **fields)
        return self.graph.add_node(node)

    def name(self, base: str) -> str:
        return identifier(base, self.taken)

    def finish(self) -> Graph:
        for plate in self.graph.plates.values():
            members = [n for n in self.graph.nodes.values() if n.plate == plate.id]
            if not members:
                continue
            half_w, half_h = NODE_SIZE[0] / 2, NODE_SIZE[1] / 2
            left = min(n.position[0] for n in members) - half_w - PLATE_PAD
            top = min(n.position[1] for n in members) - half_h - PLATE_PAD
            right = max(n.position[0] for n in members) + half_w + PLATE_PAD
            bottom = max(n.position[1] for n in members) + half_h + PLATE_PAD
            plate.position, plate.size = (left, top), (right - left, bottom - top)
        for child in self.graph.nodes.values():
            for parent_name in _names_in(child):
                parent = self.graph.node_by_name(parent_name)
                if parent is not None:
                    self.graph.add_edge(Edge(parent.id, child.id))
        return self.graph


def _names_in(node: Node) -> list[str]:
    names: set[str] = set()
    for expr in parsed_fields(node).values():
        if isinstance(expr, Expression):
            names |= expr.names | expr.indices
    return sorted(names)
