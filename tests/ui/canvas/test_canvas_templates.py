"""New model from a template: roles picked from the table, one undoable step."""

from __future__ import annotations

from backends.graph.validate import errors_of
from backends.templates import TEMPLATES
from workbench.ui.canvas import ModelEditor, TemplateDialog, templates_menu


def test_a_template_replaces_the_model_in_one_step(editor: ModelEditor) -> None:
    editor.add_node("stochastic", (0, 0))
    before = editor.graph.to_dict()
    dialog = TemplateDialog(editor.project, editor)
    dialog.choose("linear-regression", "kid_score", ["mom_iq"])
    assert dialog.inputs.isVisibleTo(dialog) and not dialog.group.isVisibleTo(dialog)
    dialog.accept()
    assert dialog.result() == TemplateDialog.DialogCode.Accepted
    count = editor.undo_stack.count()
    editor.replace_graph(dialog.graph, "New model from template")
    assert editor.undo_stack.count() == count + 1
    names = {n.name for n in editor.graph.nodes.values()}
    assert "kid_score" in names or any(
        n.columns == ["kid_score"] for n in editor.graph.nodes.values()
    )
    assert errors_of(editor.revalidate()) == []
    assert len(editor.scene.node_items) == len(editor.graph.nodes)
    editor.undo_stack.undo()
    assert editor.graph.to_dict() == before


def test_a_template_that_cannot_be_built_says_why_and_stays_open(editor: ModelEditor) -> None:
    dialog = TemplateDialog(editor.project, editor)
    dialog.choose("logistic-regression", "mom_iq", ["kid_score"])  # mom_iq is not 0/1
    dialog.accept()
    assert dialog.graph is None and dialog.result() != TemplateDialog.DialogCode.Accepted
    assert "logistic-regression" in dialog.error.text()
    dialog.choose("linear-regression")  # another template: the old failure is not its own
    assert dialog.error.text() == ""


def test_the_target_starts_on_a_numeric_column(qtbot, tmp_path) -> None:  # noqa: ANN001
    from workbench.project import Project, read_table

    (tmp_path / "schools.csv").write_text("school,y,sigma\nA,28,15\nB,8,10\n")
    dialog = TemplateDialog(Project(read_table(tmp_path / "schools.csv")))
    qtbot.addWidget(dialog)
    assert dialog.target.currentData() == "y"  # not the categorical "school"
    dialog.choose("hierarchical-intercepts", group="school")
    dialog.group.setCurrentIndex(0)
    dialog.choose("normal")
    dialog.template.setCurrentIndex(list(TEMPLATES).index("hierarchical-intercepts"))
    assert dialog.group.currentData() == "school"  # its groups offered, not "(none)"


def test_the_menu_lists_every_template(editor: ModelEditor) -> None:
    menu = templates_menu(editor)
    assert [a.text() for a in menu.actions()] == list(TEMPLATES)
    assert menu.actions()[0].toolTip() == TEMPLATES["normal"].description
