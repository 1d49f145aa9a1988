"""The Attributions tab: many inputs are shown by the most important, and a model
without a posterior says so instead of drawing empty intervals."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from backends.explain import Attributions, global_importance
from workbench.ui.results.attributions_view import MOST_SHOWN, AttributionsView
from workbench.ui.results.compute import AttributionView


def point_attributions(n_rows: int, n_features: int) -> Attributions:
    """A model without a posterior (a GAN's critic): one value per attribution."""
    rng = np.random.default_rng(0)
    values = rng.normal(size=(n_rows, n_features)) * np.linspace(3, 0.1, n_features)
    zeros = np.zeros_like(values)
    return Attributions(
        input_names=[f"px_{j}" for j in range(n_features)],
        X=rng.normal(size=(n_rows, n_features)),
        values=values,
        lower=values,
        upper=values,
        sd=zeros,
        output=values.sum(1) - 1.0,
        base_value=-1.0,
        mc_error=zeros,
        draws_error=zeros,
        additivity_error=0.0,
        method="sampled-kernel",
        scale="response",
        level=0.9,
        n_draws=1,
        converged=True,
    )


def shown(qtbot, a: Attributions, levels: dict | None = None) -> AttributionsView:  # noqa: ANN001
    """The tab after its worker answered with ``a`` (every row explained)."""
    view = AttributionsView()
    qtbot.addWidget(view)
    view._on_task_answered(
        AttributionView(np.arange(len(a.X)), a, global_importance(a), levels or {})
    )
    return view


def test_many_inputs_are_shown_by_the_most_important(qtbot) -> None:  # noqa: ANN001
    view = AttributionsView()
    qtbot.addWidget(view)
    a = point_attributions(30, 64)
    a.notes = ["no draws here"]
    importance = global_importance(a)
    view._on_task_answered(AttributionView(np.arange(30), a, importance))

    caption = view.caption.text()
    assert "no intervals" in caption and "posterior draws" not in caption
    assert f"the {MOST_SHOWN} most important of 64 inputs" in caption
    assert caption.endswith("No draws here.")  # notes read as sentences
    assert "interval" not in view.importance.titleLabel.text  # none to draw
    ticks = [label for _, label in view.importance.getAxis("left")._tickLevels[0]]
    assert ticks[::-1] == [e["feature"] for e in importance[:MOST_SHOWN]]
    assert view.feature.currentText() == importance[0]["feature"]

    # the waterfall of row 0: the largest pushes one by one, the rest in one bar
    labels = [label for _, label in view.waterfall.getAxis("left")._tickLevels[0]]
    assert len(labels) == MOST_SHOWN + 1 and labels[-1] == f"{64 - MOST_SHOWN} other inputs"
    bars = [i for i in view.waterfall.items if isinstance(i, pg.BarGraphItem)]
    pushed = sum(float(b.opts["width"][0]) for b in bars)
    assert np.isclose(a.base_value + pushed, a.output[0])


def test_few_inputs_are_all_shown_with_their_intervals(qtbot) -> None:  # noqa: ANN001
    a = point_attributions(10, 4)
    a.lower, a.upper, a.n_draws = a.values - 0.5, a.values + 0.5, 64
    view = shown(qtbot, a)
    caption = view.caption.text()
    assert "90% intervals from 64 posterior draws" in caption and "most important" not in caption
    labels = [label for _, label in view.waterfall.getAxis("left")._tickLevels[0]]
    assert len(labels) == 4 and not any("other inputs" in label for label in labels)


def test_the_what_if_line_says_why_there_are_no_changes(qtbot, tmp_path) -> None:  # noqa: ANN001
    """No decision rule, no actionable input, none found: three different sentences,
    never 'would alter the decision' for a project that has no decision."""
    from workbench.project import Project, read_table

    (tmp_path / "t.csv").write_text("income,age,y\n1,2,3\n4,5,6\n")
    project = Project(read_table(tmp_path / "t.csv"))
    view = AttributionsView()
    qtbot.addWidget(view)
    view.project = project
    record = {"row": 4, "inputs": {"income": 1.0, "age": 2.0}, "counterfactuals": []}

    view._on_row_task_answered(record)
    assert "set a decision rule" in view.what_if.text()

    project.settings.report = {"decision": {"threshold": 0.5}}
    view._on_row_task_answered(record)
    assert "no numeric input of the model as one a person can change" in view.what_if.text()

    project.settings.report = {"decision": {"threshold": 0.5}, "actionable": ["income"]}
    view._on_row_task_answered(record)
    assert view.what_if.text().startswith("Row 4: no change to the actionable inputs")

    change = {"changes": {"income": {"from": 1.0, "to": 2.5}}, "probability": 0.8}
    view._on_row_task_answered(dict(record, counterfactuals=[change]))
    assert "income from 1 to 2.5 (the decision changes with probability 80%)" in (
        view.what_if.text()
    )


def test_a_gp_closed_form_has_exact_intervals_not_zero_draws(qtbot) -> None:  # noqa: ANN001
    a = point_attributions(5, 3)
    a.lower, a.upper, a.n_draws = a.values - 1, a.values + 1, 0
    view = shown(qtbot, a)
    caption = view.caption.text()
    assert "exact 90% intervals" in caption and "draws" not in caption


def test_a_model_without_inputs_says_so_instead_of_failing(qtbot) -> None:  # noqa: ANN001
    a = point_attributions(4, 0)
    a.notes = ["the model has no inputs: every row gets the same prediction"]
    view = shown(qtbot, a)
    assert view.caption.text() == (
        "No attributions. The model has no inputs: every row gets the same prediction."
    )


def test_attributions_that_do_not_add_up_are_flagged(qtbot) -> None:  # noqa: ANN001
    a = point_attributions(6, 3)
    a.additivity_error = 0.5
    view = shown(qtbot, a)
    assert "do not add up to the predictions</b> (error 0.5)" in view.caption.text()
    a.additivity_error = 1e-9
    view._on_task_answered(AttributionView(np.arange(6), a, global_importance(a)))
    assert "do not add up" not in view.caption.text()


def test_a_categorical_input_is_labelled_by_its_levels(qtbot) -> None:  # noqa: ANN001
    a = point_attributions(3, 2)
    a.X[:, 0] = [0.0, 1.0, 1.0]  # codes of px_0's levels
    a.values[:, 0] = 5.0  # the most important: the dependence plot starts on it
    view = shown(qtbot, a, {"px_0": ["low", "3.0"]})
    ticks = [label for _, label in view.waterfall.getAxis("left")._tickLevels[0]]
    assert "px_0 = low" in ticks
    assert view.feature.currentText() == "px_0"
    axis = view.dependence.getAxis("bottom")._tickLevels[0]
    assert [label for _, label in axis] == ["low", "3"]


def test_large_input_values_are_written_out() -> None:
    a = point_attributions(1, 1)
    assert AttributionView(np.arange(1), a, []).shown_value("px_0", 30000.0) == "30,000"
