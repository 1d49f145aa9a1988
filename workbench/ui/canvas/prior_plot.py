"""A small plot of a node's density while its parameters are numbers.

The curve comes from the family's own log-density (backends.graph.distributions),
so the picture is the prior the engine will use. The x range spans the central
99% of a few thousand draws from the family's sampler, which works for every
family without per-family range rules; discrete families are drawn as bars.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from backends.graph.distributions import FAMILIES, VECTOR_PARAMS
from workbench.ui.canvas import style

N_DRAWS, N_POINTS = 4000, 200


def numeric_params(params: dict[str, str]) -> dict[str, float] | None:
    """The parameters as numbers, or None when any is an expression of other nodes."""
    out = {}
    for name, text in params.items():
        try:
            out[name] = float(text)
        except ValueError:
            return None
    return out


def density_curve(family_name: str, params: dict[str, str]) -> tuple[np.ndarray, np.ndarray] | None:
    """(x, density) of the family at these numeric parameters; None when not drawable."""
    family = FAMILIES.get(family_name)
    values = numeric_params(params)
    if family is None or values is None or family.match_params(set(values)) is None:
        return None
    if any((family.name, p) in VECTOR_PARAMS for p in values):
        return None
    arrays = {k: np.asarray(v, dtype=float) for k, v in values.items()}
    rng = np.random.default_rng(0)
    with np.errstate(all="ignore"):
        try:
            draws = np.asarray(
                family.sample(rng, {k: np.full(N_DRAWS, v) for k, v in values.items()})
            )
        except ValueError:  # numpy refuses invalid parameters (a negative scale)
            return None
        draws = draws[np.isfinite(draws)]
        if draws.size == 0:
            return None
        lo, hi = np.quantile(draws, [0.005, 0.995])
        if family.discrete:
            x = np.arange(np.floor(lo), np.ceil(hi) + 1.0)
        else:
            pad = 0.05 * (hi - lo) if hi > lo else 1.0
            if family.support == "interval":
                lo, hi, pad = (
                    values["lower"],
                    values["upper"],
                    0.1 * (values["upper"] - values["lower"]),
                )
            x = np.linspace(lo - pad, hi + pad, N_POINTS)
        y = np.exp(family.logpdf(x, arrays))
    if not np.all(np.isfinite(y)):
        return None
    return x, y


class PriorPlot(pg.PlotWidget):
    """The density of the node's family at its current (numeric) parameters."""

    def __init__(self) -> None:
        super().__init__(background=style.BACKGROUND)
        self.setFixedHeight(130)
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.getPlotItem().hideAxis("left")
        self.getPlotItem().getAxis("bottom").setPen(style.MUTED)
        self.getPlotItem().getAxis("bottom").setTextPen(style.MUTED)
        self.curve = self.plot(
            [],
            [],
            pen=pg.mkPen(style.SELECTION, width=2),
            fillLevel=0.0,
            brush=pg.mkBrush(26, 115, 232, 40),
        )
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=pg.mkBrush(26, 115, 232, 120))
        self.addItem(self.bars)
        self.message = pg.TextItem("", color=style.MUTED, anchor=(0.5, 0.5))
        self.addItem(self.message)

    def show_density(self, family_name: str | None, params: dict[str, str]) -> bool:
        """Draw the density; returns False (and says why) when it cannot be drawn."""
        curve = density_curve(family_name or "", params)
        family = FAMILIES.get(family_name or "")
        if curve is None:
            self.curve.setData([], [])
            self.bars.setOpts(x=[], height=[])
            self.message.setText("the plot shows when every parameter is a number")
            self.message.setPos(0.5, 0.5)
            self.setXRange(0, 1)
            self.setYRange(0, 1)
            return False
        x, y = curve
        self.message.setText("")
        if family is not None and family.discrete:
            self.curve.setData([], [])
            self.bars.setOpts(x=x, height=y, width=0.7)
        else:
            self.bars.setOpts(x=[], height=[])
            self.curve.setData(x, y)
        self.setXRange(float(x[0]), float(x[-1]), padding=0.02)
        self.setYRange(0.0, float(np.max(y)) * 1.08, padding=0.0)
        return True
