"""Copy and paste of canvas items through the system clipboard, as graph JSON.

Copied items are plain graph JSON, so a selection can move between two open
windows. Pasted items get new ids and free names (``mu`` becomes ``mu_2``);
expressions are left as written, so a pasted ``y`` still reads the original
``mu`` unless ``mu`` was copied with it — the validator will point out any name
that needs fixing.
"""

from __future__ import annotations

import json

from PySide6.QtCore import QMimeData
from PySide6.QtWidgets import QApplication

from backends.graph.model import Edge, Graph, GraphError, Node, Plate, new_id
from workbench.ui.canvas.naming import unique_name

MIME = "application/x-workbench-graph"
OFFSET = 40.0


def copy_items(graph: Graph, node_ids: list[str], plate_ids: list[str]) -> None:
    plate_ids = list(dict.fromkeys(plate_ids))
    node_ids = list(
        dict.fromkeys(node_ids + [n.id for n in graph.nodes.values() if n.plate in plate_ids])
    )
    chosen = set(node_ids)
    raw = {
        "nodes": [graph.nodes[nid].to_dict() for nid in node_ids],
        "edges": [
            e.to_dict() for e in graph.edges.values() if e.source in chosen and e.target in chosen
        ],
        "plates": [graph.plates[pid].to_dict() for pid in plate_ids],
    }
    data = QMimeData()
    data.setData(MIME, json.dumps(raw).encode())
    data.setText(json.dumps(raw, indent=1))
    QApplication.clipboard().setMimeData(data)


def clipboard_items(graph: Graph) -> tuple[list[Node], list[Edge], list[Plate]]:
    """The clipboard's items, renamed and re-identified to fit into ``graph``."""
    data = QApplication.clipboard().mimeData()
    if data is None or not data.hasFormat(MIME):
        return [], [], []
    try:
        copied = Graph.from_dict(json.loads(bytes(data.data(MIME)).decode()))
    except (GraphError, ValueError):
        return [], [], []
    ids = {old: new_id() for old in [*copied.nodes, *copied.plates]}
    plate_names = {p.name for p in graph.plates.values()}
    plates = []
    for plate in copied.plates.values():
        name = unique_name(plate.name, plate_names)
        plate_names.add(name)
        x, y = plate.position
        plates.append(
            Plate(
                name=name,
                over=plate.over,
                index=plate.index,
                id=ids[plate.id],
                position=(x + OFFSET, y + OFFSET),
                size=plate.size,
            )
        )
    names = {n.name for n in graph.nodes.values()}
    nodes = []
    for node in copied.nodes.values():
        raw = node.to_dict()
        raw["id"] = ids[node.id]
        raw["name"] = unique_name(node.name, names)
        names.add(raw["name"])
        raw["position"] = [node.position[0] + OFFSET, node.position[1] + OFFSET]
        if node.plate in ids:
            raw["plate"] = ids[node.plate]
        elif node.plate not in graph.plates:
            raw.pop("plate", None)
        nodes.append(Node.from_dict(raw))
    edges = [Edge(ids[e.source], ids[e.target]) for e in copied.edges.values()]
    return nodes, edges, plates
