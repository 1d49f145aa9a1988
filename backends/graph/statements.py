"""The model as statements, one per node (``y[i] ~ Normal(mu, sigma)  for i in rows``).

The graph language's renderer (``backends.graph.formulas.formulas``) writes the
statements; this module, which the model pane and the report both print,
spells out the GP kernel and the generator, which that renderer leaves generic.
"""

from __future__ import annotations

from backends.gan.spec import image_description
from backends.graph.formulas import formulas
from backends.graph.model import Graph, Node


def kernel_text(raw: object) -> str:
    if not isinstance(raw, dict):
        return "?"
    if raw.get("op") in ("sum", "product") or raw.get("kind") in ("sum", "product"):
        joiner = " + " if (raw.get("op") or raw.get("kind")) == "sum" else " × "
        terms = raw.get("terms") or []
        inner = joiner.join(kernel_text(t) for t in terms)
        return f"({inner})" if len(terms) > 1 else inner
    inputs = raw.get("inputs")
    return f"{raw.get('kind', '?')}({', '.join(inputs)})" if inputs else str(raw.get("kind", "?"))


def _engine_statement(node: Node) -> str:
    """A GP or generator node in words the shared renderer does not have."""
    if node.kind == "gp":
        inputs = ", ".join(node.options.get("inputs", [])) or "?"
        mean = node.options.get("mean", "constant")
        kernel = kernel_text(node.options.get("kernel"))
        return f"{node.name}(x) ~ GP({mean}, {kernel})  x = ({inputs})"
    images = image_description(node.options)
    columns = images or ", ".join(node.columns or node.options.get("columns", [])) or "?"
    given = node.options.get("conditions") or []
    condition = f" | {', '.join(given)}" if given else ""
    return f"({columns}) ~ {node.name}(z{condition}),  z ~ Normal(0, I)"


def model_statements(graph: Graph) -> list[str]:
    """The statements of ``graph``: the shared renderer's, with GP and generator
    nodes (which it writes as "f: gp node") spelled out."""
    lines = formulas(graph)
    for node in graph.nodes_of_kind("gp", "generator"):
        generic = f"{node.name}: {node.kind} node"
        lines = [_engine_statement(node) if line == generic else line for line in lines]
    return lines
