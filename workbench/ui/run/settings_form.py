"""A form built from an engine's settings description (backends.runtime.Setting).

The form scrolls: an engine with many settings (MCMC has one set per sampler)
must not make the window taller than a laptop's screen, since the window cannot
shrink below what its widgets ask for.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from backends.runtime import Setting


class SettingsForm(QWidget):
    def __init__(self) -> None:
        super().__init__()
        rows = QWidget()
        self._layout = QFormLayout(rows)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._scroll = QScrollArea()
        self._scroll.setWidget(rows)
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self._scroll)
        self._editors: dict[str, QWidget] = {}
        self._specs: list[Setting] = []
        self._defaults: dict[str, Any] = {}

    def set_specs(
        self, specs: list[Setting], values: dict[str, Any], tailored: dict[str, Any] | None = None
    ) -> None:
        """``tailored``: the engine's defaults for this graph where they differ from the
        specs' (engines.tailored_settings); ``values``: the user's own."""
        while self._layout.rowCount():
            self._layout.removeRow(0)
        self._editors.clear()
        self._specs = list(specs)
        self._defaults = {spec.name: spec.default for spec in specs} | (tailored or {})
        for spec in specs:
            editor = _editor_for(spec, values.get(spec.name, self._defaults[spec.name]))
            editor.setToolTip(spec.help)
            self._editors[spec.name] = editor
            self._layout.addRow(spec.label, editor)
        # never narrower than the rows (no horizontal scrolling), with room for the bar
        bar = self._scroll.verticalScrollBar().sizeHint().width()
        self._scroll.setMinimumWidth(self._scroll.widget().minimumSizeHint().width() + bar)

    def values(self) -> dict[str, Any]:
        """Only the values that differ from the defaults for this graph (what the project
        stores: the run starts from those defaults again)."""
        out = {}
        for spec in self._specs:
            value = _read(self._editors[spec.name], spec)
            if value != self._defaults[spec.name]:
                out[spec.name] = value
        return out


def _editor_for(spec: Setting, value: Any) -> QWidget:
    if spec.kind == "bool":
        box = QCheckBox()
        box.setChecked(bool(value))
        return box
    if spec.kind == "choice":
        combo = QComboBox()
        combo.addItems(list(spec.choices))
        combo.setCurrentText(str(value))
        return combo
    if spec.kind == "int":
        spin = QSpinBox()
        spin.setRange(
            int(spec.minimum if spec.minimum is not None else -1_000_000_000),
            int(spec.maximum if spec.maximum is not None else 1_000_000_000),
        )
        spin.setValue(int(value))
        if spec.zero:
            spin.setSpecialValueText(spec.zero)  # 0 lets the engine choose
        return spin
    spin = QDoubleSpinBox()
    # decimals for the value shown too: a saved 4e-4 under a default of 0 must not show
    # (and be read back) as 0.000
    spin.setDecimals(max(_decimals(float(spec.default)), _decimals(float(value))))
    spin.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
    spin.setRange(
        spec.minimum if spec.minimum is not None else -1e12,
        spec.maximum if spec.maximum is not None else 1e12,
    )
    spin.setValue(float(value))
    if spec.zero:
        spin.setSpecialValueText(spec.zero)  # "never", "the learning rate": not 0.000
    return spin


def _decimals(default: float) -> int:
    """Enough decimals to show the default and two more significant digits."""
    if default == 0:
        return 3
    return int(min(6, max(1, -math.floor(math.log10(abs(default))) + 2)))


def _read(editor: QWidget, spec: Setting) -> Any:
    if isinstance(editor, QCheckBox):
        return editor.isChecked()
    if isinstance(editor, QComboBox):
        return editor.currentText()
    return editor.value()
