"""The Predictive tab draws the GP's bands as filled areas between their edges."""

from __future__ import annotations

import numpy as np

from workbench.ui.results.compute import Predictions
from workbench.ui.results.predictive_view import PredictiveView


def test_both_bands_are_filled_between_their_edges(qtbot) -> None:  # noqa: ANN001
    view = PredictiveView()
    qtbot.addWidget(view)
    x = np.linspace(0.0, 10.0, 50)
    mean = np.sin(x)
    grid = {
        "x": x,
        "mean": mean,
        "lower": mean - 1.0,
        "upper": mean + 1.0,
        "f_lower": mean - 0.5,
        "f_upper": mean + 0.5,
    }
    rows = np.arange(5)
    X = x[:5, None]
    view._on_task_answered(
        Predictions(
            "y", ["x"], rows, X, mean[:5], mean[:5], mean[:5] - 1, mean[:5] + 1, 0.9, grid, None
        )
    )
    assert len(view.bands) == 2
    for band, half_width in zip(view.bands, (1.0, 0.5), strict=True):
        area = band.path().boundingRect()
        assert not band.path().isEmpty()
        assert np.isclose(area.left(), 0.0) and np.isclose(area.right(), 10.0)
        assert np.isclose(area.top(), -1.0 - half_width, atol=0.01)
        assert np.isclose(area.bottom(), 1.0 + half_width, atol=0.01)
    assert "dark band" in view.caption.text()
