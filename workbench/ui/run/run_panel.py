"""The run panel: choose engine, device and settings; Run and Stop; watch it work.

The panel prepares a run on the GUI thread (cheap checks only), hands it to the
RunController's worker thread, and adds the resulting record to the project when
it comes back, finished or not, so the history is complete and the last good
results are never replaced by a failed run.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from backends.engines import (
    ENGINES,
    engine_module,
    preload_all,
    settle_after_preload,
    suggest_engine,
    tailored_settings,
)
from backends.graph.model import Problem
from backends.graph.validate import errors_of
from backends.runtime import EngineError, Progress
from workbench.project import Project, RunRecord
from workbench.project.checks import model_problems
from workbench.runner import prepare_run
from workbench.ui.run.settings_form import SettingsForm
from workbench.ui.run.worker import RunController

MAX_PLOT_POINTS = 5000


class RunPanel(QWidget):
    run_stored = Signal(object)  # RunRecord, after it was added to the project
    _gpu_found = Signal(str)  # emitted from the preload thread, received on the GUI thread

    def __init__(self) -> None:
        super().__init__()
        self.project: Project | None = None
        self._problems: list[Problem] = []
        self.controller = RunController(self)
        self.controller.run_progressed.connect(self._on_controller_progressed)
        self.controller.run_finished.connect(self._on_controller_finished)
        self.controller.run_failed.connect(self._on_controller_failed)
        self._series: dict[str, list[tuple[int, float]]] = {}
        self._started_at = 0.0
        self._build()
        self._gpu_found.connect(self._on_gpu_found)
        threading.Thread(target=self._preload, daemon=True).start()

    # ------------------------------------------------------------------ build
    def _build(self) -> None:
        self.engine_combo = QComboBox()
        for name, info in ENGINES.items():
            self.engine_combo.addItem(info.title, name)
        self.engine_combo.currentIndexChanged.connect(self._on_engine_changed)
        self.device_combo = QComboBox()
        self.device_combo.addItem("Auto", "auto")
        self.device_combo.addItem("CPU", "cpu")
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.holdout_spin = QSpinBox()
        self.holdout_spin.setRange(0, 90)
        self.holdout_spin.setSuffix(" % of rows")
        self.holdout_spin.setSpecialValueText("none: fit every row")
        self.holdout_spin.setToolTip(
            "Rows left out of the fit (drawn with the seed), to check on new cases how "
            "often the predictive intervals hold: the Predictive tab and the report say."
        )
        self.quick_box = QCheckBox("Quick run (small settings for a first look)")
        top = QFormLayout()
        top.addRow("Engine", self.engine_combo)
        top.addRow("Device", self.device_combo)
        top.addRow("Seed", self.seed_spin)
        top.addRow("Hold out", self.holdout_spin)
        top.addRow("", self.quick_box)
        self.settings_form = SettingsForm()
        settings_box = QGroupBox("Settings")
        QVBoxLayout(settings_box).addWidget(self.settings_form)
        self.run_button = QPushButton("Run")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.start_run)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.controller.stop)
        self.reason = QLabel()
        self.reason.setWordWrap(True)
        self.reason.setStyleSheet("color: #b3261e")
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.stop_button)
        left = QVBoxLayout()
        left.addLayout(top)
        left.addWidget(settings_box, 1)
        left.addLayout(buttons)
        left.addWidget(self.reason)

        self.progress_bar = QProgressBar()
        self.eta = QLabel()
        self.eta.setToolTip(
            "An estimate from the steps so far. MCMC runs until its convergence rule holds, "
            "and the steps that rule asks for grow while the chains mix slowly, so the "
            "time left can grow too."
        )
        self.series_combo = QComboBox()
        self.series_combo.currentTextChanged.connect(lambda _: self._redraw_plot())
        self.plot = pg.PlotWidget(background="w")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setLabel("bottom", "step")
        self.plot.getPlotItem().setDownsampling(auto=True, mode="peak")
        self.plot.getPlotItem().setClipToView(True)
        self.curve = self.plot.plot(pen=pg.mkPen("#1f5fa8", width=2))
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(2000)
        status = QHBoxLayout()
        status.addWidget(self.progress_bar, 1)
        status.addWidget(self.eta)
        right = QVBoxLayout()
        right.addLayout(status)
        series = QHBoxLayout()
        series.addWidget(QLabel("Live plot"))
        series.addWidget(self.series_combo, 1)
        right.addLayout(series)
        right.addWidget(self.plot, 3)
        right.addWidget(QLabel("Log"))
        right.addWidget(self.log, 1)
        outer = QHBoxLayout(self)
        left_widget = QWidget()
        left_widget.setLayout(left)
        left_widget.setMaximumWidth(420)
        outer.addWidget(left_widget)
        outer.addLayout(right, 1)

    def _preload(self) -> None:
        """Import the engines (torch, gpytorch: seconds) and look for a GPU off the GUI thread."""
        preload_all()
        settle_after_preload()
        import torch

        if torch.cuda.is_available():
            self._gpu_found.emit(torch.cuda.get_device_name(0))

    def _on_gpu_found(self, name: str) -> None:
        self.device_combo.addItem(f"GPU ({name})", "cuda")

    # --------------------------------------------------------------- project
    def set_project(self, project: Project) -> None:
        self.project = project
        self._problems = model_problems(project)
        # the previous project's live plot, log and progress are not this one's
        self._clear_live_plot()
        self.log.clear()
        self.progress_bar.reset()
        self.progress_bar.setFormat("%p%")
        self.eta.setText("")
        self.seed_spin.setValue(project.settings.seed)
        self.holdout_spin.setValue(round(100 * project.settings.holdout))
        engine = project.settings.engine or suggest_engine(project.graph)
        self.engine_combo.setCurrentIndex(self.engine_combo.findData(engine))
        self._on_engine_changed()
        self.refresh()

    def refresh(self, problems: list[Problem] | None = None) -> None:
        """Enable Run only for a runnable model, and say why not."""
        if self.project is None:
            return
        if problems is not None:
            self._problems = problems
        reason = ""
        if self.project.dataset is None:
            reason = "Import a table first (File ▸ Import Data…)."
        else:
            errors = errors_of(self._problems)
            if not self.project.graph.nodes:
                reason = "Draw a model or start from a template first."
            elif errors:
                reason = f"Fix the model first: {errors[0].describe(self.project.graph)}"
                if len(errors) > 1:
                    reason += f" (and {len(errors) - 1} more)"
        self.reason.setText(reason)
        self.run_button.setEnabled(not reason and not self.controller.running)
        self.run_button.setToolTip(reason)

    def _on_engine_changed(self) -> None:
        engine = self.engine_combo.currentData()
        if engine is None or self.project is None:
            return
        self.settings_form.set_specs(
            engine_module(engine).SETTINGS,
            self.project.settings.engine_settings.get(engine, {}),
            tailored_settings(engine, self.project.graph),
        )

    # ------------------------------------------------------------------ runs
    def start_run(self) -> None:
        if self.project is None or self.controller.running:
            return
        engine = self.engine_combo.currentData()
        engine_settings = dict(self.project.settings.engine_settings)
        engine_settings[engine] = self.settings_form.values()
        self.project.update_settings(
            engine_settings=engine_settings,
            seed=self.seed_spin.value(),
            holdout=self.holdout_spin.value() / 100,
        )
        try:
            plan = prepare_run(
                self.project,
                engine=engine,
                device=self.device_combo.currentData(),
                quick=self.quick_box.isChecked(),
            )
        except EngineError as exc:
            self._log(f"Cannot run: {exc}")
            self.reason.setText(str(exc))
            return
        self._clear_live_plot()
        self.progress_bar.setRange(0, 0)
        self._started_at = time.monotonic()
        held = f", {len(plan.holdout_rows)} rows held out" if plan.holdout_rows else ""
        self._log(f"Running {ENGINES[plan.engine].title} on {plan.device}, seed {plan.seed}{held}.")
        self.controller.start(plan)
        self.run_button.setEnabled(False)
        self.stop_button.setEnabled(True)

    def _clear_live_plot(self) -> None:
        self._series.clear()
        self.series_combo.clear()
        self.curve.setData([], [])
        self.plot.setLabel("left", "")

    def _on_controller_progressed(self, record: Progress) -> None:
        if record.total:
            self.progress_bar.setRange(0, record.total)
            self.progress_bar.setValue(min(record.step, record.total))
            elapsed = time.monotonic() - self._started_at
            if record.step > 0:
                remaining = elapsed * (record.total - record.step) / record.step
                self.eta.setText(f"about {_duration(remaining)} left")
        if record.message:
            self.progress_bar.setFormat(f"{record.message}  %p%")
        for key, value in _flatten(record.values).items():
            points = self._series.setdefault(key, [])
            points.append((record.step, value))
            if len(points) > MAX_PLOT_POINTS:
                del points[: len(points) - MAX_PLOT_POINTS]
            if self.series_combo.findText(key) < 0:
                self.series_combo.addItem(key)
        self._redraw_plot()

    def _redraw_plot(self) -> None:
        points = self._series.get(self.series_combo.currentText())
        if points:
            steps, values = np.array(points).T
            self.curve.setData(steps, values)
            self.plot.setLabel("left", self.series_combo.currentText())

    def _on_controller_finished(self, record: RunRecord) -> None:
        self._end_run()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(1)
        verdict = record.summary.get("converged")
        # a finished run that did not converge must not read like a success
        self.progress_bar.setFormat(
            "done, NOT converged: see the log" if verdict is False else "done"
        )
        self._log(
            f"Finished ({record.message})."
            + ("" if verdict is None else " Converged." if verdict else " NOT converged.")
        )
        for warning in record.summary.get("warnings", []):
            self._log(f"Warning: {warning}")
        self._store(record)

    def _on_controller_failed(self, record: RunRecord, detail: str) -> None:
        self._end_run()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat(record.status)
        self._log(f"{record.status.capitalize()}: {record.message}. Earlier results are kept.")
        if detail:
            self._log(detail)
        self._store(record)

    def _store(self, record: RunRecord) -> None:
        if self.project is not None:
            self.project.add_run(record)
            self.run_stored.emit(record)

    def _end_run(self) -> None:
        self.eta.clear()
        self.stop_button.setEnabled(False)
        self.refresh()

    def _log(self, text: str) -> None:
        self.log.appendPlainText(f"{time.strftime('%H:%M:%S')}  {text}")


def _flatten(values: dict, prefix: str = "") -> dict[str, float]:
    """Numbers of a progress record as plot series:
    {"walker_means": {"mu": 1}} becomes the series walker_means.mu."""
    out: dict[str, float] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        elif isinstance(value, float | np.floating):  # ints are counters and indices, not series
            out[name] = float(value)
    return out


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"
