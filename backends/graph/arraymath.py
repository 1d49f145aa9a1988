"""The array operations a log-density needs, for numpy and for torch.

One compiled graph, one set of densities, transforms and Jacobians: the
log-density is written once against a small ``ArrayMath`` interface, and three
implementations run it — numpy (the ensemble sampler, predictions, validation),
JAX (NUTS: ``jax.jit`` compiles the density and its gradient into one kernel,
about 50 µs per gradient where torch's eager autograd takes 600 µs on the same
model — docs/mcmc.md) and torch (variational inference with Pyro, on any
device). Nothing here knows about graphs; it only names the operations, so that
every backend gives the same numbers (tested to 1e-10).

Arrays follow numpy's broadcasting in both backends; reductions take the axis
positionally, which numpy and torch read alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import special


class ArrayMath:
    """The operations, named once; one subclass per array library."""

    name = "abstract"
    # Whether group indices are range-checked before use, for a message that names
    # the node: numpy does (validation and predictions run on it); torch leaves it to
    # its own indexing error, as a check would cost a device sync per evaluation.
    checks_indices = True

    def asarray(self, x: Any) -> Any: ...
    def zeros(self, n: int) -> Any: ...
    def exp(self, x: Any) -> Any: ...
    def log(self, x: Any) -> Any: ...
    def log1p(self, x: Any) -> Any: ...
    def sqrt(self, x: Any) -> Any: ...
    def abs(self, x: Any) -> Any: ...
    def floor(self, x: Any) -> Any: ...
    def where(self, cond: Any, a: Any, b: Any) -> Any: ...
    def minimum(self, a: Any, b: Any) -> Any: ...
    def maximum(self, a: Any, b: Any) -> Any: ...
    def power(self, a: Any, b: Any) -> Any: ...
    def isnan(self, x: Any) -> Any: ...
    def to_float(self, x: Any) -> Any: ...
    def to_index(self, x: Any) -> Any: ...
    def gammaln(self, x: Any) -> Any: ...
    def xlogy(self, x: Any, y: Any) -> Any: ...
    def xlog1py(self, x: Any, y: Any) -> Any: ...
    def expit(self, x: Any) -> Any: ...
    def log_expit(self, x: Any) -> Any: ...
    def logit(self, x: Any) -> Any: ...
    def softplus(self, x: Any) -> Any: ...
    def logsumexp_last(self, x: Any) -> Any: ...
    def row_squares(self, x: Any) -> Any: ...
    def broadcast_to(self, x: Any, shape: Sequence[int]) -> Any: ...
    def take_last(self, x: Any, index: Any) -> Any: ...
    def reduce(self, name: str, x: Any, axis: int) -> Any: ...
    def divide_reusing(self, a: Any, b: Any) -> Any: ...

    def betaln(self, a: Any, b: Any) -> Any:
        return self.gammaln(a) + self.gammaln(b) - self.gammaln(a + b)


class NumpyMath(ArrayMath):
    """numpy and scipy.special on float arrays."""

    name = "numpy"

    def asarray(self, x: Any) -> np.ndarray:
        return np.asarray(x, dtype=float)

    def zeros(self, n: int) -> np.ndarray:
        return np.zeros(n)

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    log1p = staticmethod(np.log1p)
    sqrt = staticmethod(np.sqrt)
    abs = staticmethod(np.abs)
    floor = staticmethod(np.floor)
    where = staticmethod(np.where)
    minimum = staticmethod(np.minimum)
    maximum = staticmethod(np.maximum)
    power = staticmethod(np.power)
    isnan = staticmethod(np.isnan)
    gammaln = staticmethod(special.gammaln)
    xlogy = staticmethod(special.xlogy)
    xlog1py = staticmethod(special.xlog1py)
    expit = staticmethod(special.expit)
    log_expit = staticmethod(special.log_expit)
    logit = staticmethod(special.logit)
    broadcast_to = staticmethod(np.broadcast_to)

    def betaln(self, a: Any, b: Any) -> Any:
        return special.betaln(a, b)

    def to_float(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x).astype(float)

    def to_index(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x).astype(np.int64)

    def row_squares(self, x: np.ndarray) -> np.ndarray:
        """The sum of squares of each row of a 2-d array."""
        return np.einsum("ij,ij->i", x, x)

    def softplus(self, x: np.ndarray) -> np.ndarray:
        return np.logaddexp(0.0, x)

    def logsumexp_last(self, x: np.ndarray) -> np.ndarray:
        return special.logsumexp(x, axis=-1, keepdims=True)

    def take_last(self, x: np.ndarray, index: np.ndarray) -> np.ndarray:
        return np.take_along_axis(x, index, axis=-1)

    def reduce(self, name: str, x: np.ndarray, axis: int) -> np.ndarray:
        return {"sum": np.sum, "mean": np.mean, "min": np.min, "max": np.max}[name](x, axis=axis)

    def divide_reusing(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """a / b, written into ``a`` when the shapes allow: a (walkers, rows) temporary
        saved on the likelihood of most models."""
        in_place = a.shape == np.broadcast_shapes(a.shape, np.shape(b))
        return np.divide(a, b, out=a if in_place else None)


class TorchMath(ArrayMath):
    """torch on float64 tensors of one device; every operation is differentiable."""

    name = "torch"
    checks_indices = False

    def __init__(self, device: str = "cpu") -> None:
        import torch  # only the gradient-based samplers pay for importing torch

        self.torch = torch
        self.device = torch.device(device)
        self.name = f"torch:{self.device}"

    def asarray(self, x: Any) -> Any:
        t = self.torch
        if isinstance(x, t.Tensor):
            return x
        return t.as_tensor(np.asarray(x, dtype=float), dtype=t.float64, device=self.device)

    def zeros(self, n: int) -> Any:
        return self.torch.zeros(n, dtype=self.torch.float64, device=self.device)

    def exp(self, x: Any) -> Any:
        return self.torch.exp(x)

    def log(self, x: Any) -> Any:
        return self.torch.log(x)

    def log1p(self, x: Any) -> Any:
        return self.torch.log1p(x)

    def sqrt(self, x: Any) -> Any:
        return self.torch.sqrt(x)

    def abs(self, x: Any) -> Any:
        return self.torch.abs(x)

    def floor(self, x: Any) -> Any:
        return self.torch.floor(x)

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        t = self.torch
        a = a if isinstance(a, t.Tensor) else self.asarray(a)
        b = b if isinstance(b, t.Tensor) else self.asarray(b)
        return t.where(cond, a, b)

    def minimum(self, a: Any, b: Any) -> Any:
        return self.torch.minimum(a, b)

    def maximum(self, a: Any, b: Any) -> Any:
        return self.torch.maximum(a, b)

    def power(self, a: Any, b: Any) -> Any:
        return self.torch.pow(a, b)

    def isnan(self, x: Any) -> Any:
        return self.torch.isnan(x)

    def to_float(self, x: Any) -> Any:
        return x.to(self.torch.float64)

    def to_index(self, x: Any) -> Any:
        if isinstance(x, self.torch.Tensor):
            return x.to(self.torch.int64)
        return self.torch.as_tensor(np.asarray(x, dtype=np.int64), device=self.device)

    def gammaln(self, x: Any) -> Any:
        return self.torch.special.gammaln(x)

    def xlogy(self, x: Any, y: Any) -> Any:
        return self.torch.special.xlogy(x, y)

    def xlog1py(self, x: Any, y: Any) -> Any:
        return self.torch.special.xlog1py(x, y)

    def expit(self, x: Any) -> Any:
        return self.torch.special.expit(x)

    def log_expit(self, x: Any) -> Any:
        return self.torch.nn.functional.logsigmoid(x)

    def logit(self, x: Any) -> Any:
        return self.torch.special.logit(x)

    def softplus(self, x: Any) -> Any:
        # torch's softplus switches to the identity above a threshold; this is exact.
        return self.torch.logaddexp(self.torch.zeros_like(x), x)

    def logsumexp_last(self, x: Any) -> Any:
        return self.torch.logsumexp(x, -1, keepdim=True)

    def row_squares(self, x: Any) -> Any:
        return (x * x).sum(1)  # cheaper than torch.einsum's dispatch, forward and backward

    def broadcast_to(self, x: Any, shape: Sequence[int]) -> Any:
        return self.torch.broadcast_to(self.asarray(x), tuple(shape))

    def take_last(self, x: Any, index: Any) -> Any:
        return self.torch.take_along_dim(x, index, dim=-1)

    def reduce(self, name: str, x: Any, axis: int) -> Any:
        t = self.torch
        if name == "sum":
            return t.sum(x, axis)
        if name == "mean":
            return t.mean(x, axis)
        return (t.amin if name == "min" else t.amax)(x, axis)

    def divide_reusing(self, a: Any, b: Any) -> Any:
        return a / b  # autograd needs the operands: no in-place division


NUMPY_MATH = NumpyMath()


class JaxMath(ArrayMath):
    """jax.numpy in float64, for a log-density that ``jax.jit`` compiles whole.

    Importing it turns on JAX's float64 mode (``jax_enable_x64``), a process-wide
    switch: the densities must equal numpy's to 1e-10, and nothing else in the
    program uses JAX.
    """

    name = "jax"
    checks_indices = False  # under jit an index is a tracer; JAX clamps, numpy checked first

    def __init__(self) -> None:
        import jax  # only NUTS pays for importing JAX

        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp
        from jax.scipy import special as jspecial

        self.jnp, self.jspecial, self.jax = jnp, jspecial, jax

    def asarray(self, x: Any) -> Any:
        return self.jnp.asarray(x, dtype=self.jnp.float64)

    def zeros(self, n: int) -> Any:
        return self.jnp.zeros(n)

    def exp(self, x: Any) -> Any:
        return self.jnp.exp(x)

    def log(self, x: Any) -> Any:
        return self.jnp.log(x)

    def log1p(self, x: Any) -> Any:
        return self.jnp.log1p(x)

    def sqrt(self, x: Any) -> Any:
        return self.jnp.sqrt(x)

    def abs(self, x: Any) -> Any:
        return self.jnp.abs(x)

    def floor(self, x: Any) -> Any:
        return self.jnp.floor(x)

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        return self.jnp.where(cond, a, b)

    def minimum(self, a: Any, b: Any) -> Any:
        return self.jnp.minimum(a, b)

    def maximum(self, a: Any, b: Any) -> Any:
        return self.jnp.maximum(a, b)

    def power(self, a: Any, b: Any) -> Any:
        return self.jnp.power(a, b)

    def isnan(self, x: Any) -> Any:
        return self.jnp.isnan(x)

    def to_float(self, x: Any) -> Any:
        return self.jnp.asarray(x, dtype=self.jnp.float64)

    def to_index(self, x: Any) -> Any:
        return self.jnp.asarray(x, dtype=self.jnp.int64)

    def gammaln(self, x: Any) -> Any:
        return self.jspecial.gammaln(x)

    def xlogy(self, x: Any, y: Any) -> Any:
        return self.jspecial.xlogy(x, y)

    def xlog1py(self, x: Any, y: Any) -> Any:
        return self.jspecial.xlog1py(x, y)

    def expit(self, x: Any) -> Any:
        return self.jspecial.expit(x)

    def log_expit(self, x: Any) -> Any:
        return self.jax.nn.log_sigmoid(x)

    def logit(self, x: Any) -> Any:
        return self.jspecial.logit(x)

    def softplus(self, x: Any) -> Any:
        return self.jnp.logaddexp(0.0, x)

    def row_squares(self, x: Any) -> Any:
        return self.jnp.einsum("ij,ij->i", x, x)

    def logsumexp_last(self, x: Any) -> Any:
        return self.jspecial.logsumexp(x, axis=-1, keepdims=True)

    def broadcast_to(self, x: Any, shape: Sequence[int]) -> Any:
        return self.jnp.broadcast_to(x, tuple(shape))

    def take_last(self, x: Any, index: Any) -> Any:
        return self.jnp.take_along_axis(x, index, axis=-1)

    def reduce(self, name: str, x: Any, axis: int) -> Any:
        jnp = self.jnp
        return {"sum": jnp.sum, "mean": jnp.mean, "min": jnp.min, "max": jnp.max}[name](
            x, axis=axis
        )

    def divide_reusing(self, a: Any, b: Any) -> Any:
        return a / b  # JAX arrays are immutable
