"""Which inputs drove the predictions, and how sure we are: global importance with
intervals, a beeswarm of every explained row, and one row's waterfall."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QListWidget, QSplitter, QVBoxLayout, QWidget

from backends.explain import dependence
from backends.runtime import ColumnTable
from workbench.project import Project, RunRecord
from workbench.report.analysis import level_name, project_settings
from workbench.report.content import counterfactual_status
from workbench.report.export import explain_row_json
from workbench.report.gates import ADDITIVITY_TOLERANCE
from workbench.ui.canvas import style
from workbench.ui.results.background import LatestOnly
from workbench.ui.results.compute import (
    AttributionView,
    compute_attributions,
    without_results,
)

# the report's colours (workbench/report/figures.py): blue raises, orange lowers
RAISES, LOWERS = "#2f6db5", "#c0612b"
# Beyond this many inputs (the 64 pixels of a digit) the charts show the most important
# ones only: more labels than that overlap on the axis.
MOST_SHOWN = 15


class AttributionsView(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.rows = QListWidget()
        self.rows.setMaximumWidth(160)
        self.rows.currentRowChanged.connect(self._on_rows_row_changed)
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground("w")
        self.importance = self.plots.addPlot(row=0, col=0, title="Mean |attribution|")
        self.beeswarm = self.plots.addPlot(row=0, col=1, title="Every row (colour: input value)")
        self.dependence = self.plots.addPlot(row=0, col=2, title="Dependence")
        self.waterfall = self.plots.addPlot(row=1, col=0, colspan=3, title="One row")
        self.feature = QComboBox()
        self.feature.currentTextChanged.connect(self._draw_dependence)
        split = QSplitter(Qt.Orientation.Horizontal)
        rows_box = QWidget()
        rows_layout = QVBoxLayout(rows_box)
        rows_layout.setContentsMargins(0, 0, 0, 0)
        rows_layout.addWidget(QLabel("Dependence on"))
        rows_layout.addWidget(self.feature)
        rows_layout.addWidget(QLabel("Row"))
        rows_layout.addWidget(self.rows)
        split.addWidget(rows_box)
        split.addWidget(self.plots)
        split.setSizes([140, 1100])
        layout = QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addWidget(split, 1)
        self.what_if = QLabel()
        self.what_if.setWordWrap(True)
        layout.addWidget(self.what_if)
        self.project: Project | None = None  # set by the runs panel: the report's decision rule
        self.shown: AttributionView | None = None
        self.record_shown: RunRecord | None = None
        self._row_task = LatestOnly(self)
        self._row_task.answered.connect(self._on_row_task_answered)
        self._row_task.failed.connect(lambda message: self.what_if.setText(message))
        self._task = LatestOnly(self)
        self._task.answered.connect(self._on_task_answered)
        self._task.failed.connect(self._on_task_failed)

    def show_run(self, record: RunRecord | None, table: ColumnTable | None) -> None:
        self.record_shown = record
        for plot in (self.importance, self.beeswarm, self.dependence, self.waterfall):
            plot.clear()
            plot.enableAutoRange()  # each result starts from its own ranges
        self.waterfall.setTitle("")
        self.what_if.setText("")
        self.rows.clear()
        self.shown = None
        if record is None or record.state is None or table is None:
            self._task.forget()
            self.caption.setText(without_results(record, "attributions"))
            return
        self.caption.setText("Computing attributions…")
        level = record.summary.get("level", 0.9)
        self._task.ask(compute_attributions, record, table, level, cancellable=True)

    def _on_task_failed(self, message: str) -> None:
        self.caption.setText(f"Attributions are not available for this run: {message}")

    def _on_task_answered(self, view: AttributionView) -> None:
        self.shown = view
        a = view.attributions
        # the notes are lower-case clauses (as the CLI prints them): here, sentences
        notes = " ".join(f"{n[:1].upper()}{n[1:].rstrip('.')}." for n in a.notes)
        if not a.input_names:  # y ~ Normal(mu, sigma): nothing to chart
            self.caption.setText(f"No attributions. {notes}")
            return
        # a model without a posterior (a GAN's critic), or a GP explained through its
        # predictive mean, gives one value: no interval to show (the notes say why)
        # a GP's closed form (n_draws 0) has Gaussian intervals, not draws
        spread = (
            "no intervals"
            if np.array_equal(a.lower, a.upper)
            else f"{a.level:.0%} intervals from {a.n_draws} posterior draws"
            if a.n_draws
            else f"exact {a.level:.0%} intervals"
        )
        shown = (
            f" The charts show the {MOST_SHOWN} most important of {len(a.input_names)} inputs."
            if len(a.input_names) > MOST_SHOWN
            else ""
        )
        # the report refuses to print such an explanation: here it is shown, flagged
        sizes = np.abs(a.values).sum(axis=1)
        if a.additivity_error > ADDITIVITY_TOLERANCE * max(float(np.median(sizes)), 1e-12):
            notes = (
                f'<span style="color:{style.ERROR}"><b>These attributions do not add up to the '
                f"predictions</b> (error {a.additivity_error:.2g}): do not rely on them.</span> "
                + notes
            )
        self.caption.setText(
            f"SHAP attributions on the <b>{a.scale}</b> scale by <b>{a.method}</b>, "
            f"{spread}, {len(view.rows)} rows. "
            f"Additivity error {a.additivity_error:.2g}.{shown} {notes}"
        )
        self._draw_importance(view)
        self._draw_beeswarm(view)
        self.feature.blockSignals(True)
        self.feature.clear()
        self.feature.addItems(list(a.input_names))
        self.feature.setCurrentText(view.importance[0]["feature"])  # the most important first
        self.feature.blockSignals(False)
        self._draw_dependence(self.feature.currentText())
        self.rows.addItems([str(r + 1) for r in view.rows])
        self.rows.setCurrentRow(0)

    def _shown_features(self) -> list[str]:
        """The inputs the global charts show: all, or the MOST_SHOWN most important."""
        ranked = [e["feature"] for e in self.shown.importance]  # most important first
        return ranked[:MOST_SHOWN]

    def _draw_importance(self, view: AttributionView) -> None:
        entries = view.importance[:MOST_SHOWN][::-1]  # the most important at the top
        y = np.arange(len(entries))
        means = np.array([e["mean_abs"] for e in entries])
        self.importance.addItem(
            pg.BarGraphItem(x0=0, y=y, height=0.6, width=means, brush="#1f5fa8")
        )
        lower = np.array([e["lower"] for e in entries])
        upper = np.array([e["upper"] for e in entries])
        ranged = not np.array_equal(lower, upper)  # no posterior: one value, no interval
        self.importance.setTitle("Mean |attribution|" + (" (with interval)" if ranged else ""))
        if ranged:
            self.importance.addItem(
                pg.ErrorBarItem(
                    x=means,
                    y=y,
                    left=means - lower,
                    right=upper - means,
                    beam=0.2,
                    pen=pg.mkPen("#222"),
                )
            )
        self.importance.getAxis("left").setTicks(
            [[(i, e["feature"]) for i, e in enumerate(entries)]]
        )

    def _draw_beeswarm(self, view: AttributionView) -> None:
        a = view.attributions
        rng = np.random.default_rng(0)
        names = self._shown_features()[::-1]  # the most important at the top
        for position, name in enumerate(names):
            j = list(a.input_names).index(name)
            values = a.X[:, j]
            span = np.ptp(values) or 1.0
            shade = (values - values.min()) / span
            brushes = [pg.mkBrush(int(255 * s), 60, int(255 * (1 - s)), 180) for s in shade]
            jitter = rng.uniform(-0.25, 0.25, size=len(values))
            self.beeswarm.addItem(
                pg.ScatterPlotItem(
                    x=a.values[:, j], y=position + jitter, size=5, brush=brushes, pen=None
                )
            )
        self.beeswarm.getAxis("left").setTicks([list(enumerate(names))])
        self.beeswarm.addItem(pg.InfiniteLine(0, angle=90, pen=pg.mkPen("#888")))
        self.beeswarm.setLabel("bottom", f"attribution ({a.scale} scale)")

    def _draw_dependence(self, feature: str) -> None:
        """The input's value against its attribution, each with its interval: the shape of
        the model's response to this input, and where the posterior is unsure of it."""
        self.dependence.clear()
        if self.shown is None or not feature:
            return
        curve = dependence(self.shown.attributions, feature)
        x, y = np.asarray(curve["feature_value"]), np.asarray(curve["attribution"])
        self.dependence.addItem(
            pg.ErrorBarItem(
                x=x,
                y=y,
                top=np.asarray(curve["upper"]) - y,
                bottom=y - np.asarray(curve["lower"]),
                pen=pg.mkPen(31, 95, 168, 70),
            )
        )
        self.dependence.plot(
            x, y, pen=None, symbol="o", symbolSize=4, symbolPen=None, symbolBrush="#1f5fa8"
        )
        self.dependence.setLabel("bottom", feature)
        self.dependence.setLabel("left", "attribution")
        names = self.shown.levels.get(feature)
        # a category's codes are positions, not amounts: name them on the axis
        self.dependence.getAxis("bottom").setTicks(
            None if names is None else [[(i, level_name(n)) for i, n in enumerate(names)]]
        )

    def _on_rows_row_changed(self, index: int) -> None:
        if self.shown is None or not 0 <= index < len(self.shown.rows):
            return
        self.draw_waterfall(index)
        if self.project is not None and self.record_shown is not None:
            self.what_if.setText("Looking for changes that would alter the decision…")
            row = int(self.shown.rows[index]) + 1
            self._row_task.ask(explain_row_json, self.project, row, self.record_shown.id)

    def _on_row_task_answered(self, record: dict) -> None:
        """The counterfactuals of the selected row, as the report would print them."""
        if self.project is None:
            return
        status = counterfactual_status(record, project_settings(self.project))
        if status == "no-rule":
            self.what_if.setText(
                "To see what would change the outcome, set a decision rule "
                "and the inputs a person can change in File ▸ Report Settings…"
            )
            return
        if status == "no-actionable":
            self.what_if.setText(
                f"Row {record['row']}: no changes were searched: the report settings mark "
                "no numeric input of the model as one a person can change."
            )
            return
        if status == "none-found":
            self.what_if.setText(
                f"Row {record['row']}: no change to the actionable inputs "
                "within their bounds would alter the decision."
            )
            return
        lines = []
        for option in record["counterfactuals"]:
            changes = ", ".join(
                f"{k} from {v['from']:.4g} to {v['to']:.4g}" for k, v in option["changes"].items()
            )
            lines.append(
                f"{changes} (the decision changes with probability {option['probability']:.0%})"
            )
        self.what_if.setText(
            f"<b>Row {record['row']}: what would change the decision</b><br>" + "<br>".join(lines)
        )

    def draw_waterfall(self, index: int) -> None:
        """Base value, then each input's push (bar) with its interval (whisker),
        then the prediction."""
        a = self.shown.attributions
        self.waterfall.clear()
        order = np.argsort(-np.abs(a.values[index]))
        order, rest = order[:MOST_SHOWN], order[MOST_SHOWN:]
        start = a.base_value
        edges = [a.base_value, float(a.output[index])]  # what the x range must show
        for position, j in enumerate(order):
            value = a.values[index, j]
            colour = RAISES if value > 0 else LOWERS
            self.waterfall.addItem(
                pg.BarGraphItem(x0=[start], y=[position], height=0.6, width=[value], brush=colour)
            )
            end = start + value
            self.waterfall.addItem(
                pg.ErrorBarItem(
                    x=np.array([end]),
                    y=np.array([position]),
                    left=np.array([value - a.lower[index, j]]),
                    right=np.array([a.upper[index, j] - value]),
                    beam=0.15,
                    pen=pg.mkPen("#222"),
                )
            )
            edges += [end, end - (value - a.lower[index, j]), end + (a.upper[index, j] - value)]
            start = end
        shown = self.shown.shown_value
        labels = [
            (p, f"{a.input_names[j]} = {shown(a.input_names[j], a.X[index, j])}")
            for p, j in enumerate(order)
        ]
        if len(rest):  # the smaller pushes, together in one bar: their sum is exact
            value = float(a.values[index, rest].sum())
            colour = RAISES if value > 0 else LOWERS
            self.waterfall.addItem(
                pg.BarGraphItem(x0=[start], y=[len(order)], height=0.6, width=[value], brush=colour)
            )
            labels.append((len(order), f"{len(rest)} other inputs"))
            edges.append(start + value)
        self.waterfall.getAxis("left").setTicks([labels])
        # the lines at the base and the prediction, the whiskers and the end labels all in view
        self.waterfall.setXRange(min(edges), max(edges), padding=0.06)
        self.waterfall.invertY(True)
        self.waterfall.addItem(
            pg.InfiniteLine(
                a.base_value, angle=90, pen=pg.mkPen("#888", style=Qt.PenStyle.DashLine)
            )
        )
        self.waterfall.addItem(pg.InfiniteLine(a.output[index], angle=90, pen=pg.mkPen("#222")))
        row = self.shown.rows[index] + 1
        self.waterfall.setTitle(
            f"Row {row}: from the average prediction {a.base_value:.4g} "
            f"to this row's {a.output[index]:.4g}"
        )
