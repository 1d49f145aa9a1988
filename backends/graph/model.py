"""The model graph as plain data: nodes, edges, plates, positions, stable ids.

This module is the structure only. It knows nothing about distributions or
expressions beyond storing their text; the graph language (distributions,
expression parsing, compilation) builds on it in sibling modules. Everything
here round-trips through JSON-compatible dicts, and every mutation is announced
to subscribers so that a view (the Qt canvas) can follow without the model
knowing about it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

NODE_KINDS = (
    "stochastic",  # a random variable with a prior
    "observed",  # a random variable bound to data columns: the likelihood
    "deterministic",  # a named expression of its parents
    "data",  # a column (or several) of the table used as an input
    "constant",  # a fixed number or vector
    "gp",  # f ~ GP(mean, kernel) over input columns
    "generator",  # a neural generator of data columns (GAN)
)

ROWS = "rows"  # the value of Plate.over for a plate that repeats over table rows


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Node:
    """One node of the drawn model.

    ``params`` maps a distribution parameter to the text of its expression
    (``{"mu": "b0 + b1 * x", "sigma": "sigma"}``); ``options`` holds settings
    specific to a kind (a GP's kernel, a generator's network sizes) as plain JSON.
    """

    name: str
    kind: str
    id: str = field(default_factory=new_id)
    position: tuple[float, float] = (0.0, 0.0)
    distribution: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    expression: str | None = None
    columns: list[str] = field(default_factory=list)
    value: Any = None
    plate: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "position": [float(self.position[0]), float(self.position[1])],
        }
        optional = {
            "distribution": self.distribution,
            "params": dict(self.params),
            "expression": self.expression,
            "columns": list(self.columns),
            "value": self.value,
            "plate": self.plate,
            "options": self.options,
            "description": self.description,
        }
        out.update({k: v for k, v in optional.items() if v not in (None, "", [], {})})
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Node:
        position = raw.get("position", (0.0, 0.0))
        return cls(
            id=str(raw["id"]),
            name=str(raw["name"]),
            kind=str(raw["kind"]),
            position=(float(position[0]), float(position[1])),
            distribution=raw.get("distribution"),
            params={str(k): str(v) for k, v in raw.get("params", {}).items()},
            expression=raw.get("expression"),
            columns=[str(c) for c in raw.get("columns", [])],
            value=raw.get("value"),
            plate=raw.get("plate"),
            options=dict(raw.get("options", {})),
            description=str(raw.get("description", "")),
        )


@dataclass
class Edge:
    """A drawn arrow from a parent to a child node."""

    source: str
    target: str
    id: str = field(default_factory=new_id)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "source": self.source, "target": self.target}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Edge:
        # an arrow written by hand needs no id of its own: nothing refers to it
        edge_id = str(raw["id"]) if "id" in raw else new_id()
        return cls(id=edge_id, source=str(raw["source"]), target=str(raw["target"]))


@dataclass
class Plate:
    """A box whose contents repeat over the rows of the table (``over="rows"``)
    or over the levels of a grouping column (``over="school"``).

    ``index`` is the name used in formulas (``y[i]``, ``theta[school]``).
    """

    name: str
    over: str = ROWS
    index: str = "i"
    id: str = field(default_factory=new_id)
    position: tuple[float, float] = (0.0, 0.0)
    size: tuple[float, float] = (240.0, 160.0)
    parent: str | None = None  # an enclosing plate, for nested repetition

    def to_dict(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "name": self.name,
            "over": self.over,
            "index": self.index,
            "position": [float(self.position[0]), float(self.position[1])],
            "size": [float(self.size[0]), float(self.size[1])],
        }
        if self.parent:
            out["parent"] = self.parent
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Plate:
        position = raw.get("position", (0.0, 0.0))
        size = raw.get("size", (240.0, 160.0))
        return cls(
            id=str(raw["id"]),
            name=str(raw["name"]),
            over=str(raw.get("over", ROWS)),
            index=str(raw.get("index", "i")),
            position=(float(position[0]), float(position[1])),
            size=(float(size[0]), float(size[1])),
            parent=raw.get("parent"),
        )


@dataclass(frozen=True)
class GraphEvent:
    """What changed: ``type`` is one of node_added, node_removed, node_changed,
    edge_added, edge_removed, plate_added, plate_removed, plate_changed, reset."""

    type: str
    id: str | None = None


@dataclass(frozen=True)
class Problem:
    """A defect in the model, located precisely enough to show on the canvas."""

    message: str
    node: str | None = None  # node (or plate) id
    field: str | None = None  # e.g. "params.sigma", "columns", "expression"
    severity: str = "error"  # or "warning": shown on the canvas, but does not block a run

    def describe(self, graph: Graph | None = None) -> str:
        where = ""
        if self.node and graph is not None:
            item = graph.nodes.get(self.node) or graph.plates.get(self.node)
            where = f"{item.name if item else self.node}"
        elif self.node:
            where = self.node
        if self.field:
            where = f"{where}.{self.field}" if where else self.field
        return f"{where}: {self.message}" if where else self.message


class GraphError(ValueError):
    """Raised when an edit or a loaded graph breaks the graph's structure."""


Listener = Callable[[GraphEvent], None]


class Graph:
    """The model graph. Mutate it through its methods so that listeners hear of it."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.edges: dict[str, Edge] = {}
        self.plates: dict[str, Plate] = {}
        self._listeners: list[Listener] = []

    # ----------------------------------------------------------------- events
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def _emit(self, type_: str, id_: str | None = None) -> None:
        event = GraphEvent(type_, id_)
        for listener in list(self._listeners):
            listener(event)

    # ------------------------------------------------------------------ nodes
    def add_node(self, node: Node) -> Node:
        if node.id in self.nodes:
            raise GraphError(f"a node with id {node.id} already exists")
        if node.kind not in NODE_KINDS:
            raise GraphError(f"node {node.name!r}: unknown kind {node.kind!r}")
        self.nodes[node.id] = node
        self._emit("node_added", node.id)
        return node

    def remove_node(self, node_id: str) -> tuple[Node, list[Edge]]:
        """Remove a node and every edge touching it; return both for undo."""
        node = self.nodes[node_id]
        touching = [e for e in self.edges.values() if node_id in (e.source, e.target)]
        for edge in touching:
            self.remove_edge(edge.id)
        del self.nodes[node_id]
        self._emit("node_removed", node_id)
        return node, touching

    def update_node(self, node_id: str, **changes: Any) -> None:
        node = self.nodes[node_id]
        for key, value in changes.items():
            if not hasattr(node, key) or key == "id":
                raise GraphError(f"node {node.name!r}: no field {key!r}")
            setattr(node, key, value)
        self._emit("node_changed", node_id)

    def node_by_name(self, name: str) -> Node | None:
        return next((n for n in self.nodes.values() if n.name == name), None)

    # ------------------------------------------------------------------ edges
    def add_edge(self, edge: Edge) -> Edge:
        for end in (edge.source, edge.target):
            if end not in self.nodes:
                raise GraphError(f"edge {edge.id} points at a missing node {end}")
        if edge.source == edge.target:
            raise GraphError(f"node {self.nodes[edge.source].name!r} cannot be its own parent")
        if any(e.source == edge.source and e.target == edge.target for e in self.edges.values()):
            raise GraphError("these two nodes are already connected")
        self.edges[edge.id] = edge
        self._emit("edge_added", edge.id)
        return edge

    def remove_edge(self, edge_id: str) -> Edge:
        edge = self.edges.pop(edge_id)
        self._emit("edge_removed", edge_id)
        return edge

    def parents(self, node_id: str) -> list[str]:
        return [e.source for e in self.edges.values() if e.target == node_id]

    def children(self, node_id: str) -> list[str]:
        return [e.target for e in self.edges.values() if e.source == node_id]

    # ----------------------------------------------------------------- plates
    def add_plate(self, plate: Plate) -> Plate:
        if plate.id in self.plates:
            raise GraphError(f"a plate with id {plate.id} already exists")
        self.plates[plate.id] = plate
        self._emit("plate_added", plate.id)
        return plate

    def remove_plate(self, plate_id: str) -> Plate:
        """Remove a plate; nodes inside it stay, outside any plate."""
        plate = self.plates.pop(plate_id)
        for node in self.nodes.values():
            if node.plate == plate_id:
                node.plate = plate.parent
                self._emit("node_changed", node.id)
        self._emit("plate_removed", plate_id)
        return plate

    def update_plate(self, plate_id: str, **changes: Any) -> None:
        plate = self.plates[plate_id]
        for key, value in changes.items():
            if not hasattr(plate, key) or key == "id":
                raise GraphError(f"plate {plate.name!r}: no field {key!r}")
            setattr(plate, key, value)
        self._emit("plate_changed", plate_id)

    # -------------------------------------------------------------- structure
    def topological_order(self) -> list[str]:
        """Node ids, parents before children; raises GraphError on a cycle."""
        indegree = {nid: 0 for nid in self.nodes}
        for edge in self.edges.values():
            indegree[edge.target] += 1
        ready = sorted((nid for nid, d in indegree.items() if d == 0), key=self._sort_key)
        order: list[str] = []
        while ready:
            nid = ready.pop(0)
            order.append(nid)
            for child in sorted(self.children(nid), key=self._sort_key):
                indegree[child] -= 1
                if indegree[child] == 0:
                    ready.append(child)
        if len(order) != len(self.nodes):
            stuck = sorted(self.nodes[n].name for n, d in indegree.items() if d > 0)
            raise GraphError(f"the model has a cycle through {', '.join(stuck)}")
        return order

    def _sort_key(self, node_id: str) -> str:
        return self.nodes[node_id].name

    def cycle_members(self) -> set[str]:
        """Ids of nodes that lie on a cycle (empty when the graph is acyclic)."""
        remaining = set(self.nodes)
        changed = True
        while changed:  # peel off sources and sinks until only cycles remain
            changed = False
            for nid in list(remaining):
                ins = [e for e in self.edges.values() if e.target == nid and e.source in remaining]
                outs = [e for e in self.edges.values() if e.source == nid and e.target in remaining]
                if not ins or not outs:
                    remaining.discard(nid)
                    changed = True
        return remaining

    def structural_problems(self) -> list[Problem]:
        """Problems of structure alone: names, kinds, dangling references, cycles.

        The graph language adds the semantic checks (distributions, expressions,
        column bindings) on top of these.
        """
        problems: list[Problem] = []
        seen: dict[str, str] = {}
        for node in self.nodes.values():
            if not node.name.isidentifier():
                problems.append(Problem(f"{node.name!r} is not a valid name", node.id, "name"))
            elif node.name in seen:
                problems.append(Problem(f"the name {node.name!r} is used twice", node.id, "name"))
            seen.setdefault(node.name, node.id)
            if node.kind not in NODE_KINDS:
                problems.append(Problem(f"unknown kind {node.kind!r}", node.id, "kind"))
            if node.plate is not None and node.plate not in self.plates:
                problems.append(Problem("it lies in a plate that does not exist", node.id, "plate"))
        for edge in self.edges.values():
            for end in (edge.source, edge.target):
                if end not in self.nodes:
                    problems.append(
                        Problem(f"an edge points at a missing node {end}", None, "edges")
                    )
        for plate in self.plates.values():
            if plate.parent is not None and plate.parent not in self.plates:
                problems.append(Problem("its enclosing plate does not exist", plate.id, "parent"))
        if not any(p.field == "edges" for p in problems):
            for nid in sorted(self.cycle_members(), key=self._sort_key):
                problems.append(
                    Problem("it lies on a cycle; a model must be acyclic", nid, "edges")
                )
        return problems

    # ------------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        return {
            "nodes": [n.to_dict() for n in self.nodes.values()],
            "edges": [e.to_dict() for e in self.edges.values()],
            "plates": [p.to_dict() for p in self.plates.values()],
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Graph:
        """Build a graph from its JSON form; raises GraphError naming what is malformed."""
        graph = cls()
        nodes = _entries(raw, "nodes", Node.from_dict)
        edges = _entries(raw, "edges", Edge.from_dict)
        plates = _entries(raw, "plates", Plate.from_dict)
        for plate in plates:
            graph.add_plate(plate)
        for node in nodes:
            graph.add_node(node)
        for edge in edges:
            graph.add_edge(edge)
        return graph

    def replace_with(self, other: Graph) -> None:
        """Take over another graph's contents (keeps listeners); one reset event."""
        self.nodes, self.edges, self.plates = other.nodes, other.edges, other.plates
        self._emit("reset")

    def copy(self) -> Graph:
        return Graph.from_dict(self.to_dict())

    def nodes_of_kind(self, *kinds: str) -> Iterable[Node]:
        return (n for n in self.nodes.values() if n.kind in kinds)


def _entries(raw: dict[str, Any], key: str, build: Callable[[dict[str, Any]], Any]) -> list:
    """Build each entry of raw[key]; a malformed one is named by its list and position."""
    entries = raw.get(key, [])
    if not isinstance(entries, list):
        raise GraphError(f"malformed graph: '{key}' must be a list")
    built = []
    for i, entry in enumerate(entries):
        try:
            built.append(build(entry))
        except KeyError as exc:
            raise GraphError(f"malformed graph: {key}[{i}] has no {exc.args[0]!r}") from exc
        except (TypeError, ValueError, IndexError, AttributeError) as exc:
            raise GraphError(f"malformed graph: {key}[{i}]: {exc}") from exc
    return built
