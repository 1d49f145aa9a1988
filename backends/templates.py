"""All model templates, from every engine, behind one name → function registry.

A template takes the table and the columns chosen for its roles and returns a
Graph laid out for the canvas. Engines define their own templates; this module
only gathers them, importing each engine's module when a template is used.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from backends.graph.model import Graph
from backends.runtime import ColumnTable, EngineError


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    module: str
    function: str
    description: str
    roles: tuple[str, ...]  # which of target / inputs / group the template uses


TEMPLATES: dict[str, TemplateInfo] = {t.name: t for t in (
    TemplateInfo("normal", "backends.graph.templates", "normal",
                 "Mean and spread of one column: mu ~ Uniform, sigma ~ Uniform, y ~ Normal(mu, sigma)",
                 ("target",)),
    TemplateInfo("linear-regression", "backends.graph.templates", "linear_regression",
                 "y ~ Normal(a + b·x, sigma) on standardised inputs", ("target", "inputs")),
    TemplateInfo("logistic-regression", "backends.graph.templates", "logistic_regression",
                 "y ~ Bernoulli(logit = a + b·x) for a 0/1 target", ("target", "inputs")),
    TemplateInfo("poisson-regression", "backends.graph.templates", "poisson_regression",
                 "counts ~ Poisson(exp(a + b·x))", ("target", "inputs")),
    TemplateInfo("hierarchical-intercepts", "backends.graph.templates", "hierarchical_intercepts",
                 "a varying intercept per group: y ~ Normal(a[group] + b·x, sigma)",
                 ("target", "inputs", "group")),
    TemplateInfo("gp-regression", "backends.gp.templates", "gp_regression",
                 "f ~ GP(0, RBF) over the inputs, y ~ Normal(f, noise)", ("target", "inputs")),
    TemplateInfo("gp-classification", "backends.gp.templates", "gp_classification",
                 "f ~ GP over the inputs, y ~ Bernoulli(sigmoid(f))", ("target", "inputs")),
    TemplateInfo("gan", "backends.gan.templates", "gan",
                 "a generator that learns to produce rows like the table's", ("inputs",)),
)}


def available_templates() -> dict[str, str]:
    return {name: info.description for name, info in TEMPLATES.items()}


def make_template(name: str, table: ColumnTable, target: str | None = None,
                  inputs: list[str] | None = None, group: str | None = None) -> Graph:
    info = TEMPLATES.get(name)
    if info is None:
        raise EngineError(f"unknown template {name!r}; choose one of {', '.join(TEMPLATES)}")
    for column in [target, group, *(inputs or [])]:
        if column is not None and column not in table:
            raise EngineError(f"template {name}: the table has no column {column!r}")
    builder = getattr(importlib.import_module(info.module), info.function)
    return builder(table, target=target, inputs=list(inputs or []), group=group)
