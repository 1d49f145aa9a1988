"""The graph scene: items that follow the Graph, and gestures that become commands.

The scene subscribes to the graph and adds, removes or refreshes one item per
event; it never edits the graph directly. What the user does with the mouse —
drop a node, drag an arrow from a node's handle (or Shift-drag from the node),
move a selection, drag a plate with its contents, resize a plate by its corner —
becomes one undo command when the mouse is released.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPen, QUndoStack
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene, QGraphicsSceneMouseEvent

from backends.graph.model import Edge, Graph, GraphError, GraphEvent, Node, Plate, Problem
from workbench.ui.canvas import commands, style
from workbench.ui.canvas.items import EdgeItem, NodeItem, PlateItem, arrow_path
from workbench.ui.canvas.naming import new_node, unique_name

MARGIN = 400.0


class GraphScene(QGraphicsScene):
    armed_changed = Signal(str)  # the palette kind waiting for a click ("" when none)
    edge_refused = Signal(str)  # why a drawn arrow was not added

    def __init__(self, graph: Graph, undo_stack: QUndoStack, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.graph = graph
        self.undo_stack = undo_stack
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: dict[str, EdgeItem] = {}
        self.plate_items: dict[str, PlateItem] = {}
        self.armed = ""
        self._edge_from: NodeItem | None = None
        self._edge_preview: QGraphicsPathItem | None = None
        self._resizing: PlateItem | None = None
        self._carried: list[tuple[NodeItem, QPointF]] = []
        self._carry_anchor: tuple[PlateItem, QPointF] | None = None
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.setBackgroundBrush(style.color(style.BACKGROUND))
        graph.subscribe(self._on_graph_event)
        self.rebuild()

    # ------------------------------------------------------------ the model
    def set_graph(self, graph: Graph) -> None:
        self.graph.unsubscribe(self._on_graph_event)
        self.graph = graph
        graph.subscribe(self._on_graph_event)
        self.rebuild()

    def detach(self) -> None:
        """Stop following the graph (the editor is going away)."""
        self.graph.unsubscribe(self._on_graph_event)

    def rebuild(self) -> None:
        self.clear()
        self._edge_preview = None
        self.node_items, self.edge_items, self.plate_items = {}, {}, {}
        for plate in self.graph.plates.values():
            self._add_plate_item(plate)
        for node in self.graph.nodes.values():
            self._add_node_item(node)
        for edge in self.graph.edges.values():
            self._add_edge_item(edge)
        self.grow()

    def grow(self) -> None:
        """Keep some empty room around the drawing to drop new nodes into.

        The scene never shrinks below what a view shows, and each view keeps the same
        scene point at its centre: otherwise a view re-centres a scene smaller than
        itself, or keeps its scroll offsets while the scene grows up or left, and the
        node just placed jumps away from the pointer."""
        room = (
            self.itemsBoundingRect().adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
            if self.items()
            else QRectF(-400, -300, 800, 600)
        )
        views = [(view, view.mapToScene(view.viewport().rect().center())) for view in self.views()]
        for view, _ in views:
            room = room.united(view.mapToScene(view.viewport().rect()).boundingRect())
        if self.items():
            room = room.united(self.sceneRect())
        if room == self.sceneRect():
            return
        self.setSceneRect(room)
        for view, centre in views:
            view.centerOn(centre)

    def _on_graph_event(self, event: GraphEvent) -> None:
        kind, eid = event.type, event.id
        if kind == "reset":
            self.rebuild()
        elif kind == "node_added":
            self._add_node_item(self.graph.nodes[eid])
            self.grow()
        elif kind == "node_removed":
            self.removeItem(self.node_items.pop(eid))
        elif kind == "node_changed":
            self._sync_node(eid)
        elif kind == "edge_added":
            self._add_edge_item(self.graph.edges[eid])
        elif kind == "edge_removed":
            item = self.edge_items.pop(eid)
            item.detach()
            self.removeItem(item)
        elif kind == "plate_added":
            self._add_plate_item(self.graph.plates[eid])
            self.grow()
        elif kind == "plate_removed":
            self.removeItem(self.plate_items.pop(eid))
        elif kind == "plate_changed":
            self.plate_items[eid].sync(self.graph.plates[eid])

    def _sync_node(self, node_id: str) -> None:
        item = self.node_items[node_id]
        was_selected = item.isSelected()
        item.sync(self.graph.nodes[node_id])
        for edge in item.edges:
            edge.adjust()
        item.setSelected(was_selected)

    def _add_node_item(self, node: Node) -> None:
        item = NodeItem(node)
        self.node_items[node.id] = item
        self.addItem(item)

    def _add_edge_item(self, edge: Edge) -> None:
        item = EdgeItem(edge.id, self.node_items[edge.source], self.node_items[edge.target])
        self.edge_items[edge.id] = item
        self.addItem(item)

    def _add_plate_item(self, plate: Plate) -> None:
        item = PlateItem(plate)
        self.plate_items[plate.id] = item
        self.addItem(item)

    def show_problems(self, problems: list[Problem]) -> None:
        by_item: dict[str, list[Problem]] = {}
        for problem in problems:
            if problem.node:
                by_item.setdefault(problem.node, []).append(problem)
        for item_id, item in {**self.node_items, **self.plate_items}.items():
            item.marker.show_problems(by_item.get(item_id, []))

    # ------------------------------------------------------------ selection
    def selected_ids(self) -> tuple[list[str], list[str], list[str]]:
        """Ids of the selected nodes, edges and plates."""
        nodes = [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]
        edges = [i.edge_id for i in self.selectedItems() if isinstance(i, EdgeItem)]
        plates = [i.plate_id for i in self.selectedItems() if isinstance(i, PlateItem)]
        return nodes, edges, plates

    def select_ids(self, ids: list[str]) -> None:
        self.clearSelection()
        for item_id in ids:
            item = self.node_items.get(item_id) or self.plate_items.get(item_id)
            if item is not None:
                item.setSelected(True)

    # ------------------------------------------------------------- creating
    def arm(self, kind: str) -> None:
        """The next click on empty canvas creates a ``kind`` (from the palette)."""
        self.armed = kind
        self.armed_changed.emit(kind)

    def create_at(self, kind: str, pos: QPointF) -> str:
        """Add a node (or a plate) of ``kind`` centred at ``pos``; returns its id."""
        if kind == "plate":
            name = unique_name("plate", {p.name for p in self.graph.plates.values()})
            plate = Plate(name=name, position=(pos.x() - 120.0, pos.y() - 80.0))
            rect = QRectF(
                QPointF(*plate.position),
                QPointF(plate.position[0] + plate.size[0], plate.position[1] + plate.size[1]),
            )
            members = [
                nid
                for nid, item in self.node_items.items()
                if rect.contains(item.scenePos()) and self.graph.nodes[nid].plate is None
            ]
            self.undo_stack.push(commands.add_plate(self.graph, plate, members))
            return plate.id
        node = new_node(kind, self.graph, (pos.x(), pos.y()))
        node.plate = self.plate_at(pos)
        self.undo_stack.push(commands.add_node(self.graph, node))
        return node.id

    def plate_at(self, pos: QPointF, ignore: set[str] | None = None) -> str | None:
        """The innermost plate (smallest box) drawn around ``pos``."""
        inside = [
            (item.size[0] * item.size[1], pid)
            for pid, item in self.plate_items.items()
            if pid not in (ignore or set()) and item.sceneBoundingRect().contains(pos)
        ]
        return min(inside)[1] if inside else None

    def connect(self, source_id: str, target_id: str) -> bool:
        """Draw an arrow (what dropping a dragged arrow on a node does)."""
        try:
            if source_id == target_id:
                raise GraphError("a node cannot be its own parent")
            if any(
                e.source == source_id and e.target == target_id for e in self.graph.edges.values()
            ):
                raise GraphError("these two nodes are already connected")
        except GraphError as exc:
            self.edge_refused.emit(str(exc))
            return False
        self.undo_stack.push(commands.add_edge(self.graph, Edge(source_id, target_id)))
        return True

    # ---------------------------------------------------------------- mouse
    def _node_at(self, pos: QPointF) -> NodeItem | None:
        for item in self.items(pos):
            if isinstance(item, NodeItem):
                return item
            if item.parentItem() is not None and isinstance(item.parentItem(), NodeItem):
                return item.parentItem()
        return None

    def _plate_at_item(self, pos: QPointF) -> PlateItem | None:
        top = self.itemAt(pos, self.views()[0].transform()) if self.views() else None
        return top if isinstance(top, PlateItem) else None

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802 - Qt's name
        pos = event.scenePos()
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        node = self._node_at(pos)
        if self.armed and node is None:
            kind = self.armed
            self.arm("")
            self.select_ids([self.create_at(kind, pos)])
            event.accept()
            return
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if node is not None and (shift or node.on_handle(pos)):
            self._start_edge(node, pos)
            event.accept()
            return
        plate = self._plate_at_item(pos)
        if plate is not None and plate.on_grip(pos):
            self._resizing = plate
            event.accept()
            return
        super().mousePressEvent(event)
        self._start_carry()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        pos = event.scenePos()
        if self._edge_from is not None:
            start = self._edge_from.boundary_point(pos)
            self._edge_preview.setPath(arrow_path(start, pos))
            return
        if self._resizing is not None:
            corner = self._resizing.mapFromScene(pos)
            self._resizing.set_size(corner.x(), corner.y())
            return
        super().mouseMoveEvent(event)
        if self._carry_anchor is not None:
            plate, start = self._carry_anchor
            delta = plate.pos() - start
            for item, origin in self._carried:
                item.setPos(origin + delta)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        pos = event.scenePos()
        if self._edge_from is not None:
            source = self._edge_from
            self._edge_from = None
            self.removeItem(self._edge_preview)
            self._edge_preview = None
            target = self._node_at(pos)
            if target is not None and target is not source:
                self.connect(source.node_id, target.node_id)
            return
        if self._resizing is not None:
            self._finish_resize()
            return
        super().mouseReleaseEvent(event)
        self._carried, self._carry_anchor = [], None
        self.commit_moves()

    def _start_edge(self, node: NodeItem, pos: QPointF) -> None:
        self._edge_from = node
        self._edge_preview = QGraphicsPathItem()
        self._edge_preview.setPen(QPen(style.color(style.SELECTION), 1.6, Qt.PenStyle.DashLine))
        self._edge_preview.setBrush(style.color(style.SELECTION))
        self._edge_preview.setZValue(10)
        self.addItem(self._edge_preview)
        self._edge_preview.setPath(arrow_path(node.boundary_point(pos), pos))

    def _start_carry(self) -> None:
        """Nodes inside a dragged plate follow it, unless selected themselves."""
        plates = [i for i in self.selectedItems() if isinstance(i, PlateItem)]
        if not plates:
            return
        ids = {p.plate_id for p in plates}
        self._carry_anchor = (plates[0], plates[0].pos())
        self._carried = [
            (item, item.pos())
            for nid, item in self.node_items.items()
            if self.graph.nodes[nid].plate in ids and not item.isSelected()
        ]

    def commit_moves(self) -> None:
        """Turn every item whose place differs from the graph's into one Move command."""
        plates = {
            pid: {"position": (item.pos().x(), item.pos().y())}
            for pid, item in self.plate_items.items()
            if tuple(self.graph.plates[pid].position) != (item.pos().x(), item.pos().y())
        }
        nodes = {}
        for nid, item in self.node_items.items():
            node = self.graph.nodes[nid]
            where = (item.pos().x(), item.pos().y())
            if tuple(node.position) != where:
                nodes[nid] = {"position": where}
                plate = self.plate_at(item.scenePos())
                if plate != node.plate:
                    nodes[nid]["plate"] = plate
        if nodes or plates:
            self.undo_stack.push(commands.move(self.graph, nodes, plates))
            self.grow()

    def _finish_resize(self) -> None:
        item = self._resizing
        self._resizing = None
        plate = self.graph.plates[item.plate_id]
        if tuple(item.size) == tuple(plate.size):
            return
        rect = item.sceneBoundingRect().adjusted(2, 2, -2, -2)
        nodes = {}
        for nid, node_item in self.node_items.items():
            inside = rect.contains(node_item.scenePos())
            current = self.graph.nodes[nid].plate
            if inside and current is None:
                nodes[nid] = {"plate": item.plate_id}
            elif not inside and current == item.plate_id:
                nodes[nid] = {"plate": plate.parent}
        sizes = {item.plate_id: {"size": tuple(item.size)}}
        self.undo_stack.push(commands.move(self.graph, nodes, sizes, f"Resize plate {plate.name}"))
