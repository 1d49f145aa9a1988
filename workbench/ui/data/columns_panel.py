"""The list of columns beside the table: type (editable), missing values, range."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHeaderView, QTableWidget, QTableWidgetItem

from backends.runtime import COLUMN_TYPES
from workbench.project.dataset import Dataset


class ColumnsPanel(QTableWidget):
    """One row per column. Choosing a type emits ``type_requested(column, type)``;
    the window applies it (or explains why it cannot)."""

    type_requested = Signal(str, str)

    HEADERS = ("Column", "Type", "Missing", "Summary")

    def __init__(self) -> None:
        super().__init__(0, len(self.HEADERS))
        self.setHorizontalHeaderLabels(self.HEADERS)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)

    def set_dataset(self, dataset: Dataset | None) -> None:
        self.setRowCount(0)
        if dataset is None:
            return
        missing = dataset.missing_counts()
        table = dataset.column_table()
        self.setRowCount(len(dataset.columns))
        for row, name in enumerate(dataset.columns):
            self.setItem(row, 0, QTableWidgetItem(name))
            combo = QComboBox()
            combo.addItems(COLUMN_TYPES)
            combo.setCurrentText(dataset.types[name])
            combo.currentTextChanged.connect(
                lambda new_type, column=name: self.type_requested.emit(column, new_type)
            )
            self.setCellWidget(row, 1, combo)
            count = missing[name]
            share = f" ({100 * count / max(dataset.n_rows, 1):.1f}%)" if count else ""
            self.setItem(row, 2, QTableWidgetItem(f"{count}{share}"))
            self.setItem(row, 3, QTableWidgetItem(_describe(table[name], dataset.types[name])))


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
