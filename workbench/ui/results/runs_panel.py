"""The run history and the summary of the selected run.

For an MCMC run the header says which sampler ran and why (``auto`` decides by
the model's size), and the Posterior tab carries the sampler's own diagnostics
and, where NUTS found a funnel, the bar that offers the non-centred rewrite.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QFrame,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.project import Project, RunRecord
from workbench.text import count
from workbench.ui.results.attributions_view import AttributionsView
from workbench.ui.results.funnel_bar import FunnelBar
from workbench.ui.results.posterior_view import PosteriorView
from workbench.ui.results.predictive_view import PredictiveView
from workbench.ui.results.sampler_plots import sampler_info
from workbench.ui.results.samples_view import SamplesView

SUMMARY_COLUMNS = (
    "mean",
    "sd",
    "hdi_3%",
    "hdi_97%",
    "mcse_mean",
    "mcse_sd",
    "ess_bulk",
    "ess_tail",
    "r_hat",
)

VERDICT_LINES = 7  # the most lines of verdict and warnings shown before it scrolls
SAMPLER_TITLES = {
    "nuts": "NUTS",
    "ensemble": "ensemble (emcee)",
    "vi": "variational inference",
}
SAMPLER_SHORT = {"nuts": "NUTS", "ensemble": "ensemble", "vi": "VI"}  # in the history list


class RunsPanel(QWidget):
    """``undo_stack``: the window's, on which the Posterior tab's rewrite of the model
    goes; without one the panel only shows results."""

    def __init__(self, undo_stack: QUndoStack | None = None) -> None:
        super().__init__()
        self._runs: list[RunRecord] = []
        self._project: Project | None = None
        self._selected: RunRecord | None = None
        self.history = QListWidget()
        self.history.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.history.setToolTip("Select two runs (Ctrl+click) to compare them")
        self.history.currentRowChanged.connect(self._on_history_row_changed)
        self.history.itemSelectionChanged.connect(self._on_history_selection_changed)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.verdict.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.table = QTableWidget(0, len(SUMMARY_COLUMNS))
        self.table.setHorizontalHeaderLabels(SUMMARY_COLUMNS)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        copy = QAction("Copy", self.table)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        copy.triggered.connect(self.copy_table)
        self.table.addAction(copy)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.posterior = PosteriorView()
        self.funnel_bar = FunnelBar(undo_stack)
        posterior_tab = QWidget()
        posterior_layout = QVBoxLayout(posterior_tab)
        posterior_layout.setContentsMargins(0, 4, 0, 0)
        posterior_layout.addWidget(self.funnel_bar)
        posterior_layout.addWidget(self.posterior, 1)
        self.predictive = PredictiveView()
        self.attributions = AttributionsView()
        self.views = QTabWidget()
        self.views.addTab(self.table, "Summary")
        self.views.addTab(posterior_tab, "Posterior")
        self.views.addTab(self.predictive, "Predictive")
        self.views.addTab(self.attributions, "Attributions")
        self.samples = SamplesView()
        self.views.addTab(self.samples, "Samples")
        self.views.currentChanged.connect(lambda _: self._refresh_heavy_views())
        # a run with many warnings scrolls its verdict rather than squeezing the plots
        verdict_area = QScrollArea()
        verdict_area.setWidget(self.verdict)
        verdict_area.setWidgetResizable(True)
        verdict_area.setFrameShape(QFrame.Shape.NoFrame)
        verdict_area.setMaximumHeight(VERDICT_LINES * self.verdict.fontMetrics().lineSpacing())
        verdict_area.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        right = QWidget()
        layout = QVBoxLayout(right)
        layout.addWidget(verdict_area)
        layout.addWidget(self.views, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.history)
        split.addWidget(right)
        split.setSizes([280, 1000])
        outer = QVBoxLayout(self)
        outer.addWidget(split)

    def set_project(self, project: Project) -> None:
        self._project = project
        self.attributions.project = project
        self.funnel_bar.set_project(project)
        self._runs = list(reversed(project.runs))  # newest first
        self.history.clear()
        for record in self._runs:
            when = record.finished[:16].replace("T", " ")
            sampler = SAMPLER_SHORT.get(record.summary.get("sampler", ""))
            engine = f"{record.engine.upper()} · {sampler}" if sampler else record.engine.upper()
            text = f"{when}  {engine}  {record.status}"
            item = QListWidgetItem(text)
            item.setToolTip(record.message)
            self.history.addItem(item)
        if self._runs:
            self.history.setCurrentRow(0)
        else:
            self.verdict.setText(
                "No runs yet. Press Run on the Run tab (or run `workbench run PROJECT`) "
                "to see results here."
            )
            self.table.setRowCount(0)
            # another project's plots must not stay on screen
            self.posterior.show_draws(None, [])
            self.funnel_bar.show_run({})
            self._selected = None
            self._refresh_heavy_views()

    def _on_history_row_changed(self, row: int) -> None:
        if 0 <= row < len(self._runs):
            self.show_summary(self._runs[row])

    def _on_history_selection_changed(self) -> None:
        rows = sorted(self.history.row(item) for item in self.history.selectedItems())
        if len(rows) == 2:
            older, newer = self._runs[rows[1]], self._runs[rows[0]]  # the list is newest first
            self.compare(older, newer)

    def compare(self, first: RunRecord, second: RunRecord) -> None:
        """Two runs side by side: each figure of both, and how far the second moved."""
        a, b = _figures(first.summary), _figures(second.summary)
        names = list(a) + [n for n in b if n not in a]
        self.verdict.setText(
            f"<b>Comparing</b> the {first.engine.upper()} run of {first.finished[:16]} (A) with "
            f"the {second.engine.upper()} run of {second.finished[:16]} (B). "
            "Select one run to see it alone."
        )
        self.views.setCurrentIndex(0)
        self.funnel_bar.show_run({})
        headers = ["A", "B", "B − A"]
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(names))
        self.table.setVerticalHeaderLabels(names)
        for row, name in enumerate(names):
            values = [a.get(name), b.get(name)]
            if None not in values:
                values.append(values[1] - values[0])
            for col, value in enumerate(values):
                item = QTableWidgetItem("" if value is None else f"{value:.4g}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)

    def show_summary(self, record: RunRecord) -> None:
        summary = record.summary
        verdict = _verdict(record, summary)
        self.verdict.setText(verdict)
        params: dict[str, dict[str, Any]] = summary.get("parameters") or {}
        if params:
            self._fill_parameters(params)
        else:
            self._fill_figures(summary)
        arrays = record.state.arrays if record.state is not None else {}
        draws = arrays.get("draws")
        observed, replicas = self._predictive_check(summary, arrays)
        self.posterior.show_draws(
            draws,
            list(params) if draws is not None else [],
            observed,
            replicas,
            sampler_info(summary, arrays),
        )
        self.funnel_bar.show_run(summary if record.engine == "mcmc" else {})
        self.views.setTabEnabled(1, draws is not None)
        self.views.setTabEnabled(4, record.engine == "gan")
        self._selected = record
        self._refresh_heavy_views()

    def copy_table(self) -> None:
        """The selected cells (or the whole table) as tab-separated text, with headers,
        ready to paste into a spreadsheet."""
        table = self.table
        cells = {(i.row(), i.column()) for i in table.selectedIndexes()} or {
            (r, c) for r in range(table.rowCount()) for c in range(table.columnCount())
        }
        rows = sorted({r for r, _ in cells})
        columns = sorted({c for _, c in cells})
        header = [""] + [table.horizontalHeaderItem(c).text() for c in columns]
        lines = ["\t".join(header)]
        for r in rows:
            values = [
                table.item(r, c).text() if (r, c) in cells and table.item(r, c) else ""
                for c in columns
            ]
            lines.append("\t".join([table.verticalHeaderItem(r).text(), *values]))
        QGuiApplication.clipboard().setText("\n".join(lines))

    def _predictive_check(self, summary: dict[str, Any], arrays: dict) -> tuple:
        """The observed target and the run's posterior predictive replicas of it, when the
        rows line up (the engine leaves out rows with missing values and says so)."""
        target = summary.get("target")
        replicas = arrays.get(f"ppc:{target}")
        dataset = self._project.dataset if self._project is not None else None
        if replicas is None or dataset is None or target not in dataset.columns:
            return None, None
        observed = dataset.column_table()[target]
        if summary.get("dropped_rows"):
            observed = observed[np.isfinite(observed)]
        return (observed, replicas) if len(observed) == replicas.shape[1] else (None, None)

    def _fill_parameters(self, params: dict[str, dict[str, Any]]) -> None:
        """The posterior table (MCMC), values outside the usual thresholds in red."""
        self.table.setColumnCount(len(SUMMARY_COLUMNS))
        self.table.setHorizontalHeaderLabels(SUMMARY_COLUMNS)
        self.table.setRowCount(len(params))
        self.table.setVerticalHeaderLabels(list(params))
        for row, values in enumerate(params.values()):
            for col, key in enumerate(SUMMARY_COLUMNS):
                value = values.get(key)
                item = QTableWidgetItem("" if value is None else f"{value:.4g}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if _outside_threshold(key, value):
                    item.setForeground(Qt.GlobalColor.red)
                    item.setToolTip(THRESHOLD_HELP[key])
                self.table.setItem(row, col, item)

    def _fill_figures(self, summary: dict[str, Any]) -> None:
        """Fitted figures of the other engines: GP hyperparameters, fit and quality metrics."""
        figures = _figures(summary)
        self.table.setColumnCount(1 if figures else 0)  # a failed run: no empty column
        self.table.setHorizontalHeaderLabels(["value"])
        self.table.setRowCount(len(figures))
        self.table.setVerticalHeaderLabels(list(figures))
        for row, value in enumerate(figures.values()):
            text = (
                f"{value:.4g}"
                if isinstance(value, int | float)
                else ("–" if value is None else str(value))
            )
            item = QTableWidgetItem(text)
            if value is None:  # e.g. max_tv of a table without a categorical column
                item.setToolTip("not applicable to this model or data")
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, 0, item)

    def _refresh_heavy_views(self) -> None:
        """Predictions and attributions take time: compute them for the visible tab only."""
        record = self._selected  # a failed run too: the views say it holds no results
        dataset = self._project.dataset if self._project is not None else None
        table = dataset.column_table() if dataset is not None else None
        for view in (self.predictive, self.attributions, self.samples):
            if self.views.currentWidget() is not view:
                continue
            if view.record_shown is not record:
                view.show_run(record, table)


def _figures(summary: dict[str, Any]) -> dict[str, Any]:
    """One number per name: posterior means (MCMC), hyperparameters and log marginal
    likelihood (GP), fit and quality metrics (GP, GAN)."""
    figures: dict[str, Any] = {
        f"{name} (mean)": row.get("mean") for name, row in (summary.get("parameters") or {}).items()
    }
    figures.update(summary.get("hyperparameters") or {})
    if "log_marginal_likelihood" in summary:
        figures["log marginal likelihood"] = summary["log_marginal_likelihood"]
    figures.update(summary.get("metrics") or {})
    return {k: v for k, v in figures.items() if isinstance(v, int | float) or v is None}


THRESHOLD_HELP = {
    "r_hat": "R-hat above 1.01: the independent ensembles disagree; run longer.",
    "ess_bulk": "Fewer than 400 effective draws: the mean and intervals are imprecise.",
    "ess_tail": "Fewer than 400 effective draws in the tails: the interval ends are imprecise.",
}


def _outside_threshold(key: str, value: float | None) -> bool:
    if value is None:
        return False
    if key == "r_hat":
        return value > 1.01
    return key in ("ess_bulk", "ess_tail") and value < 400


def _verdict(record: RunRecord, summary: dict[str, Any]) -> str:
    if record.status != "finished":
        return f"<b>{record.status.capitalize()}</b>: {record.message}"
    head = (
        "<b>Converged.</b>"
        if summary.get("converged")
        else "<b style='color:#b3261e'>Not converged</b>: read the warnings before trusting it."
    )
    warnings = "".join(f"<br>• {w}" for w in summary.get("warnings", []))
    return (
        f"{head} {record.engine.upper()} run, seed {record.seed}, {record.message}."
        f"{_sampler_line(summary)}{warnings}"
    )


def _sampler_line(summary: dict[str, Any]) -> str:
    """Which sampler ran and why, and what it measured of itself (MCMC runs)."""
    name = summary.get("sampler")
    if name not in SAMPLER_TITLES:
        return ""
    line = f"<br>Sampler: <b>{SAMPLER_TITLES[name]}</b>"
    if summary.get("sampler_reason"):
        line += f" — {summary['sampler_reason']}"
    facts = _sampler_facts(name, summary)
    return f"{line} {'; '.join(facts)}." if facts else line


def _sampler_facts(name: str, summary: dict[str, Any]) -> list[str]:
    """NUTS's own statistics, or the VI fit's family and Pareto k (ensemble runs state
    theirs in the table and the warnings)."""
    facts: list[str] = []
    if name == "nuts":
        if summary.get("chains") and summary.get("draws_per_chain"):
            facts.append(
                f"{count(summary['chains'], 'chain')} × {summary['draws_per_chain']} draws"
            )
        facts.append(count(int(summary.get("divergences") or 0), "divergent transition"))
        if summary.get("e_bfmi"):
            facts.append("E-BFMI " + ", ".join(f"{b:.2f}" for b in summary["e_bfmi"]))
        if summary.get("step_size"):
            low, high = min(summary["step_size"]), max(summary["step_size"])
            facts.append(f"step size {low:.2g}" + (f"–{high:.2g}" if high > low else ""))
        if summary.get("mean_tree_depth") is not None:
            facts.append(f"mean tree depth {summary['mean_tree_depth']:.1f}")
    elif name == "vi":
        if summary.get("vi_method"):
            facts.append(f"{summary['vi_method']} Gaussian")
        if summary.get("pareto_k") is not None:
            facts.append(f"Pareto k {summary['pareto_k']:.2f}")
    return facts
