"""Every problem of a model, from the graph language and from the engines' own nodes.

The graph language validates what every engine shares; GP and generator nodes
carry engine-specific options that their engines check. This module asks all of
them, so that the canvas, the CLI and the run checks see the same list.
"""

from __future__ import annotations

from backends.gan.spec import generator_problems
from backends.gp.spec import gp_problems
from backends.graph.model import Graph, Problem
from backends.graph.validate import validate
from backends.runtime import ColumnTable


def all_problems(graph: Graph, table: ColumnTable | None) -> list[Problem]:
    """Errors and warnings, each naming its node and field, without repeats."""
    problems = list(validate(graph, table))
    if any(True for _ in graph.nodes_of_kind("gp")):
        problems += gp_problems(graph)
    if table is not None and any(True for _ in graph.nodes_of_kind("generator")):
        problems += generator_problems(graph, table)
    unique: dict[tuple, Problem] = {}
    for problem in problems:
        unique.setdefault((problem.message, problem.node, problem.field, problem.severity), problem)
    return list(unique.values())
