"""Small tables and graphs for the GAN tests."""

from __future__ import annotations

import numpy as np

from backends.gan.templates import gan
from backends.graph.model import Graph
from backends.runtime import ColumnTable

SMALL_NET = {"hidden": [64, 64], "latent_size": 8}
FAST = {
    "batch_size": 128,
    "quality_every": 100,
    "quality_rows": 300,
    "patience": 0,
    "typicality_steps": 200,
}


def mixture_table(n: int = 1500, seed: int = 0) -> tuple[ColumnTable, np.ndarray]:
    """Four well-separated 2-D Gaussians at the corners of a square, and their centres."""
    rng = np.random.default_rng(seed)
    centres = np.array([[-3.0, -3.0], [-3.0, 3.0], [3.0, -3.0], [3.0, 3.0]])
    points = centres[rng.integers(4, size=n)] + 0.4 * rng.standard_normal((n, 2))
    table = ColumnTable({"x": points[:, 0], "y": points[:, 1]}, {"x": "numeric", "y": "numeric"})
    return table, centres


def mixed_table(n: int = 1200, seed: int = 0) -> ColumnTable:
    """A categorical column with unequal levels, a boolean, an integer and a number."""
    rng = np.random.default_rng(seed)
    colour = rng.choice(["red", "green", "blue"], size=n, p=[0.6, 0.3, 0.1])
    flag = (rng.random(n) < 0.25).astype(np.float64)
    count = rng.poisson(3.0, size=n).astype(np.float64)
    size = rng.normal(10.0, 2.0, size=n)
    return ColumnTable(
        {"colour": np.array(colour, dtype=object), "flag": flag, "count": count, "size": size},
        {"colour": "categorical", "flag": "boolean", "count": "integer", "size": "numeric"},
    )


def generator_graph(table: ColumnTable, **options) -> Graph:
    """The gan template over the table's columns, with the node options replaced."""
    graph = gan(table, inputs=list(table.columns))
    node = next(iter(graph.nodes.values()))
    node.columns = options.pop("columns", node.columns)
    node.options = {**node.options, **SMALL_NET, **options}
    return graph
