"""The Report Settings dialog: what the organisation tells the person (who sends the
letter, how to ask for a review), the decision rule, which inputs a person can change
(with their bounds) and how the letter names each column.

It edits ``project.settings.report`` (docs/report.md) by pointing and clicking
instead of by hand: the form is filled from the saved settings, and OK checks the
new ones with the report's own reader (read_settings) before saving them, so a bad
bound is named in the dialog and nothing is saved until every field reads.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.project import Project
from workbench.report import ReportError
from workbench.report.settings import read_settings
from workbench.ui.canvas import style

# the one-line texts, then the paragraphs, each with its label in the form
LINES = (
    ("organisation", "Organisation"),
    ("contact", "Contact for a review"),
    ("purpose", "What the model is used for"),
    ("outcome_name", "The outcome in plain words"),
    ("units", "Units of the outcome"),
)
PARAGRAPHS = (
    ("review", "How to ask for a review"),
    ("significance", "Significance of the decision"),
    ("consequences", "Its consequences"),
)
NAME, WORDS, ACTIONABLE, LOWER, UPPER, STEP = range(6)
BOUNDS = {LOWER: "lower", UPPER: "upper", STEP: "step"}


class ReportSettingsDialog(QDialog):
    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Report settings")
        self.resize(760, 720)
        self._project = project
        self._columns = list(project.dataset.columns) if project.dataset is not None else []
        saved = dict(project.settings.report)
        self._saved = saved

        texts = QFormLayout()
        self.lines: dict[str, QLineEdit] = {}
        for key, label in LINES:
            self.lines[key] = QLineEdit(str(saved.get(key) or ""))
            texts.addRow(label, self.lines[key])
        self.paragraphs: dict[str, QPlainTextEdit] = {}
        for key, label in PARAGRAPHS:
            edit = QPlainTextEdit(str(saved.get(key) or ""))
            edit.setFixedHeight(52)
            self.paragraphs[key] = edit
            texts.addRow(label, edit)

        self.decision = QGroupBox("Decide by a threshold on the prediction")
        self.decision.setCheckable(True)
        rule = saved.get("decision") or {}
        self.decision.setChecked(bool(rule))
        self.threshold = QLineEdit("" if "threshold" not in rule else str(rule["threshold"]))
        self.direction = QComboBox()
        self.direction.addItem("at least the threshold (above)", "above")
        self.direction.addItem("at most the threshold (below)", "below")
        self.direction.setCurrentIndex(max(0, self.direction.findData(rule.get("direction"))))
        label = str(rule.get("label") or "")
        self.positive = QLineEdit(str(rule.get("positive") or label))
        self.negative = QLineEdit(str(rule.get("negative") or (f"not {label}" if label else "")))
        self.positive.setPlaceholderText("e.g. approved")
        self.negative.setPlaceholderText("e.g. not approved")
        rule_form = QFormLayout(self.decision)
        rule_form.addRow("Threshold", self.threshold)
        rule_form.addRow("The outcome holds when the prediction is", self.direction)
        rule_form.addRow("The outcome, in words", self.positive)
        rule_form.addRow("Its opposite", self.negative)

        self.inputs = QTableWidget(len(self._columns), 6)
        self.inputs.setHorizontalHeaderLabels(
            ["Column", "In plain words", "Changeable", "Lowest", "Highest", "Step"]
        )
        self.inputs.horizontalHeaderItem(ACTIONABLE).setToolTip(
            "A person can change it: counterfactuals may propose a new value, within the "
            "lowest and highest (blank: 3 standard deviations either way) and on its steps"
        )
        self.inputs.verticalHeader().setVisible(False)
        header = self.inputs.horizontalHeader()
        header.setSectionResizeMode(WORDS, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(ACTIONABLE, QHeaderView.ResizeMode.ResizeToContents)
        self._fill_inputs(saved)
        self.protected = QComboBox()
        self.protected.addItem("none", None)
        for column in self._columns:
            self.protected.addItem(column, column)
        self.protected.setCurrentIndex(max(0, self.protected.findData(saved.get("protected"))))
        protected_row = QHBoxLayout()
        protected_row.addWidget(QLabel("Protected characteristic (adds the fairness section)"))
        protected_row.addWidget(self.protected, 1)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setStyleSheet(f"color: {style.ERROR};")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(texts)
        layout.addWidget(self.decision)
        layout.addWidget(QLabel("The table's columns"))
        layout.addWidget(self.inputs, 1)
        layout.addLayout(protected_row)
        layout.addWidget(self.status)
        layout.addWidget(buttons)

    def _fill_inputs(self, saved: dict[str, Any]) -> None:
        labels = saved.get("labels") or {}
        actionable = {}
        for item in saved.get("actionable") or []:
            spec = {"feature": item} if isinstance(item, str) else dict(item)
            actionable[spec.get("feature")] = spec
        for row, column in enumerate(self._columns):
            name = QTableWidgetItem(column)
            name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.inputs.setItem(row, NAME, name)
            self.inputs.setItem(row, WORDS, QTableWidgetItem(str(labels.get(column) or "")))
            check = QTableWidgetItem()
            check.setFlags(
                (check.flags() | Qt.ItemFlag.ItemIsUserCheckable) & ~Qt.ItemFlag.ItemIsEditable
            )
            spec = actionable.get(column)
            check.setCheckState(Qt.CheckState.Checked if spec else Qt.CheckState.Unchecked)
            self.inputs.setItem(row, ACTIONABLE, check)
            for col, key in BOUNDS.items():
                value = (spec or {}).get(key)
                self.inputs.setItem(row, col, QTableWidgetItem("" if value is None else str(value)))

    def settings(self) -> dict[str, Any]:
        """The form as ``project.settings.report``; raises ReportError naming a field
        that does not read as a number."""
        out: dict[str, Any] = {}
        for key, edit in self.lines.items():
            if edit.text().strip():
                out[key] = edit.text().strip()
        for key, edit in self.paragraphs.items():
            if edit.toPlainText().strip():
                out[key] = edit.toPlainText().strip()
        if self.decision.isChecked():
            rule: dict[str, Any] = {
                "threshold": _number(self.threshold.text(), "the decision's threshold"),
                "direction": self.direction.currentData(),
            }
            for key, edit in (("positive", self.positive), ("negative", self.negative)):
                if edit.text().strip():
                    rule[key] = edit.text().strip()
            out["decision"] = rule
        labels, actionable = {}, []
        for row, column in enumerate(self._columns):
            words = self.inputs.item(row, WORDS).text().strip()
            if words:
                labels[column] = words
            if self.inputs.item(row, ACTIONABLE).checkState() != Qt.CheckState.Checked:
                continue
            bounds = {
                key: _number(text, f"{key} of {column!r}")
                for col, key in BOUNDS.items()
                if (text := self.inputs.item(row, col).text().strip())
            }
            actionable.append({"feature": column, **bounds} if bounds else column)
        # plain words for columns this table does not have (yet) are kept, not dropped
        shown = set(self._columns)
        kept = {c: w for c, w in (self._saved.get("labels") or {}).items() if c not in shown}
        labels = {**kept, **labels}
        if labels:
            out["labels"] = labels
        if actionable:
            out["actionable"] = actionable
        if self.protected.currentData() is not None:
            out["protected"] = self.protected.currentData()
        return out

    def accept(self) -> None:
        """Save only settings the report can read; otherwise say which field is wrong."""
        try:
            settings = self.settings()
            read_settings(settings, self._columns)
        except ReportError as exc:
            self.status.setText(str(exc))
            return
        self._project.update_settings(report=settings)
        super().accept()


def _number(text: str, what: str) -> float:
    """A number as typed; commas only as thousands separators ("1,500"), so that a
    decimal comma ("1,5") is refused instead of read as 15."""
    plain = text.strip()
    if "," in plain and not re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?", plain):
        raise ReportError(f"{what}: {plain!r} is not a number (write a decimal point: 1.5)")
    try:
        return float(plain.replace(",", ""))
    except ValueError:
        raise ReportError(f"{what}: {plain!r} is not a number") from None
