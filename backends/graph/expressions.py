"""Safe expressions: the parameters of nodes (``b0 + b1 * x``, ``theta[school]``).

A project file from a stranger must be safe to open, so expressions are never
handed to ``eval``. The text is parsed with Python's ``ast`` module and every node
of the tree is checked against a whitelist (numbers, names, ``+ - * / **``, unary
signs, comparisons, indexing by a group or an integer, and a fixed list of
functions); anything else is refused with a message that says what was found.
The checked tree is then compiled into nested closures that call an ``Ops``
backend, so one parse serves three evaluators: numpy arrays with a leading walker
axis (the log-density), torch tensors of the same shapes (its gradient, by
autograd) and intervals (support checks in validation).

Array convention (numpy backend): every value has a leading walker axis (length
W, or 1 for data and constants) followed by its own shape: () for a scalar, (n,)
for a value per row, (L,) per group level, (n, k) for several columns. Binary
operations align the trailing shapes after the walker axis (``_align``), so a
scalar parameter of shape (W,) combines with a column of shape (1, n).
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from backends.graph.arraymath import NUMPY_MATH, ArrayMath

MAX_LENGTH = 500
MAX_DEPTH = 30
MAX_EXPONENT = 100.0

# function name -> accepted numbers of arguments
FUNCTIONS: dict[str, tuple[int, ...]] = {
    "exp": (1,),
    "log": (1,),
    "log1p": (1,),
    "sqrt": (1,),
    "abs": (1,),
    "sigmoid": (1,),
    "inv_logit": (1,),
    "logit": (1,),
    "softplus": (1,),
    "sum": (1,),
    "mean": (1,),
    "dot": (2,),
    "min": (1, 2),
    "max": (1, 2),
}

_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_CMPOPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_ALLOWED_HELP = (
    "use numbers, node names, + - * / **, comparisons, name[group] and the functions "
    + ", ".join(FUNCTIONS)
)


class ExpressionError(ValueError):
    """The text is not an allowed expression; the message says why."""


Evaluator = Callable[["Ops", Mapping[str, Any], Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Expression:
    """A checked, compiled expression.

    ``names`` are the node names read as values; ``indices`` the names used
    inside brackets as a group index (``school`` in ``theta[school]``);
    ``subscripts`` the (indexed name, index) pairs, such as ("theta", "school").
    """

    text: str
    names: frozenset[str]
    indices: frozenset[str]
    subscripts: frozenset[tuple[str, str]]
    _run: Evaluator

    def evaluate(self, values: Mapping[str, Any], indices: Mapping[str, Any], ops: Ops) -> Any:
        return self._run(ops, values, indices)

    @property
    def tree(self) -> ast.expr:
        return _parse_checked(self.text)


def names_used(text: str) -> set[str]:
    """Every name an expression refers to (values and group indices), for the canvas."""
    expr = parse(text)
    return set(expr.names | expr.indices)


def parse(text: str) -> Expression:
    """Parse and compile ``text``; raises ExpressionError with a clear message."""
    tree = _parse_checked(text)
    names: set[str] = set()
    indices: set[str] = set()
    run = _compile(tree, names, indices)
    subscripts = {
        (n.value.id, ast.unparse(n.slice))  # type: ignore[attr-defined]
        for n in ast.walk(tree)
        if isinstance(n, ast.Subscript)
    }
    return Expression(text, frozenset(names), frozenset(indices), frozenset(subscripts), run)


def _parse_checked(text: str) -> ast.expr:
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    if _bracket_depth(text) > MAX_DEPTH:
        raise ExpressionError(f"the expression is nested more than {MAX_DEPTH} levels deep")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        detail = exc.msg if isinstance(exc, SyntaxError) else type(exc).__name__
        raise ExpressionError(f"cannot read {text!r}: {detail}") from None
    _check(tree, 0)
    return tree


def _bracket_depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        depth += char in "([{"
        depth -= char in ")]}"
        deepest = max(deepest, depth)
    return deepest


def _refuse(node: ast.AST, what: str) -> ExpressionError:
    col = getattr(node, "col_offset", None)
    where = f" (at character {col + 1})" if col is not None else ""
    return ExpressionError(f"{what} is not allowed{where}; {_ALLOWED_HELP}")


def _check(node: ast.AST, depth: int) -> None:
    """Walk the tree and refuse anything outside the whitelist."""
    if depth > MAX_DEPTH:
        raise ExpressionError(f"the expression is nested more than {MAX_DEPTH} levels deep")
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _refuse(node, f"the constant {value!r}")
        if not math.isfinite(float(value)):
            raise _refuse(node, f"the non-finite number {value!r}")
        return
    if isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise _refuse(node, f"the name {node.id!r} (names may not start with _)")
        if node.id in FUNCTIONS:
            raise ExpressionError(f"{node.id} is a function; call it as {node.id}(...)")
        return
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        if isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant):
            exponent = node.right.value
            if isinstance(exponent, (int, float)) and abs(exponent) > MAX_EXPONENT:
                raise ExpressionError(f"the exponent {exponent} is larger than {MAX_EXPONENT:g}")
        _check(node.left, depth + 1)
        _check(node.right, depth + 1)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        _check(node.operand, depth + 1)
        return
    if isinstance(node, ast.Compare):
        for op in node.ops:
            if type(op) not in _CMPOPS:
                raise _refuse(node, f"the comparison {type(op).__name__}")
        for part in [node.left, *node.comparators]:
            _check(part, depth + 1)
        return
    if isinstance(node, ast.Subscript):
        if not isinstance(node.value, ast.Name):
            raise _refuse(node, "indexing anything but a name")
        _check(node.value, depth + 1)
        index = node.slice
        ok_int = isinstance(index, ast.Constant) and type(index.value) is int and index.value >= 0
        if not (ok_int or isinstance(index, ast.Name)):
            raise _refuse(node, "an index other than a group name or a whole number")
        if isinstance(index, ast.Name):
            _check(index, depth + 1)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
            raise _refuse(node, f"calling {name!r}")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise _refuse(node, "keyword or starred arguments")
        arities = FUNCTIONS[node.func.id]
        if len(node.args) not in arities:
            want = " or ".join(str(a) for a in arities)
            raise ExpressionError(
                f"{node.func.id}() takes {want} argument(s), not {len(node.args)}"
            )
        for arg in node.args:
            _check(arg, depth + 1)
        return
    if isinstance(node, ast.Attribute):
        raise _refuse(node, f"attribute access (.{node.attr})")
    raise _refuse(node, f"the construct {type(node).__name__}")


def _compile(node: ast.expr, names: set[str], indices: set[str]) -> Evaluator:
    """Turn a checked tree into closures over an Ops backend."""
    if isinstance(node, ast.Constant):
        value = float(node.value)
        return lambda ops, v, i: ops.const(value)
    if isinstance(node, ast.Name):
        name = node.id
        names.add(name)
        return lambda ops, v, i: v[name]
    if isinstance(node, ast.BinOp):
        left, right = _compile(node.left, names, indices), _compile(node.right, names, indices)
        method = _BINOPS[type(node.op)]
        return lambda ops, v, i: getattr(ops, method)(left(ops, v, i), right(ops, v, i))
    if isinstance(node, ast.UnaryOp):
        operand = _compile(node.operand, names, indices)
        if isinstance(node.op, ast.UAdd):
            return operand
        return lambda ops, v, i: ops.neg(operand(ops, v, i))
    if isinstance(node, ast.Compare):
        parts = [_compile(p, names, indices) for p in [node.left, *node.comparators]]
        symbols = [_CMPOPS[type(op)] for op in node.ops]

        def compare(ops: Ops, v: Mapping[str, Any], i: Mapping[str, Any]) -> Any:
            values = [p(ops, v, i) for p in parts]
            result = ops.compare(symbols[0], values[0], values[1])
            for k in range(1, len(symbols)):  # a < b < c means (a < b) and (b < c)
                result = ops.mul(result, ops.compare(symbols[k], values[k], values[k + 1]))
            return result

        return compare
    if isinstance(node, ast.Subscript):
        base = _compile(node.value, names, indices)
        target = node.value.id  # type: ignore[attr-defined]
        if isinstance(node.slice, ast.Name):
            group = node.slice.id
            indices.add(group)
            return lambda ops, v, i: ops.index(base(ops, v, i), i[group], target, group)
        position = int(node.slice.value)  # type: ignore[attr-defined]
        return lambda ops, v, i: ops.index(base(ops, v, i), position, target, str(position))
    if isinstance(node, ast.Call):
        fname = node.func.id  # type: ignore[attr-defined]
        args = [_compile(a, names, indices) for a in node.args]
        return lambda ops, v, i: ops.call(fname, [a(ops, v, i) for a in args])
    raise _refuse(node, type(node).__name__)  # unreachable after _check


class Ops:
    """The operations an expression needs; one subclass per kind of value."""

    def const(self, x: float) -> Any: ...
    def add(self, a: Any, b: Any) -> Any: ...
    def sub(self, a: Any, b: Any) -> Any: ...
    def mul(self, a: Any, b: Any) -> Any: ...
    def div(self, a: Any, b: Any) -> Any: ...
    def pow(self, a: Any, b: Any) -> Any: ...
    def neg(self, a: Any) -> Any: ...
    def compare(self, op: str, a: Any, b: Any) -> Any: ...
    def index(self, a: Any, idx: Any, target: str, label: str) -> Any: ...
    def call(self, name: str, args: list[Any]) -> Any: ...


def align(*arrays: Any) -> list[Any]:
    """Insert axes after the walker axis so that trailing shapes line up."""
    nd = max(a.ndim for a in arrays)
    return [
        a if a.ndim == nd else a.reshape(a.shape[:1] + (1,) * (nd - a.ndim) + a.shape[1:])
        for a in arrays
    ]


class ArrayOps(Ops):
    """Evaluate on arrays with a leading walker axis: numpy or torch, by ``math``."""

    _unary = ("exp", "log", "log1p", "sqrt", "abs", "logit", "softplus")
    _aliases = {"sigmoid": "expit", "inv_logit": "expit"}
    _compare = {
        "<": operator.lt,
        "<=": operator.le,
        ">": operator.gt,
        ">=": operator.ge,
        "==": operator.eq,
        "!=": operator.ne,
    }

    def __init__(self, array_math: ArrayMath) -> None:
        self.math = array_math

    def const(self, x: float) -> Any:
        return self.math.asarray([x])

    def add(self, a: Any, b: Any) -> Any:
        a, b = align(a, b)
        return a + b

    def sub(self, a: Any, b: Any) -> Any:
        a, b = align(a, b)
        return a - b

    def mul(self, a: Any, b: Any) -> Any:
        a, b = align(a, b)
        return a * b

    def div(self, a: Any, b: Any) -> Any:
        a, b = align(a, b)
        return a / b

    def pow(self, a: Any, b: Any) -> Any:
        a, b = align(a, b)
        return self.math.power(a, b)

    def neg(self, a: Any) -> Any:
        return -a

    def compare(self, op: str, a: Any, b: Any) -> Any:
        a, b = align(a, b)
        return self.math.to_float(self._compare[op](a, b))

    def index(self, a: Any, idx: Any, target: str, label: str) -> Any:
        if a.ndim < 2:
            raise ValueError(f"{target} is a single value; it cannot be indexed by {label}")
        size = a.shape[1]
        if not self.math.checks_indices and not isinstance(idx, int):
            return a[:, idx]  # the library refuses a bad index itself (the numpy run names it)
        top = idx if isinstance(idx, int) else (int(idx.max()) if len(idx) else -1)
        if top >= size:
            raise ValueError(
                f"{target}[{label}]: index {top} is past the end of {target} (length {size})"
            )
        return a[:, idx]

    def call(self, name: str, args: list[Any]) -> Any:
        m = self.math
        if name in self._unary or name in self._aliases:
            return getattr(m, self._aliases.get(name, name))(args[0])
        if name in ("sum", "mean", "min", "max") and len(args) == 1:
            a = args[0]
            return m.reduce(name, a.reshape(a.shape[0], -1), 1)
        if name in ("min", "max"):
            a, b = align(*args)
            return m.minimum(a, b) if name == "min" else m.maximum(a, b)
        a, b = args  # dot: contract the last axis of each
        if a.ndim == 2 and b.ndim == 2 and b.shape[1] == 1 and a.shape[1] != 1:
            a = a[..., None]  # one column (n,) times a coefficient vector of length 1
        if a.ndim == 3 and b.ndim == 2:  # (1|W, n, k) . (W, k): one matrix product
            return (a @ b[..., None])[..., 0]
        a, b = align(a, b)
        return m.reduce("sum", a * b, -1)


NUMPY = ArrayOps(NUMPY_MATH)
