"""The Posterior tab shows what each sampler says of itself, and offers the fix for a
funnel as one undoable edit of the model.

Runs are built from arrays (what a NUTS, ensemble or VI run leaves in its record), so
the tests take milliseconds; the plots are checked on the data they draw.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack

from backends.graph.model import Graph, Node, Plate
from backends.runtime import ResultState
from workbench.project import Project, RunRecord
from workbench.ui.canvas import ModelEditor
from workbench.ui.results.runs_panel import RunsPanel

NAMES = ["mu", "tau", "theta[a]", "theta[b]"]
REASON = "the model has 4 parameters; NUTS was asked for (sampler = nuts)."


def funnel_draws(chains: int = 2, draws: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Draws down a funnel (theta = mu + tau * z) and divergences where tau is smallest."""
    rng = np.random.default_rng(0)
    tau = np.exp(rng.normal(0.5, 1.2, (chains, draws)))
    mu = rng.normal(4.0, 3.0, (chains, draws))
    theta = mu[..., None] + tau[..., None] * rng.normal(size=(chains, draws, 2))
    values = np.concatenate([mu[..., None], tau[..., None], theta], axis=-1)
    diverging = (tau < np.quantile(tau, 0.03)).astype(np.int8)
    return values, diverging


def record(sampler: str, **summary: Any) -> RunRecord:
    values, diverging = funnel_draws(chains=1 if sampler == "vi" else 2)
    arrays = {"draws": values}
    facts: dict[str, Any] = {"sampler": sampler, "sampler_reason": REASON}
    if sampler == "nuts":
        arrays["diverging"] = diverging
        arrays["energy"] = np.random.default_rng(1).gamma(3.0, 2.0, diverging.shape)
        facts.update(
            chains=2,
            draws_per_chain=300,
            divergences=int(diverging.sum()),
            e_bfmi=[0.21, 0.85],
            step_size=[0.3, 0.4],
            mean_tree_depth=3.2,
            funnel={"node": "theta", "scale": "tau"},
        )
    facts.update(summary)
    parameters = {n: {"mean": float(values[..., i].mean())} for i, n in enumerate(NAMES)}
    return RunRecord(
        engine="mcmc",
        settings={},
        seed=1,
        device="cpu",
        started="2026-01-01T10:00:00",
        finished="2026-01-01T10:00:09",
        message="took 9.0 s",
        summary={"engine": "mcmc", "converged": False, "warnings": [], "parameters": parameters}
        | facts,
        state=ResultState({}, arrays),
    )


def centred_graph(family: str = "Normal") -> Graph:
    graph = Graph()
    groups = graph.add_plate(Plate("groups", over="g", index="j", position=(200.0, 130.0)))
    graph.add_node(Node("mu", "stochastic", position=(120.0, 60.0), distribution="Normal",
                        params={"mu": "0", "sigma": "5"}))  # fmt: skip
    graph.add_node(Node("tau", "stochastic", position=(360.0, 60.0), distribution="HalfCauchy",
                        params={"sigma": "5"}))  # fmt: skip
    params = {"mu": "mu", "sigma": "tau"} | ({"nu": "4"} if family == "StudentT" else {})
    graph.add_node(Node("theta", "stochastic", position=(340.0, 190.0), distribution=family,
                        params=params, plate=groups.id))  # fmt: skip
    return graph


@pytest.fixture
def stack() -> QUndoStack:
    return QUndoStack()


def panel_on(qtbot, project: Project, stack: QUndoStack | None, *runs: RunRecord) -> RunsPanel:  # noqa: ANN001
    for run in runs:
        project.add_run(run)
    panel = RunsPanel(stack)
    qtbot.addWidget(panel)
    panel.set_project(project)
    panel.views.setCurrentIndex(1)
    panel.resize(1200, 800)
    panel.show()
    return panel


def curve_names(plot: pg.PlotItem) -> list[str]:
    return [item.name() for item in plot.listDataItems() if isinstance(item, pg.PlotDataItem)]


def scatter_points(plot: pg.PlotItem) -> list[tuple[np.ndarray, np.ndarray]]:
    return [item.getData() for item in plot.items if isinstance(item, pg.ScatterPlotItem)]


def test_a_nuts_run_marks_its_divergences_and_shows_the_energy_plot(qtbot) -> None:  # noqa: ANN001
    run = record("nuts")
    panel = panel_on(qtbot, Project(graph=centred_graph()), None, run)
    view = panel.posterior
    values, diverging = run.state.arrays["draws"], run.state.arrays["diverging"].astype(bool)
    # the funnel is shown first: theta's first element against its scale, on a log axis
    assert view.parameters.currentItem().text() == "theta[a]"
    assert view.partner.currentText() == "tau"
    assert view.pair.getAxis("left").labelText == "log(tau)"
    assert curve_names(view.trace) == ["chain 1", "chain 2"]
    assert "chain 2" in view.trace.titleLabel.text and "divergent" in view.trace.titleLabel.text
    chains, draws = np.nonzero(diverging)
    [(x, y)] = scatter_points(view.trace)  # one red point per divergent draw of each chain
    np.testing.assert_array_equal(x, draws)
    np.testing.assert_array_equal(y, values[chains, draws, 2])
    [(px, py)] = scatter_points(view.pair)
    np.testing.assert_allclose(px, values[diverging][:, 2])
    np.testing.assert_allclose(py, np.log(values[diverging][:, 1]))
    assert view.energy in view.plots.ci.items
    marginal, transitions = (curve.getData() for curve in view.energy.listDataItems())
    np.testing.assert_array_equal(marginal[0], transitions[0])  # shared bins
    edges = marginal[0]
    width, centres = np.diff(edges), (edges[:-1] + edges[1:]) / 2
    for _, density in (marginal, transitions):
        assert np.sum(density * width) == pytest.approx(1)  # densities, comparable
        assert abs(np.sum(centres * density * width)) < width[0]  # both centred on 0
    title = view.energy.titleLabel.text
    assert "0.21" in title and "0.85" in title and "color:#d7191c'>0.21" in title
    assert "Rank plot (flat when chains agree)" in view.ranks.titleLabel.text


@pytest.mark.parametrize("sampler,word,chains", [("ensemble", "ensemble", 2), ("vi", "chain", 1)])
def test_ensemble_and_vi_runs_look_as_before(qtbot, sampler: str, word: str, chains: int) -> None:  # noqa: ANN001
    panel = panel_on(qtbot, Project(graph=centred_graph()), None, record("nuts"), record(sampler))
    view = panel.posterior
    assert curve_names(view.trace) == [f"{word} {k + 1}" for k in range(chains)]
    assert scatter_points(view.trace) == [] and scatter_points(view.pair) == []
    assert view.energy not in view.plots.ci.items  # NUTS only
    assert view.ppc in view.plots.ci.items
    assert view.parameters.currentItem().text() == "mu"
    assert panel.funnel_bar.isHidden()
    panel.history.setCurrentRow(1)  # the NUTS run again: the energy plot comes back
    assert view.energy in view.plots.ci.items and not panel.funnel_bar.isHidden()


def test_the_header_says_which_sampler_ran_and_why(qtbot) -> None:  # noqa: ANN001
    old = record("ensemble")
    del old.summary["sampler"], old.summary["sampler_reason"]  # a run from before NUTS
    vi = record("vi", vi_method="fullrank", pareto_k=0.41)
    panel = panel_on(qtbot, Project(graph=centred_graph()), None, vi, old, record("nuts"))
    text = panel.verdict.text()
    assert f"Sampler: <b>NUTS</b> — {REASON}" in text
    assert "2 chains × 300 draws" in text and "E-BFMI 0.21, 0.85" in text
    assert "step size 0.3–0.4" in text and "mean tree depth 3.2" in text
    assert "MCMC · NUTS" in panel.history.item(0).text()
    panel.history.setCurrentRow(1)
    assert "Sampler" not in panel.verdict.text()
    assert panel.history.item(1).text().split()[2:] == ["MCMC", "finished"]
    panel.history.setCurrentRow(2)
    assert "<b>variational inference</b>" in panel.verdict.text()
    assert "fullrank Gaussian; Pareto k 0.41." in panel.verdict.text()
    assert "MCMC · VI" in panel.history.item(2).text()


def test_the_rewrite_button_rewrites_the_model_as_one_undoable_step(qtbot, stack) -> None:  # noqa: ANN001
    project = Project(graph=centred_graph())
    editor = ModelEditor(project, stack)  # the canvas follows the same graph
    qtbot.addWidget(editor)
    panel = panel_on(qtbot, project, stack, record("nuts"))
    bar = panel.funnel_bar
    before = project.graph.to_dict()
    assert bar.isVisible() and bar.rewrite_button.isVisible()
    assert bar.rewrite_button.text() == "Rewrite theta non-centred"
    assert "divergent transitions near small tau" in bar.message.text()
    assert "theta ~ Normal(mu, tau)" in bar.message.text()

    qtbot.mouseClick(bar.rewrite_button, Qt.MouseButton.LeftButton)

    graph = project.graph
    theta, z = graph.node_by_name("theta"), graph.node_by_name("theta_z")
    assert (theta.kind, theta.expression) == ("deterministic", "mu + tau * theta_z")
    assert z.distribution == "Normal" and z.plate == theta.plate
    assert z.id in editor.scene.node_items  # the canvas followed the graph's events
    assert stack.count() == 1 and stack.undoText() == "Rewrite theta non-centred"
    assert not bar.rewrite_button.isVisible() and "no longer in the centred" in bar.message.text()
    after = graph.to_dict()

    stack.undo()
    assert project.graph.to_dict() == before  # exactly: ids, positions, plate box, order
    assert z.id not in editor.scene.node_items
    assert bar.rewrite_button.isVisible()
    stack.redo()
    assert project.graph.to_dict() == after
    editor.detach()


def test_a_node_the_rewrite_cannot_handle_is_explained_without_a_button(qtbot, stack) -> None:  # noqa: ANN001
    panel = panel_on(qtbot, Project(graph=centred_graph("StudentT")), stack, record("nuts"))
    bar = panel.funnel_bar
    assert bar.isVisible() and not bar.rewrite_button.isVisible()
    assert "cannot be rewritten here" in bar.message.text()
    assert "theta is StudentT" in bar.message.text()


def test_without_the_windows_undo_stack_the_bar_only_explains(qtbot) -> None:  # noqa: ANN001
    panel = panel_on(qtbot, Project(graph=centred_graph()), None, record("nuts"))
    assert panel.funnel_bar.isVisible() and not panel.funnel_bar.rewrite_button.isVisible()
