"""The compiled model's log-density and its gradient by automatic differentiation.

Gradient-based samplers (NUTS, variational inference) need ∇ log p. It is never
written by hand per distribution nor taken by finite differences: the same
``CompiledModel.evaluate`` that the ensemble sampler runs in numpy runs here on
JAX arrays (``JaxDensity``: compiled by ``jax.jit`` with its gradient, for NUTS)
or torch tensors (``TorchDensity``: a differentiable batch, for Pyro's VI and
any device), so the graph, its transforms and Jacobians are defined once.
Float64 throughout: both equal the numpy log-density to 1e-10 (tested on every
family and example).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from backends.graph.arraymath import JaxMath, TorchMath
from backends.graph.compile import CompiledModel
from backends.graph.expressions import ArrayOps


class TorchDensity:
    """``log p(u)`` and ``∇ log p(u)`` at unconstrained points, in torch."""

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

    def batch_value_and_grad(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """At W points (W, dim): log-densities (W,) and gradients (W, dim)."""
        x = torch.as_tensor(np.atleast_2d(u), dtype=torch.float64, device=self.device)
        x.requires_grad_(True)
        lp = self.log_density(x)
        (grad,) = torch.autograd.grad(lp.sum(), x)
        return lp.detach().cpu().numpy(), grad.detach().cpu().numpy()


class JaxDensity:
    """``log p(u)`` and ``∇ log p(u)`` at one unconstrained point, compiled by JAX.

    The first call traces the graph and compiles it (a fraction of a second);
    later calls run one fused kernel. NaN (an invalid parameter) is -inf.
    """

    def __init__(self, model: CompiledModel) -> None:
        self.model = model
        self.dim = model.dim
        self.ops = ArrayOps(JaxMath())
        jax, jnp = self.ops.math.jax, self.ops.math.jnp

        def log_density(u: Any) -> Any:
            # a fresh cache: values made while tracing are tracers, not for keeping
            lp = model.evaluate(u[None, :], ops=self.ops, cache={}).log_density[0]
            return jnp.where(jnp.isnan(lp), -jnp.inf, lp)

        self._value_and_grad = jax.jit(jax.value_and_grad(log_density))
        self._batch = jax.jit(jax.vmap(jax.value_and_grad(log_density)))

    def value_and_grad(self, u: np.ndarray) -> tuple[float, np.ndarray]:
        with np.errstate(all="ignore"):
            value, grad = self._value_and_grad(np.asarray(u, dtype=float))
        return float(value), np.asarray(grad)

    def batch_value_and_grad(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """At W points (W, dim): log-densities (W,) and gradients (W, dim)."""
        with np.errstate(all="ignore"):
            values, grads = self._batch(np.atleast_2d(np.asarray(u, dtype=float)))
        return np.asarray(values), np.asarray(grads)

