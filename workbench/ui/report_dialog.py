"""The Export Report dialog: choose a row (or the whole model), a level and a few
options, read the report as it will be sent, and export it as HTML or PDF.

The report's numbers are computed on a worker thread (results.background.LatestOnly),
so the window never waits on an explanation; an answer for choices the analyst
has since changed is dropped. Exports are recorded in the project (the audit
trail) and listed at the bottom of the dialog.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from backends.runtime import EngineError
from workbench.project import Project, ProjectEvent, ReportRecord
from workbench.report import ReportError, ReportOptions, build_content, write_report
from workbench.report.pdf import qt_document
from workbench.ui.report_settings_dialog import ReportSettingsDialog
from workbench.ui.results.background import LatestOnly

LEVELS = (0.5, 0.8, 0.9, 0.95)
REFRESH_DELAY_MS = 300  # wait for the analyst to stop typing a row number
ERROR_STYLE = "color: #c5221f;"


class ReportDialog(QDialog):
    preview_ready = Signal(object)  # the report content (dict)
    preview_failed = Signal(str)  # why no report can be made with these choices
    report_exported = Signal(object)  # ReportRecord

    def __init__(self, project: Project, parent: QWidget | None = None, row: int = 1) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export explanation report")
        self.resize(1100, 780)
        self._project = project
        self._content: dict[str, Any] | None = None
        self._task = LatestOnly(self)
        self._task.answered.connect(self._on_worker_returned)
        self._task.errored.connect(self._on_worker_errored)
        self._document = None  # keeps the preview's QTextDocument alive

        self.kind = QComboBox()
        self.kind.addItem("One decision (a row of the table)", "decision")
        self.kind.addItem("The model as a whole (model report)", "model")
        self.run = QComboBox()
        for record in reversed(project.runs):
            if record.status == "finished":
                self.run.addItem(
                    f"{record.finished[:16].replace('T', ' ')}  "
                    f"{record.engine.upper()}  {record.id[:8]}",
                    record.id,
                )
        self.row = QSpinBox()
        n_rows = project.dataset.n_rows if project.dataset is not None else 1
        self.row.setRange(1, max(1, n_rows))
        self.row.setValue(min(max(1, row), max(1, n_rows)))
        self.level = QComboBox()
        for level in LEVELS:
            self.level.addItem(f"{level:.0%}", level)
        self.level.setCurrentIndex(LEVELS.index(0.9))
        self.factors = QSpinBox()
        self.factors.setRange(1, 20)
        self.factors.setValue(ReportOptions().max_factors)
        self.annex = QCheckBox("Attach the technical annex")
        self.annex.setChecked(True)

        form = QFormLayout()
        form.addRow("Report", self.kind)
        form.addRow("Run", self.run)
        form.addRow("Row", self.row)
        form.addRow("Probability of the ranges", self.level)
        form.addRow("Factors described", self.factors)
        form.addRow("", self.annex)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.settings_button = QPushButton("Report settings…")
        self.settings_button.setToolTip("Organisation, decision rule, actionable inputs, labels")
        self.settings_button.clicked.connect(
            lambda: ReportSettingsDialog(self._project, self).exec()
        )
        self.export_html = QPushButton("Export HTML…")
        self.export_pdf = QPushButton("Export PDF…")
        self.export_html.clicked.connect(lambda: self._on_export_clicked(".html"))
        self.export_pdf.clicked.connect(lambda: self._on_export_clicked(".pdf"))
        self.reports = QListWidget()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addLayout(form)
        left_layout.addWidget(self.status)
        left_layout.addWidget(self.settings_button)
        row_of_buttons = QHBoxLayout()
        row_of_buttons.addWidget(self.export_html)
        row_of_buttons.addWidget(self.export_pdf)
        left_layout.addLayout(row_of_buttons)
        left_layout.addWidget(QLabel("Reports exported from this project"))
        left_layout.addWidget(self.reports, 1)
        self.preview = QTextBrowser()
        self.preview.setOpenLinks(False)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.preview)
        split.setSizes([340, 760])
        outer = QVBoxLayout(self)
        outer.addWidget(split, 1)
        outer.addWidget(buttons)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_DELAY_MS)
        self._timer.timeout.connect(self.refresh)
        for signal in (
            self.kind.currentIndexChanged,
            self.run.currentIndexChanged,
            self.row.valueChanged,
            self.level.currentIndexChanged,
            self.factors.valueChanged,
            self.annex.toggled,
        ):
            signal.connect(self._on_choice_changed)
        project.subscribe(self._on_project_event)
        self.finished.connect(lambda _: self._project.unsubscribe(self._on_project_event))
        self._list_reports()
        self.refresh()

    # ------------------------------------------------------------- choices
    def options(self) -> ReportOptions:
        return ReportOptions(
            level=float(self.level.currentData()),
            max_factors=self.factors.value(),
            include_annex=self.annex.isChecked(),
        )

    def _on_choice_changed(self, *_: Any) -> None:
        decision = self.kind.currentData() == "decision"
        self.row.setEnabled(decision)
        self.annex.setEnabled(decision)
        self.factors.setEnabled(decision)
        self._timer.start()

    @property
    def content(self) -> dict[str, Any] | None:
        """The report shown in the preview (None while computing or when refused)."""
        return self._content

    @property
    def busy(self) -> bool:
        return self._task.busy

    # ------------------------------------------------------------- preview
    def refresh(self) -> None:
        """Recompute the report for the current choices on a worker thread."""
        self._timer.stop()
        self._task.forget()  # the computation for the previous choices stops
        self._content = None
        self._set_exportable(False)
        if self.run.count() == 0:
            self._show_failure("The project holds no finished run: run the model first.")
            return
        self.status.setStyleSheet("")
        self.status.setText("Computing the explanation…")
        kind = self.kind.currentData()
        self._task.ask(
            build_content,
            self._project,
            kind=kind,
            row=self.row.value() if kind == "decision" else None,
            run_id=self.run.currentData(),
            options=self.options(),
            cancellable=True,
        )

    def _on_worker_returned(self, content: dict[str, Any]) -> None:
        self._content = content
        self._document = qt_document(content)
        self.preview.setDocument(self._document)
        self.status.setStyleSheet("")
        self.status.setText(self._summary_text(content))
        self._set_exportable(True)
        self.preview_ready.emit(content)

    def _on_worker_errored(self, exc: BaseException) -> None:
        if not isinstance(exc, ReportError | EngineError):
            self._show_failure(f"internal error ({type(exc).__name__}: {exc})")
            raise exc  # a defect of ours: let the application's handler report it too
        self._show_failure(str(exc))

    def _show_failure(self, message: str) -> None:
        self.status.setStyleSheet(ERROR_STYLE)
        self.status.setText(f"No report can be made: {message}")
        self.preview.setHtml("")
        self.preview_failed.emit(message)

    @staticmethod
    def _summary_text(content: dict[str, Any]) -> str:
        if content.get("doubts"):
            return (
                "Ready. The report opens with a warning: the run's reliability check did not pass."
            )
        return "Ready to export."

    def _set_exportable(self, enabled: bool) -> None:
        self.export_html.setEnabled(enabled)
        self.export_pdf.setEnabled(enabled)

    # -------------------------------------------------------------- export
    def _on_export_clicked(self, suffix: str) -> None:
        if self._content is None:
            return
        name = (
            "model-report"
            if self._content["kind"] == "model"
            else (f"explanation-row-{self._content['person']['row']}")
        )
        folder = self._project.path.parent if self._project.path else Path.home()
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Export report",
            str(folder / f"{name}{suffix}"),
            "PDF (*.pdf)" if suffix == ".pdf" else "HTML (*.html *.htm)",
        )
        if path:
            self.export_to(path)

    def export_to(self, path: str | Path) -> ReportRecord | None:
        """Write the previewed report to ``path`` (.html or .pdf) and record it."""
        if self._content is None:
            return None
        try:
            record = write_report(self._project, self._content, path)
        except (ReportError, OSError) as exc:
            self.status.setStyleSheet(ERROR_STYLE)
            self.status.setText(f"Could not export: {exc}")
            return None
        self.status.setStyleSheet("")
        self.status.setText(
            f"Exported {record.file_name} (recorded in the project; "
            "save the project to keep the record)."
        )
        self.report_exported.emit(record)
        return record

    # ------------------------------------------------------------- history
    def _on_project_event(self, event: ProjectEvent) -> None:
        if event.type == "report_added":
            self._list_reports()
        elif event.type == "settings_changed":  # new report settings: a new preview
            self._on_choice_changed()

    def _list_reports(self) -> None:
        self.reports.clear()
        for record in reversed(self._project.reports):
            what = f"row {record.row}" if record.kind == "decision" else "model"
            self.reports.addItem(
                f"{record.created[:16].replace('T', ' ')}  {what}  "
                f"{record.level:.0%}  {record.file_name}  "
                f"sha256 {record.sha256[:12]}…"
            )

    def done(self, result: int) -> None:
        """Closing drops pending answers and stops the computation that owes one."""
        self._task.forget()
        self._timer.stop()
        super().done(result)
