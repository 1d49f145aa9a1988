"""All model templates, from every engine, behind one name → function registry.

A template takes the table and the columns chosen for its roles and returns a
Graph laid out for the canvas. The graph language defines the MCMC templates,
the GP and GAN engines their own; this module gathers them, importing an
engine's module only when one of its templates is used.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from backends.graph import templates as graph_templates
from backends.graph.model import Graph
from backends.runtime import ColumnTable, EngineError


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    module: str
    function: str
    description: str
    roles: tuple[str, ...]  # which of target / inputs / group the template uses


_GRAPH_ROLES = {
    "normal": ("target",),
    "linear-regression": ("target", "inputs"),
    "logistic-regression": ("target", "inputs"),
    "poisson-regression": ("target", "inputs"),
    "hierarchical-intercepts": ("target", "inputs", "group"),
}

TEMPLATES: dict[str, TemplateInfo] = {
    **{
        name: TemplateInfo(
            name,
            graph_templates.__name__,
            builder.__name__,
            graph_templates.DESCRIPTIONS[name],
            _GRAPH_ROLES[name],
        )
        for name, builder in graph_templates.TEMPLATES.items()
    },
    **{
        t.name: t
        for t in (
            TemplateInfo(
                "gp-regression",
                "backends.gp.templates",
                "gp_regression",
                "f ~ GP(0, RBF) over the inputs, y ~ Normal(f, noise)",
                ("target", "inputs"),
            ),
            TemplateInfo(
                "gp-classification",
                "backends.gp.templates",
                "gp_classification",
                "f ~ GP over the inputs, y ~ Bernoulli(sigmoid(f))",
                ("target", "inputs"),
            ),
            TemplateInfo(
                "gan",
                "backends.gan.templates",
                "gan",
                "a generator that learns to produce rows like the table's",
                ("inputs",),
            ),
        )
    },
}


def available_templates() -> dict[str, str]:
    return {name: info.description for name, info in TEMPLATES.items()}


def make_template(
    name: str,
    table: ColumnTable,
    target: str | None = None,
    inputs: list[str] | None = None,
    group: str | None = None,
) -> Graph:
    info = TEMPLATES.get(name)
    if info is None:
        raise EngineError(f"unknown template {name!r}; choose one of {', '.join(TEMPLATES)}")
    for column in [target, group, *(inputs or [])]:
        if column is not None and column not in table:
            raise EngineError(f"template {name}: the table has no column {column!r}")
    builder = getattr(importlib.import_module(info.module), info.function)
    return builder(table, target=target, inputs=list(inputs or []), group=group)
