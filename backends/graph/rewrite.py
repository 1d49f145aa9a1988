"""Rewrites of a drawn model that keep what it means and change how it samples.

``non_centred`` turns a centred hierarchical node, ``theta ~ Normal(M, S)``, into
its non-centred form: a standard normal ``theta_z ~ Normal(0, 1)`` and a
deterministic ``theta = M + S * theta_z``. The prior of theta is the same, but the
sampler now moves through ``theta_z``, whose geometry does not pinch as the scale S
shrinks: the funnel that makes NUTS diverge on a centred model is gone.

theta keeps its name, id, plate and position, so every expression that reads it,
every arrow out of it and every result that names it stays valid. The new node is
added, and the arrows theta's new expression implies are drawn (expressions are the
truth of the graph language; the arrows follow them).
"""

from __future__ import annotations

import ast

from backends.graph.dependencies import node_uses
from backends.graph.expressions import ExpressionError, parse
from backends.graph.model import Edge, Graph, Node
from backends.graph.template_layout import COLUMN_STEP, NODE_SIZE, PLATE_PAD
from backends.runtime import EngineError

# where the new node may stand, relative to theta's centre, tried in this order:
# beside it first (inside its plate, one column over), then above or below
PLACES = (
    (-COLUMN_STEP, 0.0),
    (COLUMN_STEP, 0.0),
    (-COLUMN_STEP, -2 * NODE_SIZE[1]),
    (COLUMN_STEP, -2 * NODE_SIZE[1]),
    (0.0, -2 * NODE_SIZE[1]),
    (0.0, 2 * NODE_SIZE[1]),
)

# operands that need no brackets on either side of a sum, and as a factor
_ATOMS = (ast.Name, ast.Constant, ast.Subscript, ast.Call, ast.UnaryOp)
_FACTORS = (ast.Mult, ast.Div, ast.Pow)


def non_centred(graph: Graph, node_name: str) -> Graph:
    """A copy of ``graph`` with the Normal stochastic node ``node_name`` written
    non-centred; raises EngineError naming the node and field when it cannot be."""
    out = graph.copy()
    node = out.node_by_name(node_name)
    if node is None:
        raise EngineError(f"there is no node named {node_name!r} in the model")
    if node.kind != "stochastic":
        raise EngineError(
            f"{node_name}.kind: only a stochastic node can be written non-centred; "
            f"{node_name} is {node.kind}"
        )
    if node.distribution != "Normal":
        raise EngineError(
            f"{node_name}.distribution: the non-centred rewrite handles Normal nodes only; "
            f"{node_name} is {node.distribution or 'without a distribution'}"
        )
    location = _parameter(node, "mu")
    scale = _parameter(node, "sigma")
    taken = {n.name for n in out.nodes.values()}
    standard = Node(
        _free_name(f"{node_name}_z", taken),
        "stochastic",
        position=_free_place(out, node),
        distribution="Normal",
        params={"mu": "0", "sigma": "1"},
        plate=node.plate,
        options=dict(node.options),  # its length (size, coords) is theta's
        description=f"{node_name} standardised (non-centred form of {node_name})",
    )
    out.add_node(standard)
    out.update_node(
        node.id,
        kind="deterministic",
        distribution=None,
        params={},
        expression=_shifted(location, scale, standard.name),
        # coords still name theta's elements in the results; a size is implied now
        options={k: v for k, v in node.options.items() if k == "coords"},
    )
    drawn = {e.source for e in out.edges.values() if e.target == node.id}
    for source in sorted(node_uses(out)[node.id] - drawn):  # theta_z, and any arrow missing
        out.add_edge(Edge(source, node.id))
    _enclose(out, standard)
    return out


def _parameter(node: Node, name: str) -> str:
    text = node.params.get(name, "").strip()
    if not text:
        raise EngineError(f"{node.name}.params.{name}: the parameter is empty")
    try:
        parse(text)
    except ExpressionError as exc:
        raise EngineError(f"{node.name}.params.{name}: {exc}") from exc
    return text


def _shifted(location: str, scale: str, standard: str) -> str:
    """``location + scale * standard``, bracketed only where needed, without a
    ``0 +`` or a ``1 *`` that says nothing."""
    term = standard if _is_number(scale, 1.0) else f"{_operand(scale, factor=True)} * {standard}"
    return term if _is_number(location, 0.0) else f"{_operand(location, factor=False)} + {term}"


def _operand(text: str, factor: bool) -> str:
    tree = parse(text).tree
    plain = isinstance(tree, _ATOMS) or (
        isinstance(tree, ast.BinOp) and (not factor or isinstance(tree.op, _FACTORS))
    )
    return text if plain else f"({text})"


def _is_number(text: str, value: float) -> bool:
    tree = parse(text).tree
    return isinstance(tree, ast.Constant) and tree.value == value


def _free_name(base: str, taken: set[str]) -> str:
    """``base``, or ``base_2``, ``base_3``... as the canvas names new nodes."""
    if base not in taken:
        return base
    k = 2
    while f"{base}_{k}" in taken:
        k += 1
    return f"{base}_{k}"


def _free_place(graph: Graph, beside: Node) -> tuple[float, float]:
    """The first of ``PLACES`` around ``beside`` that no node covers (the first one
    when all are taken: an overlap is better than a node far from its partner)."""
    x, y = beside.position
    for dx, dy in PLACES:
        spot = (x + dx, y + dy)
        if not any(_overlaps(spot, n.position) for n in graph.nodes.values()):
            return spot
    return (x + PLACES[0][0], y + PLACES[0][1])


def _overlaps(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return abs(a[0] - b[0]) < NODE_SIZE[0] + PLATE_PAD and abs(a[1] - b[1]) < NODE_SIZE[1] + 8


def _enclose(graph: Graph, node: Node) -> None:
    """Grow the node's plate so that its box holds the node: a plate is drawn as a
    box, and a member drawn outside it would read as outside."""
    plate = graph.plates.get(node.plate) if node.plate else None
    if plate is None:
        return
    half_w, half_h = NODE_SIZE[0] / 2 + PLATE_PAD, NODE_SIZE[1] / 2 + PLATE_PAD
    (x, y), (w, h) = plate.position, plate.size
    nx, ny = node.position
    box = (x, y, x + w, y + h)
    grown = (
        min(x, nx - half_w),
        min(y, ny - half_h),
        max(x + w, nx + half_w),
        max(y + h, ny + half_h),
    )
    if grown != box:
        graph.update_plate(
            plate.id, position=grown[:2], size=(grown[2] - grown[0], grown[3] - grown[1])
        )
