"""The model's problems in the context of the project's table."""

from __future__ import annotations

from backends.graph.model import Problem
from backends.graph.validate import validate
from workbench.project.document import Project


def model_problems(project: Project) -> list[Problem]:
    """Everything wrong with the model, each problem naming its node and field."""
    table = project.dataset.column_table() if project.dataset is not None else None
    return validate(project.graph, table)
