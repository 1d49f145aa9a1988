"""Posterior plots of one parameter of an MCMC run: trace, density, ranks, autocorrelation.

One colour per independent chain (an ensemble, for the ensemble sampler) everywhere,
so that disagreement between chains (what R-hat measures) is visible, not only
summarised. A NUTS run adds its own diagnostics (``sampler_plots``): divergent
draws in red on the trace and pair plots, and the energy plot. The numbers come
from arviz-stats and the engine; this module only draws them.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from arviz_stats.base import array_stats
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QListWidget, QVBoxLayout, QWidget

from workbench.ui.results.sampler_plots import (
    SamplerInfo,
    divergent_points,
    draw_energy,
    draw_trace_divergences,
    trace_title,
)

CHAIN_COLOURS = ("#1f5fa8", "#d1495b", "#2e8b57", "#edae49", "#6a4c93", "#00798c")
HDI_PROB = 0.94
MAX_LAGS = 60
MAX_PAIR_POINTS = 4000
LOG_AXIS_RATIO = 20.0
PPC_BINS = 30
PPC_TITLE = "Posterior predictive check: data (bars) and replicated data sets (lines)"
PPC_SHORT_TITLE = "Predictive check: data (bars), replicas (lines)"  # beside the energy plot


class PosteriorView(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self._draws: np.ndarray | None = None  # (chains, draws, parameters)
        self._names: list[str] = []
        self._sampler = SamplerInfo()
        self._ppc_title = PPC_TITLE
        self.parameters = QListWidget()
        self.parameters.currentRowChanged.connect(self._on_parameters_row_changed)
        self.partner = QComboBox()
        self.partner.currentIndexChanged.connect(lambda _: self._redraw())
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground("w")
        self.trace = self.plots.addPlot(row=0, col=0, colspan=2)
        self.density = self.plots.addPlot(
            row=1, col=0, title=f"Density ({HDI_PROB:.0%} HDI shaded)"
        )
        self.ranks = self.plots.addPlot(row=1, col=1)
        self.autocorr = self.plots.addPlot(row=2, col=0, title="Autocorrelation")
        self.pair = self.plots.addPlot(row=2, col=1, title="Pair")
        self.ppc = self.plots.addPlot(row=3, col=0, colspan=2)
        self.energy = pg.PlotItem()  # placed beside the predictive check for NUTS runs only
        self._plots = (self.trace, self.density, self.ranks, self.autocorr, self.pair, self.ppc)
        for plot in (*self._plots, self.energy):
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
        sampler: SamplerInfo | None = None,
    ) -> None:
        """Draws (chains, draws, parameters); optionally the observed column and
        posterior predictive replicas of it (replicas, rows) for the predictive check,
        and what the sampler left (divergences, energy) for a NUTS run."""
        self._draws, self._names = draws, names
        self._observed, self._replicas = observed, replicas
        self._sampler = sampler or SamplerInfo()
        first, partner = self._opening_pair()
        self.partner.blockSignals(True)
        self.partner.clear()
        self.partner.addItems(names)
        self.partner.setCurrentIndex(partner)
        self.partner.blockSignals(False)
        with_energy = self._sampler.energy is not None and draws is not None
        self._arrange(with_energy)
        if with_energy:
            draw_energy(self.energy, self._sampler.energy, self._sampler.e_bfmi)
        self.ranks.setTitle(f"Rank plot (flat when {self._sampler.chain_word}s agree)")
        self.parameters.clear()
        self.parameters.addItems(names)
        if names:
            self.parameters.setCurrentRow(first)
        else:
            for plot in self._plots:
                plot.clear()

    def _opening_pair(self) -> tuple[int, int]:
        """The parameter and pair partner shown first: where a funnel was found, its
        centred node's first element against its scale, so that the funnel and the
        divergences in its neck are the first thing seen."""
        names = self._names
        funnel = self._sampler.funnel
        if funnel is not None and funnel[1] in names:
            node, scale = funnel
            element = next(
                (i for i, n in enumerate(names) if n == node or n.startswith(f"{node}[")), None
            )
            if element is not None:
                return element, names.index(scale)
        return 0, max(min(1, len(names) - 1), 0)

    def _arrange(self, with_energy: bool) -> None:
        """The predictive check spans the last row, or shares it with the energy plot
        under a shorter title (a title is as wide as its text: a long one would push
        the whole grid past the window's edge)."""
        layout = self.plots.ci
        for plot in (self.ppc, self.energy):
            if plot in layout.items:
                layout.removeItem(plot)
        layout.addItem(self.ppc, row=3, col=0, colspan=1 if with_energy else 2)
        if with_energy:
            layout.addItem(self.energy, row=3, col=1)
        self._ppc_title = PPC_SHORT_TITLE if with_energy else PPC_TITLE

    def _on_parameters_row_changed(self, row: int) -> None:
        self._redraw()

    def _redraw(self) -> None:
        row = self.parameters.currentRow()
        if self._draws is not None and 0 <= row < len(self._names):
            self.draw_parameter(row)

    def draw_parameter(self, index: int) -> None:
        values = self._draws[:, :, index]  # (chains, draws)
        for plot in self._plots:
            plot.clear()
        word = self._sampler.chain_word
        for k, chain in enumerate(values):
            pen = pg.mkPen(CHAIN_COLOURS[k % len(CHAIN_COLOURS)], width=1)
            self.trace.plot(chain, pen=pen, name=f"{word} {k + 1}")
        divergent = self._sampler.divergences > 0
        if divergent:
            draw_trace_divergences(self.trace, values, self._sampler.diverging)
        self.trace.setTitle(trace_title(word, len(values), CHAIN_COLOURS, divergent))
        self.trace.setLabel("left", self._names[index])
        self.trace.setLabel("bottom", "draw")
        self._draw_density(values.ravel())
        self._draw_ranks(values)
        self._draw_autocorr(values)
        self._draw_pair(index, max(self.partner.currentIndex(), 0))
        self._draw_ppc()

    def _draw_pair(self, first: int, second: int) -> None:
        """Joint draws of two parameters: funnels and correlations show here, not in
        marginals; divergent draws, all of them, in red above the others."""
        draws = self._draws[:, :, [first, second]].copy()
        labels = [self._names[first], self._names[second]]
        for i in range(2):
            if _spans_decades(draws[:, :, i]):
                draws[:, :, i] = np.log(draws[:, :, i])
                labels[i] = f"log({labels[i]})"
        step = max(1, draws.shape[0] * draws.shape[1] // MAX_PAIR_POINTS)
        for k, chain in enumerate(draws):
            colour = CHAIN_COLOURS[k % len(CHAIN_COLOURS)]
            self.pair.plot(
                chain[::step, 0],
                chain[::step, 1],
                pen=None,
                symbol="o",
                symbolSize=3,
                symbolPen=None,
                symbolBrush=pg.mkColor(colour),
            )
        if self._sampler.divergences:
            divergent = draws[self._sampler.diverging][:MAX_PAIR_POINTS]
            self.pair.addItem(divergent_points(divergent[:, 0], divergent[:, 1]))
        self.pair.setLabel("bottom", labels[0])
        self.pair.setLabel("left", labels[1])

    def _draw_ppc(self) -> None:
        if self._observed is None or self._replicas is None:
            self.ppc.setTitle("Posterior predictive check: no replicated data in this run")
            return
        self.ppc.setTitle(self._ppc_title)
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
        for k, chain_ranks in enumerate(ranks):
            counts, _ = np.histogram(chain_ranks, bins=bins)
            colour = CHAIN_COLOURS[k % len(CHAIN_COLOURS)]
            bars = pg.BarGraphItem(
                x=bins[:-1] + width * (k + 0.5),
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
        for k, series in enumerate(correlations):
            colour = CHAIN_COLOURS[k % len(CHAIN_COLOURS)]
            self.autocorr.plot(np.arange(len(series)), series, pen=pg.mkPen(colour, width=1.5))
        self.autocorr.setLabel("bottom", "lag (draws, after thinning)")
        self.autocorr.addItem(pg.InfiniteLine(0, angle=0, pen=pg.mkPen("#888")))


def _spans_decades(values: np.ndarray) -> bool:
    """A positive parameter spanning more than a decade (a scale down a funnel's neck)
    is shown as its log, where the neck opens up instead of sitting on zero."""
    low, high = float(values.min()), float(values.max())
    return low > 0 and high / low >= LOG_AXIS_RATIO
