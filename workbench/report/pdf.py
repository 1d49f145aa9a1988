"""Print a report to PDF with Qt: the one module outside workbench/ui/ that imports
Qt (QtGui and QtSvg only), as DESIGN.md allows.

Route: QTextDocument lays out the report's HTML (the "qt" rendering of the same
template) and QPdfWriter prints it, so text stays text (selectable, searchable)
and no dependency beyond Qt is added. Qt's rich text does not draw inline SVG,
so each figure's SVG is rendered by QSvgRenderer into an image at print
resolution and handed to the document as a named resource. The reasons for this
route, and its limits, are in docs/report.md.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QMarginsF, QSizeF, QUrl
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
)
from PySide6.QtSvg import QSvgRenderer

from workbench.report.render import render

RESOLUTION = 300  # dpi of the PDF device; figures are rendered at 2x their CSS size
FIGURE_SCALE = 2
MARGINS_MM = QMarginsF(18, 16, 18, 16)


_APP: QGuiApplication | None = None  # kept alive for the process when we made it


def ensure_gui_application() -> None:
    """QTextDocument and fonts need a QGuiApplication; the CLI has none, and may run
    on a machine without a display (then Qt's offscreen platform is used). A process
    that will also show widgets must create its QApplication before printing."""
    global _APP  # noqa: PLW0603 - the application must outlive this call
    if QGuiApplication.instance() is None:
        if sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
        ):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        _APP = QGuiApplication(["workbench-report"])


def svg_image(svg: str, width: int, height: int, scale: int = FIGURE_SCALE) -> QImage:
    """The SVG drawn on a white image ``scale`` times its nominal size."""
    text = svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    renderer = QSvgRenderer(QByteArray(text.encode("utf-8")))
    image = QImage(width * scale, height * scale, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def qt_document(content: dict[str, Any]) -> QTextDocument:
    """The report as a QTextDocument (also the dialog's preview)."""
    ensure_gui_application()
    html, figures = render(content, "qt")
    document = QTextDocument()
    document.setDefaultFont(QFont("DejaVu Sans", 10))
    for name, fig in figures.items():
        document.addResource(
            QTextDocument.ResourceType.ImageResource,
            QUrl(name),
            svg_image(fig["svg"], fig["width"], fig["height"]),
        )
    document.setHtml(html)
    document.setMetaInformation(QTextDocument.MetaInformation.DocumentTitle, content["title"])
    return document


def write_pdf(content: dict[str, Any], path: str | Path) -> None:
    """Print the report to an A4 PDF with selectable text."""
    document = qt_document(content)
    writer = QPdfWriter(str(path))
    writer.setResolution(RESOLUTION)
    writer.setTitle(content["title"])
    writer.setCreator(f"Workbench {content['program']['version']}")
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            MARGINS_MM,
            QPageLayout.Unit.Millimeter,
        )
    )
    # Lay the text out at 96 "CSS pixels" per inch across the printable width, so that
    # point sizes and figure widths mean on paper what they mean in a browser.
    printable = writer.pageLayout().paintRectPoints()
    document.setPageSize(QSizeF(printable.width() * 96 / 72, printable.height() * 96 / 72))
    document.print_(writer)
