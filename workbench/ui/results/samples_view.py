"""What a generator learnt: real against generated marginals, and the two-sample score."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from backends.runtime import ColumnTable
from workbench.project import RunRecord
from workbench.ui.results.background import LatestOnly
from workbench.ui.results.compute import without_results

SAMPLE_ROWS = 5000
PATH_STEPS = 21
PAIR_POINTS = 2000
BINS = 40
FEW_LEVELS = 12  # at most this many distinct values: bars of shares, not a histogram
REAL, GENERATED = (60, 60, 60, 110), (209, 73, 91, 130)


@dataclass
class Images:
    generated: np.ndarray  # (n, height, width), values as the real images
    metrics: dict


IMAGE_GRID = 8  # an 8 × 8 grid of generated images


@dataclass
class Samples:
    columns: list[str]
    real: dict[str, np.ndarray]
    generated: dict[str, np.ndarray]
    metrics: dict
    path: dict[str, np.ndarray]  # rows along the latent path between two samples


def compute_samples(record: RunRecord, table: ColumnTable) -> Samples | Images:
    result = record.result()
    if result.summary().get("kind") == "images":
        return Images(
            result.sample_images(IMAGE_GRID * IMAGE_GRID, seed=0),
            result.summary().get("metrics", {}),
        )
    columns = [c for c in result.summary().get("columns", []) if c in table]
    n = min(SAMPLE_ROWS, table.n_rows)
    generated = result.sample(n, seed=0)
    real = {c: table[c] for c in columns}
    path = result.interpolate(0, 1, steps=PATH_STEPS) if hasattr(result, "interpolate") else {}
    return Samples(
        columns,
        real,
        {c: np.asarray(generated[c]) for c in columns},
        result.summary().get("metrics", {}),
        path,
    )


class SamplesView(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground("w")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, PATH_STEPS - 1)
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.path_row = QLabel()
        path_box = QHBoxLayout()
        path_box.addWidget(
            QLabel("Walk through the latent space from one generated row to another:")
        )
        path_box.addWidget(self.slider, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addWidget(self.plots, 1)
        layout.addLayout(path_box)
        layout.addWidget(self.path_row)
        self.record_shown: RunRecord | None = None
        self.shown: Samples | None = None
        self._task = LatestOnly(self)
        self._task.answered.connect(self._on_task_answered)
        self._task.failed.connect(
            lambda message: self.caption.setText(
                f"Samples are not available for this run: {message}"
            )
        )

    def show_run(self, record: RunRecord | None, table: ColumnTable | None) -> None:
        self.record_shown = record
        self.plots.clear()
        self.shown = None
        if record is None or record.engine != "gan" or record.state is None or table is None:
            self._task.forget()
            if record is not None and record.engine == "gan" and record.state is None:
                self.caption.setText(without_results(record, "samples"))
            else:
                self.caption.setText("Generated samples are shown for GAN runs.")
            return
        self.caption.setText("Drawing samples…")
        self._task.ask(compute_samples, record, table)

    def _on_task_answered(self, samples: Samples | Images) -> None:
        self.shown = samples
        if isinstance(samples, Images):
            self._draw_images(samples)
            return
        auc = samples.metrics.get("c2st_auc")
        verdict = (
            ""
            if auc is None
            else (
                f" A classifier tells generated rows from held-out real ones with AUC {auc:.2f} "
                "(0.5: it cannot tell them apart; 1: it always can)."
            )
        )
        self.caption.setText(f"Real (grey) and generated (red) values of each column.{verdict}")
        self.slider.setEnabled(bool(samples.path))
        self._on_slider_value_changed(self.slider.value())
        for i, column in enumerate(samples.columns):
            plot = self.plots.addPlot(row=i // 3, col=i % 3, title=column)
            real = samples.real[column]
            generated = samples.generated[column]
            if real.dtype == object or _few_levels(real):
                shown = _labels(real)
                levels = (
                    sorted(set(shown))
                    if real.dtype == object
                    else [_cell(v) for v in np.unique(real[np.isfinite(real)])]
                )
                self._bars(plot, shown, _labels(generated), levels)
            else:
                self._histograms(plot, real.astype(float), generated.astype(float))
        numeric = [c for c in samples.columns if samples.real[c].dtype != object]
        if len(numeric) >= 2:
            self._pairs(samples, numeric[0], numeric[1], len(samples.columns))

    def _draw_images(self, images: Images) -> None:
        """Generated images in a grid, one image item per cell (grey scale, 0 dark)."""
        auc = images.metrics.get("c2st_auc")
        self.caption.setText(
            "Generated images."
            + (
                ""
                if auc is None
                else f" A classifier tells them from real ones with AUC {auc:.2f}."
            )
        )
        self.slider.setEnabled(False)
        self.path_row.clear()
        view = self.plots.addViewBox(row=0, col=0, lockAspect=True, invertY=True)
        size = images.generated.shape[-1]
        gap = 1
        for k, image in enumerate(images.generated):
            item = pg.ImageItem(image.T)  # ImageItem takes (x, y); images are (row, column)
            row, col = divmod(k, IMAGE_GRID)
            item.setPos(col * (size + gap), row * (size + gap))
            item.setLevels((float(images.generated.min()), float(images.generated.max())))
            view.addItem(item)

    def _on_slider_value_changed(self, step: int) -> None:
        """Show the generated row at this point of the path (a smooth path means the
        generator has learnt a continuous picture of the data, not a lookup table)."""
        if not isinstance(self.shown, Samples) or not self.shown.path:
            self.path_row.clear()
            return
        path = self.shown.path
        cells = [f"<b>{c}</b> {_cell(path[c][step])}" for c in self.shown.columns if c in path]
        self.path_row.setText(f"t = {path['t'][step]:.2f}: " + "   ".join(cells))

    def _pairs(self, samples: Samples, x: str, y: str, index: int) -> None:
        """Two columns jointly: marginals can match while the relation between columns does not."""
        plot = self.plots.addPlot(row=index // 3, col=index % 3, title=f"{y} against {x}")
        for data, colour in ((samples.real, REAL), (samples.generated, GENERATED)):
            plot.plot(
                data[x].astype(float)[:PAIR_POINTS],
                data[y].astype(float)[:PAIR_POINTS],
                pen=None,
                symbol="o",
                symbolSize=3,
                symbolPen=None,
                symbolBrush=colour,
            )
        plot.setLabel("bottom", x)
        plot.setLabel("left", y)

    @staticmethod
    def _histograms(plot: pg.PlotItem, real: np.ndarray, generated: np.ndarray) -> None:
        real = real[np.isfinite(real)]
        edges = np.histogram_bin_edges(np.concatenate([real, generated]), bins=BINS)
        for values, colour in ((real, REAL), (generated, GENERATED)):
            counts, _ = np.histogram(values, bins=edges, density=True)
            plot.plot(
                edges,
                counts,
                stepMode="center",
                fillLevel=0,
                brush=colour,
                pen=pg.mkPen(colour[:3]),
            )

    @staticmethod
    def _bars(
        plot: pg.PlotItem, real: np.ndarray, generated: np.ndarray, levels: list[str]
    ) -> None:
        """Shares of each level, side by side: a histogram of a 0/1 or few-valued column
        would show two spikes whose heights depend on the bin width."""
        for offset, (text, colour) in enumerate(((real, REAL), (generated, GENERATED))):
            shares = [float(np.mean(text == level)) if len(text) else 0.0 for level in levels]
            plot.addItem(
                pg.BarGraphItem(
                    x=np.arange(len(levels)) + 0.4 * offset - 0.2,
                    height=shares,
                    width=0.4,
                    brush=colour,
                )
            )
        plot.getAxis("bottom").setTicks([list(enumerate(levels))])


def _few_levels(values: np.ndarray) -> bool:
    """A numeric column with few distinct values (a 0/1 flag, a small count)."""
    finite = values[np.isfinite(values.astype(float))]
    return len(np.unique(finite)) <= FEW_LEVELS


def _labels(values: np.ndarray) -> np.ndarray:
    """Each present value as the text its level is named by (1.0 and 1 alike)."""
    present = [v for v in values if v is not None and not (isinstance(v, float) and np.isnan(v))]
    return np.array([_cell(v) for v in present], dtype=object)


def _cell(value: object) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value) + 0.0:.6g}"  # + 0.0 turns -0 into 0
    return str(value)
