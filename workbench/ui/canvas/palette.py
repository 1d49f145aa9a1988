"""The palette of node kinds: drag one onto the canvas, or click it, then click
where it goes. Each button shows the kind's canvas shape, so the palette also
reads as the legend of the drawing."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QDrag, QIcon, QMouseEvent, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.ui.canvas import style
from workbench.ui.canvas.view import KIND_MIME

ICON = QSize(44, 26)
_TIPS = {
    "stochastic": "A random variable with a prior: mu ~ Normal(0, 10)",
    "observed": "A random variable bound to a data column: the likelihood",
    "deterministic": "A named expression of other nodes: eta = a + b * x",
    "data": "A column of the table used as an input",
    "constant": "A fixed number or list of numbers",
    "plate": "A box that repeats its contents over rows or over the levels of a group",
    "gp": "f ~ GP(mean, kernel) over input columns",
    "generator": "A neural generator of data columns (GAN)",
}


def kind_icon(kind: str) -> QIcon:
    pixmap = QPixmap(ICON * 2)
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    rect = QRectF(3, 3, ICON.width() - 6, ICON.height() - 6)
    if kind == "plate":
        painter.setPen(QPen(style.color(style.PLATE_OUTLINE), 1.2))
        painter.setBrush(style.color(style.PLATE_FILL))
        painter.drawRoundedRect(rect, 3, 3)
    else:
        st = style.STYLES[kind]
        painter.setPen(QPen(style.color(st.outline), 1.2))
        painter.setBrush(style.color(st.fill))
        draw = {"ellipse": painter.drawEllipse, "rect": painter.drawRect}.get(st.shape)
        if draw is None:
            painter.drawRoundedRect(rect, 6, 6)
        else:
            draw(rect)
        if st.double:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(rect.adjusted(3, 3, -3, -3))
    painter.end()
    return QIcon(pixmap)


class PaletteButton(QToolButton):
    """Click arms the canvas; a drag carries the kind to a drop point."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._press: QPoint | None = None
        self.setText(style.PLATE_LABEL if kind == "plate" else style.STYLES[kind].label)
        self.setIcon(kind_icon(kind))
        self.setIconSize(ICON)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setToolTip(
            _TIPS[kind] + "\nDrag it onto the canvas, or click here and then on the canvas."
        )
        self.setCheckable(True)
        self.setAutoRaise(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if (
            self._press is not None
            and (event.position().toPoint() - self._press).manhattanLength()
            >= QApplication.startDragDistance()
        ):
            self._press = None
            self.setDown(False)
            data = QMimeData()
            data.setData(KIND_MIME, self.kind.encode())
            drag = QDrag(self)
            drag.setMimeData(data)
            drag.setPixmap(self.icon().pixmap(ICON))
            drag.exec(Qt.DropAction.CopyAction)
            return
        super().mouseMoveEvent(event)


class Palette(QWidget):
    kind_clicked = Signal(str)  # "" when the armed kind was clicked again (disarm)

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        title = QLabel("<b>Add</b>")
        layout.addWidget(title)
        self.buttons: dict[str, PaletteButton] = {}
        for kind in style.PALETTE:
            button = PaletteButton(kind)
            button.clicked.connect(
                lambda checked, k=kind: self.kind_clicked.emit(k if checked else "")
            )
            self.buttons[kind] = button
            layout.addWidget(button)
        hint = QLabel("Drag from a node's handle\n(or Shift-drag) to draw an arrow.")
        hint.setStyleSheet(f"color: {style.MUTED}; font-size: 9pt")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        layout.addStretch(1)

    def show_armed(self, kind: str) -> None:
        for k, button in self.buttons.items():
            button.setChecked(k == kind)
