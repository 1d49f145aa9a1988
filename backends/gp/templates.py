"""Starting graphs for the GP engine: ``gp-regression`` and ``gp-classification``.

Each is three nodes in a row, left to right as data flows: a data node
holding the input columns, the GP node ``f`` (ARD RBF kernel over every input,
constant mean) and the observed target. The analyst edits the kernel in the
inspector afterwards.
"""

from __future__ import annotations

from typing import Any

from backends.gp.data import NUMERIC_TYPES
from backends.gp.kernel_spec import default_kernel
from backends.gp.spec import LINK
from backends.graph.model import Edge, Graph, GraphError, Node
from backends.runtime import ColumnTable

ROW_Y = 160.0
COLUMNS_X = (60.0, 300.0, 540.0)
FAMILY = {"gaussian": "Normal", "bernoulli": "Bernoulli", "poisson": "Poisson"}


def _check_columns(table: ColumnTable, target: str, inputs: list[str], group: str | None) -> None:
    if group is not None:
        raise GraphError(
            f"the GP templates take no group column ({group!r}): a GP needs numeric "
            "inputs; add a numeric encoding of the group as an input instead"
        )
    if not inputs:
        raise GraphError("choose at least one input column for the GP")
    for name in [target, *inputs]:
        if name not in table:
            raise GraphError(f"column {name!r} is not in the table")
    for name in inputs:
        if table.types.get(name, "numeric") not in NUMERIC_TYPES:
            raise GraphError(
                f"input column {name!r} is {table.types[name]}; a GP needs numeric inputs"
            )
    if target in inputs:
        raise GraphError(f"the target {target!r} cannot also be an input")


def _observed_name(target: str) -> str:
    name = target if target.isidentifier() and target not in ("f", "X") else "y"
    return name


# The classic composite kernel of a seasonal time series (Rasmussen & Williams 5.4.3,
# Mauna Loa CO2), on a time axis in years: a long smooth trend, a yearly cycle that
# may change shape slowly, and medium-term irregularities.
TREND_SEASONAL_KERNEL: dict[str, Any] = {
    "op": "sum",
    "terms": [
        {"kind": "rbf", "name": "trend", "init": {"lengthscale": 50.0, "outputscale": 2500.0}},
        {
            "op": "product",
            "name": "seasonal",
            "init": {"outputscale": 4.0},
            "terms": [
                {
                    "kind": "periodic",
                    "init": {"period": 1.0, "lengthscale": 1.0},
                    "fixed": ["period"],
                },
                {"kind": "rbf", "name": "decay", "init": {"lengthscale": 90.0}},
            ],
        },
        {
            "kind": "rq",
            "name": "medium",
            "init": {"lengthscale": 1.0, "alpha": 1.0, "outputscale": 0.5},
        },
    ],
}


def gp_graph(
    table: ColumnTable,
    target: str,
    inputs: list[str],
    likelihood: str,
    group: str | None = None,
    kernel: dict[str, Any] | None = None,
) -> Graph:
    """The three-node GP graph for any likelihood (gaussian, bernoulli, poisson)."""
    inputs = list(inputs)
    _check_columns(table, target, inputs, group)
    graph = Graph()
    data = graph.add_node(
        Node(
            "X",
            "data",
            position=(COLUMNS_X[0], ROW_Y),
            columns=inputs,
            description="the GP's input columns",
        )
    )
    options = {"inputs": inputs, "mean": "constant", "kernel": kernel or default_kernel(inputs)}
    f = graph.add_node(
        Node(
            "f",
            "gp",
            position=(COLUMNS_X[1], ROW_Y),
            options=options,
            description="f ~ GP(mean, kernel) over the inputs",
        )
    )
    param, link = LINK[likelihood]
    y = graph.add_node(
        Node(
            _observed_name(target),
            "observed",
            position=(COLUMNS_X[2], ROW_Y),
            distribution=FAMILY[likelihood],
            columns=[target],
            params={param: link.format(f="f")},
        )
    )
    graph.add_edge(Edge(data.id, f.id))
    graph.add_edge(Edge(f.id, y.id))
    return graph


def gp_regression(
    table: ColumnTable, target: str, inputs: list[str], group: str | None = None
) -> Graph:
    """y ~ Normal(f, σ) with f a GP over the inputs."""
    return gp_graph(table, target, inputs, "gaussian", group)


def gp_classification(
    table: ColumnTable, target: str, inputs: list[str], group: str | None = None
) -> Graph:
    """y ~ Bernoulli(logit = f): a 0/1 (or two-level) target."""
    if target in table and table.types.get(target) in ("categorical", "text"):
        levels = table.levels(target)
        if len(levels) != 2:
            raise GraphError(
                f"classification needs a two-level target; {target!r} has {len(levels)} levels"
            )
    return gp_graph(table, target, inputs, "bernoulli", group)


def gp_counts(
    table: ColumnTable, target: str, inputs: list[str], group: str | None = None
) -> Graph:
    """y ~ Poisson(rate = exp(f)): a count target."""
    return gp_graph(table, target, inputs, "poisson", group)
