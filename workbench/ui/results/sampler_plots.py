"""What the sampler itself says, drawn beside the posterior: NUTS's divergent
transitions on the trace and pair plots, and its energy plot.

A divergent transition is a place where the integrator could not follow the
posterior's curvature; drawn over the other draws, divergences cluster where the
trouble is (the neck of a funnel, at small values of a scale). The energy plot
compares how far the energy moves between draws with how far it ranges overall:
when the transitions are much narrower than the marginal energy (E-BFMI below
0.3), the sampler cannot cross the posterior's levels in reasonable time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg

BFMI_LIMIT = 0.3  # Betancourt (2016), as the engine's verdict
ALARM_COLOUR = "#d7191c"  # divergent draws, and an E-BFMI that is too low
ENERGY_BINS = 40
MARGINAL_COLOUR = (110, 110, 110)
TRANSITION_COLOUR = (31, 95, 168)
TITLE_CHAINS = 4  # E-BFMI of at most this many chains fits in the energy plot's title
MARGINAL_NAME = "energy E − mean(E)"
TRANSITION_NAME = "transitions ΔE"


@dataclass(frozen=True)
class SamplerInfo:
    """The sampler of one MCMC run and the statistics it left, as the views need them."""

    name: str = "ensemble"  # "ensemble", "nuts" or "vi"
    diverging: np.ndarray | None = None  # (chains, draws) bool
    energy: np.ndarray | None = None  # (chains, draws)
    e_bfmi: tuple[float, ...] = ()
    funnel: tuple[str, str] | None = None  # (centred node, its scale), where divergences sit

    @property
    def chain_word(self) -> str:
        """What one chain is called: the ensemble sampler's independent chains are
        ensembles of walkers; NUTS and VI have plain chains."""
        return "ensemble" if self.name == "ensemble" else "chain"

    @property
    def divergences(self) -> int:
        return 0 if self.diverging is None else int(self.diverging.sum())


def sampler_info(summary: dict[str, Any], arrays: dict[str, np.ndarray]) -> SamplerInfo:
    """From a run record; runs from before NUTS existed were ensemble runs."""
    name = summary.get("sampler", "ensemble")
    if name != "nuts":
        return SamplerInfo(name)
    diverging = arrays.get("diverging")
    funnel = summary.get("funnel")
    return SamplerInfo(
        name,
        None if diverging is None else np.asarray(diverging).astype(bool),
        arrays.get("energy"),
        tuple(float(b) for b in summary.get("e_bfmi") or ()),
        (funnel["node"], funnel["scale"]) if funnel else None,
    )


def divergent_points(x: np.ndarray, y: np.ndarray) -> pg.ScatterPlotItem:
    """Red points over a plot's other items. A scatter item rather than a plot curve,
    so that the trace's peak downsampling never moves or drops one."""
    item = pg.ScatterPlotItem(
        x=x,
        y=y,
        size=7,
        symbol="o",
        pen=pg.mkPen("w", width=0.8),
        brush=pg.mkBrush(ALARM_COLOUR),
        name="divergent",
    )
    item.setZValue(10)
    return item


def draw_trace_divergences(plot: pg.PlotItem, values: np.ndarray, diverging: np.ndarray) -> None:
    """A red point at every divergent draw of every chain; ``values`` (chains, draws)."""
    chains, draws = np.nonzero(diverging)
    if chains.size:
        plot.addItem(divergent_points(draws.astype(float), values[chains, draws]))


def draw_energy(plot: pg.PlotItem, energy: np.ndarray, e_bfmi: tuple[float, ...]) -> None:
    """The marginal energy, centred, beside the energy transitions within each chain,
    as two overlaid densities on shared bins; the title gives E-BFMI per chain."""
    plot.clear()
    marginal = (energy - energy.mean()).ravel()
    transitions = np.diff(energy, axis=1).ravel()
    edges = np.histogram_bin_edges(np.concatenate([marginal, transitions]), bins=ENERGY_BINS)
    for values, colour, name in (
        (marginal, MARGINAL_COLOUR, MARGINAL_NAME),
        (transitions, TRANSITION_COLOUR, TRANSITION_NAME),
    ):
        density, _ = np.histogram(values, bins=edges, density=True)
        plot.plot(
            edges,
            density,
            stepMode="center",
            fillLevel=0,
            brush=(*colour, 80),
            pen=pg.mkPen(colour, width=1.5),
            name=name,
        )
    # the key in the axis label, in the series' colours: a legend would cover the tails
    marginal_key = _coloured(MARGINAL_NAME, MARGINAL_COLOUR)
    plot.setLabel("bottom", f"{marginal_key} and {_coloured(TRANSITION_NAME, TRANSITION_COLOUR)}")
    plot.setTitle(energy_title(e_bfmi))


def energy_title(e_bfmi: tuple[float, ...]) -> str:
    """E-BFMI per chain (the lowest alone when there are many: a title must stay
    short), the low ones in red: they mean the sampler explores poorly."""
    if not e_bfmi:
        return "Energy"
    if len(e_bfmi) > TITLE_CHAINS:
        lowest = int(np.argmin(e_bfmi))
        return (
            f"Energy · lowest E-BFMI {_bfmi(e_bfmi[lowest])} (chain {lowest + 1} of {len(e_bfmi)})"
        )
    return f"Energy · E-BFMI {', '.join(_bfmi(b) for b in e_bfmi)}"


def trace_title(word: str, chains: int, colours: tuple[str, ...], divergent: bool) -> str:
    """The trace's key as its title, each chain named in its colour: a legend would
    cover the draws. Too many chains for one line are described rather than listed."""
    if chains > len(colours):
        names = f"one colour per {word}"
    else:
        names = " ".join(_coloured(f"{word} {k + 1}", colours[k]) for k in range(chains))
    mark = f" {_coloured('● divergent', ALARM_COLOUR)}" if divergent else ""
    return f"Trace: {names}{mark}"


def _bfmi(value: float) -> str:
    text = f"{value:.2f}"
    return _coloured(text, ALARM_COLOUR) if value < BFMI_LIMIT else text


def _coloured(text: str, colour: str | tuple[int, int, int]) -> str:
    css = colour if isinstance(colour, str) else "#{:02x}{:02x}{:02x}".format(*colour)
    return f"<span style='color:{css}'>{text}</span>"
