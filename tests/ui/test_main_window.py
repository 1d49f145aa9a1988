"""The window shell: opens the example, shows the table, keeps the project safe."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from workbench.project import load_project
from workbench.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot, monkeypatch, tmp_path):  # noqa: ANN001, ANN201
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # keep recent files private
    errors: list[str] = []
    win = MainWindow()
    monkeypatch.setattr(win, "show_error", lambda title, message: errors.append(message))
    # never block on a modal question; the test of the prompt sets its own answer
    monkeypatch.setattr(win, "ask_unsaved", lambda: QMessageBox.StandardButton.Discard)
    win.errors = errors
    qtbot.addWidget(win)
    return win


def test_opens_the_example_and_shows_its_table(window, example_project: Path) -> None:  # noqa: ANN001
    assert window.open_path(example_project)
    model = window.table_view.model()
    assert model.rowCount() == 434 and model.columnCount() == 3
    assert model.headerData(0, Qt.Orientation.Horizontal) == "kid_score\ninteger"
    assert model.data(model.index(0, 0)) == "65"
    assert "kidiq.csv" in window.status_table.text() and "434" in window.status_table.text()
    assert window.windowTitle().startswith("kidiq")
    assert "kid_score" in window.model_editor.formulas.toPlainText()
    assert len(window.model_editor.scene.items()) > 6


def test_a_failed_open_keeps_the_open_project(
    window, example_project: Path, tmp_path: Path
) -> None:  # noqa: ANN001
    window.open_path(example_project)
    before = window.project
    broken = tmp_path / "broken.wbproj"
    broken.write_text("not a zip")
    assert not window.open_path(broken)
    assert window.project is before
    assert window.table_view.model().rowCount() == 434
    assert "not a zip archive" in window.errors[-1]


def test_importing_a_table_without_the_models_columns_asks_first(
    window, example_project: Path, tmp_path: Path, monkeypatch
) -> None:  # noqa: ANN001
    window.open_path(example_project)
    other = tmp_path / "other.csv"
    other.write_text("kid_score,age\n60,3\n70,4\n")
    asked: list[list[str]] = []

    def refuse(name: str, missing: list[str]) -> bool:
        asked.append(missing)
        return False

    monkeypatch.setattr(window, "ask_replace_table", refuse)
    assert not window.import_path(other)
    assert asked == [["mom_hs", "mom_iq"]] and window.project.dataset.n_rows == 434
    monkeypatch.setattr(window, "ask_replace_table", lambda name, missing: True)
    assert window.import_path(other) and window.project.dataset.n_rows == 2


def test_import_then_undo_and_redo(window, kidiq_csv: Path) -> None:  # noqa: ANN001
    assert window.import_path(kidiq_csv)
    assert window.project.dataset.n_rows == 434 and window.isWindowModified()
    window.undo_stack.undo()
    assert window.project.dataset is None and window.table_view.model().rowCount() == 0
    window.undo_stack.redo()
    assert window.table_view.model().rowCount() == 434


def test_changing_a_column_type_that_cannot_convert_explains_why(window, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "scores.csv"
    path.write_text("name,score\nann,3\nbob,oops\n")
    window.import_path(path)
    window.columns_panel.type_requested.emit("score", "numeric")
    assert "row 2" in window.errors[-1]
    assert window.project.dataset.types["score"] == "categorical"


def test_save_as_then_reopen(window, kidiq_csv: Path, tmp_path: Path) -> None:  # noqa: ANN001
    window.import_path(kidiq_csv)
    target = tmp_path / "mine.wbproj"
    assert window.save_to(target)
    assert not window.isWindowModified()
    assert load_project(target).dataset.n_rows == 434


def test_closing_with_unsaved_changes_asks_and_cancel_keeps_the_window(
    window, kidiq_csv, monkeypatch
) -> None:  # noqa: ANN001, E501
    window.import_path(kidiq_csv)
    window.show()
    monkeypatch.setattr(window, "ask_unsaved", lambda: QMessageBox.StandardButton.Cancel)
    assert not window.close()
    monkeypatch.setattr(window, "ask_unsaved", lambda: QMessageBox.StandardButton.Discard)
    assert window.close()


def test_a_million_rows_are_shown_without_materialising_cells(window, tmp_path: Path) -> None:  # noqa: ANN001
    import numpy as np
    import pandas as pd

    path = tmp_path / "big.parquet"
    pd.DataFrame({"x": np.arange(1_000_000, dtype=float), "g": ["a", "b"] * 500_000}).to_parquet(
        path
    )
    window.import_path(path)
    model = window.table_view.model()
    assert model.rowCount() == 1_000_000
    window.table_view.scrollToBottom()
    assert model.data(model.index(999_999, 0)) == "999999"
