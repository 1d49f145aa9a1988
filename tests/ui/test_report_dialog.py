"""The Export Report dialog: preview computed off the GUI thread, export recorded
and listed, refusals shown in words."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.project import Project, load_project, save_project
from workbench.project.dataset import file_sha256
from workbench.runner import execute_plan, prepare_run
from workbench.ui.report_dialog import ReportDialog

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "kidiq.wbproj"
SHORT_RUN = {"max_steps": 300, "ensembles": 2, "walkers": 16, "max_draws": 200}
WAIT_MS = 60_000


@pytest.fixture(scope="module")
def fitted_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = load_project(EXAMPLE)
    project.add_run(execute_plan(prepare_run(project, quick=True, overrides=SHORT_RUN)))
    path = tmp_path_factory.mktemp("dialog") / "fitted.wbproj"
    save_project(project, path)
    return path


def open_dialog(qtbot, project: Project, row: int = 12) -> ReportDialog:  # noqa: ANN001
    dlg = ReportDialog(project, row=row)
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: not dlg.busy, timeout=WAIT_MS)
    return dlg


@pytest.fixture
def project(fitted_file: Path) -> Project:
    loaded = load_project(fitted_file)
    loaded.settings.report = {
        "organisation": "Northfield Council",
        "decision": {"threshold": 80, "direction": "below"},
        "actionable": ["mom_iq"],
    }
    return loaded


def test_preview_then_export_records_and_lists_the_report(qtbot, project, tmp_path) -> None:  # noqa: ANN001
    dlg = open_dialog(qtbot, project)
    assert dlg.content is not None, dlg.status.text()
    assert dlg.content["person"]["row"] == 12
    text = dlg.preview.toPlainText()
    assert "Explanation of a decision about you" in text and "Northfield Council" in text
    assert dlg.export_pdf.isEnabled() and dlg.reports.count() == 0
    with qtbot.waitSignal(dlg.report_exported) as blocker:
        record = dlg.export_to(tmp_path / "row12.pdf")
    assert blocker.args[0] is record and project.reports == [record]
    assert record.sha256 == file_sha256(tmp_path / "row12.pdf")
    assert dlg.reports.count() == 1 and "row12.pdf" in dlg.reports.item(0).text()
    dlg.export_to(tmp_path / "row12.html")
    assert dlg.reports.count() == 2 and "row12.html" in dlg.reports.item(0).text()


def test_changing_the_choices_recomputes_on_a_worker(qtbot, project) -> None:  # noqa: ANN001
    dlg = open_dialog(qtbot, project)
    with qtbot.waitSignal(dlg.preview_ready, timeout=WAIT_MS) as blocker:
        dlg.kind.setCurrentIndex(dlg.kind.findData("model"))
    assert blocker.args[0]["kind"] == "model"
    assert not dlg.row.isEnabled()
    assert "Model report" in dlg.preview.toPlainText()
    with qtbot.waitSignal(dlg.preview_ready, timeout=WAIT_MS):
        dlg.kind.setCurrentIndex(dlg.kind.findData("decision"))
        dlg.row.setValue(30)
        dlg.level.setCurrentIndex(dlg.level.findData(0.5))
    assert dlg.content["person"]["row"] == 30 and dlg.content["level"] == 0.5
    qtbot.waitUntil(lambda: not dlg.busy, timeout=WAIT_MS)


def test_a_refusal_is_shown_in_words(qtbot, project) -> None:  # noqa: ANN001
    project.dataset.frame.loc[4, "mom_iq"] = float("nan")
    project.dataset._table_cache = None
    dlg = open_dialog(qtbot, project, row=5)
    assert dlg.content is None
    assert "No report can be made: row 5 has no value for mom_iq" in dlg.status.text()
    assert not dlg.export_html.isEnabled() and not dlg.export_pdf.isEnabled()


def test_a_project_without_runs(qtbot) -> None:  # noqa: ANN001
    dlg = open_dialog(qtbot, load_project(EXAMPLE))
    assert "no finished run" in dlg.status.text()
    assert not dlg.export_pdf.isEnabled()
