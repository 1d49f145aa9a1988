"""The canvas look in one place: the shapes, sizes and colours of each node kind.

The conventions are those of Bayesian-network drawings (Koller & Friedman,
DoodleBUGS): ellipses for random variables, shaded when observed, a double
outline for deterministic nodes, rectangles for data and constants, plates as
boxes labelled with what they repeat over.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor


@dataclass(frozen=True)
class KindStyle:
    shape: str  # ellipse, rect, rounded
    fill: str
    outline: str
    double: bool = False
    width: float = 104.0
    height: float = 50.0
    label: str = ""


INK = "#2b2f36"
MUTED = "#5f6670"
SELECTION = "#1a73e8"
ERROR = "#c5221f"
WARNING = "#e37400"
EDGE = "#4a5059"
PLATE_FILL = "#f6f8fb"
PLATE_OUTLINE = "#8a94a3"
BACKGROUND = "#ffffff"
GRID = "#eef1f5"

STYLES: dict[str, KindStyle] = {
    "stochastic": KindStyle("ellipse", "#ffffff", INK, label="Stochastic"),
    "observed": KindStyle("ellipse", "#cfd6df", INK, label="Observed"),
    "deterministic": KindStyle("ellipse", "#ffffff", INK, double=True, label="Deterministic"),
    "data": KindStyle("rect", "#cfd6df", INK, height=42.0, label="Data"),
    "constant": KindStyle("rect", "#ffffff", INK, width=88.0, height=38.0, label="Constant"),
    "gp": KindStyle("rounded", "#ece6f7", "#5b3f99", width=116.0, label="Gaussian process"),
    "generator": KindStyle("rounded", "#e0f2ef", "#1f6f63", width=124.0, label="Generator"),
}

# The palette's entries: node kinds plus the plate.
PALETTE = (
    "stochastic",
    "observed",
    "deterministic",
    "data",
    "constant",
    "plate",
    "gp",
    "generator",
)
PLATE_LABEL = "Plate"


def color(name: str) -> QColor:
    return QColor(name)
