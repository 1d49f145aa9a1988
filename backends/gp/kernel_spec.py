"""The kernel composition of a GP node, as plain JSON, parsed and checked.

This module is pure Python (no torch): the canvas validates a GP node on every
edit, and opening a project must not pay for importing gpytorch. Building the
gpytorch modules from a parsed ``KernelTerm`` lives in ``kernels.py``.

A kernel is a leaf ``{"kind": "rbf", "inputs": [...], "ard": true, ...}`` or a
composite ``{"op": "sum" | "product", "terms": [...]}``; docs/gp.md gives the
full schema and the units of every field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from backends.graph.model import Problem

LEAF_KINDS = ("rbf", "matern12", "matern32", "matern52", "rq", "periodic", "linear", "white")
COMPOSITE_OPS = ("sum", "product")

# The hyperparameters each leaf kind owns ("outputscale" belongs to the scale
# wrapper that a term gets when it is scaled).
LEAF_PARAMS: dict[str, tuple[str, ...]] = {
    "rbf": ("lengthscale",),
    "matern12": ("lengthscale",),
    "matern32": ("lengthscale",),
    "matern52": ("lengthscale",),
    "rq": ("lengthscale", "alpha"),
    "periodic": ("lengthscale", "period"),
    "linear": ("variance",),
    "white": ("variance",),
}
# Kinds that carry their own variance, so a scale wrapper would be redundant.
SELF_SCALED = ("linear", "white")

PRIOR_FAMILIES: dict[str, tuple[str, ...]] = {
    "gamma": ("concentration", "rate"),
    "lognormal": ("loc", "scale"),
    "normal": ("loc", "scale"),
    "halfnormal": ("scale",),
    "halfcauchy": ("scale",),
}


@dataclass
class KernelTerm:
    """One node of the kernel tree: a leaf kernel or a sum/product of terms.

    ``scaled`` says whether the term gets its own output scale (decided by
    position: top-level and sum terms are scaled, product factors are not).
    ``priors`` and ``constraints`` are on the standardised scale; ``init``
    values are in the original units of the columns (see docs/gp.md).
    """

    kind: str  # a leaf kind, or "sum" / "product"
    name: str
    inputs: list[str] = field(default_factory=list)
    ard: bool = True
    scaled: bool = True
    priors: dict[str, dict[str, Any]] = field(default_factory=dict)
    constraints: dict[str, list[float | None]] = field(default_factory=dict)
    init: dict[str, Any] = field(default_factory=dict)
    fixed: list[str] = field(default_factory=list)
    terms: list[KernelTerm] = field(default_factory=list)

    @property
    def is_leaf(self) -> bool:
        return self.kind in LEAF_KINDS

    def params(self) -> tuple[str, ...]:
        """Names this term's priors/init/fixed may mention."""
        own = LEAF_PARAMS.get(self.kind, ())
        return own + (("outputscale",) if self.scaled else ())

    def leaves(self) -> list[KernelTerm]:
        if self.is_leaf:
            return [self]
        return [leaf for t in self.terms for leaf in t.leaves()]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.is_leaf:
            out.update(kind=self.kind, inputs=list(self.inputs), ard=self.ard)
        else:
            out.update(op=self.kind, terms=[t.to_json() for t in self.terms])
        out["scale"] = self.scaled
        for key in ("priors", "constraints", "init", "fixed"):
            value = getattr(self, key)
            if value:
                out[key] = value
        return out


def default_kernel(inputs: list[str]) -> dict[str, Any]:
    """An ARD RBF kernel over every input: the usual starting point."""
    return {"kind": "rbf", "inputs": list(inputs), "ard": True}


class KernelParser:
    """Walks the raw JSON, collecting every problem rather than stopping at the first."""

    def __init__(self, inputs: list[str], node_id: str | None) -> None:
        self.inputs = inputs
        self.node_id = node_id
        self.problems: list[Problem] = []
        self.counts: dict[str, int] = {}
        self.names: set[str] = set()

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(message, self.node_id, path))

    def parse(self, raw: Any, path: str, scaled_default: bool) -> KernelTerm | None:
        if not isinstance(raw, dict):
            self.problem(path, "a kernel term must be an object with a 'kind' or an 'op'")
            return None
        op = raw.get("op") or (raw.get("kind") if raw.get("kind") in COMPOSITE_OPS else None)
        kind = op or raw.get("kind")
        if kind not in LEAF_KINDS + COMPOSITE_OPS:
            allowed = ", ".join(LEAF_KINDS + COMPOSITE_OPS)
            self.problem(f"{path}.kind", f"unknown kernel kind {kind!r}; use one of {allowed}")
            return None
        term = KernelTerm(kind=kind, name=self._name(raw, kind, path))
        # a sum's terms carry their own scales, so the sum itself gets none by default
        scale = raw.get("scale", scaled_default and kind != "sum")
        if not isinstance(scale, bool):
            self.problem(f"{path}.scale", "must be true or false")
            scale = scaled_default
        term.scaled = scale and kind not in SELF_SCALED
        if op:
            self._parse_terms(raw, term, path)
        else:
            self._parse_inputs(raw, term, path)
        self._parse_params(raw, term, path)
        return term

    def _name(self, raw: dict[str, Any], kind: str, path: str) -> str:
        name = raw.get("name")
        if name is None:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            name = f"{kind}_{self.counts[kind]}"
            while name in self.names:
                self.counts[kind] += 1
                name = f"{kind}_{self.counts[kind]}"
        elif not isinstance(name, str) or not name.isidentifier():
            self.problem(f"{path}.name", f"{name!r} is not a valid term name")
            name = f"{kind}_{len(self.names)}"
        elif name in self.names:
            self.problem(f"{path}.name", f"the term name {name!r} is used twice")
        self.names.add(name)
        return name

    def _parse_terms(self, raw: dict[str, Any], term: KernelTerm, path: str) -> None:
        terms = raw.get("terms")
        if not isinstance(terms, list) or len(terms) < 1:
            self.problem(f"{path}.terms", f"a {term.kind} needs a list of at least one term")
            return
        child_scaled = term.kind == "sum"
        for i, child in enumerate(terms):
            parsed = self.parse(child, f"{path}.terms[{i}]", child_scaled)
            if parsed is not None:
                term.terms.append(parsed)

    def _parse_inputs(self, raw: dict[str, Any], term: KernelTerm, path: str) -> None:
        inputs = raw.get("inputs", self.inputs)
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(inputs, list) or not inputs:
            self.problem(f"{path}.inputs", "must be a non-empty list of input column names")
            return
        for name in inputs:
            if name not in self.inputs:
                self.problem(
                    f"{path}.inputs",
                    f"{name!r} is not one of the GP's inputs ({', '.join(self.inputs)})",
                )
        if len(set(inputs)) != len(inputs):
            self.problem(f"{path}.inputs", "an input is listed twice")
        term.inputs = [str(n) for n in inputs]
        ard = raw.get("ard", True)
        if not isinstance(ard, bool):
            self.problem(f"{path}.ard", "must be true or false")
            ard = True
        term.ard = ard

    def _parse_params(self, raw: dict[str, Any], term: KernelTerm, path: str) -> None:
        allowed = term.params()
        for key in ("priors", "constraints", "init"):
            value = raw.get(key, {})
            if not isinstance(value, dict):
                self.problem(f"{path}.{key}", "must be an object keyed by hyperparameter")
                continue
            for param, setting in value.items():
                where = f"{path}.{key}.{param}"
                if param not in allowed:
                    self.problem(
                        where,
                        f"{term.kind} has no hyperparameter {param!r}; "
                        f"it has {', '.join(allowed) or 'none'}",
                    )
                elif key == "priors":
                    self._check_prior(setting, where)
                elif key == "constraints":
                    self._check_constraint(setting, where)
                else:
                    self._check_init(setting, term, where)
            setattr(term, key, dict(value))
        fixed = raw.get("fixed", [])
        if not isinstance(fixed, list) or any(p not in allowed for p in fixed):
            self.problem(f"{path}.fixed", f"must list hyperparameters among {', '.join(allowed)}")
        else:
            term.fixed = [str(p) for p in fixed]

    def _check_prior(self, prior: Any, where: str) -> None:
        if not isinstance(prior, dict) or prior.get("dist") not in PRIOR_FAMILIES:
            families = ", ".join(PRIOR_FAMILIES)
            self.problem(where, f"a prior is {{'dist': one of {families}, ...parameters}}")
            return
        for arg in PRIOR_FAMILIES[prior["dist"]]:
            value = prior.get(arg)
            if not _is_number(value) or (arg != "loc" and value <= 0):
                self.problem(where, f"the {prior['dist']} prior needs a positive number {arg!r}")

    def _check_constraint(self, bounds: Any, where: str) -> None:
        ok = isinstance(bounds, list) and len(bounds) == 2 and _is_number(bounds[0])
        ok = ok and (bounds[1] is None or (_is_number(bounds[1]) and bounds[1] > bounds[0]))
        if not ok or bounds[0] < 0:
            self.problem(where, "a constraint is [lower, upper] with 0 <= lower < upper (or null)")

    def _check_init(self, value: Any, term: KernelTerm, where: str) -> None:
        if isinstance(value, dict):
            bad = [k for k in value if k not in term.inputs]
            if bad:
                self.problem(where, f"{bad[0]!r} is not an input of term {term.name!r}")
            values = list(value.values())
        else:
            values = [value]
        if not all(_is_number(v) and v > 0 for v in values):
            self.problem(where, "an initial value must be a positive number (or {input: number})")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def parse_kernel(
    raw: Any, inputs: list[str], node_id: str | None = None, path: str = "options.kernel"
) -> tuple[KernelTerm | None, list[Problem]]:
    """Parse a kernel JSON tree; return the term (None if unusable) and the problems found."""
    parser = KernelParser(inputs, node_id)
    term = parser.parse(raw, path, True)
    return (term if not parser.problems else None), parser.problems
