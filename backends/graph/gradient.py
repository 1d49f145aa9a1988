"""The compiled model's log-density in torch, and its gradient by automatic differentiation.

Gradient-based samplers (NUTS, variational inference) need ∇ log p. It is never
written by hand per distribution nor taken by finite differences: the same
``CompiledModel.evaluate`` that the ensemble sampler runs in numpy runs here on
torch tensors (``TorchMath``), so the graph, its transforms and Jacobians are
defined once, and autograd differentiates them. Float64 throughout: the torch
log-density equals the numpy one to 1e-10 (tested on every family and example).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

import numpy as np
import torch

from backends.graph.arraymath import TorchMath
from backends.graph.compile import CompiledModel
from backends.graph.expressions import ArrayOps


class GradientDensity:
    """``log p(u)`` and ``∇ log p(u)`` at unconstrained points of a compiled model."""

    def __init__(self, model: CompiledModel, device: str = "cpu") -> None:
        self.model = model
        self.dim = model.dim
        self.device = torch.device(device)
        self.ops = ArrayOps(TorchMath(str(self.device)))

    def log_density(self, u: torch.Tensor) -> torch.Tensor:
        """Batch (W, dim) -> (W,), differentiable; NaN (an invalid parameter) is -inf."""
        with np.errstate(all="ignore"):
            lp = self.model.evaluate(u, ops=self.ops).log_density
        return torch.nan_to_num(lp, nan=-torch.inf, posinf=torch.inf, neginf=-torch.inf)

    def value_and_grad(self, u: np.ndarray) -> tuple[float, np.ndarray]:
        """At one point (dim,): the log-density and its gradient, as numpy."""
        x = torch.as_tensor(
            np.asarray(u, dtype=float), dtype=torch.float64, device=self.device
        ).reshape(1, -1)
        x.requires_grad_(True)
        lp = self.log_density(x)
        (grad,) = torch.autograd.grad(lp[0], x)
        return float(lp.detach()[0]), grad[0].detach().cpu().numpy()

    def batch_value_and_grad(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """At W points (W, dim): log-densities (W,) and gradients (W, dim)."""
        x = torch.as_tensor(np.atleast_2d(u), dtype=torch.float64, device=self.device)
        x.requires_grad_(True)
        lp = self.log_density(x)
        (grad,) = torch.autograd.grad(lp.sum(), x)
        return lp.detach().cpu().numpy(), grad.detach().cpu().numpy()


@contextmanager
def torch_threads(n: int) -> Any:
    """Run with ``n`` intra-op threads: a log-density of a few hundred numbers is
    dominated by per-operation overhead, which more threads only add to."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
