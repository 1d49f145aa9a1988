"""Input fields of the inspector: expressions checked as you type, column pickers.

An expression field completes the word under the cursor from the model's node
names and the allowed functions, parses the text on every keystroke and shows
the parse error (or an unknown name) right under the field. It reports a
finished edit (Enter or leaving the field) once, so one edit is one command.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtGui import QFocusEvent, QFontMetricsF, QKeyEvent
from PySide6.QtWidgets import (
    QCompleter,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from backends.graph.expressions import FUNCTIONS, ExpressionError, parse
from workbench.ui.canvas import style

_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*$")


def expression_error(text: str, known: set[str]) -> str:
    """What is wrong with ``text`` as an expression over the ``known`` names ("" if fine)."""
    try:
        expr = parse(text)
    except ExpressionError as exc:
        return str(exc)
    unknown = sorted((expr.names | expr.indices) - known)
    if unknown:
        return f"unknown name {unknown[0]!r}: no node is called that"
    return ""


class ExpressionEdit(QLineEdit):
    """A line edit whose completer completes the identifier before the cursor."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self._model = QStringListModel()
        self.completer_ = QCompleter(self._model, self)
        self.completer_.setWidget(self)
        self.completer_.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer_.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer_.activated.connect(self._insert)
        self.textEdited.connect(self._on_text_edited)

    def set_words(self, words: Iterable[str]) -> None:
        self._model.setStringList(sorted(set(words)))

    def _prefix(self) -> str:
        match = _WORD.search(self.text()[: self.cursorPosition()])
        return match.group(0) if match else ""

    def _on_text_edited(self, _text: str) -> None:
        prefix = self._prefix()
        if not prefix:
            self.completer_.popup().hide()
            return
        self.completer_.setCompletionPrefix(prefix)
        if self.completer_.completionCount() and self.completer_.currentCompletion() != prefix:
            self.completer_.complete(self.cursorRect())
        else:
            self.completer_.popup().hide()

    def _insert(self, word: str) -> None:
        prefix, pos = self._prefix(), self.cursorPosition()
        text = self.text()
        self.setText(text[: pos - len(prefix)] + word + text[pos:])
        self.setCursorPosition(pos - len(prefix) + len(word))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        popup = self.completer_.popup()
        keys = (Qt.Key.Key_Enter, Qt.Key.Key_Return, Qt.Key.Key_Tab, Qt.Key.Key_Escape)
        if popup.isVisible() and event.key() in keys:
            event.ignore()  # the completer's popup takes these
            return
        super().keyPressEvent(event)


class ExpressionField(QWidget):
    """An expression edit with its error line; ``committed`` carries the new text."""

    committed = Signal(str)

    def __init__(self, text: str, known: set[str], optional: bool = False) -> None:
        super().__init__()
        self.known = known
        self.optional = optional  # empty is fine (a GP's likelihood: its noise is learned)
        self._committed = text
        self.edit = ExpressionEdit(text)
        self.edit.set_words(known | set(FUNCTIONS))
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {style.ERROR}; font-size: 9pt")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addWidget(self.edit)
        layout.addWidget(self.error)
        self.edit.textChanged.connect(self._check)
        self.edit.editingFinished.connect(self._commit)
        self._check(text)

    def text(self) -> str:
        return self.edit.text()

    def _check(self, text: str) -> None:
        message = "" if self.optional and not text.strip() else expression_error(text, self.known)
        self.error.setText(message)
        self.error.setVisible(bool(message))
        self.edit.setStyleSheet(f"border: 1px solid {style.ERROR};" if message else "")

    def _commit(self) -> None:
        text = self.edit.text().strip()
        if text != self._committed:
            self._committed = text
            self.committed.emit(text)


class ColumnChecklist(QListWidget):
    """The table's columns with check boxes; ``changed`` carries the checked ones."""

    changed = Signal(list)

    def __init__(self, columns: list[str], checked: list[str], types: dict[str, str]) -> None:
        super().__init__()
        for column in columns + [c for c in checked if c not in columns]:
            item = QListWidgetItem(f"{column}  ({types.get(column, 'not in the table')})")
            item.setData(Qt.ItemDataRole.UserRole, column)
            item.setCheckState(
                Qt.CheckState.Checked if column in checked else Qt.CheckState.Unchecked
            )
            self.addItem(item)
        rows = max(2, min(6, self.count()))
        self.setFixedHeight(rows * 20 + 6)
        self.itemChanged.connect(lambda _item: self.changed.emit(self.checked()))

    def checked(self) -> list[str]:
        return [
            self.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.count())
            if self.item(i).checkState() == Qt.CheckState.Checked
        ]

    def set_checked(self, columns: list[str]) -> None:
        for i in range(self.count()):
            item = self.item(i)
            state = item.data(Qt.ItemDataRole.UserRole) in columns
            item.setCheckState(Qt.CheckState.Checked if state else Qt.CheckState.Unchecked)


class DescriptionEdit(QPlainTextEdit):
    """A few lines of free text; ``committed`` when the field loses the focus, changed."""

    committed = Signal(str)

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._committed = text
        self.setPlaceholderText("what this node means (shown in the report)")
        self.setFixedHeight(int(QFontMetricsF(self.font()).lineSpacing() * 3.6) + 8)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        text = self.toPlainText().strip()
        if text != self._committed:
            self._committed = text
            self.committed.emit(text)
        super().focusOutEvent(event)


class ValueField(QWidget):
    """A constant's value as JSON: a number or a list of numbers."""

    committed = Signal(object)

    def __init__(self, value: object) -> None:
        super().__init__()
        self._value = value
        self.edit = QLineEdit(json.dumps(value))
        self.error = QLabel("write a number (2.5) or a list of numbers ([1, 2, 3])")
        self.error.setStyleSheet(f"color: {style.ERROR}; font-size: 9pt")
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addWidget(self.error)
        self.edit.editingFinished.connect(self._commit)

    def _commit(self) -> None:
        try:
            value = json.loads(self.edit.text())
        except json.JSONDecodeError:
            self.error.show()
            return
        self.error.hide()
        if value != self._value:
            self._value = value
            self.committed.emit(value)
