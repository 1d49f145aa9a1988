"""The exact GP objectives and their hand-written gradients equal plain autograd."""

from __future__ import annotations

import gpytorch
import pytest
import torch
from gpytorch.kernels import MaternKernel, ScaleKernel

from backends.gp.exact_nll import (
    factor_,
    gaussian_nll,
    inverse_lower_,
    scaled_rbf,
    solve_factor,
)
from backends.gp.rbf import FastRBFKernel

N = 40


def _reference(kernel, x, noise, r):
    K = kernel(x).to_dense() + noise * torch.eye(N, dtype=torch.float64)
    zero = torch.zeros(N, dtype=torch.float64)
    return -torch.distributions.MultivariateNormal(zero, K).log_prob(r)


def _gradients(kernel, objective):
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(N, 4, dtype=torch.float64, generator=generator)
    r = torch.randn(N, dtype=torch.float64, generator=generator).requires_grad_(True)
    raw_noise = torch.tensor(-1.0, dtype=torch.float64, requires_grad=True)
    with gpytorch.settings.lazily_evaluate_kernels(False):
        value = objective(kernel, x, torch.nn.functional.softplus(raw_noise), r)
    params = [*kernel.parameters(), raw_noise, r]
    grads = torch.autograd.grad(value, params)
    return value.detach(), grads


@pytest.mark.parametrize("ard", [4, None])
@pytest.mark.parametrize("dims", [None, (0, 2, 3)])
def test_scaled_rbf_objective_equals_autograd(ard, dims):
    if dims is not None and ard is not None:
        ard = len(dims)
    results = []
    for objective in (gaussian_nll, _reference):
        kernel = ScaleKernel(FastRBFKernel(ard_num_dims=ard, active_dims=dims)).double()
        kernel.base_kernel.lengthscale = torch.linspace(0.6, 2.0, ard or 1, dtype=torch.float64)
        kernel.outputscale = 1.7
        assert scaled_rbf(kernel) is kernel
        results.append(_gradients(kernel, objective))
    (value, grads), (expected, expected_grads) = results
    torch.testing.assert_close(value, expected, rtol=1e-12, atol=1e-10)
    for got, want in zip(grads, expected_grads, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-10)


def test_other_kernels_take_the_generic_objective():
    results = []
    for objective in (gaussian_nll, _reference):
        kernel = ScaleKernel(MaternKernel(nu=2.5, ard_num_dims=4)).double()
        assert scaled_rbf(kernel) is None
        results.append(_gradients(kernel, objective))
    (value, grads), (expected, expected_grads) = results
    torch.testing.assert_close(value, expected, rtol=1e-12, atol=1e-10)
    for got, want in zip(grads, expected_grads, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("row_major", [True, False])
def test_lapack_helpers_work_in_place_on_either_layout(row_major):
    a = torch.randn(30, 30, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    K = a @ a.T + 30 * torch.eye(30, dtype=torch.float64)
    A = K.clone() if row_major else K.T.clone().T  # the second is column-major
    L = factor_(A)
    assert L is A
    torch.testing.assert_close(L.tril(), torch.linalg.cholesky(K))
    b = torch.arange(30, dtype=torch.float64)
    torch.testing.assert_close(solve_factor(L, b), torch.linalg.solve(K, b))
    inverse = inverse_lower_(L).tril()
    torch.testing.assert_close(inverse, torch.linalg.inv(K).tril())
