"""The drawn pieces of the model: nodes, arrows, plates and problem markers.

Items never change the graph. They show what the graph holds (``sync``), and the
scene turns what the user did to them (a drag, a drop) into undo commands.
Everything a node shows is painted by the item itself and cached as a device
pixmap, so a canvas of a few hundred nodes pans and drags without repainting.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsSceneHoverEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from backends.gan.spec import image_description
from backends.graph.model import ROWS, Node, Plate, Problem
from workbench.text import count
from workbench.ui.canvas import style

HANDLE_RADIUS = 6.0
MAX_NODE_WIDTH = 170.0
MARKER_RADIUS = 8.0
NODE_Z, EDGE_Z, PLATE_Z = 2.0, 1.0, 0.0
_LABEL_FONT = QFont()
_LABEL_FONT.setPointSizeF(10.0)
_LABEL_FONT.setBold(True)
_DETAIL_FONT = QFont()
_DETAIL_FONT.setPointSizeF(8.0)


def _elide(text: str, font: QFont, width: float) -> str:
    return QFontMetricsF(font).elidedText(text, Qt.TextElideMode.ElideRight, width)


def node_detail(node: Node) -> str:
    """The second line under a node's name: what it is, in a few characters."""
    if node.kind in ("stochastic", "observed"):
        text = node.distribution or "?"
        size = len(node.options.get("coords") or []) or node.options.get("size")
        if size:
            text += f" [{size}]"  # a vector: one value per input or per index
        if node.kind == "observed" and node.columns:
            text += f" · {node.columns[0]}"
        return text
    if node.kind == "deterministic":
        return node.expression or "="
    if node.kind == "data":
        return ", ".join(node.columns) or "no column"
    if node.kind == "constant":
        return "" if node.value is None else str(node.value)
    if node.kind == "gp":
        return "GP(" + ", ".join(node.options.get("inputs", []) or ["?"]) + ")"
    if node.kind == "generator":
        images = image_description(node.options)
        return images or count(len(node.columns or node.options.get("columns", [])), "column")
    return node.kind


# the detail line sits below the centre, where an ellipse is this share of its width
_ELLIPSE_CHORD = 0.8


def _detail_margin(st: style.KindStyle) -> float:
    """Room kept clear of an ellipse's outline (and of a double one's inner ring)."""
    return 14.0 if st.double else 6.0


def _detail_room(width: float, st: style.KindStyle) -> float:
    """Width for the detail line inside an ellipse."""
    return _ELLIPSE_CHORD * width - _detail_margin(st)


def _fitted_width(name: str, detail: str, st: style.KindStyle) -> float:
    """Wide enough for the name and most details, within bounds (longer text is elided)."""
    # the margins leave room for hinting: on a real screen text can draw a few pixels
    # wider than the font metrics measure, and a centred label then loses its first letter
    name_width = QFontMetricsF(_LABEL_FONT).horizontalAdvance(name)
    detail_width = QFontMetricsF(_DETAIL_FONT).horizontalAdvance(detail)
    if st.shape == "ellipse":
        needed = max(name_width + 42.0, (detail_width + _detail_margin(st)) / _ELLIPSE_CHORD)
    else:
        needed = max(name_width, detail_width) + 26.0
    return min(max(st.width, needed), MAX_NODE_WIDTH)


class ProblemMarker(QGraphicsItem):
    """A red (error) or amber (warning) dot on a node; the messages are its tooltip."""

    def __init__(self, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.severity = "error"
        self.messages: list[str] = []
        self.setZValue(5.0)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.hide()

    def show_problems(self, problems: list[Problem]) -> None:
        if not problems:
            self.messages = []
            self.hide()
            return
        self.severity = "error" if any(p.severity == "error" for p in problems) else "warning"
        self.messages = [
            f"{p.severity}: {p.field + ': ' if p.field else ''}{p.message}" for p in problems
        ]
        self.setToolTip("\n".join(self.messages))
        self.update()
        self.show()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        r = MARKER_RADIUS + 1
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = style.color(style.ERROR if self.severity == "error" else style.WARNING)
        painter.setPen(QPen(style.color("#ffffff"), 1.5))
        painter.setBrush(colour)
        painter.drawEllipse(QPointF(0, 0), MARKER_RADIUS, MARKER_RADIUS)
        painter.setPen(QPen(style.color("#ffffff"), 2.0))
        painter.drawLine(QPointF(0, -4.0), QPointF(0, 1.0))
        painter.drawPoint(QPointF(0, 4.0))


class NodeItem(QGraphicsItem):
    """One node, centred on its position; drawn by kind (see ``style``)."""

    def __init__(self, node: Node) -> None:
        super().__init__()
        self.node_id = node.id
        self.edges: list[EdgeItem] = []
        self._hover = False
        self._name = self._detail = ""
        self._style = style.STYLES[node.kind]
        self._width = self._style.width
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
        )
        self.setAcceptHoverEvents(True)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(NODE_Z)
        self.marker = ProblemMarker(self)
        self.sync(node)

    # --------------------------------------------------------------- content
    def sync(self, node: Node) -> None:
        new_style = style.STYLES.get(node.kind, style.STYLES["stochastic"])
        if new_style != self._style:
            self.prepareGeometryChange()
            self._style = new_style
        self.kind = node.kind
        self._name, self._detail = node.name, node_detail(node)
        width = _fitted_width(self._name, self._detail, self._style)
        if width != self._width:
            self.prepareGeometryChange()
            self._width = width
        self.setToolTip(f"{node.name} ({node.kind})\n{self._detail}")
        self.marker.setPos(self._width / 2 - 4, -self._style.height / 2 + 4)
        if self.pos() != QPointF(*node.position):
            self.setPos(QPointF(*node.position))
        self.update()

    @property
    def size(self) -> tuple[float, float]:
        return self._width, self._style.height

    def handle_center(self) -> QPointF:
        """Where an arrow starts when dragged out of this node (item coordinates)."""
        return QPointF(0.0, self._style.height / 2)

    def on_handle(self, scene_pos: QPointF) -> bool:
        d = self.mapFromScene(scene_pos) - self.handle_center()
        return math.hypot(d.x(), d.y()) <= HANDLE_RADIUS + 3

    def boundary_point(self, towards: QPointF) -> QPointF:
        """Where the line from the centre to ``towards`` (scene) leaves the shape."""
        centre = self.scenePos()
        dx, dy = towards.x() - centre.x(), towards.y() - centre.y()
        if dx == 0 and dy == 0:
            return centre
        a, b = self._width / 2, self._style.height / 2
        if self._style.shape == "ellipse":
            t = 1.0 / math.sqrt((dx / a) ** 2 + (dy / b) ** 2)
        else:
            t = min(a / abs(dx) if dx else math.inf, b / abs(dy) if dy else math.inf)
        return QPointF(centre.x() + dx * t, centre.y() + dy * t)

    # -------------------------------------------------------------- geometry
    def boundingRect(self) -> QRectF:  # noqa: N802
        w, h = self._width, self._style.height
        return QRectF(-w / 2 - 4, -h / 2 - 4, w + 8, h + 8 + HANDLE_RADIUS)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(self._body())
        path.addEllipse(self.handle_center(), HANDLE_RADIUS + 3, HANDLE_RADIUS + 3)
        return path

    def _body(self) -> QRectF:
        w, h = self._width, self._style.height
        return QRectF(-w / 2, -h / 2, w, h)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        st, body = self._style, self._body()
        selected = self.isSelected()
        pen = QPen(
            style.color(style.SELECTION if selected else st.outline), 2.4 if selected else 1.4
        )
        painter.setPen(pen)
        painter.setBrush(QBrush(style.color(st.fill)))
        self._draw_shape(painter, body)
        if st.double:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            self._draw_shape(painter, body.adjusted(4, 4, -4, -4))
        painter.setPen(style.color(style.INK))
        text_width = body.width() - 16
        painter.setFont(_LABEL_FONT)
        name_rect = QRectF(body.left() + 8, body.top() + 5, text_width, body.height() / 2 - 2)
        detail_rect = QRectF(
            body.left() + 8, body.center().y() + 1, text_width, body.height() / 2 - 6
        )
        if not self._detail:
            name_rect = QRectF(body.left() + 8, body.top(), text_width, body.height())
        painter.drawText(
            name_rect, Qt.AlignmentFlag.AlignCenter, _elide(self._name, _LABEL_FONT, text_width)
        )
        if self._detail:
            painter.setFont(_DETAIL_FONT)
            painter.setPen(style.color(style.MUTED))
            detail_width = _detail_room(body.width(), st) if st.shape == "ellipse" else text_width
            painter.drawText(
                detail_rect,
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                _elide(self._detail, _DETAIL_FONT, detail_width),
            )
        if self._hover or selected:
            painter.setPen(QPen(style.color(style.SELECTION), 1.2))
            painter.setBrush(style.color("#ffffff"))
            painter.drawEllipse(self.handle_center(), HANDLE_RADIUS, HANDLE_RADIUS)

    def _draw_shape(self, painter: QPainter, rect: QRectF) -> None:
        if self._style.shape == "ellipse":
            painter.drawEllipse(rect)
        elif self._style.shape == "rounded":
            painter.drawRoundedRect(rect, 12, 12)
        else:
            painter.drawRect(rect)

    # ----------------------------------------------------------------- events
    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        self._hover = True
        self.update()
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        self._hover = False
        self.update()
        super().hoverLeaveEvent(event)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: object) -> object:  # noqa: N802
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.adjust()
        elif change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self.update()
        return super().itemChange(change, value)


class EdgeItem(QGraphicsPathItem):
    """An arrow from a parent's boundary to a child's, with a filled head."""

    def __init__(self, edge_id: str, source: NodeItem, target: NodeItem) -> None:
        super().__init__()
        self.edge_id = edge_id
        self.source, self.target = source, target
        source.edges.append(self)
        target.edges.append(self)
        self.setZValue(EDGE_Z)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setPen(QPen(style.color(style.EDGE), 2.2))
        self.adjust()

    def detach(self) -> None:
        for end in (self.source, self.target):
            if self in end.edges:
                end.edges.remove(self)

    def adjust(self) -> None:
        start = self.source.boundary_point(self.target.scenePos())
        end = self.target.boundary_point(self.source.scenePos())
        self.setPath(arrow_path(start, end))

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        colour = style.color(style.SELECTION if self.isSelected() else style.EDGE)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(colour, 2.2 if self.isSelected() else 1.3))
        painter.setBrush(colour)
        painter.drawPath(self.path())

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(8.0)
        return stroker.createStroke(self.path())


def arrow_path(start: QPointF, end: QPointF, head: float = 9.0) -> QPainterPath:
    """A line with a filled triangular head at ``end``."""
    path = QPainterPath(start)
    line = QLineF(start, end)
    if line.length() < 1.0:
        return path
    angle = math.atan2(end.y() - start.y(), end.x() - start.x())
    back = QPointF(end.x() - head * math.cos(angle), end.y() - head * math.sin(angle))
    path.lineTo(back)
    left = QPointF(
        back.x() + head * 0.45 * math.sin(angle), back.y() - head * 0.45 * math.cos(angle)
    )
    right = QPointF(
        back.x() - head * 0.45 * math.sin(angle), back.y() + head * 0.45 * math.cos(angle)
    )
    path.addPolygon(QPolygonF([end, left, right, end]))
    return path


def plate_caption(plate: Plate) -> str:
    """What the plate repeats over, as drawn in its corner ("i in rows", "j in school")."""
    over = "rows" if plate.over == ROWS else plate.over
    return f"for each {over}" if plate.index == over else f"{plate.index} in {over}"


class PlateItem(QGraphicsItem):
    """A labelled box; dragging it carries the nodes inside along (the scene does that)."""

    GRIP = 12.0

    def __init__(self, plate: Plate) -> None:
        super().__init__()
        self.plate_id = plate.id
        self.size = plate.size
        self.caption = self.name = ""
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
        )
        self.setZValue(PLATE_Z)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.marker = ProblemMarker(self)
        self.sync(plate)

    def sync(self, plate: Plate) -> None:
        if tuple(plate.size) != tuple(self.size):
            self.prepareGeometryChange()
            self.size = tuple(plate.size)
        self.caption, self.name = plate_caption(plate), plate.name
        self.setToolTip(f"plate {plate.name}: repeats its contents for {self.caption}")
        self.marker.setPos(self.size[0] - 10, 10)
        if self.pos() != QPointF(*plate.position):
            self.setPos(QPointF(*plate.position))
        self.update()

    def _name_restates_caption(self) -> bool:
        """A name such as "rows" or "levels of school" adds nothing to the caption."""
        over = self.caption.split(" ")[-1]
        return self.name == "rows" or over in self.name.split()

    def set_size(self, width: float, height: float) -> None:
        self.prepareGeometryChange()
        self.size = (max(120.0, width), max(80.0, height))
        self.marker.setPos(self.size[0] - 10, 10)
        self.update()

    def rect(self) -> QRectF:
        return QRectF(0, 0, *self.size)

    def on_grip(self, scene_pos: QPointF) -> bool:
        p = self.mapFromScene(scene_pos)
        return p.x() >= self.size[0] - self.GRIP and p.y() >= self.size[1] - self.GRIP

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self.rect().adjusted(-2, -2, 2, 2)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = self.rect()
        selected = self.isSelected()
        pen = QPen(
            style.color(style.SELECTION if selected else style.PLATE_OUTLINE),
            2.0 if selected else 1.3,
        )
        painter.setPen(pen)
        painter.setBrush(style.color(style.PLATE_FILL))
        painter.drawRoundedRect(rect, 6, 6)
        painter.setFont(_DETAIL_FONT)
        painter.setPen(style.color(style.MUTED))
        label = rect.adjusted(8, 4, -8, -4)
        painter.drawText(
            label,
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
            _elide(self.caption, _DETAIL_FONT, rect.width() - 30),
        )
        if not self._name_restates_caption():
            painter.drawText(
                label,
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                _elide(self.name, _DETAIL_FONT, rect.width() - 40),
            )
        grip = rect.bottomRight()
        for k in (4.0, 8.0):
            painter.drawLine(
                QPointF(grip.x() - k, grip.y() - 2), QPointF(grip.x() - 2, grip.y() - k)
            )
