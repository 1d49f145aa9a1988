"""New nodes as the palette makes them: a free name and sensible first settings.

A new node starts as something an analyst would recognise (a stochastic node is
``theta ~ Normal(0, 1)``) rather than an empty shell, so the canvas shows a
working piece at once and the inspector only needs to change it. Where a
choice cannot be guessed (the column an observed node reads), it is left empty
and validation says what to fill in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from backends.graph.model import Graph, Node

BASE_NAMES = {
    "stochastic": "theta",
    "observed": "y",
    "deterministic": "eta",
    "data": "x",
    "constant": "c",
    "gp": "f",
    "generator": "generator",
}


def unique_name(base: str, taken: Iterable[str]) -> str:
    """``base``, or ``base_2``, ``base_3``... whichever is free."""
    taken = set(taken)
    if base not in taken:
        return base
    k = 2
    while f"{base}_{k}" in taken:
        k += 1
    return f"{base}_{k}"


def defaults_for(kind: str) -> dict[str, Any]:
    """The fields a node of ``kind`` starts with (also used when its kind changes)."""
    if kind in ("stochastic", "observed"):
        return {"distribution": "Normal", "params": {"mu": "0", "sigma": "1"}}
    if kind == "deterministic":
        return {"expression": ""}
    if kind == "constant":
        return {"value": 1.0}
    if kind == "gp":
        return {
            "options": {"inputs": [], "mean": "constant", "kernel": {"kind": "rbf", "ard": True}}
        }
    if kind == "generator":
        return {"options": {"latent_size": 64, "hidden": [256, 256], "objective": "ns-sn"}}
    return {}


def new_node(kind: str, graph: Graph, position: tuple[float, float]) -> Node:
    name = unique_name(BASE_NAMES[kind], (n.name for n in graph.nodes.values()))
    return Node(name=name, kind=kind, position=position, **defaults_for(kind))
