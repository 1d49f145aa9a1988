"""How nodes depend on each other through their expressions.

The canvas lets an analyst draw arrows *and* type expressions, so the two can
disagree. The rule of the graph language: **expressions are the truth**. A node
depends on exactly the nodes its expressions name; a name that is no node is an
error; a drawn arrow that no expression uses is a warning (it changes nothing),
and a name used without a drawn arrow is a warning too (the arrow is implied;
the canvas can add it with ``implied_edges``). Evaluation order follows the
expressions, so a model computes the same whatever arrows are drawn.
"""

from __future__ import annotations

from backends.graph.expressions import Expression, ExpressionError, parse
from backends.graph.model import ROWS, Graph, GraphError, Node


def expression_fields(node: Node) -> dict[str, str]:
    """The expression texts of a node, keyed by the field a Problem would name."""
    if node.kind in ("stochastic", "observed"):
        return {f"params.{k}": v for k, v in node.params.items()}
    if node.kind == "deterministic":
        return {"expression": node.expression or ""}
    return {}


def parsed_fields(node: Node) -> dict[str, Expression | ExpressionError]:
    out: dict[str, Expression | ExpressionError] = {}
    for key, text in expression_fields(node).items():
        try:
            out[key] = parse(text)
        except ExpressionError as exc:
            out[key] = exc
    return out


def group_indices(graph: Graph) -> dict[str, str]:
    """Index names usable inside brackets, mapped to the column whose codes they carry.

    A plate over a grouping column offers its index (``j``) and the column name
    (``school``); a data node bound to one column offers its own name.
    """
    out: dict[str, str] = {}
    for node in graph.nodes_of_kind("data"):
        if len(node.columns) == 1:
            out[node.name] = node.columns[0]
    for plate in graph.plates.values():
        if plate.over != ROWS:
            out.setdefault(plate.over, plate.over)
            out.setdefault(plate.index, plate.over)
    return out


# the kinds the MCMC engine samples or reads; the others (gp, generator) are engines' own
SAMPLED_KINDS = ("stochastic", "observed", "deterministic", "data", "constant")


def reads_other_engine(graph: Graph, node: Node) -> bool:
    """An observed node whose parameter is a GP's f is that GP's likelihood: its noise
    lives in the GP node (and the GP engine checks it, backends.gp.spec), so its other
    parameters may be left empty."""
    used: set[str] = set()
    for expr in parsed_fields(node).values():
        if isinstance(expr, Expression):
            used |= expr.names
    return any(n.kind not in SAMPLED_KINDS and n.name in used for n in graph.nodes.values())


def bound_columns(graph: Graph) -> set[str]:
    """The table columns the model reads: bound to data and observed nodes, a GP's or
    a generator's inputs and columns, and the groups plates repeat over."""
    out = {p.over for p in graph.plates.values() if p.over != ROWS}
    for node in graph.nodes.values():
        out |= set(node.columns or [])
        out |= set(node.options.get("inputs") or []) | set(node.options.get("columns") or [])
    return out


def node_uses(graph: Graph) -> dict[str, set[str]]:
    """node id -> ids of the nodes its (parseable) expressions name."""
    ids = {n.name: n.id for n in graph.nodes.values()}
    uses: dict[str, set[str]] = {}
    for node in graph.nodes.values():
        used: set[str] = set()
        for expr in parsed_fields(node).values():
            if isinstance(expr, Expression):
                used |= {ids[n] for n in expr.names | expr.indices if n in ids}
        used.discard(node.id)
        uses[node.id] = used
    return uses


def implied_edges(graph: Graph, uses: dict[str, set[str]] | None = None) -> list[tuple[str, str]]:
    """(source id, target id) of names used in expressions with no arrow drawn.
    ``uses``: node_uses(graph), when the caller has it already."""
    drawn = {(e.source, e.target) for e in graph.edges.values()}
    return sorted(
        (src, dst)
        for dst, srcs in (uses if uses is not None else node_uses(graph)).items()
        for src in srcs
        if (src, dst) not in drawn
    )


def unused_edges(graph: Graph, uses: dict[str, set[str]] | None = None) -> list[str]:
    """Ids of drawn arrows that no expression of their target uses."""
    uses = uses if uses is not None else node_uses(graph)
    return sorted(e.id for e in graph.edges.values() if e.source not in uses.get(e.target, set()))


def expression_order(graph: Graph) -> list[str]:
    """Node ids in an order where every name is computed before it is used."""
    uses = node_uses(graph)
    done: list[str] = []
    placed: set[str] = set()
    pending = sorted(graph.nodes, key=lambda nid: graph.nodes[nid].name)
    while pending:
        ready = [nid for nid in pending if uses[nid] <= placed]
        if not ready:
            names = ", ".join(graph.nodes[nid].name for nid in pending)
            raise GraphError(f"the expressions refer to each other in a cycle through {names}")
        done.extend(ready)
        placed.update(ready)
        pending = [nid for nid in pending if nid not in placed]
    return done
