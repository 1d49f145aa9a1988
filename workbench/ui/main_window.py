"""The main window: menus, the four work areas, the status bar.

The window owns one Project and swaps it only when a new one loaded without
error, so a failed open leaves the open project as it was. Views follow the
project through its events; the window itself never does numeric work.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTableView,
    QTabWidget,
)

from backends.graph.dependencies import bound_columns
from backends.graph.validate import errors_of
from workbench.project import (
    DataError,
    Project,
    ProjectEvent,
    ProjectFileError,
    load_project,
    read_table,
    save_project,
)
from workbench.text import count
from workbench.ui.canvas import ModelEditor, templates_menu
from workbench.ui.commands import SetDatasetCommand
from workbench.ui.data.columns_panel import ColumnsPanel
from workbench.ui.data.import_dialog import ImportDialog
from workbench.ui.data.table_model import DataFrameModel
from workbench.ui.report_dialog import ReportDialog
from workbench.ui.report_settings_dialog import ReportSettingsDialog
from workbench.ui.results import background
from workbench.ui.results.runs_panel import RunsPanel
from workbench.ui.run.run_panel import RunPanel

PROJECT_FILTER = "Workbench projects (*.wbproj)"
DATA_FILTER = "Tables (*.csv *.tsv *.txt *.parquet *.pq *.xlsx)"
MAX_RECENT = 8


class MainWindow(QMainWindow):
    def __init__(self, project: Project | None = None) -> None:
        super().__init__()
        self.project = project or Project()
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_undo_stack_clean_changed)
        self.settings = QSettings("Workbench", "Workbench")
        self._build_views()
        self._build_menus()
        self._attach(self.project)
        self.resize(1280, 800)

    # ------------------------------------------------------------------ build
    def _build_views(self) -> None:
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.model_editor = ModelEditor(self.project, self.undo_stack)
        self.model_editor.problems_changed.connect(self._on_editor_problems_changed)
        self.table_model = DataFrameModel()
        self.table_view = QTableView()
        self.table_view.setModel(self.table_model)
        self.table_view.setAlternatingRowColors(True)
        self.table_view.verticalHeader().setDefaultSectionSize(22)
        self.columns_panel = ColumnsPanel()
        self.columns_panel.type_requested.connect(self._on_columns_type_requested)
        data_split = QSplitter(Qt.Orientation.Horizontal)
        data_split.addWidget(self.table_view)
        data_split.addWidget(self.columns_panel)
        data_split.setSizes([800, 460])
        self.runs_panel = RunsPanel(self.undo_stack)
        self.run_panel = RunPanel()
        self.tabs.addTab(self.model_editor, "Model")
        self.tabs.addTab(data_split, "Data")
        self.tabs.addTab(self.run_panel, "Run")
        self.tabs.addTab(self.runs_panel, "Results")
        self.setCentralWidget(self.tabs)
        self.status_table = QLabel()
        self.status_model = QLabel()
        self.statusBar().addWidget(self.status_table)
        self.statusBar().addPermanentWidget(self.status_model)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._action(file_menu, "&New", self.new_project, QKeySequence.StandardKey.New)
        self._action(file_menu, "&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self._action(file_menu, "&Import Data…", self.import_dialog, "Ctrl+I")
        file_menu.addSeparator()
        self._action(file_menu, "&Save", self.save, QKeySequence.StandardKey.Save)
        self._action(file_menu, "Save &As…", self.save_as_dialog, QKeySequence.StandardKey.SaveAs)
        file_menu.addSeparator()
        self._action(file_menu, "Report Se&ttings…", self.report_settings_dialog)
        self._action(file_menu, "&Export Report…", self.export_report_dialog, "Ctrl+E")
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        edit_menu = self.menuBar().addMenu("&Edit")
        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        edit_menu.addActions([undo, redo])
        model_menu = self.menuBar().addMenu("&Model")
        model_menu.addMenu(templates_menu(self.model_editor, self))
        self._refresh_recent_menu()

    def _action(self, menu, text, slot, shortcut=None) -> QAction:  # noqa: ANN001
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    # ---------------------------------------------------------- the document
    def _attach(self, project: Project) -> None:
        """Show ``project`` and follow its events (the previous one is let go)."""
        if project is not self.project:
            self.project.unsubscribe(self._on_project_event)
        self.project = project
        project.subscribe(self._on_project_event)
        self.undo_stack.clear()  # its commands hold the old project's graph
        self.table_model.set_dataset(project.dataset)
        self.columns_panel.set_dataset(project.dataset)
        self.runs_panel.set_project(project)
        self.run_panel.set_project(project)
        self.model_editor.set_project(project)  # validates, and so refreshes the status bar
        self._refresh_title()

    def _on_project_event(self, event: ProjectEvent) -> None:
        if event.type == "dataset_changed":
            self.table_model.set_dataset(self.project.dataset)
            self.columns_panel.set_dataset(self.project.dataset)
        elif event.type in ("run_added", "run_removed"):
            self.runs_panel.set_project(self.project)
        elif event.type in ("modified_changed", "saved"):
            self._refresh_title()

    def _on_undo_stack_clean_changed(self, clean: bool) -> None:
        """Edits mark the project modified; only saving clears the mark, because runs,
        reports and settings change the project outside the undo stack."""
        if not clean:
            self.project.modified = True

    def _on_editor_problems_changed(self, problems: list) -> None:
        """The editor validates (debounced) after every change; status and Run follow it."""
        self.run_panel.refresh(problems)
        ds = self.project.dataset
        self.status_table.setText(
            f"{ds.source.name} · {count(ds.n_rows, 'row')} × {count(len(ds.columns), 'column')}"
            if ds
            else "No data: File ▸ Import Data…"
        )
        nodes = len(self.project.graph.nodes)
        errors = errors_of(problems)
        verdict = "valid" if not errors else f"{len(errors)} problem(s) to fix"
        self.status_model.setText(
            f"Model: {count(nodes, 'node')}, {verdict}" if nodes else "Model: empty"
        )

    def _refresh_title(self) -> None:
        self.setWindowTitle(f"{self.project.title}[*] — Workbench")
        self.setWindowModified(self.project.modified)

    # ---------------------------------------------------------------- actions
    def new_project(self) -> None:
        if self.run_panel.controller.running:
            self.show_error("A run is going on", "Stop the run before starting a new project.")
            return
        if self.maybe_save():
            self._attach(Project())

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open project", self._last_dir(), PROJECT_FILTER
        )
        if path:
            self.open_path(Path(path))

    def open_path(self, path: Path) -> bool:
        """Open a project; on failure explain why and keep the current one."""
        if self.run_panel.controller.running:
            self.show_error("A run is going on", "Stop the run before opening another project.")
            return False
        if not self.maybe_save():
            return False
        try:
            project = load_project(path)
        except ProjectFileError as exc:
            self.show_error("Cannot open the project", str(exc))
            return False
        self._attach(project)
        self._remember(path)
        return True

    def import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import data", self._last_dir(), DATA_FILTER)
        if path:
            self.import_path(Path(path), review=True)

    def import_path(self, path: Path, review: bool = False) -> bool:
        """Replace the table (one undo step); with ``review``, through the import dialog
        where the analyst checks types and chooses what to do with missing values."""
        if review:
            dialog = ImportDialog(path, self)
            if dialog.exec() != QDialog.DialogCode.Accepted or dialog.dataset() is None:
                return False
            dataset = dialog.dataset()
        else:
            try:
                dataset = read_table(path)
            except DataError as exc:
                self.show_error("Cannot import the table", str(exc))
                return False
        missing = sorted(bound_columns(self.project.graph) - set(dataset.columns))
        if missing and not self.ask_replace_table(path.name, missing):
            return False
        self.undo_stack.push(SetDatasetCommand(self.project, dataset, f"Import {path.name}"))
        self.tabs.setCurrentIndex(1)
        return True

    def ask_replace_table(self, name: str, missing: list[str]) -> bool:
        """The model reads columns the new table lacks: say which, before replacing."""
        answer = QMessageBox.question(
            self,
            "Replace the table?",
            f"The model uses columns that {name} does not have: {', '.join(missing)}. "
            "Import it anyway? The model will need new bindings (Edit ▸ Undo brings the "
            "current table back).",
        )
        return answer == QMessageBox.StandardButton.Yes

    def _on_columns_type_requested(self, column: str, new_type: str) -> None:
        dataset = self.project.dataset
        if dataset is None or dataset.types.get(column) == new_type:
            return
        try:
            converted = dataset.with_column_type(column, new_type)
        except DataError as exc:
            self.show_error("Cannot change the column type", str(exc))
            self.columns_panel.set_dataset(dataset)  # put the combo box back
            return
        self.undo_stack.push(
            SetDatasetCommand(self.project, converted, f"Make {column} {new_type}")
        )

    def report_settings_dialog(self) -> None:
        """What the report tells the person: organisation, decision rule, actionable inputs."""
        if self.project.dataset is None:  # the settings name the table's columns
            self.show_error("No table yet", "Import a table first (File ▸ Import Data…).")
            return
        ReportSettingsDialog(self.project, self).exec()

    def export_report_dialog(self) -> None:
        """The report of the row selected in the data view (or of row 1)."""
        if self.project.latest_run() is None:
            self.show_error(
                "No results to report",
                "Run the model first: a report explains the results of the latest finished run.",
            )
            return
        index = self.table_view.currentIndex()
        ReportDialog(self.project, self, row=index.row() + 1 if index.isValid() else 1).exec()

    def save(self) -> bool:
        if self.project.path is None:
            return self.save_as_dialog()
        return self.save_to(self.project.path)

    def save_as_dialog(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save project", self._last_dir(), PROJECT_FILTER
        )
        if not path:
            return False
        path = Path(path)
        return self.save_to(path if path.suffix == ".wbproj" else path.with_suffix(".wbproj"))

    def save_to(self, path: Path) -> bool:
        try:
            save_project(self.project, path)
        except ProjectFileError as exc:
            self.show_error("Cannot save the project", str(exc))
            return False
        self.undo_stack.setClean()
        self._remember(path)
        self.statusBar().showMessage(f"Saved {path.name}", 3000)
        return True

    def maybe_save(self) -> bool:
        """Ask about unsaved changes; False when the user cancels."""
        if not self.project.modified:
            return True
        answer = self.ask_unsaved()
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def ask_unsaved(self) -> QMessageBox.StandardButton:
        buttons = (
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        return QMessageBox.question(
            self, "Unsaved changes", f"Save the changes to {self.project.title}?", buttons
        )

    def show_error(self, title: str, message: str) -> None:
        self.statusBar().showMessage(message, 10000)
        QMessageBox.warning(self, title, message)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        controller = self.run_panel.controller
        if controller.running and not self.ask_stop_run():
            event.ignore()
            return
        if not self.maybe_save():
            event.ignore()
            return
        if not controller.stop_and_wait():
            # the engine has not reached its next check yet; closing now would destroy
            # its running thread, so the window stays until it has stopped
            self.show_error("Still stopping", "The run is still stopping; try again in a moment.")
            event.ignore()
            return
        background.cancel_all()  # the results tabs' computations: nobody will read them
        event.accept()

    def ask_stop_run(self) -> bool:
        answer = QMessageBox.question(
            self, "A run is going on", "Stop the run and close? Its results will be lost."
        )
        return answer == QMessageBox.StandardButton.Yes

    # ----------------------------------------------------------- recent files
    def _remember(self, path: Path) -> None:
        recent = [str(path.resolve())] + [p for p in self._recent() if p != str(path.resolve())]
        self.settings.setValue("recent", recent[:MAX_RECENT])
        self._refresh_recent_menu()

    def _recent(self) -> list[str]:
        value = self.settings.value("recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _refresh_recent_menu(self) -> None:
        self.recent_menu.clear()
        for entry in self._recent():
            action = self.recent_menu.addAction(Path(entry).name)
            action.setToolTip(entry)
            action.triggered.connect(lambda _=False, p=entry: self.open_path(Path(p)))
        self.recent_menu.setEnabled(bool(self._recent()))

    def _last_dir(self) -> str:
        recent = self._recent()
        return str(Path(recent[0]).parent) if recent else str(Path.home())
