"""Semantic validation of a model graph, with or without its table.

The canvas calls ``validate`` after every edit and shows each Problem on the
node and field it names, so the checks are cheap and precise: structure (from
``Graph.structural_problems``), distributions and their parameters, expression
syntax and names, plates and group indices, supports (a scale that can be
negative, found by interval arithmetic over the expressions), column bindings,
and — when the table is given and nothing else is wrong — a trial evaluation
of the compiled model that catches mismatched lengths.

Edges versus expressions: expressions are the truth (see ``dependencies``). An
unknown name is an error; a drawn arrow no expression uses, and a name used
without an arrow, are warnings.
"""

from __future__ import annotations

import numpy as np

from backends.graph import dependencies as deps
from backends.graph.compile import NodeEvaluationError, build_model
from backends.graph.distributions import FAMILIES
from backends.graph.expressions import FUNCTIONS, Expression, ExpressionError
from backends.graph.model import ROWS, Graph, GraphError, Node, Problem
from backends.graph.rows import NON_NUMERIC
from backends.graph.supports import support_problems
from backends.runtime import ColumnTable, EngineError

GROUP_TYPES = ("categorical", "text", "integer", "boolean")
SAMPLED_KINDS = deps.SAMPLED_KINDS


def errors_of(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def validate(graph: Graph, table: ColumnTable | None = None) -> list[Problem]:
    """Every problem of ``graph`` (errors and warnings), each naming its node and field."""
    problems = list(graph.structural_problems())
    problems += _plate_problems(graph, table)
    for node in graph.nodes.values():
        problems += _node_problems(graph, node, table)
    problems += _edge_warnings(graph)
    if errors_of(problems):
        return problems
    try:
        deps.expression_order(graph)
    except GraphError as exc:
        return problems + [Problem(str(exc), None, "expressions")]
    problems += support_problems(graph, table)
    other_engines = any(n.kind not in SAMPLED_KINDS for n in graph.nodes.values())
    if table is not None and not errors_of(problems) and not other_engines:
        problems += _trial_problems(graph, table)  # the trial compiles for MCMC only
    return problems


# ------------------------------------------------------------------- plates
def _plate_problems(graph: Graph, table: ColumnTable | None) -> list[Problem]:
    out = []
    for plate in graph.plates.values():
        if not plate.index.isidentifier():
            out.append(Problem(f"{plate.index!r} is not a valid index name", plate.id, "index"))
        if plate.parent:
            out.append(Problem("nested plates are not supported yet", plate.id, "parent"))
        if plate.over == ROWS or table is None:
            continue
        if plate.over not in table:
            out.append(Problem(f"the table has no column {plate.over!r}", plate.id, "over"))
            continue
        kind = table.types.get(plate.over)
        values = table[plate.over]
        integral = kind in ("numeric",) and np.all(np.isnan(values) | (np.floor(values) == values))
        if kind not in GROUP_TYPES and not integral:
            out.append(
                Problem(
                    f"column {plate.over!r} ({kind}) is not a grouping column; group by a "
                    "categorical, text, integer or boolean column",
                    plate.id,
                    "over",
                )
            )
    return out


# -------------------------------------------------------------------- nodes
def _node_problems(graph: Graph, node: Node, table: ColumnTable | None) -> list[Problem]:
    if node.kind not in SAMPLED_KINDS:
        return []
    out: list[Problem] = []
    if node.name in FUNCTIONS:
        out.append(
            Problem(f"{node.name!r} is the name of a function; rename the node", node.id, "name")
        )
    if node.kind == "stochastic" or (
        node.kind == "observed" and not deps.reads_other_engine(graph, node)
    ):
        out += _distribution_problems(node)
    if node.kind == "deterministic" and not (node.expression or "").strip():
        out.append(Problem("the expression is empty", node.id, "expression"))
    if node.kind == "constant":
        try:
            np.asarray(node.value, dtype=float)
        except (TypeError, ValueError):
            out.append(
                Problem(f"{node.value!r} is not a number or a list of numbers", node.id, "value")
            )
        if node.value is None:
            out.append(Problem("a constant needs a value", node.id, "value"))
    if node.kind in ("data", "observed"):
        out += _column_problems(graph, node, table)
    out += _expression_problems(graph, node)
    return out


def _distribution_problems(node: Node) -> list[Problem]:
    fam = FAMILIES.get(node.distribution or "")
    if fam is None:
        known = ", ".join(FAMILIES)
        return [
            Problem(
                f"unknown distribution {node.distribution!r}; choose one of {known}",
                node.id,
                "distribution",
            )
        ]
    out = []
    given = set(node.params)
    if fam.match_params(given) is None:
        options = " or ".join("(" + ", ".join(s) + ")" for s in fam.param_sets)
        best = min(fam.param_sets, key=lambda s: len(set(s) ^ given))
        for name in best:
            if name not in given:
                out.append(
                    Problem(
                        f"{fam.name} needs the parameter {name} (parameters: {options})",
                        node.id,
                        f"params.{name}",
                    )
                )
        for name in sorted(given - set(best)):
            out.append(
                Problem(
                    f"{fam.name} has no parameter {name} here (parameters: {options})",
                    node.id,
                    f"params.{name}",
                )
            )
    if node.kind == "stochastic" and fam.discrete:
        out.append(
            Problem(
                f"{fam.name} is discrete: an unobserved discrete variable cannot be "
                "sampled by MCMC; observe it or give it a continuous prior",
                node.id,
                "distribution",
            )
        )
    return out


def _column_problems(graph: Graph, node: Node, table: ColumnTable | None) -> list[Problem]:
    if node.kind == "observed" and len(node.columns) != 1:
        return [Problem("an observed node is bound to exactly one column", node.id, "columns")]
    if not node.columns:
        return [Problem("choose the column(s) this node reads", node.id, "columns")]
    plate = graph.plates.get(node.plate) if node.plate else None
    if node.kind == "observed" and plate is not None and plate.over != ROWS:
        return [
            Problem(
                "observed nodes repeat over rows; move it into a plate over rows", node.id, "plate"
            )
        ]
    if table is None:
        return []
    out = []
    index_only = node.kind == "data" and _used_only_as_index(graph, node)
    categorical_ok = index_only or (node.kind == "observed" and node.distribution == "Categorical")
    for column in node.columns:
        if column not in table:
            out.append(Problem(f"the table has no column {column!r}", node.id, "columns"))
        elif table.types.get(column) in NON_NUMERIC and not categorical_ok:
            out.append(
                Problem(
                    f"column {column!r} is {table.types[column]}, not numeric", node.id, "columns"
                )
            )
    if node.kind == "observed" and not out:
        out += _observed_support(node, table)
    return out


def _observed_support(node: Node, table: ColumnTable) -> list[Problem]:
    fam = FAMILIES.get(node.distribution or "")
    column = node.columns[0]
    if fam is None or table.types.get(column) in NON_NUMERIC:
        return []
    y = np.asarray(table[column], dtype=float)
    present = ~np.isnan(y)  # missing values are left out of the fit, not refused
    checks = {
        "positive": (y > 0, "positive"),
        "unit": ((y >= 0) & (y <= 1), "between 0 and 1"),
        "count": ((y >= 0) & (np.floor(y) == y), "whole numbers >= 0"),
        "bounded_count": ((y >= 0) & (np.floor(y) == y), "whole numbers >= 0"),
        "binary": ((y == 0) | (y == 1), "0 or 1"),
    }
    if fam.support not in checks:
        return []
    ok, words = checks[fam.support]
    bad = np.flatnonzero(present & ~ok)
    if not bad.size:
        return []
    more = f" (and {bad.size - 1} more rows)" if bad.size > 1 else ""
    return [
        Problem(
            f"{fam.name} needs values that are {words}; column {column!r} holds "
            f"{y[bad[0]]:g} in row {table.row_numbers(bad[:1])[0]}{more}",
            node.id,
            "columns",
        )
    ]


def _used_only_as_index(graph: Graph, data: Node) -> bool:
    used_as_value = used_as_index = False
    for other in graph.nodes.values():
        for expr in deps.parsed_fields(other).values():
            if isinstance(expr, Expression):
                used_as_value |= data.name in expr.names
                used_as_index |= data.name in expr.indices
    return used_as_index and not used_as_value


def _expression_problems(graph: Graph, node: Node) -> list[Problem]:
    out = []
    names = {n.name: n for n in graph.nodes.values()}
    indices = deps.group_indices(graph)
    for key, expr in deps.parsed_fields(node).items():
        if isinstance(expr, ExpressionError):
            out.append(Problem(str(expr), node.id, key))
            continue
        for name in sorted(expr.names):
            if name not in names:
                out.append(Problem(f"unknown name {name!r}: no node is called that", node.id, key))
            elif name == node.name:
                out.append(Problem(f"{name!r} refers to the node itself", node.id, key))
        for name in sorted(expr.indices):
            if name not in indices:
                out.append(
                    Problem(
                        f"{name!r} is not a group index: use a grouping plate's index "
                        "or column, or a data node",
                        node.id,
                        key,
                    )
                )
        for target, index in sorted(expr.subscripts):
            indexed = names.get(target)
            plate = graph.plates.get(indexed.plate) if indexed and indexed.plate else None
            if plate is not None and plate.over != ROWS and index in indices:
                if indices[index] != plate.over:
                    out.append(
                        Problem(
                            f"{target} repeats over the levels of {plate.over!r}; "
                            f"index it by {plate.over} or {plate.index}, not {index}",
                            node.id,
                            key,
                        )
                    )
    return out


def _edge_warnings(graph: Graph) -> list[Problem]:
    out = []
    uses = deps.node_uses(graph)  # parses every expression: once for the three checks
    for edge_id in deps.unused_edges(graph, uses):
        edge = graph.edges[edge_id]
        target = graph.nodes.get(edge.target)
        if target is not None and target.kind not in SAMPLED_KINDS:
            continue  # a GP or generator node takes its inputs from its options, not expressions
        if edge.source in graph.nodes and target is not None:
            source = graph.nodes[edge.source].name
            out.append(
                Problem(
                    f"the arrow from {source} is not used by any expression here",
                    edge.target,
                    "edges",
                    "warning",
                )
            )
    used = set().union(*uses.values(), (e.source for e in graph.edges.values()))
    for node in graph.nodes.values():
        if node.kind == "stochastic" and node.id not in used:
            out.append(
                Problem(
                    f"{node.name} is not used by any other node: it only repeats its prior "
                    "(use it in an expression, or delete it)",
                    node.id,
                    "edges",
                    "warning",
                )
            )
    for source, target in deps.implied_edges(graph, uses):
        name = graph.nodes[source].name
        out.append(
            Problem(
                f"uses {name} but no arrow is drawn from it (the arrow is implied)",
                target,
                "edges",
                "warning",
            )
        )
    return out


# -------------------------------------------------------------------- trial
def _trial_problems(graph: Graph, table: ColumnTable) -> list[Problem]:
    """Compile and evaluate once: mismatched lengths only show on real arrays."""
    try:
        model = build_model(graph, table)
        with np.errstate(all="ignore"):
            model.evaluate(np.zeros((2, model.dim)))
    except NodeEvaluationError as exc:
        return [Problem(exc.detail, exc.node_id, exc.field)]
    except EngineError as exc:
        return [Problem(str(exc), None, "columns")]
    return []
