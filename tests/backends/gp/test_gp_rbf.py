"""The hand-written RBF backward equals autograd through gpytorch's RBF."""

from __future__ import annotations

import pytest
import torch
from gpytorch.kernels import RBFKernel

from backends.gp.rbf import FastRBFKernel


def _pair(ard: int | None):
    fast, plain = FastRBFKernel(ard_num_dims=ard), RBFKernel(ard_num_dims=ard)
    for kernel in (fast, plain):
        kernel.double()
        kernel.lengthscale = torch.tensor([0.7, 1.3, 2.0][: ard or 1], dtype=torch.float64)
    return fast, plain


@pytest.mark.parametrize("ard", [None, 3])
@pytest.mark.parametrize("same", [True, False])
def test_values_and_gradients_equal_gpytorch(ard, same):
    generator = torch.Generator().manual_seed(0)
    x1 = torch.randn(40, 3, dtype=torch.float64, generator=generator)
    x2 = x1 if same else torch.randn(25, 3, dtype=torch.float64, generator=generator)
    weights = torch.randn(40, len(x2), dtype=torch.float64, generator=generator)
    gradients = []
    for kernel in _pair(ard):
        inputs = x1.clone().requires_grad_(True)
        other = inputs if same else x2.clone().requires_grad_(True)
        K = kernel(inputs, other).to_dense()
        (weights * K).sum().backward()
        gradients.append((K.detach(), kernel.raw_lengthscale.grad.clone(), inputs.grad.clone()))
    (k_fast, ls_fast, x_fast), (k_plain, ls_plain, x_plain) = gradients
    torch.testing.assert_close(k_fast, k_plain, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(ls_fast, ls_plain, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(x_fast, x_plain, rtol=1e-10, atol=1e-12)


def test_gradcheck_of_the_squared_exponential():
    generator = torch.Generator().manual_seed(1)
    a = torch.randn(7, 2, dtype=torch.float64, generator=generator, requires_grad=True)
    b = torch.randn(5, 2, dtype=torch.float64, generator=generator, requires_grad=True)
    kernel = FastRBFKernel(ard_num_dims=2).double()
    assert torch.autograd.gradcheck(lambda a, b: kernel(a, b).to_dense(), (a, b))
