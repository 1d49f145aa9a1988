"""The model as text statements, for the read-only formula pane and the report.

One statement per node, in dependency order, written the way a statistician
would on a blackboard::

    mu ~ Normal(86.8, 51)
    theta[j] = mu + tau * z[j]                for j in levels of school
    m[i] = theta[school[i]] + dot(X[i], beta)  for i in rows
    kid_score[i] ~ Normal(m[i], sigma)         for i in rows    (observed: kid_score)

Names that vary over rows (data, nodes in a row plate, expressions of them)
get the row index; names that vary over the levels of a group get the group's
index where they are used inside that group's plate; a group index used
inside the row plate becomes ``school[i]``.
"""

from __future__ import annotations

import ast

from backends.graph.dependencies import (
    expression_order,
    group_indices,
    parsed_fields,
    reads_other_engine,
)
from backends.graph.distributions import FAMILIES
from backends.graph.expressions import Expression
from backends.graph.model import ROWS, Graph, GraphError, Node


def _levels(graph: Graph) -> dict[str, str | None]:
    """node name -> "rows", a group column, or None (one value)."""
    level: dict[str, str | None] = {}
    for nid in expression_order(graph):
        node = graph.nodes[nid]
        plate = graph.plates.get(node.plate) if node.plate else None
        if node.kind in ("data", "observed"):
            level[node.name] = ROWS
        elif plate is not None:
            level[node.name] = plate.over
        elif node.kind == "deterministic":
            used = set()
            for expr in parsed_fields(node).values():
                if isinstance(expr, Expression):
                    used |= {level.get(n) for n in expr.names}
            level[node.name] = ROWS if ROWS in used else next((u for u in used if u), None)
        else:
            level[node.name] = None
    return level


class _Indexer(ast.NodeTransformer):
    """Adds the row or group index to names, as the statement's context needs."""

    def __init__(self, level: dict, context: str | None, indices: dict[str, str], names: dict):
        self.level, self.context, self.indices, self.index_names = level, context, indices, names

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        if isinstance(node.slice, ast.Name) and self.context == ROWS:
            node.slice = ast.Subscript(ast.Name(node.slice.id), ast.Name(self.index_names[ROWS]))
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        level = self.level.get(node.id)
        if level is not None and level == self.context:
            return ast.Subscript(ast.Name(node.id), ast.Name(self.index_names[level]))
        return node


def _index_names(graph: Graph) -> dict[str, str]:
    out = {ROWS: "i"}
    for plate in graph.plates.values():
        out[plate.over] = plate.index
    return out


def _text(expr: Expression, transformer: _Indexer) -> str:
    return ast.unparse(transformer.visit(expr.tree))


def _call(node: Node, transformer: _Indexer, learned: bool = False) -> str:
    """``learned``: a GP's likelihood, whose empty parameters the GP fits (its noise)."""
    fam = FAMILIES.get(node.distribution or "")
    exprs = parsed_fields(node)
    if fam is None:
        return f"{node.distribution}(?)"
    keywords = len(fam.param_sets) > 1
    parts = []
    for param in fam.params:
        expr = exprs.get(f"params.{param.name}")
        if isinstance(expr, Expression):
            text = _text(expr, transformer)
            parts.append(f"{param.name}={text}" if keywords else text)
        elif not keywords:  # by position: an empty one must keep its place
            parts.append("learned" if learned else "?")
    return f"{fam.name}({', '.join(parts)})"


def formulas(graph: Graph) -> list[str]:
    """The statements of the model; a graph that cannot be ordered gives a one-line note."""
    try:
        level = _levels(graph)
    except GraphError as exc:
        return [f"(the model cannot be written out: {exc})"]
    names = _index_names(graph)
    indices = group_indices(graph)
    out = []
    for nid in expression_order(graph):
        node = graph.nodes[nid]
        context = level.get(node.name)
        transformer = _Indexer(level, context, indices, names)
        lhs = f"{node.name}[{names[context]}]" if context else node.name
        loop = ""
        if context == ROWS:
            loop = f"for {names[ROWS]} in rows"
        elif context:
            loop = f"for {names[context]} in levels of {context}"
        elif node.options.get("coords"):
            lhs, loop = (
                f"{node.name}[k]",
                f"for k in ({', '.join(map(str, node.options['coords']))})",
            )
        elif node.options.get("size"):
            lhs, loop = f"{node.name}[k]", f"for k in 0..{int(node.options['size']) - 1}"
        if node.kind == "constant":
            body = f"{lhs} = {node.value}"
        elif node.kind == "data":
            scaled = " (standardised)" if node.options.get("standardize") else ""
            body = (
                f"{lhs} = column{'s' if len(node.columns) > 1 else ''} "
                + ", ".join(node.columns)
                + scaled
            )
        elif node.kind == "deterministic":
            expr = parsed_fields(node).get("expression")
            rhs = _text(expr, transformer) if isinstance(expr, Expression) else "?"
            body = f"{lhs} = {rhs}"
        elif node.kind in ("stochastic", "observed"):
            learned = node.kind == "observed" and reads_other_engine(graph, node)
            body = f"{lhs} ~ {_call(node, transformer, learned)}"
        else:
            body = f"{lhs}: {node.kind} node"
        note = f"    (observed: {', '.join(node.columns)})" if node.kind == "observed" else ""
        out.append(f"{body}  {loop}{note}".rstrip())
    return out
