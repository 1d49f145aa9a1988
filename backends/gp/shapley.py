"""The arrays an exact GP Shapley computation needs, for kernels that allow it.

With a product kernel k(x, x') = s·Π_d exp(−(x_d − x'_d)²/(2ℓ_d²)) (one ARD RBF,
or a product of one-input RBFs), the posterior mean is a sum over training
rows of products over inputs, so the expectation over any subset of inputs
factorises and Shapley values have a closed form. The explanation engine does
that computation; this module only checks the kernel and exports plain arrays
(docs/gp.md, "Exact Shapley data", gives the formula they satisfy).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gpytorch.kernels import ProductKernel, RBFKernel, ScaleKernel
from gpytorch.means import ConstantMean, ZeroMean

from backends.gp.data import TrainingData
from backends.gp.spec import GPSpec


def _rbf_lengthscales(kernel: Any, n_inputs: int) -> np.ndarray | None:
    """Lengthscale per input (standardised units), or None if the kernel is not
    a scaled product of RBFs covering every input exactly once."""
    if not isinstance(kernel, ScaleKernel):
        return None
    base = kernel.base_kernel
    factors = list(base.kernels) if isinstance(base, ProductKernel) else [base]
    lengthscales = np.full(n_inputs, np.nan)
    for factor in factors:
        if not isinstance(factor, RBFKernel):
            return None
        dims = factor.active_dims
        dims = list(range(n_inputs)) if dims is None else [int(d) for d in dims]
        values = factor.lengthscale.detach().reshape(-1).cpu().numpy()
        if len(values) == 1:
            values = np.repeat(values, len(dims))
        for d, value in zip(dims, values, strict=True):
            if not np.isnan(lengthscales[d]):
                return None
            lengthscales[d] = value
    return None if np.isnan(lengthscales).any() else lengthscales


def exact_shapley_data(posterior: Any, spec: GPSpec, data: TrainingData) -> dict[str, Any] | None:
    """The dict documented in docs/gp.md, or None when the kernel or mean does not allow it."""
    model = posterior.built.model
    mean = model.mean_module
    if not isinstance(mean, ConstantMean | ZeroMean):
        return None
    lengthscales = _rbf_lengthscales(model.covar_module, len(spec.inputs))
    if lengthscales is None:
        return None
    const = float(mean.constant.detach().reshape(-1)[0]) if isinstance(mean, ConstantMean) else 0.0
    return {
        "kind": "rbf_product",
        "x_mean": data.x_mean.copy(),
        "x_scale": data.x_scale.copy(),
        "lengthscales": lengthscales,
        "outputscale": float(model.covar_module.outputscale.detach().reshape(-1)[0]),
        "X_train": data.x_std(data.X),
        "alpha": posterior.alpha.detach().cpu().numpy().copy(),
        "const": const,
        "y_mean": float(data.y_mean),
        "y_scale": float(data.y_scale),
        "noise": posterior.noise + posterior.jitter_added,
        "chol": posterior.L.detach().cpu().numpy().copy(),
    }
