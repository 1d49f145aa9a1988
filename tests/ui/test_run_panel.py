"""Runs from the window: on a worker thread, stoppable, and safe when an engine fails."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from backends.templates import make_template
from workbench.project import Project, read_table
from workbench.ui.main_window import MainWindow

NORMAL_SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "data" / "normal_sample.csv"


@pytest.fixture
def window(qtbot, monkeypatch, tmp_path):  # noqa: ANN001, ANN201
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    dataset = read_table(NORMAL_SAMPLE)
    project = Project(dataset)
    project.set_graph(make_template("normal", dataset.column_table(), target="y"))
    win = MainWindow(project)
    monkeypatch.setattr(win, "ask_unsaved", lambda: QMessageBox.StandardButton.Discard)
    qtbot.addWidget(win)
    yield win
    win.run_panel.controller.stop_and_wait()


def run_and_wait(qtbot, window, quick: bool = True):  # noqa: ANN001, ANN201
    panel = window.run_panel
    panel.quick_box.setChecked(quick)
    assert panel.run_button.isEnabled(), panel.reason.text()
    with qtbot.waitSignal(panel.run_stored, timeout=120_000) as blocker:
        panel.run_button.click()
    return blocker.args[0]


def test_the_classic_normal_example_runs_and_the_table_shows_the_engine_numbers(
    qtbot, window
) -> None:  # noqa: ANN001, E501
    record = run_and_wait(qtbot, window)
    assert record.status == "finished", record.message
    summary = record.summary["parameters"]
    assert 9.0 < summary["mu"]["mean"] < 11.0 and 1.5 < summary["sigma"]["mean"] < 2.6
    table = window.runs_panel.table
    rows = {table.verticalHeaderItem(r).text(): r for r in range(table.rowCount())}
    assert table.item(rows["mu"], 0).text() == f"{summary['mu']['mean']:.4g}"
    assert table.item(rows["sigma"], 8).text() == f"{summary['sigma']['r_hat']:.4g}"
    assert window.runs_panel.posterior.parameters.count() == 2
    assert window.project.latest_run() is record
    assert window.run_panel.run_button.isEnabled()


def test_a_run_can_hold_out_rows_and_the_predictive_tab_checks_them(qtbot, window) -> None:  # noqa: ANN001, E501
    window.run_panel.holdout_spin.setValue(20)
    record = run_and_wait(qtbot, window)
    assert record.status == "finished", record.message
    assert window.project.settings.holdout == 0.2
    assert len(record.holdout_rows) == 20 and record.summary["rows"] == 80  # fitted on 80
    predictive = window.runs_panel.predictive
    window.runs_panel.views.setCurrentWidget(predictive)  # computed for the visible tab
    qtbot.waitUntil(lambda: predictive.shown is not None, timeout=30_000)
    assert "on the 20 held-out rows the model did not see" in predictive.caption.text()


def test_a_new_project_shows_nothing_of_the_previous_one(qtbot, window) -> None:  # noqa: ANN001
    record = run_and_wait(qtbot, window)
    assert record.status == "finished", record.message
    runs = window.runs_panel
    runs.views.setCurrentWidget(runs.predictive)
    qtbot.waitUntil(lambda: runs.predictive.shown is not None, timeout=30_000)
    runs.predictive.plot.setXRange(1000, 1001)  # a zoom the next project must not inherit
    assert window.run_panel.log.toPlainText()

    window.new_project()
    assert runs.predictive.shown is None and not runs.predictive.plot.listDataItems()
    assert runs.predictive.plot.getPlotItem().getViewBox().autoRangeEnabled()[0]
    assert "run the model first" in runs.predictive.caption.text()
    assert runs.posterior.parameters.count() == 0
    assert window.run_panel.log.toPlainText() == "" and window.run_panel.series_combo.count() == 0


def test_stop_midway_keeps_the_previous_results(qtbot, window) -> None:  # noqa: ANN001
    first = run_and_wait(qtbot, window)
    panel = window.run_panel
    panel.quick_box.setChecked(False)
    with qtbot.waitSignal(panel.run_stored, timeout=60_000) as blocker:
        panel.run_button.click()
        qtbot.waitUntil(lambda: panel.progress_bar.maximum() > 1, timeout=30_000)
        panel.stop_button.click()
    stopped = blocker.args[0]
    assert stopped.status == "cancelled"
    assert window.project.latest_run() is first
    assert [r.status for r in window.project.runs] == ["finished", "cancelled"]
    assert panel.run_button.isEnabled() and not panel.stop_button.isEnabled()
    runs = window.runs_panel  # the stopped run, newest, is selected: it says what it is
    runs.views.setCurrentWidget(runs.predictive)
    assert "The selected run cancelled and holds no results" in runs.predictive.caption.text()
    assert runs.table.columnCount() == 0


def test_an_engine_failure_is_reported_and_the_window_recovers(qtbot, window, monkeypatch) -> None:  # noqa: ANN001, E501
    import backends.mcmc.engine as mcmc_engine

    working_run = mcmc_engine.run

    def explode(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("the engine broke")

    monkeypatch.setattr(mcmc_engine, "run", explode)
    record = run_and_wait(qtbot, window)
    assert record.status == "failed" and "the engine broke" in record.message
    assert "internal error" in window.run_panel.log.toPlainText()
    assert window.project.latest_run() is None
    assert window.run_panel.run_button.isEnabled()
    monkeypatch.setattr(mcmc_engine, "run", working_run)
    assert run_and_wait(qtbot, window).status == "finished"


def test_run_is_disabled_with_the_reason_for_an_invalid_model(qtbot, window) -> None:  # noqa: ANN001
    graph = window.project.graph
    y = graph.node_by_name("y")
    graph.update_node(y.id, params={**y.params, "sigma": "nonexistent"})
    qtbot.waitUntil(lambda: not window.run_panel.run_button.isEnabled(), timeout=5000)
    assert "nonexistent" in window.run_panel.reason.text()


def test_the_summary_table_copies_to_the_clipboard(qtbot, window) -> None:  # noqa: ANN001
    from PySide6.QtGui import QGuiApplication

    record = run_and_wait(qtbot, window)
    window.runs_panel.copy_table()
    lines = QGuiApplication.clipboard().text().splitlines()
    assert lines[0].split("\t")[1:4] == ["mean", "sd", "hdi_3%"]
    mu = next(line.split("\t") for line in lines if line.startswith("mu\t"))
    assert mu[1] == f"{record.summary['parameters']['mu']['mean']:.4g}"


def test_two_runs_compare_side_by_side(qtbot, window) -> None:  # noqa: ANN001
    first = run_and_wait(qtbot, window)
    window.project.update_settings(seed=11)
    window.run_panel.seed_spin.setValue(11)
    second = run_and_wait(qtbot, window)
    window.runs_panel.compare(first, second)
    table = window.runs_panel.table
    rows = {table.verticalHeaderItem(r).text(): r for r in range(table.rowCount())}
    a = first.summary["parameters"]["mu"]["mean"]
    b = second.summary["parameters"]["mu"]["mean"]
    assert table.item(rows["mu (mean)"], 0).text() == f"{a:.4g}"
    assert table.item(rows["mu (mean)"], 2).text() == f"{b - a:.4g}"
