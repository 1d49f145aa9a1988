"""The inspector: families, expressions checked as you type, the prior plot,
column bindings, plates, GP kernel composition and generator settings."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel

from backends.gan.spec import DEFAULT_IMAGE_LATENT, DEFAULT_LATENT
from backends.graph.distributions import FAMILIES
from workbench.ui.canvas import ModelEditor
from workbench.ui.canvas.fields import ColumnChecklist, ExpressionField
from workbench.ui.canvas.kind_forms import GeneratorForm, GPForm


def _inspect(editor: ModelEditor, item_id: str) -> dict:
    editor.scene.select_ids([item_id])
    editor.inspector.rebuild()
    return editor.inspector.fields


def test_family_change_and_the_prior_plot_follow_the_parameters(editor: ModelEditor) -> None:
    node = editor.add_node("stochastic", (0, 0))
    fields = _inspect(editor, node)
    plot = editor.inspector.prior_plot
    x, y = plot.curve.getData()
    assert np.allclose(
        y, np.exp(FAMILIES["Normal"].logpdf(x, {"mu": np.array(0.0), "sigma": np.array(1.0)}))
    )
    fields["distribution"].setCurrentText("Gamma")
    assert editor.graph.nodes[node].params == {"alpha": "1", "beta": "1"}
    fields = _inspect(editor, node)
    labels = editor.inspector.widget().findChildren(QLabel)
    assert any("shape alpha and rate beta" in label.text() for label in labels)  # the family's doc
    fields["params.alpha"].edit.setText("3")  # typing redraws before the edit is committed
    x, y = editor.inspector.prior_plot.curve.getData()
    expected = np.exp(FAMILIES["Gamma"].logpdf(x, {"alpha": np.array(3.0), "beta": np.array(1.0)}))
    assert np.allclose(y, expected) and x.min() >= -1.0
    fields["params.alpha"].edit.setText("theta_2 + 1")  # not a number: no curve, and why
    assert len(editor.inspector.prior_plot.curve.getData()[0] or []) == 0
    assert "number" in editor.inspector.prior_plot.message.textItem.toPlainText()


def test_a_discrete_family_is_drawn_as_bars(editor: ModelEditor) -> None:
    node = editor.add_node("observed", (0, 0))
    editor.graph.update_node(node, kind="stochastic", distribution="Poisson", params={"rate": "4"})
    _inspect(editor, node)
    bars = editor.inspector.prior_plot.bars.opts
    assert np.allclose(
        bars["height"],
        np.exp(FAMILIES["Poisson"].logpdf(np.asarray(bars["x"]), {"rate": np.array(4.0)})),
    )


def test_an_expression_error_shows_under_the_field_and_completion_offers_names(
    qtbot, editor: ModelEditor
) -> None:  # noqa: ANN001
    editor.add_node("stochastic", (0, 0))
    eta = editor.add_node("deterministic", (0, 150))
    field: ExpressionField = _inspect(editor, eta)["expression"]
    field.edit.setFocus()
    QTest.keyClicks(field.edit, "theta *")
    assert field.error.isVisible() and "cannot read" in field.error.text()
    QTest.keyClicks(field.edit, " 2 + nobody")
    assert "unknown name 'nobody'" in field.error.text()
    field.edit.clear()
    QTest.keyClicks(field.edit, "exp(th")
    completer = field.edit.completer_
    assert completer.completionPrefix() == "th" and completer.currentCompletion() == "theta"
    field.edit._insert("theta")
    assert field.edit.text() == "exp(theta"
    assert not editor.graph.nodes[eta].expression  # nothing committed while typing


def test_column_binding_for_data_and_plate_settings(editor: ModelEditor) -> None:
    data = editor.add_node("data", (0, 0))
    checklist: ColumnChecklist = _inspect(editor, data)["columns"]
    checklist.set_checked(["mom_iq", "mom_hs"])
    assert editor.graph.nodes[data].columns in (["mom_hs", "mom_iq"], ["mom_iq", "mom_hs"])
    plate = editor.add_node("plate", (400, 0))
    fields = _inspect(editor, plate)
    fields["over"].setCurrentIndex(fields["over"].findData("mom_hs"))
    assert editor.graph.plates[plate].over == "mom_hs"
    fields = _inspect(editor, plate)
    fields["index"].setText("h")
    fields["index"].editingFinished.emit()
    assert editor.graph.plates[plate].index == "h"
    assert editor.scene.plate_items[plate].caption == "h in mom_hs"


def test_gp_kernel_composition_by_pointing(editor: ModelEditor) -> None:
    gp = editor.add_node("gp", (0, 0))
    _inspect(editor, gp)
    form = editor.inspector.widget().findChild(GPForm)
    form.inputs.set_checked(["mom_iq", "mom_hs"])
    assert editor.graph.nodes[gp].options["inputs"] == ["mom_hs", "mom_iq"]
    _inspect(editor, gp)
    form = editor.inspector.widget().findChild(GPForm)
    form._on_add()
    _inspect(editor, gp)
    form = editor.inspector.widget().findChild(GPForm)
    form._edit_term(1, kind="periodic", inputs=["mom_iq"])
    _inspect(editor, gp)
    editor.inspector.widget().findChild(GPForm).combine.setCurrentText("product")
    kernel = editor.graph.nodes[gp].options["kernel"]
    assert kernel == {
        "op": "product",
        "terms": [
            {"kind": "rbf", "ard": True},
            {"kind": "periodic", "ard": True, "inputs": ["mom_iq"]},
        ],
    }
    editor.revalidate()
    assert "GP(constant, (rbf × periodic(mom_iq)))" in editor.formulas.toPlainText()
    for _ in range(4):
        editor.undo_stack.undo()
    assert editor.graph.nodes[gp].options["kernel"] == {"kind": "rbf", "ard": True}


def test_generator_settings(editor: ModelEditor) -> None:
    gen = editor.add_node("generator", (0, 0))
    _inspect(editor, gen)
    form = editor.inspector.widget().findChild(GeneratorForm)
    form.generated.set_checked(["kid_score", "mom_iq"])
    _inspect(editor, gen)
    form = editor.inspector.widget().findChild(GeneratorForm)
    form.latent.setValue(16)
    form.latent.editingFinished.emit()
    _inspect(editor, gen)
    form = editor.inspector.widget().findChild(GeneratorForm)
    form.hidden.setText("128, 64")
    form.hidden.editingFinished.emit()
    node = editor.graph.nodes[gen]
    assert node.columns == ["kid_score", "mom_iq"]
    assert node.options["latent_size"] == 16 and node.options["hidden"] == [128, 64]
    assert not [p for p in editor.revalidate() if p.node == gen and p.severity == "error"]


def test_an_image_generator_form_shows_the_image_defaults(qtbot) -> None:  # noqa: ANN001
    images = GeneratorForm([], {"image": {"source": "digits"}}, [], {})
    qtbot.addWidget(images)
    assert images.latent.value() == DEFAULT_IMAGE_LATENT and images.hidden.text() == "64"
    table = GeneratorForm([], {}, [], {})
    qtbot.addWidget(table)
    assert table.latent.value() == DEFAULT_LATENT and table.hidden.text() == "256, 256"


def test_an_image_generator_says_what_it_makes_on_the_canvas() -> None:
    """Not "0 columns" and "(?) ~ generator(z)": the digits are 8×8 images."""
    from backends.graph.model import Graph, Node
    from backends.graph.statements import model_statements
    from workbench.ui.canvas.items import node_detail

    for node, detail, statement in [
        (
            Node(name="generator", kind="generator", options={"image": {"source": "digits"}}),
            "8×8 digits",
            "(8×8 digits) ~ generator(z",
        ),
        (
            Node(name="gen", kind="generator", columns=["earn", "height"]),
            "2 columns",
            "(earn, height) ~ gen(z",
        ),
    ]:
        graph = Graph()
        graph.add_node(node)
        assert node_detail(node) == detail
        assert model_statements(graph)[0].startswith(statement)


def test_changing_kind_keeps_what_fits(editor: ModelEditor) -> None:
    node = editor.add_node("stochastic", (0, 0))
    fields = _inspect(editor, node)
    fields["kind"].setCurrentIndex(fields["kind"].findData("observed"))
    assert editor.graph.nodes[node].kind == "observed"
    assert editor.graph.nodes[node].distribution == "Normal"
    assert editor.scene.node_items[node].kind == "observed"
    fields = _inspect(editor, node)
    fields["columns"].setCurrentIndex(fields["columns"].findData("kid_score"))
    assert editor.graph.nodes[node].columns == ["kid_score"]
    QTest.keyClick(editor.view.viewport(), Qt.Key.Key_Escape)


def test_a_gps_likelihood_may_leave_its_noise_empty(editor: ModelEditor) -> None:
    """Its sigma is the GP's noise, which the GP learns: no red 'empty' under the field
    (the model is valid), and the formula says so instead of '?'."""
    from backends.graph.model import Edge, Node

    graph = editor.graph
    gp = graph.add_node(Node("f", "gp", options={"inputs": ["mom_iq"]}))
    y = graph.add_node(
        Node("y", "observed", distribution="Normal", params={"mu": "f"}, columns=["kid_score"])
    )
    graph.add_edge(Edge(gp.id, y.id))
    fields = _inspect(editor, y.id)
    sigma = fields["params.sigma"]
    assert sigma.error.text() == "" and "learned by the GP" in sigma.edit.placeholderText()
    editor.revalidate()
    assert "y[i] ~ Normal(f, learned)" in editor.formulas.toPlainText()
