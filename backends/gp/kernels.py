"""Build gpytorch kernels from a parsed ``KernelTerm`` and read their
hyperparameters back in the units of the data.

The model works on standardised inputs (and, for a Gaussian likelihood, a
standardised target), so a lengthscale of 1 always means "about one standard
deviation of that input". Initial values in the spec are in original units and
are converted here; the readout converts the fitted values back, so that the
analyst sees a lengthscale in years when the input is in years.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gpytorch
import numpy as np
import torch
from gpytorch.constraints import GreaterThan, Interval, Positive
from gpytorch.kernels import (
    AdditiveKernel,
    Kernel,
    LinearKernel,
    MaternKernel,
    PeriodicKernel,
    ProductKernel,
    RQKernel,
    ScaleKernel,
)

from backends.gp.kernel_spec import KernelTerm
from backends.gp.rbf import FastRBFKernel
from backends.runtime import EngineError

# spec name of a hyperparameter -> attribute of the gpytorch module
ATTRIBUTE = {
    "lengthscale": "lengthscale",
    "period": "period_length",
    "alpha": "alpha",
    "variance": "variance",
    "outputscale": "outputscale",
}
# starting values on the standardised scale, used when the spec gives none
DEFAULT_INIT = {
    "lengthscale": 1.0,
    "period": 1.0,
    "alpha": 1.0,
    "variance": 1.0,
    "outputscale": 1.0,
}
WHITE_DEFAULT_VARIANCE = 0.1
MATERN_NU = {"matern12": 0.5, "matern32": 1.5, "matern52": 2.5}


class WhiteNoiseKernel(Kernel):
    """``variance`` where two rows are identical, 0 elsewhere (scikit-learn's WhiteKernel).

    gpytorch has no such kernel; it lets a kernel composition carry extra
    independent noise (useful with non-Gaussian likelihoods and in sums
    written by hand), while predictions at new points get none of it.
    """

    has_lengthscale = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.register_parameter("raw_variance", torch.nn.Parameter(torch.zeros(1)))
        self.register_constraint("raw_variance", Positive())

    @property
    def variance(self) -> torch.Tensor:
        return self.raw_variance_constraint.transform(self.raw_variance)

    @variance.setter
    def variance(self, value: torch.Tensor | float) -> None:
        value = torch.as_tensor(value, dtype=self.raw_variance.dtype).reshape(1)
        self.initialize(raw_variance=self.raw_variance_constraint.inverse_transform(value))

    def forward(self, x1: torch.Tensor, x2: torch.Tensor, diag: bool = False, **params: Any):
        if diag:
            return self.variance.expand(x1.shape[:-1])
        same = (x1.unsqueeze(-2) == x2.unsqueeze(-3)).all(dim=-1)
        return same.to(x1.dtype) * self.variance


@dataclass(frozen=True)
class HyperRef:
    """Where one reported hyperparameter lives and how it converts to data units.

    ``unit`` is "input" (multiply by the scale of input ``dim``), "output2"
    (multiply by the target's variance) or "none" (unitless or standardised).
    """

    name: str
    module: torch.nn.Module
    attr: str
    index: int | None
    unit: str
    dim: int | None = None

    def value(self, x_scale: np.ndarray, y_scale: float) -> float:
        raw = getattr(self.module, self.attr).detach().reshape(-1).cpu().numpy()
        v = float(raw[self.index if self.index is not None and raw.size > 1 else 0])
        if self.unit == "input":
            return v * float(x_scale[self.dim])
        if self.unit == "output2":
            return v * y_scale**2
        return v


def make_prior(raw: dict[str, Any]) -> gpytorch.priors.Prior:
    family = raw["dist"]
    if family == "gamma":
        return gpytorch.priors.GammaPrior(float(raw["concentration"]), float(raw["rate"]))
    if family == "lognormal":
        return gpytorch.priors.LogNormalPrior(float(raw["loc"]), float(raw["scale"]))
    if family == "normal":
        return gpytorch.priors.NormalPrior(float(raw["loc"]), float(raw["scale"]))
    if family == "halfnormal":
        return gpytorch.priors.HalfNormalPrior(float(raw["scale"]))
    return gpytorch.priors.HalfCauchyPrior(float(raw["scale"]))


def make_constraint(bounds: Sequence[float | None]) -> Interval:
    lower, upper = bounds
    if upper is None:
        return GreaterThan(float(lower))
    return Interval(float(lower), float(upper))


def configure(
    module: torch.nn.Module,
    param: str,
    term: KernelTerm,
    init_std: float | np.ndarray,
) -> None:
    """Constraint, prior, initial value and fixedness of one hyperparameter."""
    attr = ATTRIBUTE[param]
    raw_name = f"raw_{attr}"
    if param in term.constraints:
        module.register_constraint(raw_name, make_constraint(term.constraints[param]))
    if param in term.priors:
        module.register_prior(
            f"{attr}_prior",
            make_prior(term.priors[param]),
            lambda m, a=attr: getattr(m, a),
            lambda m, v, a=attr: setattr(m, a, v),
        )
    value = torch.as_tensor(init_std, dtype=torch.float64)
    constraint = getattr(module, f"{raw_name}_constraint")
    inside = (value > constraint.lower_bound.to(value)) & (value < constraint.upper_bound.to(value))
    if not bool(inside.all()):
        raise EngineError(
            f"kernel term {term.name!r}: the initial {param} lies outside its constraint "
            f"{term.constraints.get(param)} (standardised value {value.tolist()})"
        )
    shape = getattr(module, raw_name).shape
    setattr(module, attr, value.expand(shape).clone())
    if param in term.fixed:
        getattr(module, raw_name).requires_grad_(False)


def _in_input_units(term: KernelTerm, param: str) -> bool:
    """Lengthscales and periods are distances along an input, except the
    periodic kernel's lengthscale, which gpytorch applies to sin² (unitless)."""
    return param == "period" or (param == "lengthscale" and term.kind != "periodic")


def _init_value(
    term: KernelTerm, param: str, dims: list[int], x_scale: np.ndarray, y_scale: float, ard: bool
) -> float | np.ndarray:
    """The spec's initial value (original units) on the standardised scale."""
    given = term.init.get(param)
    if given is None:
        default = WHITE_DEFAULT_VARIANCE if term.kind == "white" else DEFAULT_INIT[param]
        return default
    if _in_input_units(term, param):
        per_dim = []
        for n, d in zip(term.inputs, dims, strict=True):
            value = given.get(n) if isinstance(given, dict) else given
            per_dim.append(DEFAULT_INIT[param] if value is None else float(value) / x_scale[d])
        return np.array(per_dim) if ard else float(np.mean(per_dim))
    if param in ("outputscale",) or (param == "variance" and term.kind == "white"):
        return float(given) / y_scale**2
    return float(given)


def _leaf(
    term: KernelTerm, inputs: list[str], x_scale: np.ndarray, y_scale: float, refs: list[HyperRef]
) -> Kernel:
    dims = [inputs.index(n) for n in term.inputs]
    ard = term.ard and len(dims) > 1
    kwargs: dict[str, Any] = {"active_dims": tuple(dims)}
    if ard and (term.kind in ("rbf", "rq", "periodic") or term.kind in MATERN_NU):
        kwargs["ard_num_dims"] = len(dims)
    if term.kind == "rbf":
        kernel: Kernel = FastRBFKernel(**kwargs)
    elif term.kind in MATERN_NU:
        kernel = MaternKernel(nu=MATERN_NU[term.kind], **kwargs)
    elif term.kind == "rq":
        kernel = RQKernel(**kwargs)
    elif term.kind == "periodic":
        kernel = PeriodicKernel(**kwargs)
    elif term.kind == "linear":
        kernel = LinearKernel(**kwargs)
    else:
        kernel = WhiteNoiseKernel(**kwargs)
    for param in term.params():
        if param == "outputscale":
            continue
        configure(kernel, param, term, _init_value(term, param, dims, x_scale, y_scale, ard))
        attr = ATTRIBUTE[param]
        if _in_input_units(term, param):
            for i, (n, d) in enumerate(zip(term.inputs, dims, strict=True)):
                refs.append(
                    HyperRef(
                        f"{term.name}.{param}[{n}]", kernel, attr, i if ard else None, "input", d
                    )
                )
        elif term.kind == "white":
            refs.append(HyperRef(f"{term.name}.variance", kernel, attr, None, "output2"))
        elif term.kind == "linear":
            refs.append(HyperRef(f"{term.name}.variance_standardised", kernel, attr, None, "none"))
        elif term.kind == "periodic":
            for i, n in enumerate(term.inputs if ard else term.inputs[:1]):
                label = f"[{n}]" if ard else ""
                refs.append(
                    HyperRef(
                        f"{term.name}.lengthscale{label}", kernel, attr, i if ard else None, "none"
                    )
                )
        else:
            refs.append(HyperRef(f"{term.name}.{param}", kernel, attr, None, "none"))
    return kernel


def build_kernel(
    term: KernelTerm, inputs: list[str], x_scale: np.ndarray, y_scale: float
) -> tuple[Kernel, list[HyperRef]]:
    """The gpytorch kernel of a term tree, and the references used to report it."""
    refs: list[HyperRef] = []
    return _build(term, inputs, np.asarray(x_scale, dtype=float), float(y_scale), refs), refs


def _build(
    term: KernelTerm, inputs: list[str], x_scale: np.ndarray, y_scale: float, refs: list[HyperRef]
) -> Kernel:
    if term.is_leaf:
        kernel = _leaf(term, inputs, x_scale, y_scale, refs)
    else:
        parts = [_build(t, inputs, x_scale, y_scale, refs) for t in term.terms]
        if len(parts) == 1:
            kernel = parts[0]
        else:
            kernel = AdditiveKernel(*parts) if term.kind == "sum" else ProductKernel(*parts)
    if not term.scaled:
        return kernel
    scaled = ScaleKernel(kernel)
    configure(
        scaled, "outputscale", term, _init_value(term, "outputscale", [], x_scale, y_scale, False)
    )
    refs.append(HyperRef(f"{term.name}.outputscale", scaled, "outputscale", None, "output2"))
    return scaled
