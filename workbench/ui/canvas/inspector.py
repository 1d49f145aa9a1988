"""The inspector: every setting of the selected node or plate, each edit one command.

The form is rebuilt from the graph whenever the selection or the selected item
changes (after the event, never inside it, because the field that committed
the edit may be the one being replaced); the field that had the focus gets it
back. Text fields commit on Enter or on leaving them, so one edit is one undo
step, while checks run on every keystroke.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from backends.graph.dependencies import reads_other_engine
from backends.graph.distributions import FAMILIES
from backends.graph.expressions import FUNCTIONS, ExpressionError, parse
from backends.graph.model import NODE_KINDS, ROWS, Graph, GraphEvent, Node, Plate, Problem
from workbench.ui.canvas import commands, style
from workbench.ui.canvas.fields import (
    ColumnChecklist,
    DescriptionEdit,
    ExpressionField,
    ValueField,
)
from workbench.ui.canvas.kind_forms import GeneratorForm, GPForm, PlateForm
from workbench.ui.canvas.naming import defaults_for
from workbench.ui.canvas.prior_plot import PriorPlot

_PARAM_DEFAULTS = {
    "real": "0",
    "positive": "1",
    "unit": "0.5",
    "count": "10",
    "probabilities": "[0.5, 0.5]",
}
_UNIFORM_DEFAULTS = {"lower": "0", "upper": "1"}


def _muted(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {style.MUTED}; font-size: 9pt")
    return label


class Inspector(QScrollArea):
    def __init__(self, graph: Graph, undo_stack: QUndoStack) -> None:
        super().__init__()
        self.graph = graph
        self.undo_stack = undo_stack
        self.columns: list[str] = []
        self.types: dict[str, str] = {}
        self.problems: list[Problem] = []
        self.item_id: str | None = None
        self.selection_size = 0
        self.fields: dict[str, QWidget] = {}
        self.prior_plot: PriorPlot | None = None
        self._rebuild_timer = QTimer(self)
        self._rebuild_timer.setSingleShot(True)
        self._rebuild_timer.setInterval(0)
        self._rebuild_timer.timeout.connect(self.rebuild)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(320)
        graph.subscribe(self._on_graph_event)
        self.rebuild()

    # ---------------------------------------------------------------- inputs
    def set_graph(self, graph: Graph) -> None:
        self.graph.unsubscribe(self._on_graph_event)
        self.graph = graph
        graph.subscribe(self._on_graph_event)
        self.show_item(None, 0)

    def detach(self) -> None:
        self.graph.unsubscribe(self._on_graph_event)

    def set_table(self, columns: list[str], types: dict[str, str]) -> None:
        self.columns, self.types = list(columns), dict(types)
        self._schedule()

    def set_problems(self, problems: list[Problem]) -> None:
        mine_before = [p for p in self.problems if p.node == self.item_id]
        self.problems = problems
        if [p for p in problems if p.node == self.item_id] != mine_before:
            self._schedule()

    def show_item(self, item_id: str | None, selection_size: int = 1) -> None:
        self.item_id, self.selection_size = item_id, selection_size
        self._schedule()

    def _on_graph_event(self, event: GraphEvent) -> None:
        # other nodes matter too: their names are what expressions may use
        if event.type in ("reset", "node_added", "node_removed") or event.id == self.item_id:
            if self.item_id not in self.graph.nodes and self.item_id not in self.graph.plates:
                self.item_id = None
            self._schedule()

    def _schedule(self) -> None:
        self._rebuild_timer.start()

    # ----------------------------------------------------------------- build
    def rebuild(self) -> None:
        """Make the form for the current item now (normally run by a zero timer)."""
        self._rebuild_timer.stop()
        focused = QApplication.focusWidget()
        focus = next(
            (
                k
                for k, w in self.fields.items()
                if focused is not None and (w is focused or w.isAncestorOf(focused))
            ),
            None,
        )
        self.fields, self.prior_plot = {}, None
        body = QWidget()
        self._layout = QVBoxLayout(body)
        self._layout.setContentsMargins(10, 8, 10, 8)
        node = self.graph.nodes.get(self.item_id or "")
        plate = self.graph.plates.get(self.item_id or "")
        if node is not None:
            self._node_form(node)
        elif plate is not None:
            self._plate_form(plate)
        else:
            what = (
                f"{self.selection_size} items selected."
                if self.selection_size > 1
                else "Select a node to edit it, or add one from the palette."
            )
            self._layout.addWidget(_muted(what))
        self._layout.addStretch(1)
        self.setWidget(body)
        if focus in self.fields:
            target = self.fields[focus]
            (target.edit if isinstance(target, ExpressionField) else target).setFocus()

    def _title(self, text: str) -> None:
        self._layout.addWidget(QLabel(f"<b>{text}</b>"))

    def _problem_lines(self, item_id: str) -> None:
        for problem in (p for p in self.problems if p.node == item_id):
            colour = style.ERROR if problem.severity == "error" else style.WARNING
            where = f"{problem.field}: " if problem.field else ""
            label = QLabel(f"● {where}{problem.message}")
            label.setWordWrap(True)
            label.setStyleSheet(f"color: {colour}; font-size: 9pt")
            self._layout.addWidget(label)

    def _form(self) -> QFormLayout:
        holder = QWidget()
        form = QFormLayout(holder)
        form.setContentsMargins(0, 4, 0, 4)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self._layout.addWidget(holder)
        return form

    def _node_form(self, node: Node) -> None:
        self._title(f"{node.name}  ·  {style.STYLES[node.kind].label.lower()}")
        self._problem_lines(node.id)
        form = self._form()
        name = QLineEdit(node.name)
        name_error = QLabel()
        name_error.setStyleSheet(f"color: {style.ERROR}; font-size: 9pt")
        name_error.hide()
        name.textChanged.connect(lambda text: self._check_name(node, text, name_error))
        name.editingFinished.connect(lambda: self._rename(node.id, name.text().strip()))
        self.fields["name"] = name
        form.addRow("Name", name)
        form.addRow("", name_error)
        kind = QComboBox()
        for key in NODE_KINDS:
            kind.addItem(style.STYLES[key].label, key)
        kind.setCurrentIndex(NODE_KINDS.index(node.kind))
        kind.currentIndexChanged.connect(lambda i: self._change_kind(node.id, NODE_KINDS[i]))
        self.fields["kind"] = kind
        form.addRow("Kind", kind)
        if node.kind in ("stochastic", "observed"):
            self._distribution_rows(form, node)
        if node.kind == "observed":
            form.addRow("Column", self._column_combo(node))
        if node.kind == "data":
            checklist = ColumnChecklist(self.columns, node.columns, self.types)
            checklist.changed.connect(
                lambda cols: self._update(node.id, "Bind columns", columns=cols)
            )
            self.fields["columns"] = checklist
            form.addRow("Columns", checklist)
        if node.kind == "deterministic":
            self._expression_row(form, node, "expression", "Expression", node.expression or "")
        if node.kind == "constant":
            self._constant_row(form, node)
        if node.kind == "gp":
            gp = GPForm(node.options, self.columns, self.types)
            gp.changed.connect(lambda opts: self._update(node.id, "Edit GP", options=opts))
            self._layout.addWidget(gp)
        if node.kind == "generator":
            gen = GeneratorForm(node.columns, node.options, self.columns, self.types)
            gen.changed.connect(
                lambda cols, opts: self._update(
                    node.id, "Edit generator", columns=cols, options=opts
                )
            )
            self._layout.addWidget(gen)
        description = DescriptionEdit(node.description)
        description.committed.connect(
            lambda text: self._update(node.id, "Describe", description=text)
        )
        self.fields["description"] = description
        self._layout.addWidget(QLabel("Description"))
        self._layout.addWidget(description)

    def _distribution_rows(self, form: QFormLayout, node: Node) -> None:
        family_box = QComboBox()
        family_box.addItems(list(FAMILIES))
        family = FAMILIES.get(node.distribution or "")
        if family is None:
            family_box.insertItem(0, node.distribution or "(choose)")
        family_box.setCurrentText(family.name if family else node.distribution or "(choose)")
        family_box.currentTextChanged.connect(lambda f: self._change_family(node, f))
        self.fields["distribution"] = family_box
        form.addRow("Distribution", family_box)
        if family is None:
            return
        form.addRow(_muted(family.doc))
        chosen = family.match_params(set(node.params)) or family.param_sets[0]
        if len(family.param_sets) > 1:
            sets = QComboBox()
            for names in family.param_sets:
                sets.addItem(", ".join(names))
            sets.setCurrentIndex(family.param_sets.index(chosen))
            sets.currentIndexChanged.connect(
                lambda i: self._set_params(node, family.name, family.param_sets[i])
            )
            form.addRow("Parameters", sets)
        learned = node.kind == "observed" and reads_other_engine(self.graph, node)
        for name in chosen:
            param = family.param(name)
            self._expression_row(
                form,
                node,
                f"params.{name}",
                name,
                node.params.get(name, ""),
                tooltip=param.doc,
                optional=learned,
            )
        if node.kind == "stochastic":
            self.prior_plot = PriorPlot()
            self.prior_plot.show_density(node.distribution, node.params)
            self._layout.addWidget(QLabel("Prior density"))
            self._layout.addWidget(self.prior_plot)

    def _expression_row(
        self,
        form: QFormLayout,
        node: Node,
        key: str,
        label: str,
        text: str,
        tooltip: str = "",
        optional: bool = False,
    ) -> None:
        """``optional``: the parameter may stay empty (a GP's likelihood: the GP learns it)."""
        known = {n.name for n in self.graph.nodes.values() if n.id != node.id}
        known |= {p.index for p in self.graph.plates.values()}
        known |= {p.over for p in self.graph.plates.values() if p.over != ROWS}
        field = ExpressionField(text, known, optional)
        field.setToolTip(tooltip)
        field.edit.setPlaceholderText("learned by the GP: leave empty" if optional else tooltip)
        field.committed.connect(lambda new, k=key: self._set_expression(node.id, k, new))
        if key.startswith("params."):
            field.edit.textChanged.connect(lambda _t: self._preview_density(node))
        self.fields[key] = field
        form.addRow(label, field)

    def _column_combo(self, node: Node) -> QComboBox:
        box = QComboBox()
        box.addItem("(choose a column)", "")
        for column in self.columns:
            box.addItem(f"{column}  ({self.types.get(column, '?')})", column)
        current = node.columns[0] if node.columns else ""
        if current and current not in self.columns:
            box.addItem(f"{current}  (not in the table)", current)
        box.setCurrentIndex(max(0, box.findData(current)))
        box.currentIndexChanged.connect(
            lambda i: self._update(
                node.id, "Bind column", columns=[box.itemData(i)] if box.itemData(i) else []
            )
        )
        self.fields["columns"] = box
        return box

    def _constant_row(self, form: QFormLayout, node: Node) -> None:
        value = ValueField(node.value)
        value.committed.connect(lambda v: self._update(node.id, f"Set {node.name}", value=v))
        self.fields["value"] = value.edit
        form.addRow("Value", value)

    def _plate_form(self, plate: Plate) -> None:
        self._title(f"plate {plate.name}")
        self._problem_lines(plate.id)
        members = sorted(n.name for n in self.graph.nodes.values() if n.plate == plate.id)
        form = PlateForm(plate, self.columns, self.types, members)
        form.changed.connect(lambda text, changes: self._update_plate(plate, text, **changes))
        self.fields.update(name=form.name, over=form.over, index=form.index)
        self._layout.addWidget(form)

    # ----------------------------------------------------------------- edits
    def _update(self, node_id: str, text: str, **changes: Any) -> None:
        node = self.graph.nodes.get(node_id)
        if node is not None and any(getattr(node, k) != v for k, v in changes.items()):
            self.undo_stack.push(
                commands.update_node(self.graph, node_id, f"{text} ({node.name})", **changes)
            )

    def _update_plate(self, plate: Plate, text: str, **changes: Any) -> None:
        if plate.id in self.graph.plates and any(
            getattr(plate, k) != v for k, v in changes.items()
        ):
            self.undo_stack.push(commands.update_plate(self.graph, plate.id, text, **changes))

    def _check_name(self, node: Node, text: str, label: QLabel) -> None:
        message = ""
        if not text.isidentifier():
            message = "a name is letters, digits and _ and does not start with a digit"
        elif text in FUNCTIONS:
            message = f"{text} is a function name"
        elif any(n.name == text and n.id != node.id for n in self.graph.nodes.values()):
            message = f"another node is called {text}"
        label.setText(message)
        label.setVisible(bool(message))

    def _rename(self, node_id: str, name: str) -> None:
        node = self.graph.nodes.get(node_id)
        if node is not None and name and name != node.name:
            self.undo_stack.push(commands.rename_node(self.graph, node_id, name))

    def _change_kind(self, node_id: str, kind: str) -> None:
        node = self.graph.nodes[node_id]
        if kind == node.kind:
            return
        changes: dict[str, Any] = {"kind": kind}
        for key, value in defaults_for(kind).items():
            if not getattr(node, key):
                changes[key] = value
        self._update(node_id, f"Make {kind}", **changes)

    def _change_family(self, node: Node, family_name: str) -> None:
        family = FAMILIES.get(family_name)
        if family is None or family_name == node.distribution:
            return
        self._set_params(node, family_name, family.param_sets[0])

    def _set_params(self, node: Node, family_name: str, names: tuple[str, ...]) -> None:
        family = FAMILIES[family_name]
        params = {}
        for name in names:
            default = _UNIFORM_DEFAULTS.get(name) if family.name == "Uniform" else None
            default = default or _PARAM_DEFAULTS.get(family.param(name).constraint, "1")
            params[name] = node.params.get(name, default)
        self._update(node.id, f"Use {family_name}", distribution=family_name, params=params)

    def _set_expression(self, node_id: str, key: str, text: str) -> None:
        node = self.graph.nodes.get(node_id)
        if node is None:
            return
        if key == "expression":
            changes: dict[str, Any] = {"expression": text}
        else:
            changes = {"params": {**node.params, key.split(".", 1)[1]: text}}
        sources = _named_nodes(self.graph, text)
        self.undo_stack.push(
            commands.update_node_and_connect(
                self.graph, node_id, f"Edit {node.name}.{key}", sources, **changes
            )
        )

    def _preview_density(self, node: Node) -> None:
        """Redraw the prior while typing, before the edit is committed."""
        if self.prior_plot is None:
            return
        params = {
            k.split(".", 1)[1]: f.text()
            for k, f in self.fields.items()
            if k.startswith("params.") and isinstance(f, ExpressionField)
        }
        self.prior_plot.show_density(node.distribution, params)


def _named_nodes(graph: Graph, text: str) -> list[str]:
    """Ids of the nodes an expression names (nothing when it does not parse)."""
    try:
        expr = parse(text)
    except ExpressionError:
        return []
    names = expr.names | expr.indices
    return [n.id for n in graph.nodes.values() if n.name in names]
