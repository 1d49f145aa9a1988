"""A virtualised Qt model over the project's table.

Qt asks only for the cells it shows, so a million rows scroll as smoothly as
ten: each column is converted once to a numpy array and cells are formatted on
demand, never all at once.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from workbench.project.dataset import Dataset

_MISSING = QBrush(QColor("#b0b0b0"))
Index = QModelIndex | QPersistentModelIndex


class DataFrameModel(QAbstractTableModel):
    def __init__(self, dataset: Dataset | None = None) -> None:
        super().__init__()
        self._dataset: Dataset | None = None
        self._columns: list[np.ndarray] = []
        self._missing: list[np.ndarray] = []
        self._numeric: list[bool] = []
        self.set_dataset(dataset)

    def set_dataset(self, dataset: Dataset | None) -> None:
        self.beginResetModel()
        self._dataset = dataset
        frame = dataset.frame if dataset is not None else None
        names = dataset.columns if dataset is not None else []
        self._columns = (
            [frame[c].to_numpy(dtype=object) for c in names] if frame is not None else []
        )
        self._missing = [frame[c].isna().to_numpy() for c in names] if frame is not None else []
        self._numeric = (
            [dataset.types[c] in ("numeric", "integer") for c in names] if dataset else []
        )
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() or self._dataset is None else self._dataset.n_rows

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        missing = self._missing[col][row]
        if role == Qt.ItemDataRole.DisplayRole:
            return "—" if missing else _format(self._columns[col][row])
        if role == Qt.ItemDataRole.ForegroundRole and missing:
            return _MISSING
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = (
                Qt.AlignmentFlag.AlignRight if self._numeric[col] else Qt.AlignmentFlag.AlignLeft
            )
            return horizontal | Qt.AlignmentFlag.AlignVCenter
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if role != Qt.ItemDataRole.DisplayRole or self._dataset is None:
            return None
        if orientation == Qt.Orientation.Horizontal:
            name = self._dataset.columns[section]
            return f"{name}\n{self._dataset.types[name]}"
        return str(section + 1)


def _format(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")
    return str(value)
