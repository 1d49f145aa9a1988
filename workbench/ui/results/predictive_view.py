"""Predictions with their intervals: the GP picture for one input, otherwise
predicted against observed, and how often the intervals held the data."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from backends.runtime import ColumnTable
from workbench.project import RunRecord
from workbench.ui.results.background import LatestOnly
from workbench.ui.results.compute import Predictions, compute_predictions, without_results

BAND = (31, 95, 168, 50)
F_BAND = (31, 95, 168, 90)
PIT_BINS = 10
HELD = "#c0612b"  # rows left out of the fit


def coverage_sentence(p: Predictions) -> str:
    """How often the intervals held: on the held-out rows when the run has them (new
    cases, the honest check), and on the fitted rows (in-sample, which flatters)."""
    known = np.isfinite(p.y)
    inside = (p.y >= p.lower) & (p.y <= p.upper)
    fitted, held = known & ~p.held_out, known & p.held_out
    parts = []
    if fitted.any():
        parts.append(
            f"on the {int(fitted.sum())} rows the model was fitted to, "
            f"{inside[fitted].mean():.0%} of the observed values lie inside their "
            f"{p.level:.0%} interval (in-sample)"
        )
    if held.any():
        parts.append(
            f"on the {int(held.sum())} held-out rows the model did not see, "
            f"{inside[held].mean():.0%}"
        )
    else:
        parts.append("hold out rows in the Run tab to check on new cases")
    text = "; ".join(parts)
    return f"{text[:1].upper()}{text[1:]}."


class PredictiveView(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.plot = pg.PlotWidget(background="w")
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        # no downsampling: it thins scatter points by index and hid observed values
        self.plot.addLegend(offset=(10, 10))
        self.bands: list[pg.FillBetweenItem] = []
        self.pit = pg.PlotWidget(background="w", title="PIT of the observed values")
        self.pit.setMaximumWidth(320)
        self.pit.setLabel("bottom", "PIT (flat when the intervals are calibrated)")
        plots = QHBoxLayout()
        plots.addWidget(self.plot, 1)
        plots.addWidget(self.pit)
        layout = QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addLayout(plots, 1)
        self.shown: Predictions | None = None
        self.record_shown: RunRecord | None = None
        self._task = LatestOnly(self)
        self._task.answered.connect(self._on_task_answered)
        self._task.failed.connect(self._on_task_failed)

    def show_run(self, record: RunRecord | None, table: ColumnTable | None) -> None:
        self.record_shown = record
        self.plot.clear()
        self.bands = []
        self.pit.clear()
        for plot in (self.plot, self.pit):
            plot.enableAutoRange()  # a zoom on one run must not hide the next
        self.shown = None
        if record is None or record.state is None or table is None:
            self._task.forget()
            self.caption.setText(without_results(record, "predictions"))
            return
        self.caption.setText("Computing predictions…")
        self._task.ask(compute_predictions, record, table)

    def _on_task_failed(self, message: str) -> None:
        self.caption.setText(f"Predictions are not available for this run: {message}")

    def _on_task_answered(self, p: Predictions) -> None:
        self.shown = p
        level = f"{p.level:.0%}"
        if p.grid is not None:
            self._draw_band(p)
        else:
            self._draw_predicted_vs_observed(p)
        checked = p.held_out if p.held_out.any() else np.ones(len(p.rows), bool)
        self.pit.setVisible(p.pit is not None)
        if p.pit is not None:
            self._draw_pit(p.pit[checked & np.isfinite(p.pit)], held_out=p.held_out.any())
        if np.array_equal(p.lower, p.upper):  # a GAN's critic: one value per row
            self.caption.setText(
                f"The model's <b>{p.target}</b> of each row, sorted: one value per row, with "
                "no interval and no observed value to check it against."
            )
            return
        text = f"Predictions of <b>{p.target}</b> with {level} predictive intervals."
        if p.grid is not None:
            text += f" Light band: where a new observation falls with {level} probability" + (
                "; dark band: the same for the function itself." if "f_lower" in p.grid else "."
            )
        if p.y is not None:
            text += " " + coverage_sentence(p)
        self.caption.setText(text)

    def _draw_band(self, p: Predictions) -> None:
        g = p.grid
        x = g["x"]
        self.bands = [self._band(x, g["lower"], g["upper"], BAND)]
        if "f_lower" in g:
            self.bands.append(self._band(x, g["f_lower"], g["f_upper"], F_BAND))
        self.plot.plot(x, g["mean"], pen=pg.mkPen("#1f5fa8", width=2), name="mean")
        if p.y is not None:
            self._points(p.X[:, 0], p.y, p.held_out, 4, ("#333", "data"), "held out")
        self.plot.setLabel("bottom", p.input_names[0])
        self.plot.setLabel("left", p.target)
        # the fill items report loose bounds (from the origin), so frame the band ourselves
        self.plot.setXRange(float(x[0]), float(x[-1]), padding=0.02)
        self.plot.setYRange(float(np.min(g["lower"])), float(np.max(g["upper"])), padding=0.05)

    def _points(
        self,
        x: np.ndarray,
        y: np.ndarray,
        held: np.ndarray,
        size: int,
        fitted: tuple[str, str],
        held_name: str,
    ) -> None:
        """A scatter of the fitted rows (colour, legend name) and, in their own colour,
        of the rows the run held out."""
        for part, (colour, name) in ((~held, fitted), (held, (HELD, held_name))):
            if part.any():
                self.plot.plot(
                    x[part],
                    y[part],
                    pen=None,
                    symbol="o",
                    symbolSize=size,
                    symbolBrush=colour,
                    symbolPen=None,
                    name=name,
                )

    def _band(
        self, x: np.ndarray, lower: np.ndarray, upper: np.ndarray, colour: tuple
    ) -> pg.FillBetweenItem:
        """A filled band between two invisible edges. The edges must be curve items: with
        PlotDataItems drawn without a pen, pyqtgraph 0.14 fills nothing."""
        edges = [pg.PlotCurveItem(x, y, pen=pg.mkPen(None)) for y in (lower, upper)]
        band = pg.FillBetweenItem(*edges, brush=pg.mkBrush(*colour))
        self.plot.addItem(band)
        return band

    def _draw_pit(self, pit: np.ndarray, held_out: bool) -> None:
        """Where each observed value falls in its predictive distribution: a hump means
        intervals too wide, a U too narrow, a slope a biased mean. On the held-out rows
        when the run has them: on the fitted rows the picture flatters the model."""
        self.pit.setTitle(f"PIT of the {'held-out' if held_out else 'observed'} values")
        counts, edges = np.histogram(pit, bins=PIT_BINS, range=(0.0, 1.0))
        self.pit.plot(
            edges,
            counts,
            stepMode="center",
            fillLevel=0,
            brush=(31, 95, 168, 120),
            pen=pg.mkPen("#1f5fa8"),
        )
        self.pit.addItem(
            pg.InfiniteLine(
                len(pit) / PIT_BINS, angle=0, pen=pg.mkPen("#444", style=Qt.PenStyle.DashLine)
            )
        )

    def _draw_predicted_vs_observed(self, p: Predictions) -> None:
        if p.y is None:
            order = np.argsort(p.mean)
            self.plot.plot(np.arange(len(order)), p.mean[order], pen=pg.mkPen("#1f5fa8", width=2))
            self.plot.setLabel("bottom", "rows, sorted by prediction")
            self.plot.setLabel("left", p.target)
            return
        error = pg.ErrorBarItem(
            x=p.y,
            y=p.mean,
            top=p.upper - p.mean,
            bottom=p.mean - p.lower,
            pen=pg.mkPen(31, 95, 168, 70),
        )
        self.plot.addItem(error)
        self._points(
            p.y, p.mean, p.held_out, 5, ("#1f5fa8", "prediction"), "prediction, held-out row"
        )
        low, high = float(np.nanmin(p.y)), float(np.nanmax(p.y))
        self.plot.plot(
            [low, high], [low, high], pen=pg.mkPen("#888", width=1), name="predicted = observed"
        )
        self.plot.setLabel("bottom", f"observed {p.target}")
        self.plot.setLabel("left", f"predicted {p.target}")
