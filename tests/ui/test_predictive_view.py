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
            "y",
            ["x"],
            rows,
            X,
            mean[:5],
            mean[:5],
            mean[:5] - 1,
            mean[:5] + 1,
            0.9,
            grid,
            None,
            np.zeros(5, bool),
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


def test_the_caption_checks_the_intervals_on_held_out_rows_apart(qtbot) -> None:  # noqa: ANN001
    """Held-out rows are the honest check: counted apart from the fitted ones, drawn
    in their own colour, and the PIT is theirs."""
    view = PredictiveView()
    qtbot.addWidget(view)
    y = np.array([0.0, 0.5, 3.0, 0.2, 5.0, np.nan])
    mean = np.zeros(6)
    held = np.array([False, False, False, True, True, True])
    pit = np.array([0.5, 0.6, 0.99, 0.4, 1.0, np.nan])
    p = Predictions(
        "y",
        ["a", "b"],
        np.arange(6),
        np.zeros((6, 2)),
        y,
        mean,
        mean - 1,
        mean + 1,
        0.9,
        None,
        pit,
        held,
    )
    view._on_task_answered(p)
    caption = view.caption.text()
    assert "On the 3 rows the model was fitted to, 67% of the observed values" in caption
    assert "on the 2 held-out rows the model did not see, 50%." in caption
    assert "held-out" in view.pit.getPlotItem().titleLabel.text
    names = [item.name() for item in view.plot.getPlotItem().listDataItems()]
    assert "prediction, held-out row" in names

    p.held_out = np.zeros(6, bool)
    view._on_task_answered(p)
    assert "hold out rows in the Run tab" in view.caption.text()


def test_a_model_with_one_value_per_row_claims_no_intervals(qtbot) -> None:  # noqa: ANN001
    view = PredictiveView()
    qtbot.addWidget(view)
    score = np.linspace(-1.0, 1.0, 6)
    view._on_task_answered(
        Predictions(
            "typicality",
            ["a"],
            np.arange(6),
            np.zeros((6, 1)),
            None,
            score,
            score,
            score,
            0.9,
            None,
            None,
            np.zeros(6, bool),
        )
    )
    assert (
        "no interval" in view.caption.text() and "predictive intervals" not in view.caption.text()
    )
    assert view.pit.isHidden()
