"""The model at a glance: its nodes as statements, and what is wrong with it.

This is the open box: the analyst reads the model they drew as formulas, and
each problem names the node and field to fix.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QSplitter, QVBoxLayout, QWidget

from backends.graph.formulas import model_statements
from backends.graph.model import Graph, Problem

_PROBLEM = QBrush(QColor("#b3261e"))


class ModelOverview(QWidget):
    def __init__(self) -> None:
        super().__init__()
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.statements = QListWidget()
        self.statements.setFont(mono)
        self.statements.setAlternatingRowColors(True)
        self.problems = QListWidget()
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(_titled("The model as formulas", self.statements))
        split.addWidget(_titled("Problems", self.problems))
        split.setSizes([500, 160])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(split)

    def show_model(self, graph: Graph, problems: list[Problem]) -> None:
        self.statements.clear()
        for line in model_statements(graph) or ["(no model yet: start from a template)"]:
            self.statements.addItem(line)
        self.problems.clear()
        for problem in problems:
            item = QListWidgetItem(problem.describe(graph))
            item.setForeground(_PROBLEM)
            self.problems.addItem(item)
        if not problems and graph.nodes:
            self.problems.addItem("No problems: the model is ready to run.")


def _titled(title: str, widget: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    label = QLabel(f"<b>{title}</b>")
    layout.addWidget(label)
    layout.addWidget(widget)
    return box
