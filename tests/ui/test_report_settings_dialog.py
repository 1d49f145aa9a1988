"""Report settings by pointing and clicking: the form shows what is saved, saves what
the report can read, and names the field that it cannot."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from workbench.project import Project, read_table
from workbench.ui.report_settings_dialog import (
    ACTIONABLE,
    LOWER,
    UPPER,
    WORDS,
    ReportSettingsDialog,
)

KIDIQ = Path(__file__).resolve().parents[2] / "resources" / "data" / "kidiq.csv"
SAVED = {
    "organisation": "ACME school board",
    "decision": {"threshold": 80.0, "direction": "below", "label": "flagged"},
    "actionable": ["mom_hs", {"feature": "mom_iq", "lower": 70.0, "upper": 140.0}],
    "labels": {"mom_iq": "your IQ score"},
}


@pytest.fixture
def dialog(qtbot):  # noqa: ANN001, ANN201
    project = Project(read_table(KIDIQ))
    project.settings.report = dict(SAVED)
    dialog = ReportSettingsDialog(project)
    qtbot.addWidget(dialog)
    return dialog


def row_of(dialog: ReportSettingsDialog, column: str) -> int:
    return dialog._columns.index(column)


def test_the_form_shows_the_saved_settings_and_gives_them_back(dialog) -> None:  # noqa: ANN001
    assert dialog.lines["organisation"].text() == "ACME school board"
    assert dialog.decision.isChecked() and dialog.threshold.text() == "80.0"
    assert dialog.positive.text() == "flagged" and dialog.negative.text() == "not flagged"
    iq = row_of(dialog, "mom_iq")
    assert dialog.inputs.item(iq, WORDS).text() == "your IQ score"
    assert dialog.inputs.item(iq, LOWER).text() == "70.0"
    settings = dialog.settings()
    assert settings["decision"] == {
        "threshold": 80.0,
        "direction": "below",
        "positive": "flagged",
        "negative": "not flagged",
    }
    assert settings["actionable"] == SAVED["actionable"]
    assert settings["labels"] == SAVED["labels"] and "protected" not in settings


def test_ok_saves_only_what_the_report_can_read(dialog) -> None:  # noqa: ANN001
    project = dialog._project
    iq = row_of(dialog, "mom_iq")
    dialog.inputs.item(iq, UPPER).setText("60")  # below its lowest (70)
    dialog.accept()
    assert "lower is above upper" in dialog.status.text()
    assert project.settings.report == SAVED  # nothing saved

    dialog.inputs.item(iq, UPPER).setText("lots")
    dialog.accept()
    assert dialog.status.text() == "upper of 'mom_iq': 'lots' is not a number"

    dialog.inputs.item(iq, UPPER).setText("150")
    dialog.inputs.item(row_of(dialog, "mom_hs"), ACTIONABLE).setCheckState(Qt.CheckState.Unchecked)
    dialog.protected.setCurrentIndex(dialog.protected.findData("mom_hs"))
    dialog.decision.setChecked(False)
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    saved = project.settings.report
    assert saved["actionable"] == [{"feature": "mom_iq", "lower": 70.0, "upper": 150.0}]
    assert saved["protected"] == "mom_hs" and "decision" not in saved


def test_a_decimal_comma_is_refused_and_unshown_labels_are_kept(dialog) -> None:  # noqa: ANN001
    project = dialog._project
    project.settings.report = {**SAVED, "labels": {"mom_iq": "IQ", "old_column": "gone"}}
    dialog = ReportSettingsDialog(project)
    dialog.threshold.setText("1,5")
    dialog.accept()
    assert "'1,5' is not a number (write a decimal point" in dialog.status.text()
    dialog.threshold.setText("1,500")
    assert dialog.settings()["decision"]["threshold"] == 1500.0
    assert dialog.settings()["labels"]["old_column"] == "gone"
