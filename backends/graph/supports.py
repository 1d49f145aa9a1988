"""Support checks: can this scale be negative, this probability exceed 1?

Each node's value is bounded by an interval (a prior's support, a constant, a
column's observed range), and each parameter expression is evaluated with
interval arithmetic (``ranges``) in dependency order. Only bounds that are
known for sure are reported: a column without a table is "unknown" and never
raises a problem.
"""

from __future__ import annotations

import numpy as np

from backends.graph import dependencies as deps
from backends.graph.distributions import FAMILIES, Family
from backends.graph.expressions import Expression
from backends.graph.model import Graph, Node, Problem
from backends.graph.ranges import INTERVALS, Interval
from backends.graph.rows import NON_NUMERIC
from backends.runtime import ColumnTable

_SUPPORT_INTERVALS = {
    "real": Interval.real(),
    "positive": Interval(0.0, np.inf),
    "unit": Interval(0.0, 1.0),
    "count": Interval(0.0, np.inf),
    "binary": Interval(0.0, 1.0),
    "bounded_count": Interval(0.0, np.inf),
    "category": Interval(0.0, np.inf),
}

_CONSTRAINT_TESTS = {
    "positive": (lambda r: r.lo >= 0 and r.hi > 0, "positive (a scale or rate)"),
    "unit": (lambda r: r.lo >= 0 and r.hi <= 1, "between 0 and 1 (a probability)"),
    "count": (lambda r: r.lo >= 0, "a count (>= 0)"),
    "probabilities": (lambda r: r.lo >= 0, "non-negative probabilities"),
}


def support_problems(graph: Graph, table: ColumnTable | None) -> list[Problem]:
    """Interval arithmetic over the expressions, in dependency order."""
    ranges: dict[str, Interval] = {}
    out = []
    for nid in deps.expression_order(graph):
        node = graph.nodes[nid]
        exprs = {k: v for k, v in deps.parsed_fields(node).items() if isinstance(v, Expression)}
        if node.kind == "constant":
            value = np.asarray(node.value, dtype=float)
            ranges[node.name] = Interval(float(value.min()), float(value.max()))
        elif node.kind == "data":
            ranges[node.name] = _column_range(node, table)
        elif node.kind == "deterministic":
            ranges[node.name] = _range_of(exprs["expression"], ranges)
        elif node.kind in ("stochastic", "observed"):
            fam = FAMILIES[node.distribution]  # type: ignore[index]
            params = {k.split(".", 1)[1]: (k, _range_of(e, ranges)) for k, e in exprs.items()}
            out += _check_constraints(node, fam, params)
            ranges[node.name] = _value_range(fam, {k: r for k, (_, r) in params.items()})
    return out


def _range_of(expr: Expression, ranges: dict[str, Interval]) -> Interval:
    values = {n: ranges.get(n, Interval.real(known=False)) for n in expr.names}
    try:
        return expr.evaluate(values, {}, INTERVALS)
    except (ValueError, KeyError, ZeroDivisionError, OverflowError, TypeError):
        return Interval.real(known=False)


def _column_range(node: Node, table: ColumnTable | None) -> Interval:
    if table is None or any(
        c not in table or table.types.get(c) in NON_NUMERIC for c in node.columns
    ):
        return Interval.real(known=False)
    values = np.concatenate([np.asarray(table[c], dtype=float) for c in node.columns])
    values = values[~np.isnan(values)]
    if node.options.get("standardize") or values.size == 0:
        return Interval.real()
    return Interval(float(values.min()), float(values.max()))


def _value_range(fam: Family, params: dict[str, Interval]) -> Interval:
    if fam.support == "interval":
        lower, upper = params.get("lower"), params.get("upper")
        if lower and upper:
            return Interval(lower.lo, upper.hi, lower.known and upper.known)
        return Interval.real(known=False)
    return _SUPPORT_INTERVALS[fam.support]


def _check_constraints(node: Node, fam: Family, params: dict) -> list[Problem]:
    out = []
    for name, (key, rng) in params.items():
        if name not in {p.name for p in fam.params} or not rng.known:
            continue
        constraint = fam.param(name).constraint
        test = _CONSTRAINT_TESTS.get(constraint)
        if test and not test[0](rng):
            hint = "; use a positive prior (HalfNormal, Exponential...) or exp(...)"
            out.append(
                Problem(
                    f"{name} must be {test[1]}, but {node.params[name]!r} can be anywhere in "
                    f"{rng.describe()}" + (hint if constraint == "positive" else ""),
                    node.id,
                    key,
                )
            )
    if fam.support == "interval" and "lower" in params and "upper" in params:
        lower, upper = params["lower"][1], params["upper"][1]
        if lower.known and upper.known and lower.hi >= upper.lo and lower.lo == lower.hi:
            if upper.lo == upper.hi:
                out.append(
                    Problem(
                        f"the upper bound {upper.lo:g} is not above the lower bound {lower.lo:g}",
                        node.id,
                        "params.upper",
                    )
                )
    return out
