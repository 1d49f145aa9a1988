"""Posterior plots of one parameter of an MCMC run: trace, density, ranks, autocorrelation.

One colour per independent ensemble everywhere, so that disagreement between
ensembles (what R-hat measures) is visible, not only summarised. The numbers
come from arviz-stats; this module only draws them.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from arviz_stats.base import array_stats
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QWidget

ENSEMBLE_COLOURS = ("#1f5fa8", "#d1495b", "#2e8b57", "#edae49", "#6a4c93", "#00798c")
HDI_PROB = 0.94
MAX_LAGS = 60


class PosteriorView(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self._draws: np.ndarray | None = None  # (ensembles, draws, parameters)
        self._names: list[str] = []
        self.parameters = QListWidget()
        self.parameters.setMaximumWidth(180)
        self.parameters.currentRowChanged.connect(self._on_parameters_row_changed)
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground("w")
        self.trace = self.plots.addPlot(row=0, col=0, colspan=2, title="Trace")
        self.density = self.plots.addPlot(
            row=1, col=0, title=f"Density ({HDI_PROB:.0%} HDI shaded)"
        )
        self.ranks = self.plots.addPlot(row=1, col=1, title="Rank plot (flat when ensembles agree)")
        self.autocorr = self.plots.addPlot(row=2, col=0, colspan=2, title="Autocorrelation")
        for plot in (self.trace, self.density, self.ranks, self.autocorr):
            plot.showGrid(x=True, y=True, alpha=0.15)
        self.trace.setClipToView(True)
        self.trace.setDownsampling(auto=True, mode="peak")
        layout = QHBoxLayout(self)
        layout.addWidget(self.parameters)
        layout.addWidget(self.plots, 1)

    def show_draws(self, draws: np.ndarray | None, names: list[str]) -> None:
        self._draws, self._names = draws, names
        self.parameters.clear()
        self.parameters.addItems(names)
        if names:
            self.parameters.setCurrentRow(0)
        else:
            for plot in (self.trace, self.density, self.ranks, self.autocorr):
                plot.clear()

    def _on_parameters_row_changed(self, row: int) -> None:
        if self._draws is not None and 0 <= row < len(self._names):
            self.draw_parameter(row)

    def draw_parameter(self, index: int) -> None:
        values = self._draws[:, :, index]  # (ensembles, draws)
        for plot in (self.trace, self.density, self.ranks, self.autocorr):
            plot.clear()
        for ensemble, chain in enumerate(values):
            pen = pg.mkPen(ENSEMBLE_COLOURS[ensemble % len(ENSEMBLE_COLOURS)], width=1)
            self.trace.plot(chain, pen=pen, name=f"ensemble {ensemble + 1}")
        self.trace.setLabel("left", self._names[index])
        self.trace.setLabel("bottom", "draw")
        self._draw_density(values.ravel())
        self._draw_ranks(values)
        self._draw_autocorr(values)

    def _draw_density(self, flat: np.ndarray) -> None:
        grid, density, _ = array_stats.kde(flat)
        low, high = array_stats.hdi(flat, HDI_PROB)
        inside = (grid >= low) & (grid <= high)
        fill = pg.PlotDataItem(
            grid[inside], density[inside], fillLevel=0, brush=pg.mkBrush(31, 95, 168, 60), pen=None
        )
        self.density.addItem(fill)
        self.density.plot(grid, density, pen=pg.mkPen("#1f5fa8", width=2))
        self.density.addItem(
            pg.InfiniteLine(
                float(np.mean(flat)), angle=90, pen=pg.mkPen("#444", style=Qt.PenStyle.DashLine)
            )
        )

    def _draw_ranks(self, values: np.ndarray) -> None:
        ranks = array_stats.compute_ranks(values.ravel()).reshape(values.shape)
        bins = np.linspace(0, ranks.max() + 1, 21)
        width = (bins[1] - bins[0]) / (len(values) + 1)
        for ensemble, chain_ranks in enumerate(ranks):
            counts, _ = np.histogram(chain_ranks, bins=bins)
            colour = ENSEMBLE_COLOURS[ensemble % len(ENSEMBLE_COLOURS)]
            bars = pg.BarGraphItem(
                x=bins[:-1] + width * (ensemble + 0.5),
                height=counts,
                width=width,
                brush=colour,
                pen=None,
            )
            self.ranks.addItem(bars)
        self.ranks.addItem(
            pg.InfiniteLine(
                values.shape[1] / 20, angle=0, pen=pg.mkPen("#444", style=Qt.PenStyle.DashLine)
            )
        )

    def _draw_autocorr(self, values: np.ndarray) -> None:
        correlations = array_stats.autocorr(values)[:, :MAX_LAGS]
        for ensemble, series in enumerate(correlations):
            colour = ENSEMBLE_COLOURS[ensemble % len(ENSEMBLE_COLOURS)]
            self.autocorr.plot(np.arange(len(series)), series, pen=pg.mkPen(colour, width=1.5))
        self.autocorr.setLabel("bottom", "lag (draws, after thinning)")
        self.autocorr.addItem(pg.InfiniteLine(0, angle=0, pen=pg.mkPen("#888")))
