"""Compile a model graph into one vectorised log-density.

The sampler proposes a batch of parameter vectors at once (one per walker), so
the model is evaluated for all of them in one pass of numpy operations: every
value carries a leading walker axis, every row of the table is a trailing axis,
and there is no Python loop over walkers or rows — only over the nodes.

Stochastic nodes with a constrained support are sampled in an unconstrained
space (log for positive values, logit for the unit interval, a scaled logit for
Uniform bounds — which may themselves be expressions) and the log-Jacobian of
the transform is added, so the density is correct in the space the sampler
walks in. The parameter vector is laid out node by node in dependency order and
its entries are named ArviZ style: ``mu``, ``beta[0]`` or ``beta[mom_iq]``,
``theta[Choate]``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special

from backends.graph.arraymath import ArrayMath
from backends.graph.dependencies import expression_order, group_indices, parsed_fields
from backends.graph.distributions import VECTOR_PARAMS, Family, family
from backends.graph.expressions import NUMPY, ArrayOps, Expression, align
from backends.graph.model import ROWS, Graph, Node
from backends.graph.rows import NON_NUMERIC, DataInfo, RowBatch, table_rows
from backends.runtime import ColumnTable, EngineError


class NodeEvaluationError(ValueError):
    """An expression failed on real values (mismatched lengths, a bad index)."""

    def __init__(self, node: Node, field_name: str, message: str) -> None:
        super().__init__(f"{node.name}.{field_name}: {message}")
        self.node_id, self.field, self.detail = node.id, field_name, message


@dataclass(frozen=True)
class Block:
    """The slice of the parameter vector that holds one stochastic node."""

    name: str
    node_id: str
    start: int
    shape: tuple[int, ...]
    support: str
    labels: tuple[str, ...]

    size: int
    stop: int


@dataclass
class _Step:
    node: Node
    exprs: dict[str, Expression] = field(default_factory=dict)
    family: Family | None = None
    block: Block | None = None
    const: np.ndarray | None = None
    random: bool = True  # False: the value depends on data and constants only


@dataclass
class Evaluation:
    """The values of every node for a batch of parameter vectors, and the log-density."""

    values: dict[str, np.ndarray]
    log_density: np.ndarray
    other: np.ndarray  # the parameters in the other space (constrained <-> unconstrained)


def node_shape(graph: Graph, node: Node, info: DataInfo) -> tuple[int, ...]:
    """The shape of one stochastic node's value (its plate, or options size/coords)."""
    plate = graph.plates.get(node.plate) if node.plate else None
    if plate is not None and plate.over == ROWS:
        return (info.n_rows,)
    if plate is not None:
        return (len(info.levels[plate.over]),)
    coords = node.options.get("coords")
    if coords:
        return (len(coords),)
    size = int(node.options.get("size", 0) or 0)
    return (size,) if size > 0 else ()


def element_labels(
    graph: Graph, node: Node, shape: tuple[int, ...], info: DataInfo
) -> tuple[str, ...]:
    if not shape:
        return (node.name,)
    plate = graph.plates.get(node.plate) if node.plate else None
    if plate is not None and plate.over != ROWS:
        names = info.levels[plate.over]
    elif node.options.get("coords") and plate is None:
        names = [str(c) for c in node.options["coords"]]
    else:
        names = [str(i) for i in range(shape[0])]
    return tuple(f"{node.name}[{n}]" for n in names)


def _sum_events(a: Any) -> Any:
    return a.reshape(a.shape[0], -1).sum(1)


def _align_family(fam: Family, x: Any, params: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Align a value and its parameters; category vectors keep their trailing axis."""
    vector = {k for k in params if (fam.name, k) in VECTOR_PARAMS}
    nd = max([x.ndim] + [p.ndim - (k in vector) for k, p in params.items()])
    out = {k: _lift(p, nd - (p.ndim - (k in vector))) for k, p in params.items()}
    return _lift(x, nd - x.ndim), out


def _lift(a: Any, extra: int) -> Any:
    """``a`` with ``extra`` axes inserted after the walker axis (none: ``a`` itself)."""
    return a if extra == 0 else a.reshape(a.shape[:1] + (1,) * extra + a.shape[1:])


class CompiledModel:
    """The model as functions of a batch of parameter vectors, shape (W, dim)."""

    def __init__(self, graph: Graph, info: DataInfo, rows: RowBatch) -> None:
        self.graph = graph
        self.info = info
        self.rows = rows
        self.steps: list[_Step] = []
        self.blocks: list[Block] = []
        self.group_columns = group_indices(graph)
        start = 0
        random_ids: set[str] = set()  # nodes whose value changes with the parameters
        for nid in expression_order(graph):
            node = graph.nodes[nid]
            parsed = parsed_fields(node)
            exprs = {k: v for k, v in parsed.items() if isinstance(v, Expression)}
            if len(exprs) != len(parsed):
                raise EngineError(f"{node.name}: an expression does not parse; validate first")
            step = _Step(node, exprs)
            if node.kind in ("stochastic", "observed"):
                step.family = family(node.distribution or "")
            if node.kind == "stochastic":
                shape = node_shape(graph, node, info)
                labels = element_labels(graph, node, shape, info)
                size = int(np.prod(shape, dtype=int))
                step.block = Block(
                    node.name, nid, start, shape, step.family.support, labels, size, start + size
                )
                self.blocks.append(step.block)
                start = step.block.stop
            if node.kind == "constant":
                step.const = np.asarray(node.value, dtype=float)[None, ...]
            step.random = node.kind in ("stochastic", "observed") or any(
                graph.node_by_name(n) is not None and graph.node_by_name(n).id in random_ids
                for e in exprs.values()
                for n in e.names
            )
            if step.random:
                random_ids.add(nid)
            self.steps.append(step)
        self.dim = start
        self.names: list[str] = [label for b in self.blocks for label in b.labels]
        self._random_names = {s.node.name for s in self.steps if s.random}
        self.observed = [s.node for s in self.steps if s.node.kind == "observed"]
        self.row_latent = any(
            graph.plates[n.plate].over == ROWS
            for n in graph.nodes_of_kind("stochastic")
            if n.plate in graph.plates
        )

    # ------------------------------------------------------------ evaluation
    def evaluate(
        self,
        params: Any,
        rows: RowBatch | None = None,
        *,
        unconstrained: bool = True,
        likelihood: bool = True,
        ops: ArrayOps = NUMPY,
        cache: dict | None = None,
    ) -> Evaluation:
        """Run the graph on ``params`` (W, dim) over ``rows`` (default: training rows).

        ``ops`` picks the arrays: numpy (default), torch or JAX (``arraymath``), whose
        log-density autograd differentiates; ``other`` is filled for numpy only.
        Values that depend on the rows alone are kept in ``cache`` (default: the row
        batch's own); a JAX trace passes a fresh one, as its values are tracers.
        """
        rows = self.rows if rows is None else rows
        cache = rows.cache if cache is None else cache
        m = ops.math
        numpy = m is NUMPY.math
        params = np.atleast_2d(np.asarray(params, dtype=float)) if numpy else params
        n_walkers = params.shape[0]
        values: dict[str, Any] = {}
        indices = {
            name: self._cached(
                cache, ("codes", col, m.name), lambda c=col: m.to_index(rows.codes[c])
            )
            for name, col in self.group_columns.items()
            if col in rows.codes
        }
        logp = m.zeros(n_walkers)
        other = np.empty_like(params) if numpy else None
        for step in self.steps:
            node = step.node
            if node.kind == "constant":
                values[node.name] = self._cached(
                    cache, ("const", node.id, m.name), lambda s=step: m.asarray(s.const)
                )
            elif node.kind == "data":
                if all(c in rows.values for c in node.columns):
                    values[node.name] = self._cached(
                        cache,
                        (node.id, "value", m.name),
                        lambda n=node: m.asarray(self._data_value(n, rows)),
                    )
            elif node.kind == "deterministic":
                values[node.name] = self._run(step, "expression", values, indices, cache, ops)
            elif node.kind == "stochastic":
                dist = {
                    k.split(".", 1)[1]: self._run(step, k, values, indices, cache, ops)
                    for k in step.exprs
                }
                block = step.block
                raw = params[:, block.start : block.stop].reshape((n_walkers,) + block.shape)
                if unconstrained:
                    value, log_jac = _constrain(raw, block.support, dist, m)
                    if other is not None:
                        other[:, block.start : block.stop] = value.reshape(n_walkers, -1)
                    logp = logp + log_jac
                else:
                    value = raw
                    if other is not None:
                        back = _unconstrain(raw, block.support, dist)
                        other[:, block.start : block.stop] = back.reshape(n_walkers, -1)
                values[node.name] = value
                logp = logp + self._logpdf_sum(step, value, dist, m)
            elif node.kind == "observed" and likelihood:
                dist = {
                    k.split(".", 1)[1]: self._run(step, k, values, indices, cache, ops)
                    for k in step.exprs
                }
                y = self._cached(
                    cache,
                    ("observed", node.id, m.name),
                    lambda n=node: m.asarray(self.observed_value(n, rows)[None, :]),
                )
                logp = logp + self._logpdf_sum(step, y, dist, m)
        return Evaluation(values, logp, other)

    def log_density(self, u: np.ndarray) -> np.ndarray:
        """Log posterior density (up to a constant) at unconstrained points (W, dim) -> (W,)."""
        with np.errstate(all="ignore"):
            lp = self.evaluate(u).log_density
        return np.where(np.isnan(lp), -np.inf, lp)

    def constrain(self, u: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return self.evaluate(u, likelihood=False).other

    def unconstrain(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return self.evaluate(x, unconstrained=False, likelihood=False).other

    def distribution_of(
        self, node_name: str, x: np.ndarray, rows: RowBatch
    ) -> tuple[Family, dict[str, np.ndarray]]:
        """The family of an observed node and its parameters at constrained draws ``x``."""
        ev = self.evaluate(x, rows, unconstrained=False, likelihood=False)
        step = next(s for s in self.steps if s.node.name == node_name)
        indices = {n: rows.codes[c] for n, c in self.group_columns.items() if c in rows.codes}
        dist = {k.split(".", 1)[1]: self._run(step, k, ev.values, indices) for k in step.exprs}
        shape = (x.shape[0], rows.n)
        _, aligned = _align_family(step.family, np.zeros(shape), dist)
        return step.family, {k: np.broadcast_to(v, shape + v.shape[2:]) for k, v in aligned.items()}

    def observed_value(self, node: Node, rows: RowBatch) -> np.ndarray:
        column = node.columns[0]
        return rows.codes[column].astype(float) if column in rows.codes else rows.values[column]

    # --------------------------------------------------------------- helpers
    def _data_value(self, node: Node, rows: RowBatch) -> np.ndarray:
        cols = []
        for name in node.columns:
            column = rows.values[name]
            if name in self.info.scaling and node.options.get("standardize"):
                center, scale = self.info.scaling[name]
                column = (column - center) / scale
            cols.append(column)
        stacked = cols[0] if len(cols) == 1 else np.stack(cols, axis=-1)
        return stacked[None, ...]

    @staticmethod
    def _cached(cache: dict, key: tuple, make: Callable[[], Any]) -> Any:
        """A value that depends on the rows only, made once per row batch and backend."""
        if key not in cache:
            cache[key] = make()
        return cache[key]

    def _run(
        self,
        step: _Step,
        key: str,
        values: dict,
        indices: Mapping,
        cache: dict | None = None,
        ops: ArrayOps = NUMPY,
    ) -> Any:
        """Evaluate one field; fields that depend on no parameter are cached per row batch."""
        static = not step.random or (
            step.node.kind in ("stochastic", "observed")
            and not any(n in self._random_names for n in step.exprs[key].names)
        )
        cache_key = (step.node.id, key, ops.math.name)
        if static and cache is not None and cache_key in cache:
            return cache[cache_key]
        try:
            value = step.exprs[key].evaluate(values, indices, ops)
        except KeyError as exc:
            raise NodeEvaluationError(
                step.node, key, f"{exc.args[0]!r} has no value here"
            ) from None
        except (ValueError, IndexError, RuntimeError) as exc:
            raise NodeEvaluationError(step.node, key, _shape_message(exc)) from None
        if static and cache is not None:
            cache[cache_key] = value
        return value

    def _logpdf_sum(self, step: _Step, x: Any, dist: dict[str, Any], m: ArrayMath) -> Any:
        """The log-density summed over everything but the walker axis."""
        try:
            x_al, p_al = _align_family(step.family, x, dist)
            if step.family.logpdf_sum is not None:
                return step.family.logpdf_sum(x_al, p_al, m)
            return _sum_events(step.family.logpdf(x_al, p_al, m))
        except (ValueError, RuntimeError) as exc:
            raise NodeEvaluationError(step.node, "params", _shape_message(exc)) from None


def _shape_message(exc: Exception) -> str:
    text = str(exc)
    if "broadcast" in text or "shapes" in text or "aligned" in text:
        return f"mismatched lengths ({text})"
    return text


def _bounds(raw: Any, dist: dict[str, Any]) -> tuple[Any, Any]:
    lo, hi, _ = align(dist["lower"], dist["upper"], raw)
    return lo, hi


def _constrain(u: Any, support: str, dist: dict, m: ArrayMath) -> tuple[Any, Any]:
    """Value in the node's support and the log-Jacobian (W,) of the map from ``u``."""
    if support == "positive":
        return m.exp(u), _sum_events(u)
    if support == "unit":
        return m.expit(u), _sum_events(m.log_expit(u) + m.log_expit(-u))
    if support == "interval":
        lo, hi = _bounds(u, dist)
        x = lo + (hi - lo) * m.expit(u)
        jac = m.log(hi - lo) + m.log_expit(u) + m.log_expit(-u)
        return x, _sum_events(m.broadcast_to(jac, x.shape))
    return u, m.zeros(u.shape[0])


def _unconstrain(x: np.ndarray, support: str, dist: dict) -> np.ndarray:
    if support == "positive":
        return np.log(x)
    if support == "unit":
        return special.logit(x)
    if support == "interval":
        lo, hi = _bounds(x, dist)
        return np.broadcast_to(special.logit((x - lo) / (hi - lo)), x.shape)
    return x


def model_columns(graph: Graph) -> tuple[set[str], set[str], set[str]]:
    """(numeric columns, grouping columns, standardised columns) the model reads."""
    groups = group_indices(graph)
    used_indices: set[str] = set()
    for node in graph.nodes.values():
        for expr in parsed_fields(node).values():
            if isinstance(expr, Expression):
                used_indices |= expr.indices
    grouping = {groups[i] for i in used_indices if i in groups}
    grouping |= {p.over for p in graph.plates.values() if p.over != ROWS}
    numeric: set[str] = set()
    standardised: set[str] = set()
    for node in graph.nodes_of_kind("data"):
        if len(node.columns) == 1 and node.columns[0] in grouping:
            continue
        numeric.update(node.columns)
        if node.options.get("standardize"):
            standardised.update(node.columns)
    for node in graph.nodes_of_kind("observed"):
        target = node.columns[0] if node.columns else None
        if target and node.distribution == "Categorical":
            grouping.add(target)
        elif target:
            numeric.add(target)
    return numeric, grouping, standardised


def build_model(graph: Graph, table: ColumnTable) -> CompiledModel:
    """Compile without validating first (validation uses this for a trial run)."""
    numeric, grouping, standardised = model_columns(graph)
    for name in numeric | grouping:
        if name not in table:
            raise EngineError(f"the table has no column {name!r}")
    for name in numeric:
        if table.types.get(name) in NON_NUMERIC:
            raise EngineError(f"column {name!r} is not numeric")
    rows, info = table_rows(table, numeric, grouping, standardised)
    return CompiledModel(graph, info, rows)


def compile_model(graph: Graph, table: ColumnTable) -> CompiledModel:
    """Validate ``graph`` against ``table`` and compile it; EngineError lists the problems."""
    from backends.graph.validate import errors_of, validate  # validate builds trial models

    errors = errors_of(validate(graph, table))
    if errors:
        lines = "; ".join(p.describe(graph) for p in errors[:8])
        more = f" (and {len(errors) - 8} more)" if len(errors) > 8 else ""
        raise EngineError(f"the model has problems: {lines}{more}")
    return build_model(graph, table)


def rebuild_model(graph: Graph, info: DataInfo) -> CompiledModel:
    """The structure of a compiled model from a saved DataInfo, without training rows."""
    return CompiledModel(graph, info, RowBatch(info.n_rows))
