"""The model's problems in the context of the project's table."""

from __future__ import annotations

from backends.checks import all_problems
from backends.graph.model import Problem
from backends.graph.validate import errors_of
from workbench.project.document import Project


def model_problems(project: Project) -> list[Problem]:
    """Errors and warnings, each naming its node and field."""
    table = project.dataset.column_table() if project.dataset is not None else None
    return all_problems(project.graph, table)


def model_errors(project: Project) -> list[Problem]:
    """The problems that stop a run (warnings do not)."""
    return errors_of(model_problems(project))
