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
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QListWidget, QVBoxLayout, QWidget

ENSEMBLE_COLOURS = ("#1f5fa8", "#d1495b", "#2e8b57", "#edae49", "#6a4c93", "#00798c")
HDI_PROB = 0.94
MAX_LAGS = 60
MAX_PAIR_POINTS = 4000
PPC_BINS = 30


class PosteriorView(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self._draws: np.ndarray | None = None  # (ensembles, draws, parameters)
        self._names: list[str] = []
        self.parameters = QListWidget()
        self.parameters.currentRowChanged.connect(self._on_parameters_row_changed)
        self.partner = QComboBox()
        self.partner.currentIndexChanged.connect(lambda _: self._redraw())
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground("w")
        self.trace = self.plots.addPlot(row=0, col=0, colspan=2, title="Trace")
        self.density = self.plots.addPlot(
            row=1, col=0, title=f"Density ({HDI_PROB:.0%} HDI shaded)"
        )
        self.ranks = self.plots.addPlot(row=1, col=1, title="Rank plot (flat when ensembles agree)")
        self.autocorr = self.plots.addPlot(row=2, col=0, title="Autocorrelation")
        self.pair = self.plots.addPlot(row=2, col=1, title="Pair")
        self.ppc = self.plots.addPlot(
            row=3,
            col=0,
            colspan=2,
            title="Posterior predictive check: data (bars) and replicated data sets (lines)",
        )
        self._plots = (self.trace, self.density, self.ranks, self.autocorr, self.pair, self.ppc)
        for plot in self._plots:
            plot.showGrid(x=True, y=True, alpha=0.15)
        self.trace.setClipToView(True)
        self.trace.setDownsampling(auto=True, mode="peak")
        side = QWidget()
        side.setMaximumWidth(200)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(QLabel("Parameter"))
        side_layout.addWidget(self.parameters, 1)
        side_layout.addWidget(QLabel("Pair with"))
        side_layout.addWidget(self.partner)
        layout = QHBoxLayout(self)
        layout.addWidget(side)
        layout.addWidget(self.plots, 1)
        self._observed: np.ndarray | None = None
        self._replicas: np.ndarray | None = None

    def show_draws(
        self,
        draws: np.ndarray | None,
        names: list[str],
        observed: np.ndarray | None = None,
        replicas: np.ndarray | None = None,
    ) -> None:
        """Draws (ensembles, draws, parameters); optionally the observed column and
        posterior predictive replicas of it (replicas, rows) for the predictive check."""
        self._draws, self._names = draws, names
        self._observed, self._replicas = observed, replicas
        self.partner.blockSignals(True)
        self.partner.clear()
        self.partner.addItems(names)
        self.partner.setCurrentIndex(min(1, len(names) - 1))
        self.partner.blockSignals(False)
        self.parameters.clear()
        self.parameters.addItems(names)
        if names:
            self.parameters.setCurrentRow(0)
        else:
            for plot in self._plots:
                plot.clear()

    def _on_parameters_row_changed(self, row: int) -> None:
        self._redraw()

    def _redraw(self) -> None:
        row = self.parameters.currentRow()
        if self._draws is not None and 0 <= row < len(self._names):
            self.draw_parameter(row)

    def draw_parameter(self, index: int) -> None:
        values = self._draws[:, :, index]  # (ensembles, draws)
        for plot in self._plots:
            plot.clear()
        for ensemble, chain in enumerate(values):
            pen = pg.mkPen(ENSEMBLE_COLOURS[ensemble % len(ENSEMBLE_COLOURS)], width=1)
            self.trace.plot(chain, pen=pen, name=f"ensemble {ensemble + 1}")
        self.trace.setLabel("left", self._names[index])
        self.trace.setLabel("bottom", "draw")
        self._draw_density(values.ravel())
        self._draw_ranks(values)
        self._draw_autocorr(values)
        self._draw_pair(index, max(self.partner.currentIndex(), 0))
        self._draw_ppc()

    def _draw_pair(self, first: int, second: int) -> None:
        """Joint draws of two parameters: funnels and correlations show here, not in marginals."""
        step = max(1, self._draws.shape[0] * self._draws.shape[1] // MAX_PAIR_POINTS)
        for ensemble, chain in enumerate(self._draws):
            colour = ENSEMBLE_COLOURS[ensemble % len(ENSEMBLE_COLOURS)]
            self.pair.plot(
                chain[::step, first],
                chain[::step, second],
                pen=None,
                symbol="o",
                symbolSize=3,
                symbolPen=None,
                symbolBrush=pg.mkColor(colour),
            )
        self.pair.setLabel("bottom", self._names[first])
        self.pair.setLabel("left", self._names[second])

    def _draw_ppc(self) -> None:
        if self._observed is None or self._replicas is None:
            self.ppc.setTitle("Posterior predictive check: no replicated data in this run")
            return
        observed = self._observed[np.isfinite(self._observed)]
        edges = np.histogram_bin_edges(
            np.concatenate([observed, self._replicas.ravel()]), bins=PPC_BINS
        )
        counts, _ = np.histogram(observed, bins=edges, density=True)
        self.ppc.plot(
            edges,
            counts,
            stepMode="center",
            fillLevel=0,
            brush=(120, 120, 120, 90),
            pen=pg.mkPen("#555"),
        )
        for replica in self._replicas[:50]:
            density, _ = np.histogram(replica, bins=edges, density=True)
            centres = (edges[:-1] + edges[1:]) / 2
            self.ppc.plot(centres, density, pen=pg.mkPen(31, 95, 168, 60))

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
