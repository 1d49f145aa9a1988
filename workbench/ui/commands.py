"""Undoable edits of the project. Commands change only the document; the views
update themselves from the document's events (the orange-canvas-core rule)."""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from workbench.project import Dataset, Project


class SetDatasetCommand(QUndoCommand):
    """Replace the table: an import, or a column converted to another type."""

    def __init__(self, project: Project, dataset: Dataset, text: str) -> None:
        super().__init__(text)
        self._project = project
        self._new = dataset
        self._old = project.dataset

    def redo(self) -> None:
        self._project.set_dataset(self._new)

    def undo(self) -> None:
        self._project.set_dataset(self._old)
