"""Repaint a grid of pyqtgraph plots of 200k points many times (run as a script).

PySide6 6.12.0 with pyqtgraph 0.14.0 aborts the interpreter on this script
("none_dealloc: deallocating None … refcount error" in AxisItem.drawPicture; seen
here within 30 repaints), while 6.11.3 runs it clean. An abort cannot be caught
inside the test process, so tests/ui/test_plot_stress.py runs this in a child.
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

POINTS = 200_000
REPAINTS = 30


def main() -> None:
    app = QApplication.instance() or QApplication([])
    rng = np.random.default_rng(0)
    window = pg.GraphicsLayoutWidget()
    window.resize(1000, 700)
    plots = [window.addPlot(row=i // 2, col=i % 2) for i in range(4)]
    curves = [plot.plot(np.cumsum(rng.normal(size=POINTS))) for plot in plots]
    window.show()
    for repaint in range(REPAINTS):
        for plot, curve in zip(plots, curves, strict=True):
            curve.setData(np.cumsum(rng.normal(size=POINTS)))
            plot.setXRange(0, POINTS * (repaint % 7 + 1) / 7)  # new ticks: AxisItem redraws
        app.processEvents()
        window.repaint()
        window.grab()
    window.close()
    print("ok")


if __name__ == "__main__":
    main()
