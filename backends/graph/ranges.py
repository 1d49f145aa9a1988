"""Interval arithmetic over expressions, for support checks before any sampling.

Validation asks "can this scale be negative?" of an expression such as
``sigma`` or ``exp(a) + s``. Each node's value is bounded by an interval (a
prior's support, a constant's value, a column's observed range) and the
expression is evaluated with interval arithmetic. ``known=False`` marks a bound
that is a guess (a column when no table is at hand), so that validation only
reports what it can be sure of.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from backends.graph.expressions import Ops

INF = math.inf


@dataclass(frozen=True)
class Interval:
    lo: float
    hi: float
    known: bool = True

    @classmethod
    def real(cls, known: bool = True) -> Interval:
        return cls(-INF, INF, known)

    def nonnegative(self) -> bool:
        return self.lo >= 0

    def describe(self) -> str:
        return f"[{self.lo:g}, {self.hi:g}]"


def _mul(a: float, b: float) -> float:
    return 0.0 if a == 0 or b == 0 else a * b  # 0 * inf is 0 for bounds


def _join(*parts: Interval, lo: float, hi: float) -> Interval:
    return Interval(lo, hi, all(p.known for p in parts))


class IntervalOps(Ops):
    """Evaluate an expression on Interval values."""

    def const(self, x: float) -> Interval:
        return Interval(x, x)

    def add(self, a: Interval, b: Interval) -> Interval:
        return _join(a, b, lo=a.lo + b.lo, hi=a.hi + b.hi)

    def sub(self, a: Interval, b: Interval) -> Interval:
        return _join(a, b, lo=a.lo - b.hi, hi=a.hi - b.lo)

    def mul(self, a: Interval, b: Interval) -> Interval:
        corners = [_mul(x, y) for x in (a.lo, a.hi) for y in (b.lo, b.hi)]
        return _join(a, b, lo=min(corners), hi=max(corners))

    def div(self, a: Interval, b: Interval) -> Interval:
        if b.lo > 0 or b.hi < 0:  # 1/b is monotone on an interval that excludes 0
            return self.mul(a, _join(b, lo=1.0 / b.hi, hi=1.0 / b.lo))
        if a.lo >= 0 and b.lo >= 0:
            return _join(a, b, lo=0.0, hi=INF)
        return _join(a, b, lo=-INF, hi=INF)

    def pow(self, a: Interval, b: Interval) -> Interval:
        if b.lo == b.hi and float(b.lo).is_integer() and b.lo % 2 == 0:
            return _join(a, b, lo=0.0, hi=INF)
        if a.lo >= 0:
            return _join(a, b, lo=0.0, hi=INF)
        return _join(a, b, lo=-INF, hi=INF)

    def neg(self, a: Interval) -> Interval:
        return Interval(-a.hi, -a.lo, a.known)

    def compare(self, op: str, a: Interval, b: Interval) -> Interval:
        return _join(a, b, lo=0.0, hi=1.0)

    def index(self, a: Interval, idx: Any, target: str, label: str) -> Interval:
        return a

    def call(self, name: str, args: list[Interval]) -> Interval:
        a = args[0]
        if name == "exp":
            return _join(a, lo=math.exp(min(a.lo, 700)), hi=math.exp(min(a.hi, 700)))
        if name in ("sqrt", "abs", "softplus"):
            lo = 0.0 if name != "abs" or a.lo <= 0 <= a.hi else min(abs(a.lo), abs(a.hi))
            return _join(a, lo=lo, hi=INF)
        if name in ("sigmoid", "inv_logit"):
            return _join(a, lo=0.0, hi=1.0)
        if name in ("log", "log1p", "logit"):
            return _join(a, lo=-INF, hi=INF)
        if name == "mean":
            return a
        if name == "sum":
            return _join(a, lo=0.0 if a.lo >= 0 else -INF, hi=0.0 if a.hi <= 0 else INF)
        if name == "dot":
            product = self.mul(args[0], args[1])
            return self.call("sum", [product])
        if len(args) == 1:  # min or max over a vector
            return a
        b = args[1]
        if name == "min":
            return _join(a, b, lo=min(a.lo, b.lo), hi=min(a.hi, b.hi))
        return _join(a, b, lo=max(a.lo, b.lo), hi=max(a.hi, b.hi))


INTERVALS = IntervalOps()
