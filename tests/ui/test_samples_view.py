"""The Samples tab draws each generated column in the form that suits it."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from workbench.ui.results.samples_view import Samples, SamplesView


def _plots(view: SamplesView) -> dict[str, pg.PlotItem]:
    layout = view.plots.ci
    items = [layout.getItem(r, c) for r in range(3) for c in range(3)]
    return {item.titleLabel.text: item for item in items if isinstance(item, pg.PlotItem)}


def test_a_flag_is_drawn_as_shares_and_a_measurement_as_a_histogram(qtbot) -> None:  # noqa: ANN001
    view = SamplesView()
    qtbot.addWidget(view)
    rng = np.random.default_rng(0)
    real = {"earn": rng.lognormal(10, 1, 400), "male": (rng.random(400) < 0.4).astype(float)}
    generated = {"earn": rng.lognormal(10, 1, 400), "male": np.r_[np.ones(100), np.zeros(300)]}
    view._on_task_answered(Samples(["earn", "male"], real, generated, {"c2st_auc": 0.55}, {}))

    plots = _plots(view)
    bars = [i for i in plots["male"].items if isinstance(i, pg.BarGraphItem)]
    heights = [list(b.opts["height"]) for b in bars]
    assert heights[0] == [np.mean(real["male"] == 0), np.mean(real["male"] == 1)]
    assert heights[1] == [0.75, 0.25]
    ticks = plots["male"].getAxis("bottom")._tickLevels[0]
    assert [label for _, label in ticks] == ["0", "1"]
    assert not any(isinstance(i, pg.BarGraphItem) for i in plots["earn"].items)
    assert "AUC 0.55" in view.caption.text()


def test_a_failed_gan_run_says_it_holds_no_samples(qtbot) -> None:  # noqa: ANN001
    from workbench.project import RunRecord

    view = SamplesView()
    qtbot.addWidget(view)
    failed = RunRecord("gan", {}, 0, "cpu", "t0", "t1", status="failed", message="no")
    view.show_run(failed, None)
    assert "The selected run failed and holds no results" in view.caption.text()
    view.show_run(RunRecord("mcmc", {}, 0, "cpu", "t0", "t1"), None)
    assert view.caption.text() == "Generated samples are shown for GAN runs."
