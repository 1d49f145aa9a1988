"""The import dialog: preview, type overrides, messages naming the row, missing-value policy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from workbench.ui.data.columns_panel import ColumnsPanel, distribution
from workbench.ui.data.import_dialog import PREVIEW_ROWS, ImportDialog

CSV = """id,score,group,code
1,2.5,a,10
2,,b,20
3,4.0,a,3b
4,5.5,c,40
5,1.0,b,
"""


@pytest.fixture
def csv_path(tmp_path: Path) -> Path:
    path = tmp_path / "small.csv"
    path.write_text(CSV)
    return path


def _combo(panel: ColumnsPanel, column: str) -> QComboBox:
    rows = [panel.item(r, 0).text() for r in range(panel.rowCount())]
    return panel.cellWidget(rows.index(column), 1)


def test_previews_changes_types_and_drops_rows(qtbot, csv_path: Path) -> None:  # noqa: ANN001
    dialog = ImportDialog(csv_path)
    qtbot.addWidget(dialog)
    assert dialog.ok_button().isEnabled() and dialog.error.isHidden()
    model = dialog.preview.model()
    assert (model.rowCount(), model.columnCount()) == (5, 4)
    assert model.headerData(1, Qt.Orientation.Horizontal) == "score\nnumeric"
    assert model.data(model.index(1, 1)) == "—"  # the missing score
    assert [_combo(dialog.columns, c).currentText() for c in ("id", "group", "code")] == [
        "integer",
        "categorical",
        "categorical",
    ]
    assert dialog.columns.item(1, 2).text().startswith("1 ")  # one missing score
    assert "1 of 5 rows" not in dialog.policy_note.text()  # code misses one too
    assert "2 of 5 rows" in dialog.policy_note.text()

    _combo(dialog.columns, "id").setCurrentText("numeric")
    assert dialog.error.isHidden()
    assert model.headerData(0, Qt.Orientation.Horizontal) == "id\nnumeric"

    # "3b" in row 3 is no number: the message says so and the type stays
    _combo(dialog.columns, "code").setCurrentText("integer")
    assert not dialog.error.isHidden()
    assert "'code', row 3" in dialog.error.text() and "'3b'" in dialog.error.text()
    assert _combo(dialog.columns, "code").currentText() == "categorical"

    dialog.set_policy("drop")
    dialog.ok_button().click()
    dataset = dialog.dataset()
    assert dialog.result() == ImportDialog.DialogCode.Accepted
    assert dataset is not None and dataset.n_rows == 3
    assert dataset.frame["id"].tolist() == [1.0, 3.0, 4.0]
    assert dataset.types == {
        "id": "numeric",
        "score": "numeric",
        "group": "categorical",
        "code": "categorical",
    }
    assert dataset.missing_counts() == {"id": 0, "score": 0, "group": 0, "code": 0}


def test_cancel_returns_nothing(qtbot, csv_path: Path) -> None:  # noqa: ANN001
    dialog = ImportDialog(csv_path)
    qtbot.addWidget(dialog)
    dialog.reject()
    assert dialog.dataset() is None


def test_a_broken_file_shows_the_message_and_blocks_ok(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "broken.csv"
    path.write_text("a,b,a\n1,2,3\n")
    dialog = ImportDialog(path)
    qtbot.addWidget(dialog)
    assert not dialog.ok_button().isEnabled()
    assert not dialog.error.isHidden()
    assert "broken.csv" in dialog.error.text() and "'a' appears twice" in dialog.error.text()
    assert dialog.preview.model().rowCount() == 0
    dialog.accept()
    assert dialog.dataset() is None


def test_a_long_file_previews_only_its_head(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "long.csv"
    path.write_text("x\n" + "\n".join(str(i) for i in range(250)) + "\n")
    dialog = ImportDialog(path)
    qtbot.addWidget(dialog)
    assert dialog.preview.model().rowCount() == PREVIEW_ROWS
    dialog.accept()
    assert dialog.dataset().n_rows == 250


def test_distribution_bars(qtbot) -> None:  # noqa: ANN001 - qtbot: a QApplication for pixmaps
    values = np.array([0.0, 1.0, 1.0, 2.0, np.nan])
    shares, labels = distribution(values, "integer")
    assert shares.tolist() == [0.25, 0.5, 0.25] and labels == ["0", "1", "2"]
    shares, _ = distribution(np.random.default_rng(0).normal(size=500), "numeric")
    assert len(shares) == 20 and shares.sum() == pytest.approx(1.0)
    levels = np.array(["a", "b", "a", None, "c", "a"], dtype=object)
    shares, labels = distribution(levels, "categorical")
    assert labels == ["a", "b", "c"] and shares.tolist() == [0.6, 0.2, 0.2]
    assert distribution(levels, "text")[0].size == 0


def test_columns_panel_draws_a_histogram_per_column(qtbot, kidiq_csv: Path) -> None:  # noqa: ANN001
    dialog = ImportDialog(kidiq_csv)
    qtbot.addWidget(dialog)
    panel = dialog.columns
    assert panel.horizontalHeaderItem(4).text() == "Distribution"
    for row in range(panel.rowCount()):
        pixmap = panel.item(row, 4).data(Qt.ItemDataRole.DecorationRole)
        assert pixmap is not None and not pixmap.isNull()
        assert "%" in panel.item(row, 4).toolTip()
        summary = panel.item(row, 3)  # cut off in a narrow column: whole on hover
        assert summary.toolTip() == summary.text() and "mean" in summary.text()
