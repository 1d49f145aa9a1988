"""The exact GP's objective, −log N(r; 0, K + σ²I), with hand-written gradients.

Autograd through a Cholesky factor costs several n³ triangular solves; the
gradient with respect to the covariance is ½(K⁻¹ − ααᵀ), α = (K + σ²I)⁻¹ r,
and one Cholesky inverse gives K⁻¹. At n = 2000 an L-BFGS evaluation is then
the factor, the inverse and a dozen passes over n × n matrices, so:

* on the CPU the factor, the solve and the inverse are LAPACK's potrf, potrs
  and potri working in place on one buffer (potri is 2/3 n³ flops; on this
  project's AMD machines MKL's torch.cholesky_inverse took 2.5× as long as
  scipy's potri, and torch.cholesky_solve copies the factor first);
* the default kernel, one scaled RBF, has its own objective (`ScaledRBFNLL`):
  it forms the kernel matrix once and gets the gradients of all lengthscales,
  the output scale and the noise from one n × n by n × (D + 1) product, where
  autograd through gpytorch's ScaleKernel and RBF revisits n × n matrices
  about ten times. Any other kernel goes through `GaussianNLL` and autograd.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from gpytorch.kernels import Kernel, ScaleKernel
from linear_operator.utils.errors import NotPSDError
from scipy.linalg import lapack

from backends.gp.rbf import FastRBFKernel, squared_exponential


def _lapack(name: str, matrix):
    return lapack.get_lapack_funcs(name, (matrix,))


def _column_major(A: torch.Tensor):
    """A's memory as a column-major array: for a row-major A that is Aᵀ, so the
    LAPACK routines called with ``lower=0`` read and write A's lower triangle."""
    return A.detach().numpy().T


def _in_place(name: str, A: torch.Tensor, **options) -> int:
    """Run a LAPACK routine over A's memory; its info code."""
    memory = _column_major(A)
    out, info = _lapack(name, memory)(memory, lower=0, **options)
    if not np.may_share_memory(out, memory):  # A was not row-major: LAPACK had a copy
        memory[...] = out
    return int(info)


def factor_(A: torch.Tensor) -> torch.Tensor:
    """The lower Cholesky factor of the symmetric A, from A's lower triangle.

    On the CPU it is written over A's lower triangle (the upper one is left as
    it was) and A is returned: no second n × n buffer. Elsewhere a new tensor.
    """
    if A.device.type != "cpu":
        L, info = torch.linalg.cholesky_ex(A)
        if int(info) != 0:
            raise NotPSDError(f"the Cholesky factorisation failed at column {int(info)}")
        return L
    info = _in_place("potrf", A, clean=0, overwrite_a=1)
    if info != 0:
        raise NotPSDError(f"the Cholesky factorisation failed at column {info}")
    return A


def solve_factor(L: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(L Lᵀ)⁻¹ b for a vector b, reading only L's lower triangle."""
    if L.device.type != "cpu":
        return torch.cholesky_solve(b.unsqueeze(-1), L).squeeze(-1)
    memory = _column_major(L)
    x, info = _lapack("potrs", memory)(memory, b.detach().numpy(), lower=0)
    if info != 0:
        raise NotPSDError(f"the Cholesky solve failed (LAPACK info {info})")
    return torch.from_numpy(x)


def inverse_lower_(L: torch.Tensor) -> torch.Tensor:
    """(L Lᵀ)⁻¹ in the lower triangle, from the lower factor L; the upper triangle
    holds whatever was there. On the CPU this overwrites L (potri, in place)."""
    if L.device.type != "cpu":
        return torch.cholesky_inverse(L)
    info = _in_place("potri", L, overwrite_c=1)
    if info != 0:
        raise NotPSDError(f"the Cholesky inverse failed at column {info}")
    return L


def cholesky_inverse(L: torch.Tensor) -> torch.Tensor:
    """The full symmetric K⁻¹ from K's lower Cholesky factor; L is left as it was."""
    if L.device.type != "cpu":
        return torch.cholesky_inverse(L)
    lower = inverse_lower_(L.clone()).tril_()
    full = lower + lower.T
    full.diagonal().mul_(0.5)
    return full


def _value(L: torch.Tensor, alpha: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    n = r.shape[-1]
    return 0.5 * r @ alpha + torch.log(torch.diagonal(L)).sum() + 0.5 * n * math.log(2 * math.pi)


def _noisy(K: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    K.diagonal().add_(noise.reshape(()))
    return K


class GaussianNLL(torch.autograd.Function):
    """−log N(r; 0, K + σ²I) for any dense K, with the gradient ½(K⁻¹ − ααᵀ)."""

    @staticmethod
    def forward(ctx, K: torch.Tensor, noise: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
        # a copy: K may be saved by the kernel's own backward
        L = factor_(_noisy(K.detach().clone(), noise))
        alpha = solve_factor(L, r)
        ctx.save_for_backward(L, alpha)
        ctx.noise_shape = noise.shape
        return _value(L, alpha, r)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        L, alpha = ctx.saved_tensors
        half = 0.5 * grad
        lower = inverse_lower_(L).tril_()  # the factor is not needed again: invert in place
        dK = lower + lower.T
        dK.diagonal().mul_(0.5)
        dK.addr_(alpha, alpha, beta=half, alpha=-half)
        return dK, dK.diagonal().sum().reshape(ctx.noise_shape), grad * alpha


def scaled_rbf(kernel: Kernel) -> ScaleKernel | None:
    """``kernel`` when it is one scaled RBF over plain (unbatched) inputs, the
    default kernel, which `ScaledRBFNLL` handles; None otherwise."""
    if not isinstance(kernel, ScaleKernel) or type(kernel.base_kernel) is not FastRBFKernel:
        return None
    if kernel.batch_shape or kernel.base_kernel.batch_shape:
        return None
    return kernel


class ScaledRBFNLL(torch.autograd.Function):
    """−log N(r; 0, s·E + σ²I) with E_ij = exp(−½ Σ_d (x_id − x_jd)² / ℓ_d²).

    With G = ½(K⁻¹ − ααᵀ), M = G ⊙ E and a = x / ℓ:
    ∂/∂σ² = tr G, ∂/∂s = Σ M, ∂/∂ℓ_d = (2s / ℓ_d) Σ_i (a_id² (M𝟙)_i − a_id (M a)_id).
    M is symmetric and only its lower triangle is formed (potri fills no more),
    so M a = M_low a + M_lowᵀ a − diag(M) a; appending a column of ones to a
    gives M𝟙 from the same product.
    """

    @staticmethod
    def forward(ctx, x, lengthscale, outputscale, noise, r):
        a = x / lengthscale
        E = squared_exponential(a, a, same=True)
        L = factor_(_noisy(E * outputscale, noise))
        alpha = solve_factor(L, r)
        ctx.save_for_backward(a, lengthscale, outputscale, noise, E, L, alpha)
        return _value(L, alpha, r)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        a, lengthscale, s, noise, E, L, alpha = ctx.saved_tensors
        # 2G in the lower triangle; the factor is not needed again: invert in place
        M = inverse_lower_(L).addr_(alpha, alpha, alpha=-1.0).tril_()
        trace = M.diagonal().sum()
        M.mul_(E)
        a1 = torch.cat([a, torch.ones_like(a[:, :1])], dim=1)
        P = torch.addmm(M.T @ a1, M, a1).sub_(M.diagonal().unsqueeze(1) * a1)
        row_sums, Ma = P[:, -1], P[:, :-1]
        half = 0.5 * grad
        per_dim = (a * a).T @ row_sums - (a * Ma).sum(0)
        grad_ls = (grad * s / lengthscale) * per_dim  # M holds 2G: (2s/ℓ)·(½ per_dim)·grad
        if lengthscale.numel() == 1:
            grad_ls = grad_ls.sum().reshape(lengthscale.shape)
        return (
            None,
            grad_ls,
            (half * row_sums.sum()).reshape(s.shape),
            (half * trace).reshape(noise.shape),
            grad * alpha,
        )


def gaussian_nll(kernel: Kernel, x: torch.Tensor, noise: torch.Tensor, r: torch.Tensor):
    """−log N(r; 0, kernel(x) + σ²I), by the fastest objective that fits the kernel."""
    scaled = scaled_rbf(kernel)
    if scaled is None:
        K = kernel(x).to_dense()
        return GaussianNLL.apply(K, noise, r)
    if scaled.active_dims is not None:
        x = x.index_select(-1, scaled.active_dims)
    lengthscale = scaled.base_kernel.lengthscale.reshape(-1)
    return ScaledRBFNLL.apply(x, lengthscale, scaled.outputscale, noise, r)
