"""The model editor: palette, canvas, inspector and the model as formulas.

One widget the main window embeds. It follows the project: the canvas and the
inspector follow the graph's events, and a short debounce after any change
re-validates the model once (never per paint, never per keystroke) and shows
each problem on its node, in the inspector and through ``problems_changed``.
Every edit goes through the window's undo stack.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFont, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from backends.graph.model import Graph, Problem
from backends.graph.statements import model_statements
from backends.graph.validate import errors_of
from workbench.project import Project, ProjectEvent
from workbench.project.checks import model_problems
from workbench.ui.canvas import clipboard, commands, style
from workbench.ui.canvas.inspector import Inspector
from workbench.ui.canvas.items import EdgeItem, NodeItem, PlateItem
from workbench.ui.canvas.layout import layered_layout
from workbench.ui.canvas.palette import Palette
from workbench.ui.canvas.scene import GraphScene
from workbench.ui.canvas.templates import TemplateDialog
from workbench.ui.canvas.view import GraphView

DEBOUNCE_MS = 120


class ModelEditor(QWidget):
    problems_changed = Signal(list)  # list[Problem], after every re-validation

    def __init__(
        self, project: Project, undo_stack: QUndoStack, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.project = project
        self.undo_stack = undo_stack
        self.problems: list[Problem] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.revalidate)
        self.scene = GraphScene(project.graph, undo_stack, self)
        self.view = GraphView(self.scene)
        self.palette = Palette()
        self.inspector = Inspector(project.graph, undo_stack)
        self.formulas = QPlainTextEdit()
        self._build()
        self.palette.kind_clicked.connect(self.scene.arm)
        self.scene.armed_changed.connect(self._on_scene_armed_changed)
        self.scene.selectionChanged.connect(self._on_scene_selection_changed)
        self.scene.edge_refused.connect(self.status.setText)
        project.subscribe(self._on_project_event)
        self._on_dataset_changed()
        self.revalidate()

    # ----------------------------------------------------------------- build
    def _build(self) -> None:
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.formulas.setFont(mono)
        self.formulas.setReadOnly(True)
        self.formulas.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.formulas.setPlaceholderText("The model as formulas appears here as you draw.")
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.template_action = self._action(
            "Template…", self.open_template_dialog, tip="Start a new model from a template"
        )
        self.toolbar.addSeparator()
        self._action("Layout", self.auto_layout, "Ctrl+L", "Arrange parents above children")
        self._action("Fit", self.view.fit, "Ctrl+0", "Show the whole model")
        self._action("Zoom +", lambda: self.view.zoom(1.25), "Ctrl+=")
        self._action("Zoom −", lambda: self.view.zoom(0.8), "Ctrl+-")
        self.toolbar.addSeparator()
        self._action("Delete", self.delete_selection, QKeySequence.StandardKey.Delete)
        self._action("Copy", self.copy_selection, QKeySequence.StandardKey.Copy, in_toolbar=False)
        self._action("Paste", self.paste, QKeySequence.StandardKey.Paste, in_toolbar=False)
        self._action(
            "Select all", self.select_all, QKeySequence.StandardKey.SelectAll, in_toolbar=False
        )
        self._action("Delete", self.delete_selection, "Backspace", in_toolbar=False)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.toolbar.addWidget(spacer)
        self.status = QLabel()
        self.status.setStyleSheet(f"color: {style.MUTED}; padding-right: 6px")
        self.toolbar.addWidget(self.status)
        self.verdict = QLabel()
        self.toolbar.addWidget(self.verdict)

        centre = QSplitter(Qt.Orientation.Vertical)
        centre.addWidget(self.view)
        formulas_box = QWidget()
        box = QVBoxLayout(formulas_box)
        box.setContentsMargins(0, 4, 0, 0)
        box.setSpacing(2)
        box.addWidget(QLabel("<b>The model as formulas</b>"))
        box.addWidget(self.formulas)
        centre.addWidget(formulas_box)
        centre.setStretchFactor(0, 4)
        centre.setStretchFactor(1, 1)
        centre.setSizes([560, 150])
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.palette)
        split.addWidget(centre)
        split.addWidget(self.inspector)
        split.setStretchFactor(1, 1)
        split.setSizes([170, 760, 340])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(split)

    def _action(
        self,
        text: str,
        slot,
        shortcut=None,
        tip: str = "",  # noqa: ANN001
        in_toolbar: bool = True,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(tip or text)
        action.triggered.connect(slot)
        self.view.addAction(action)  # keys act on the canvas, never inside an inspector field
        if in_toolbar:
            self.toolbar.addAction(action)
        return action

    # -------------------------------------------------------------- project
    def set_project(self, project: Project) -> None:
        """Show another project (the window clears the undo stack itself)."""
        self.project.unsubscribe(self._on_project_event)
        self.project = project
        project.subscribe(self._on_project_event)
        self.scene.set_graph(project.graph)
        self.inspector.set_graph(project.graph)
        self._on_dataset_changed()
        self.revalidate()
        self.view.fit()

    def detach(self) -> None:
        """Stop following the project (before the editor is thrown away)."""
        self.project.unsubscribe(self._on_project_event)
        self.scene.detach()
        self.inspector.detach()

    @property
    def graph(self) -> Graph:
        return self.project.graph

    def _on_project_event(self, event: ProjectEvent) -> None:
        if event.type == "dataset_changed":
            self._on_dataset_changed()
        if event.type in ("graph_changed", "dataset_changed"):
            self._timer.start()

    def _on_dataset_changed(self) -> None:
        dataset = self.project.dataset
        columns = dataset.columns if dataset is not None else []
        types = dict(dataset.types) if dataset is not None else {}
        self.inspector.set_table(columns, types)

    def revalidate(self) -> list[Problem]:
        """Validate now and show the result (the debounce timer calls this)."""
        self._timer.stop()
        self.problems = model_problems(self.project)
        self.scene.show_problems(self.problems)
        self.inspector.set_problems(self.problems)
        self.formulas.setPlainText("\n".join(model_statements(self.graph)))
        errors = errors_of(self.problems)
        warnings = len(self.problems) - len(errors)
        if not self.graph.nodes:
            text, colour = "empty model", style.MUTED
        elif errors:
            text, colour = f"{len(errors)} error(s), {warnings} warning(s)", style.ERROR
        else:
            text = "model valid" + (f", {warnings} warning(s)" if warnings else "")
            colour = "#1e8e3e" if not warnings else style.WARNING
        self.verdict.setText(text)
        self.verdict.setStyleSheet(f"color: {colour}; font-weight: bold; padding-right: 8px")
        self.verdict.setToolTip("\n".join(p.describe(self.graph) for p in self.problems))
        self.problems_changed.emit(self.problems)
        return self.problems

    # -------------------------------------------------------------- actions
    def _on_scene_armed_changed(self, kind: str) -> None:
        self.palette.show_armed(kind)
        self.status.setText(f"click on the canvas to place the {kind}" if kind else "")

    def _on_scene_selection_changed(self) -> None:
        items = self.scene.selectedItems()
        chosen = [i for i in items if isinstance(i, NodeItem | PlateItem)]
        if len(chosen) == 1 and len(items) == 1:
            item = chosen[0]
            self.inspector.show_item(item.node_id if isinstance(item, NodeItem) else item.plate_id)
        elif len(items) == 1 and isinstance(items[0], EdgeItem):
            self.inspector.show_item(None, 1)
        else:
            self.inspector.show_item(None, len(items))

    def add_node(self, kind: str, pos: tuple[float, float]) -> str:
        """Add a node (or plate) at a scene position, as the palette would; returns its id."""
        new = self.scene.create_at(kind, QPointF(*pos))
        self.scene.select_ids([new])
        return new

    def delete_selection(self) -> None:
        nodes, edges, plates = self.scene.selected_ids()
        if nodes or edges or plates:
            self.undo_stack.push(commands.remove_items(self.graph, nodes, edges, plates))

    def copy_selection(self) -> None:
        nodes, _edges, plates = self.scene.selected_ids()
        if nodes or plates:
            clipboard.copy_items(self.graph, nodes, plates)

    def paste(self) -> None:
        nodes, edges, plates = clipboard.clipboard_items(self.graph)
        if nodes or plates:
            self.undo_stack.push(commands.paste(self.graph, nodes, edges, plates))
            self.scene.select_ids([n.id for n in nodes] + [p.id for p in plates])

    def select_all(self) -> None:
        for item in self.scene.items():
            if isinstance(item, NodeItem | PlateItem | EdgeItem):
                item.setSelected(True)

    def auto_layout(self) -> None:
        """Arrange the model in layers, parents above children: one undoable Move."""
        positions, plates = layered_layout(self.graph)
        nodes = {
            nid: {"position": pos}
            for nid, pos in positions.items()
            if tuple(self.graph.nodes[nid].position) != pos
        }
        plates = {
            pid: ch
            for pid, ch in plates.items()
            if (tuple(self.graph.plates[pid].position), tuple(self.graph.plates[pid].size))
            != (ch["position"], ch["size"])
        }
        if nodes or plates:
            self.undo_stack.push(commands.move(self.graph, nodes, plates, "Arrange"))
        self.scene.grow()
        self.view.fit()

    def replace_graph(self, graph: Graph, text: str) -> None:
        """Put ``graph`` in place of the model as one undoable step (templates use it)."""
        self.undo_stack.push(commands.replace_graph(self.graph, graph, text))
        self.view.fit()

    def open_template_dialog(self, name: str | None = None) -> None:
        dialog = TemplateDialog(self.project, self, initial=name)
        if dialog.exec() and dialog.graph is not None:
            self.replace_graph(dialog.graph, f"New model from template {dialog.template_name}")
