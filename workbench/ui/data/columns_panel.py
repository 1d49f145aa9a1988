"""The list of columns beside the table: type (editable), missing values, range, shape."""

from __future__ import annotations

import numpy as np
import pandas as pd
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QComboBox, QHeaderView, QTableWidget, QTableWidgetItem

from backends.runtime import COLUMN_TYPES
from workbench.project.dataset import Dataset

SPARK_SIZE = QSize(96, 22)
_MAX_BINS = 20
_MAX_LEVELS = 8
_NUMBER_COLOR = QColor("#4a7fb5")
_LEVEL_COLOR = QColor("#c07a3a")


class ColumnsPanel(QTableWidget):
    """One row per column. Choosing a type emits ``type_requested(column, type)``;
    the window applies it (or explains why it cannot)."""

    type_requested = Signal(str, str)

    HEADERS = ("Column", "Type", "Missing", "Summary", "Distribution")

    def __init__(self) -> None:
        super().__init__(0, len(self.HEADERS))
        self.setHorizontalHeaderLabels(self.HEADERS)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(SPARK_SIZE.height() + 8)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.setIconSize(SPARK_SIZE)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Fixed)
        self.setColumnWidth(4, SPARK_SIZE.width() + 12)
        self._names: list[str] = []

    def set_dataset(self, dataset: Dataset | None) -> None:
        if dataset is None:
            self._names = []
            self.setRowCount(0)
            return
        if dataset.columns != self._names:
            # new column set: new combo boxes. The same columns (a type changed) keep
            # theirs, so a combo box is never deleted while it is emitting its signal.
            self._names = list(dataset.columns)
            self.setRowCount(0)
            self.setRowCount(len(self._names))
            for row, name in enumerate(self._names):
                self.setItem(row, 0, QTableWidgetItem(name))
                combo = QComboBox()
                combo.addItems(COLUMN_TYPES)
                combo.currentTextChanged.connect(
                    lambda new_type, column=name: self.type_requested.emit(column, new_type)
                )
                self.setCellWidget(row, 1, combo)
        missing = dataset.missing_counts()
        table = dataset.column_table()
        for row, name in enumerate(self._names):
            combo = self.cellWidget(row, 1)
            combo.blockSignals(True)
            combo.setCurrentText(dataset.types[name])
            combo.blockSignals(False)
            count = missing[name]
            share = f" ({100 * count / max(dataset.n_rows, 1):.1f}%)" if count else ""
            self.setItem(row, 2, QTableWidgetItem(f"{count}{share}"))
            summary = QTableWidgetItem(_describe(table[name], dataset.types[name]))
            summary.setToolTip(summary.text())  # the column is narrow: the whole text on hover
            self.setItem(row, 3, summary)
            self.setItem(row, 4, _distribution_item(table[name], dataset.types[name]))


def _describe(values: np.ndarray, column_type: str) -> str:
    if column_type in ("categorical", "text"):
        present = [v for v in values if v is not None]
        levels = sorted(set(present))
        shown = ", ".join(levels[:4]) + (" …" if len(levels) > 4 else "")
        return f"{len(levels)} levels: {shown}"
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return "no values"
    if column_type == "boolean":
        return f"{100 * finite.mean():.1f}% true"
    if column_type == "date":
        first, last = (np.datetime64(int(v), "D") for v in (finite.min(), finite.max()))
        return f"{first} … {last}"
    return f"min {finite.min():.4g}   mean {finite.mean():.4g}   max {finite.max():.4g}"


def distribution(values: np.ndarray, column_type: str) -> tuple[np.ndarray, list[str]]:
    """Bar shares (summing to 1) and a label per bar, or empty for free text.

    Numbers and dates: a histogram (one bar per value for integers with a short
    range, so 0/1/2 counts do not get split into odd bins). Booleans: false, true.
    Categories: the most common levels, largest first, the rest pooled as "other".
    """
    if column_type == "text":
        return np.zeros(0), []
    if column_type == "categorical":
        counts = pd.Series(values, dtype=object).dropna().value_counts()
        if counts.empty:
            return np.zeros(0), []
        shown = counts.iloc[:_MAX_LEVELS]
        labels = [str(level) for level in shown.index]
        heights = shown.to_numpy(dtype=float)
        rest = counts.iloc[_MAX_LEVELS:].sum()
        if rest:
            heights, labels = np.append(heights, rest), [*labels, "other"]
        return heights / counts.sum(), labels
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.zeros(0), []
    if column_type == "boolean":
        true = float(finite.mean())
        return np.array([1 - true, true]), ["false", "true"]
    low, high = float(finite.min()), float(finite.max())
    if column_type == "integer" and high - low < _MAX_BINS:
        edges = np.arange(low - 0.5, high + 1.5)
    else:
        edges = np.histogram_bin_edges(finite, bins=_MAX_BINS if high > low else 1)
    counts, edges = np.histogram(finite, bins=edges)
    if column_type == "date":
        labels = [str(np.datetime64(int(e), "D")) for e in edges[:-1]]
    elif column_type == "integer" and high - low < _MAX_BINS:
        labels = [f"{e + 0.5:.0f}" for e in edges[:-1]]
    else:
        labels = [f"{a:.4g} – {b:.4g}" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return counts / finite.size, labels


def _distribution_item(values: np.ndarray, column_type: str) -> QTableWidgetItem:
    shares, labels = distribution(values, column_type)
    item = QTableWidgetItem()
    if shares.size == 0:
        return item
    color = _LEVEL_COLOR if column_type == "categorical" else _NUMBER_COLOR
    item.setData(Qt.ItemDataRole.DecorationRole, _bars(shares, color))
    item.setToolTip(
        "\n".join(f"{label}: {100 * s:.1f}%" for label, s in zip(labels, shares, strict=True))
    )
    return item


def _bars(shares: np.ndarray, color: QColor) -> QPixmap:
    """A small bar chart; the tallest bar fills the height so shapes stay visible."""
    pixmap = QPixmap(SPARK_SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    width, height = SPARK_SIZE.width(), SPARK_SIZE.height()
    step = width / len(shares)
    gap = 1.0 if step >= 3 else 0.0
    top = float(shares.max()) or 1.0
    for index, share in enumerate(shares):
        bar = max(1.0, height * share / top) if share > 0 else 0.0
        painter.drawRect(QRectF(index * step, height - bar, step - gap, bar))
    painter.end()
    return pixmap
