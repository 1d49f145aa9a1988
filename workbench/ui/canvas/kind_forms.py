"""Inspector forms for the two kinds whose settings are JSON options: GP and generator.

Both forms edit a copy of the node's ``options`` and emit the whole new dict, so
the inspector makes one undo command per change. The GP form composes a kernel
by pointing: a list of terms (kind, inputs, ARD) joined by a sum or a product —
the shape docs/gp.md describes; fields it does not show (priors, constraints,
initial values) are kept as they were. A kernel nested deeper than one level
(written by hand) is shown as text and kept.
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from backends.gan.spec import (
    DEFAULT_HIDDEN,
    DEFAULT_IMAGE_HIDDEN,
    DEFAULT_IMAGE_LATENT,
    DEFAULT_LATENT,
    DEFAULT_OBJECTIVE,
    OBJECTIVES,
)
from backends.gp.kernel_spec import COMPOSITE_OPS, LEAF_KINDS
from backends.gp.spec import MEANS
from backends.graph.model import ROWS, Plate
from backends.graph.statements import kernel_text
from workbench.ui.canvas.fields import ColumnChecklist

KERNEL_LABELS = {
    "rbf": "RBF (smooth)",
    "matern12": "Matérn 1/2 (rough)",
    "matern32": "Matérn 3/2",
    "matern52": "Matérn 5/2",
    "rq": "Rational quadratic",
    "periodic": "Periodic",
    "linear": "Linear",
    "white": "White noise",
}


def kernel_terms(kernel: Any) -> tuple[str, list[dict[str, Any]]]:
    """(sum|product, terms) of a kernel with at most one level of composition."""
    if isinstance(kernel, dict) and (
        kernel.get("op") in COMPOSITE_OPS or kernel.get("kind") in COMPOSITE_OPS
    ):
        return kernel.get("op") or kernel["kind"], list(kernel.get("terms") or [])
    return "sum", [kernel] if isinstance(kernel, dict) else []


def compose(op: str, terms: list[dict[str, Any]]) -> dict[str, Any]:
    return terms[0] if len(terms) == 1 else {"op": op, "terms": terms}


class GPForm(QWidget):
    changed = Signal(dict)

    def __init__(self, options: dict[str, Any], columns: list[str], types: dict[str, str]) -> None:
        super().__init__()
        self.options = copy.deepcopy(options)
        self.op, self.terms = kernel_terms(self.options.get("kernel", {"kind": "rbf", "ard": True}))
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        outer.addLayout(form)
        self.inputs = ColumnChecklist(columns, list(self.options.get("inputs", [])), types)
        self.inputs.changed.connect(lambda cols: self._set("inputs", cols))
        form.addRow("Inputs", self.inputs)
        self.mean = QComboBox()
        self.mean.addItems(list(MEANS))
        self.mean.setCurrentText(self.options.get("mean", "constant"))
        self.mean.currentTextChanged.connect(lambda m: self._set("mean", m))
        form.addRow("Mean", self.mean)
        self.combine = QComboBox()
        self.combine.addItems(list(COMPOSITE_OPS))
        self.combine.setCurrentText(self.op)
        self.combine.setEnabled(len(self.terms) > 1)
        self.combine.currentTextChanged.connect(self._on_combine)
        form.addRow("Combine", self.combine)
        outer.addWidget(QLabel("Kernel terms"))
        for index, term in enumerate(self.terms):
            outer.addWidget(self._term_row(index, term))
        add = QPushButton("Add kernel term")
        add.clicked.connect(self._on_add)
        outer.addWidget(add)
        self.kernel_text = QLabel("k = " + kernel_text(self.options.get("kernel")))
        self.kernel_text.setWordWrap(True)
        outer.addWidget(self.kernel_text)

    def _term_row(self, index: int, term: dict[str, Any]) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        if term.get("kind") not in LEAF_KINDS:
            layout.addWidget(QLabel(kernel_text(term)))
        else:
            kind = QComboBox()
            for key in LEAF_KINDS:
                kind.addItem(KERNEL_LABELS[key], key)
            kind.setCurrentIndex(LEAF_KINDS.index(term["kind"]))
            kind.currentIndexChanged.connect(
                lambda i, k=index: self._edit_term(k, kind=LEAF_KINDS[i])
            )
            layout.addWidget(kind, 1)
            layout.addWidget(self._inputs_button(index, term))
            ard = QCheckBox("ARD")
            ard.setToolTip("one lengthscale per input (automatic relevance determination)")
            ard.setChecked(bool(term.get("ard", True)))
            ard.toggled.connect(lambda on, k=index: self._edit_term(k, ard=on))
            layout.addWidget(ard)
        remove = QToolButton()
        remove.setText("×")
        remove.setToolTip("remove this term")
        remove.setEnabled(len(self.terms) > 1)
        remove.clicked.connect(lambda _=False, k=index: self._remove(k))
        layout.addWidget(remove)
        return row

    def _inputs_button(self, index: int, term: dict[str, Any]) -> QToolButton:
        gp_inputs = list(self.options.get("inputs", []))
        chosen = term.get("inputs") or gp_inputs
        button = QToolButton()
        text = "all inputs" if set(chosen) == set(gp_inputs) else ", ".join(chosen)
        button.setText(
            QFontMetrics(button.font()).elidedText(text, Qt.TextElideMode.ElideRight, 80)
        )
        button.setToolTip("the inputs this term reads: " + ", ".join(chosen))
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(button)
        for column in gp_inputs:
            action = menu.addAction(column)
            action.setCheckable(True)
            action.setChecked(column in chosen)
        menu.triggered.connect(
            lambda _a, k=index, m=menu: self._edit_term(
                k, inputs=[a.text() for a in m.actions() if a.isChecked()]
            )
        )
        button.setMenu(menu)
        return button

    def _set(self, key: str, value: Any) -> None:
        self.options[key] = value
        self.changed.emit(copy.deepcopy(self.options))

    def _store_kernel(self) -> None:
        self._set("kernel", compose(self.op, self.terms))

    def _edit_term(self, index: int, **changes: Any) -> None:
        term = dict(self.terms[index])
        term.update(changes)
        if "inputs" in changes and not changes["inputs"]:
            term.pop("inputs")  # none ticked: the term reads every input of the GP
        self.terms[index] = term
        self._store_kernel()

    def _remove(self, index: int) -> None:
        del self.terms[index]
        self._store_kernel()

    def _on_add(self) -> None:
        self.terms.append({"kind": "rbf", "ard": True})
        self._store_kernel()

    def _on_combine(self, op: str) -> None:
        self.op = op
        self._store_kernel()


class GeneratorForm(QWidget):
    """Columns to generate, conditions, latent size, layer widths, objective."""

    changed = Signal(list, dict)  # generated columns, options

    def __init__(
        self,
        columns_value: list[str],
        options: dict[str, Any],
        columns: list[str],
        types: dict[str, str],
    ) -> None:
        super().__init__()
        self.options = copy.deepcopy(options)
        self.columns_value = list(columns_value)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.generated = ColumnChecklist(columns, self.columns_value, types)
        self.generated.changed.connect(self._on_columns)
        form.addRow("Generates", self.generated)
        self.conditions = ColumnChecklist(columns, list(self.options.get("conditions", [])), types)
        self.conditions.changed.connect(lambda cols: self._set("conditions", cols))
        form.addRow("Given", self.conditions)
        images = bool(self.options.get("image"))  # an image generator has other defaults
        self.latent = QSpinBox()
        self.latent.setRange(1, 1024)
        default_latent = DEFAULT_IMAGE_LATENT if images else DEFAULT_LATENT
        self.latent.setValue(int(self.options.get("latent_size", default_latent)))
        self.latent.editingFinished.connect(lambda: self._set("latent_size", self.latent.value()))
        form.addRow("Latent size", self.latent)
        default_hidden = DEFAULT_IMAGE_HIDDEN if images else DEFAULT_HIDDEN
        self.hidden = QLineEdit(
            ", ".join(str(h) for h in self.options.get("hidden", default_hidden))
        )
        self.hidden.setToolTip("generator layer widths, e.g. 256, 256")
        self.hidden.editingFinished.connect(self._on_hidden)
        self.hidden_error = QLabel()
        form.addRow("Hidden layers", self.hidden)
        form.addRow("", self.hidden_error)
        self.hidden_error.hide()
        self.objective = QComboBox()
        self.objective.addItems(list(OBJECTIVES))
        self.objective.setCurrentText(self.options.get("objective", DEFAULT_OBJECTIVE))
        self.objective.currentTextChanged.connect(lambda o: self._set("objective", o))
        form.addRow("Objective", self.objective)

    def _emit(self) -> None:
        self.changed.emit(list(self.columns_value), copy.deepcopy(self.options))

    def _set(self, key: str, value: Any) -> None:
        if self.options.get(key) != value:
            self.options[key] = value
            self._emit()

    def _on_columns(self, columns: list[str]) -> None:
        self.columns_value = columns
        self._emit()

    def _on_hidden(self) -> None:
        parts = [p.strip() for p in self.hidden.text().split(",") if p.strip()]
        if not parts or not all(p.isdigit() and int(p) > 0 for p in parts):
            self.hidden_error.setText("widths are positive whole numbers separated by commas")
            self.hidden_error.show()
            return
        self.hidden_error.hide()
        self._set("hidden", [int(p) for p in parts])


class PlateForm(QWidget):
    """Name, what the plate repeats over (rows or a grouping column), its index."""

    changed = Signal(str, dict)  # command text, changes

    def __init__(
        self, plate: Plate, columns: list[str], types: dict[str, str], members: list[str]
    ) -> None:
        super().__init__()
        self.plate = plate
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        outer.addLayout(form)
        self.name = QLineEdit(plate.name)
        self.name.editingFinished.connect(
            lambda: self._emit("Rename plate", name=self.name.text().strip())
        )
        form.addRow("Name", self.name)
        self.over = QComboBox()
        self.over.addItem("every row of the table", ROWS)
        for column in columns:
            self.over.addItem(f"levels of {column}  ({types.get(column, '?')})", column)
        if plate.over != ROWS and plate.over not in columns:
            self.over.addItem(f"levels of {plate.over}  (not in the table)", plate.over)
        self.over.setCurrentIndex(max(0, self.over.findData(plate.over)))
        self.over.currentIndexChanged.connect(
            lambda i: self._emit("Repeat over", over=self.over.itemData(i))
        )
        form.addRow("Repeat over", self.over)
        self.index = QLineEdit(plate.index)
        self.index.editingFinished.connect(
            lambda: self._emit("Set index", index=self.index.text().strip())
        )
        form.addRow("Index name", self.index)
        contents = ", ".join(members) if members else "nothing yet — drag nodes into the box."
        label = QLabel(f"Contains: {contents}")
        label.setWordWrap(True)
        outer.addWidget(label)

    def _emit(self, text: str, **changes: Any) -> None:
        if any(getattr(self.plate, k) != v for k, v in changes.items()):
            self.changed.emit(text, changes)
