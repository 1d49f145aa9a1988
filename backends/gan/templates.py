"""The "gan" template: one generator node over chosen columns of a table.

- ``gan(table, inputs=[...])`` — an unconditional GAN generating those columns
  (all columns it can generate when ``inputs`` is empty);
- ``gan(table, target="y", inputs=[...])`` — a conditional GAN that generates the
  target given the inputs, as the regression templates read "target ~ inputs";
- ``group`` — a grouping column added to the conditions (one GAN, conditioned on
  the group's level).
"""

from __future__ import annotations

from backends.gan.spec import GENERATED_TYPES
from backends.graph.model import Graph, Node
from backends.runtime import ColumnTable, EngineError

POSITION = (240.0, 160.0)


def gan(
    table: ColumnTable,
    target: str | None = None,
    inputs: list[str] | None = None,
    group: str | None = None,
    image: dict | None = None,
) -> Graph:
    """A graph with one generator node; ``image`` passes DCGAN settings through."""
    inputs = list(inputs or [])
    for name in inputs + [c for c in (target, group) if c]:
        if name not in table:
            raise EngineError(f"column {name!r} is not in the table")
    options: dict = {}
    if image is not None:
        options["image"] = dict(image)
        columns = inputs
    elif target is not None:
        columns = [target]
        options["conditions"] = [c for c in inputs if c != target]
        options["target"] = target
    else:
        columns = inputs or [
            c
            for c in table.columns
            if table.types.get(c, "numeric") in GENERATED_TYPES and c != group
        ]
    if group is not None:
        columns = [c for c in columns if c != group]
        conditions = options.get("conditions", [])
        options["conditions"] = conditions if group in conditions else [*conditions, group]
    graph = Graph()
    graph.add_node(
        Node(
            name="generator",
            kind="generator",
            position=POSITION,
            columns=columns,
            options=options,
            description="a GAN that learns to generate these columns",
        )
    )
    return graph
