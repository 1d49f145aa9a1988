"""Import a table with a look first: preview, column types, missing-value policy.

Reading and converting happen here, before anything touches the project, so a
wrong guess (a code column read as numbers, a date read as text) is fixed where it
is seen, and the window receives one finished Dataset to push as one undo step.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.project.dataset import (
    MISSING_POLICIES,
    DataError,
    Dataset,
    apply_missing_policy,
    read_table,
)
from workbench.text import count
from workbench.ui.data.columns_panel import ColumnsPanel
from workbench.ui.data.table_model import DataFrameModel

PREVIEW_ROWS = 100


class ImportDialog(QDialog):
    """Reads ``path`` at once; ``dataset()`` is the table to import after OK, else None."""

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Import {Path(path).name}")
        self.resize(900, 640)
        self._dataset: Dataset | None = None
        self._result: Dataset | None = None

        self.summary = QLabel()
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.setStyleSheet("color: #b00020;")
        self.error.hide()

        self.preview_model = DataFrameModel()
        self.preview = QTableView()
        self.preview.setModel(self.preview_model)
        self.preview.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.preview.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.columns = ColumnsPanel()
        self.columns.type_requested.connect(self._on_type_requested)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.preview)
        split.addWidget(self.columns)
        split.setSizes([300, 260])

        self.policy = QComboBox()
        for key, label in MISSING_POLICIES.items():
            self.policy.addItem(label, key)
        self.policy_note = QLabel()
        form = QFormLayout()
        form.addRow("Missing values:", self.policy)
        form.addRow("", self.policy_note)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.error)
        layout.addWidget(split, stretch=1)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

        try:
            self._dataset = read_table(path)
        except DataError as exc:
            self.summary.setText(f"Cannot read {Path(path).name}")
            self._show_error(str(exc))
            self.policy.setEnabled(False)
            self.ok_button().setEnabled(False)
            return
        self._refresh()

    def ok_button(self) -> QWidget:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def dataset(self) -> Dataset | None:
        """The table with the chosen types and policy; None if cancelled or unreadable."""
        return self._result

    def set_policy(self, key: str) -> None:
        self.policy.setCurrentIndex(self.policy.findData(key))

    def accept(self) -> None:
        if self._dataset is None:
            return
        try:
            self._result = apply_missing_policy(self._dataset, self.policy.currentData())
        except DataError as exc:
            self._show_error(str(exc))  # e.g. dropping would leave no rows: stay open
            return
        super().accept()

    def reject(self) -> None:
        self._result = None
        super().reject()

    def _on_type_requested(self, column: str, new_type: str) -> None:
        assert self._dataset is not None  # the panel is empty until a table is read
        try:
            self._dataset = self._dataset.with_column_type(column, new_type)
        except DataError as exc:
            self._show_error(str(exc))
            self.columns.set_dataset(self._dataset)  # put the combo box back
            return
        self.error.hide()
        self._refresh()

    def _refresh(self) -> None:
        dataset = self._dataset
        assert dataset is not None
        head = Dataset(dataset.frame.head(PREVIEW_ROWS), dict(dataset.types), dataset.source)
        self.preview_model.set_dataset(head)
        self.columns.set_dataset(dataset)
        shown = min(dataset.n_rows, PREVIEW_ROWS)
        self.summary.setText(
            f"{dataset.source.name}: {count(dataset.n_rows, 'row')}, "
            f"{count(len(dataset.columns), 'column')}"
            f" (showing the first {shown})"
        )
        incomplete = int(dataset.frame.isna().any(axis=1).sum())
        self.policy_note.setText(
            f"{incomplete} of {dataset.n_rows} rows have a missing value"
            if incomplete
            else "No missing values."
        )

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
