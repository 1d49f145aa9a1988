"""New model from a template: pick a template, pick the columns for its roles.

The dialog asks only for the roles the template uses (target, inputs, group),
offers the table's columns with their types, and builds the graph with
``backends.templates.make_template``; a template that cannot be built says why
in the dialog instead of closing. The editor puts the graph in place as one
undoable command. A template whose nodes overlap is laid out first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMenu,
    QVBoxLayout,
    QWidget,
)

from backends.graph.model import Graph
from backends.runtime import EngineError
from backends.templates import TEMPLATES, make_template
from workbench.project import Project
from workbench.ui.canvas import style
from workbench.ui.canvas.fields import ColumnChecklist
from workbench.ui.canvas.layout import layered_layout

if TYPE_CHECKING:
    from workbench.ui.canvas.editor import ModelEditor

NUMERIC = ("numeric", "integer", "boolean")
GROUPING = ("categorical", "text", "integer", "boolean")
OVERLAP = 60.0


def tidy(graph: Graph) -> Graph:
    """Lay the graph out when two of its nodes sit on top of each other."""
    points = [n.position for n in graph.nodes.values()]
    crowded = any(
        abs(a[0] - b[0]) < OVERLAP * 2 and abs(a[1] - b[1]) < OVERLAP
        for i, a in enumerate(points)
        for b in points[i + 1 :]
    )
    if crowded:
        positions, plates = layered_layout(graph)
        for nid, pos in positions.items():
            graph.nodes[nid].position = pos
        for pid, changes in plates.items():
            graph.plates[pid].position, graph.plates[pid].size = (
                changes["position"],
                changes["size"],
            )
    return graph


class TemplateDialog(QDialog):
    def __init__(
        self, project: Project, parent: QWidget | None = None, initial: str | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("New model from template")
        self.project = project
        self.graph: Graph | None = None
        dataset = project.dataset
        self.columns = dataset.columns if dataset is not None else []
        self.types = dict(dataset.types) if dataset is not None else {}
        layout = QVBoxLayout(self)
        form = QFormLayout()
        layout.addLayout(form)
        self.template = QComboBox()
        for name in TEMPLATES:
            self.template.addItem(name, name)
        form.addRow("Template", self.template)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setStyleSheet(f"color: {style.MUTED}")
        form.addRow("", self.description)
        self.target = QComboBox()
        self.group = QComboBox()
        self.group.addItem("(none)", None)
        for column in self.columns:
            label = f"{column}  ({self.types.get(column, '?')})"
            self.target.addItem(label, column)
            if self.types.get(column) in GROUPING:
                self.group.addItem(label, column)
        self.inputs = ColumnChecklist(self.columns, [], self.types)
        self.target_label, self.inputs_label, self.group_label = (
            QLabel("Target"),
            QLabel("Inputs"),
            QLabel("Group"),
        )
        form.addRow(self.target_label, self.target)
        form.addRow(self.inputs_label, self.inputs)
        form.addRow(self.group_label, self.group)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {style.ERROR}")
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)  # a long error must not squeeze the description
        # the target a template explains is a number: start from the first numeric column
        numeric = [c for c in self.columns if self.types.get(c) in NUMERIC]
        if numeric:
            self.target.setCurrentIndex(self.target.findData(numeric[0]))
        self.template.currentIndexChanged.connect(self._on_template_changed)
        self.target.currentIndexChanged.connect(self._default_inputs)
        if initial in TEMPLATES:
            self.template.setCurrentIndex(list(TEMPLATES).index(initial))
        self._on_template_changed()
        if not self.columns:
            self.error.setText(
                "Import a table first (File ▸ Import Data…): templates bind its columns."
            )
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)

    @property
    def template_name(self) -> str:
        return self.template.currentData()

    def choose(
        self,
        template: str,
        target: str | None = None,
        inputs: list[str] | None = None,
        group: str | None = None,
    ) -> None:
        """Set every choice at once (what a user does by pointing; tests use it)."""
        self.template.setCurrentIndex(list(TEMPLATES).index(template))
        if target is not None:
            self.target.setCurrentIndex(self.target.findData(target))
        if inputs is not None:
            self.inputs.set_checked(inputs)
        self.group.setCurrentIndex(max(0, self.group.findData(group)))

    def _on_template_changed(self) -> None:
        info = TEMPLATES[self.template_name]
        self.description.setText(info.description)
        for role, widgets in (
            ("target", (self.target_label, self.target)),
            ("inputs", (self.inputs_label, self.inputs)),
            ("group", (self.group_label, self.group)),
        ):
            for widget in widgets:
                widget.setVisible(role in info.roles)
        if "group" in info.roles and self.group.currentData() is None:
            # a hierarchical template needs its groups: offer the first category
            named = [c for c in self.columns if self.types.get(c) in ("categorical", "text")]
            if named:
                self.group.setCurrentIndex(self.group.findData(named[0]))
        if self.columns:
            self.error.setText("")  # the last template's failure is not this one's
        self._default_inputs()
        self.adjustSize()  # rows shown or hidden: lay the form out again

    def _default_inputs(self) -> None:
        """Inputs default to the numeric columns other than the target and the group."""
        target = (
            self.target.currentData() if "target" in TEMPLATES[self.template_name].roles else None
        )
        self.inputs.set_checked(
            [
                c
                for c in self.columns
                if self.types.get(c) in NUMERIC and c not in (target, self.group.currentData())
            ]
        )

    def accept(self) -> None:
        info = TEMPLATES[self.template_name]
        dataset = self.project.dataset
        if dataset is None:
            return
        try:
            graph = make_template(
                info.name,
                dataset.column_table(),
                target=self.target.currentData() if "target" in info.roles else None,
                inputs=self.inputs.checked() if "inputs" in info.roles else None,
                group=self.group.currentData() if "group" in info.roles else None,
            )
        except (EngineError, ImportError, AttributeError) as exc:
            self.error.setText(f"Cannot build {info.name}: {exc}")
            return
        self.graph = tidy(graph)
        super().accept()


def templates_menu(editor: ModelEditor, parent: QWidget | None = None) -> QMenu:
    """A "New model from template" menu: one entry per template, each opening the dialog."""
    menu = QMenu("New Model from &Template", parent)
    for name, info in TEMPLATES.items():
        action = menu.addAction(name)
        action.setToolTip(info.description)
        action.setStatusTip(info.description)
        action.triggered.connect(lambda _=False, n=name: editor.open_template_dialog(n))
    menu.setToolTipsVisible(True)
    return menu
