"""Columns to network space and back.

Continuous columns (numeric, date, integer) go through a quantile-normal
transform: each value is replaced by the standard-normal quantile of its rank.
We chose it over plain standardisation and over CTGAN's mode-specific
normalisation because

- it makes every marginal exactly N(0, 1), whatever its skew or number of modes,
  so the generator's linear output head only has to learn the dependence between
  columns, not awkward marginal shapes (earnings: heavy right tail, spikes);
- it is cheap to fit on a million rows (one sort; no per-column Gaussian mixture
  as in mode-specific normalisation) and its inverse is one interpolation;
- it is exactly monotone, so decoded values never leave the observed range;
- values repeated in the data (round earnings) are spread over their share of
  probability (a randomised probability integral transform), so the encoded column
  is continuous and a generator need not produce point masses.

Integer columns are dequantised (uniform noise of ±0.5) before fitting, so the
transform sees a continuous variable, and rounded after decoding. Boolean and
categorical columns are one-hot; the generator emits logits for them and the
network layer turns those into Gumbel-softmax samples.

An encoder is plain data (knots, levels) so that it saves in a result's meta JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from backends.runtime import ColumnTable, EngineError

N_KNOTS = 1001
Z_LIMIT = 5.0  # quantile-normal values are clipped to ±5 (probability 3e-7 per tail)


@dataclass(frozen=True)
class ColumnCode:
    """How one column is encoded: ``continuous`` (knots) or ``discrete`` (levels)."""

    name: str
    type: str
    knots: tuple[float, ...] = ()
    levels: tuple[str, ...] = ()

    @property
    def discrete(self) -> bool:
        return self.type in ("boolean", "categorical")

    @property
    def width(self) -> int:
        return len(self.levels) if self.discrete else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "knots": list(self.knots),
            "levels": list(self.levels),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ColumnCode:
        return cls(
            raw["name"],
            raw["type"],
            tuple(float(k) for k in raw["knots"]),
            tuple(str(v) for v in raw["levels"]),
        )


def fit_code(name: str, kind: str, values: np.ndarray, rng: np.random.Generator) -> ColumnCode:
    """Fit the encoding of one column from its (complete) values."""
    if kind == "categorical":
        return ColumnCode(name, kind, levels=tuple(sorted({str(v) for v in values})))
    if kind == "boolean":
        return ColumnCode(name, kind, levels=("0", "1"))
    x = values.astype(np.float64)
    if kind == "integer":
        x = x + rng.uniform(-0.5, 0.5, size=x.shape)
    probs = np.linspace(0.0, 1.0, min(N_KNOTS, max(len(x), 2)))
    return ColumnCode(name, kind, knots=tuple(float(k) for k in np.quantile(x, probs)))


class TableEncoder:
    """The encodings of a list of columns, laid side by side in one float matrix."""

    def __init__(self, codes: list[ColumnCode]) -> None:
        self.codes = codes
        self.spans: list[tuple[int, int]] = []
        start = 0
        for code in codes:
            self.spans.append((start, start + code.width))
            start += code.width
        self.width = start

    @classmethod
    def fit(cls, table: ColumnTable, names: list[str] | tuple[str, ...], seed: int) -> TableEncoder:
        rng = np.random.default_rng(seed)
        return cls([fit_code(n, table.types.get(n, "numeric"), table[n], rng) for n in names])

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.codes]

    def discrete_spans(self) -> list[tuple[int, int]]:
        return [s for s, c in zip(self.spans, self.codes, strict=True) if c.discrete]

    def continuous_index(self) -> list[int]:
        return [s[0] for s, c in zip(self.spans, self.codes, strict=True) if not c.discrete]

    def encode(
        self, columns: dict[str, np.ndarray], seed: int = 0, randomise: bool = True
    ) -> np.ndarray:
        """(n, width) float32 matrix of the given columns (a dict or ColumnTable).

        ``randomise`` (training): integers are dequantised and tied values spread over
        their share of probability with noise. Off (scoring a row, conditioning on it),
        each gets the middle of its share, so that a row's code does not depend on
        where it sits in a batch: the critic's score is then a function of the row."""
        rng = np.random.default_rng(seed) if randomise else None
        n = len(columns[self.codes[0].name])
        out = np.zeros((n, self.width), dtype=np.float32)
        for code, (a, _) in zip(self.codes, self.spans, strict=True):
            values = np.asarray(columns[code.name])
            if len(values) != n:
                raise EngineError(f"column {code.name!r} has {len(values)} rows, expected {n}")
            if code.discrete:
                # a part of the user's table (ColumnTable.take) names its rows as the whole does
                numbers = getattr(columns, "row_numbers", None)
                out[np.arange(n), a + _level_index(code, values, numbers)] = 1.0
            else:
                out[:, a] = _to_normal(code, values.astype(np.float64), rng)
        return out

    def decode(self, matrix: np.ndarray) -> dict[str, np.ndarray]:
        """Columns from an encoded matrix; discrete spans are read by argmax."""
        out: dict[str, np.ndarray] = {}
        for code, (a, b) in zip(self.codes, self.spans, strict=True):
            if code.discrete:
                index = np.argmax(matrix[:, a:b], axis=1)
                if code.type == "boolean":
                    out[code.name] = index.astype(np.float64)
                else:
                    out[code.name] = np.array(code.levels, dtype=object)[index]
            else:
                out[code.name] = _from_normal(code, matrix[:, a].astype(np.float64))
        return out

    def numeric_matrix(self, columns: dict[str, np.ndarray]) -> np.ndarray:
        """Columns as float64 (categoricals as level indices): the X of predict()."""
        return np.column_stack(
            [
                _level_index(c, np.asarray(columns[c.name])).astype(np.float64)
                if c.type == "categorical"
                else np.asarray(columns[c.name], dtype=np.float64)
                for c in self.codes
            ]
        )

    def columns_from_numeric(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Inverse of numeric_matrix: a float64 X back to named columns."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.codes):
            raise EngineError(
                f"X must have {len(self.codes)} columns "
                f"({', '.join(self.names)}), not shape {X.shape}"
            )
        out: dict[str, np.ndarray] = {}
        for j, code in enumerate(self.codes):
            if code.type == "categorical":
                index = np.rint(X[:, j]).astype(np.int64)
                if index.min(initial=0) < 0 or index.max(initial=0) >= len(code.levels):
                    raise EngineError(
                        f"column {code.name!r}: level indices must lie in 0..{len(code.levels) - 1}"
                    )
                out[code.name] = np.array(code.levels, dtype=object)[index]
            else:
                out[code.name] = X[:, j]
        return out

    def log_jacobian(self, columns: dict[str, np.ndarray], encoded: np.ndarray) -> np.ndarray:
        """Σ log |dz/dx| over continuous columns: what turns a log-density of encoded rows
        into one of rows in data units. It is very negative in gaps between a column's
        modes, which the quantile transform squeezes to almost nothing."""
        total = np.zeros(len(encoded))
        for code, (a, _) in zip(self.codes, self.spans, strict=True):
            if not code.discrete:
                x = np.asarray(columns[code.name], dtype=np.float64)
                z = encoded[:, a].astype(np.float64)
                total += _log_marginal_density(code, x) + 0.5 * z**2 + 0.5 * np.log(2 * np.pi)
        return total

    def to_meta(self) -> list[dict[str, Any]]:
        return [c.to_dict() for c in self.codes]

    @classmethod
    def from_meta(cls, raw: list[dict[str, Any]]) -> TableEncoder:
        return cls([ColumnCode.from_dict(r) for r in raw])


def _level_index(code: ColumnCode, values: np.ndarray, numbers=None) -> np.ndarray:  # noqa: ANN001
    """Level codes of ``values``; ``numbers`` (ColumnTable.row_numbers) names a refused
    value's row in the user's table, else rows count from 1 in ``values``."""
    if code.type == "boolean":
        flags = np.asarray(values, dtype=np.float64)
        if not np.all((flags == 0) | (flags == 1)):
            raise EngineError(f"boolean column {code.name!r} holds values other than 0 and 1")
        return flags.astype(np.int64)
    lookup = {lv: i for i, lv in enumerate(code.levels)}
    index = np.array([lookup.get(str(v), -1) for v in values], dtype=np.int64)
    if np.any(index < 0):
        row = int(np.flatnonzero(index < 0)[0])
        shown = int(numbers([row])[0]) if numbers else row + 1
        raise EngineError(
            f"column {code.name!r}, row {shown}: {values[row]!r} is not one of "
            f"the levels seen in training ({', '.join(code.levels)})"
        )
    return index


def _to_normal(code: ColumnCode, x: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
    """rng None: no noise (the middle of each value's share)."""
    if code.type == "integer" and rng is not None:
        x = x + rng.uniform(-0.5, 0.5, size=x.shape)
    knots = np.asarray(code.knots)
    probs = np.linspace(0.0, 1.0, len(knots))
    p = np.interp(x, knots, probs)
    # A value repeated in the data (earnings of exactly 20000) spans several knots:
    # spread it uniformly over its share of probability (a randomised probability
    # integral transform), so encoded columns stay continuous N(0, 1) and decoding
    # anywhere in that share gives the value back.
    first = np.searchsorted(knots, x, side="left")
    last = np.searchsorted(knots, x, side="right") - 1
    tied = last > first
    if tied.any():
        share = (
            (first[tied] + last[tied]) / 2 if rng is None else rng.uniform(first[tied], last[tied])
        )
        p[tied] = share / (len(knots) - 1)
    return np.clip(ndtri(np.clip(p, 1e-12, 1 - 1e-12)), -Z_LIMIT, Z_LIMIT)


def _log_marginal_density(code: ColumnCode, x: np.ndarray) -> np.ndarray:
    """log of a column's density from its knots, each slope taken over ±2% of the
    probability so that neighbouring knots' noise averages out."""
    knots = np.asarray(code.knots)
    probs = np.linspace(0.0, 1.0, len(knots))
    w = max(1, len(knots) // 50)
    span = knots[-1] - knots[0]
    centre = np.clip(np.searchsorted(knots, x), 0, len(knots) - 1)
    lo, hi = np.clip(centre - w, 0, None), np.clip(centre + w, None, len(knots) - 1)
    width = np.maximum(knots[hi] - knots[lo], 1e-9 * span)
    density = (probs[hi] - probs[lo]) / width
    outside = (x < knots[0]) | (x > knots[-1])
    return np.log(np.where(outside, 1e-6 / span, density))


def _from_normal(code: ColumnCode, z: np.ndarray) -> np.ndarray:
    knots = np.asarray(code.knots)
    x = np.interp(ndtr(z), np.linspace(0.0, 1.0, len(knots)), knots)
    if code.type == "integer":
        # dequantised knots reach ±0.5 beyond the observed range: round back into it
        x = np.clip(np.rint(x), np.ceil(knots[0]), np.floor(knots[-1]))
    return x
