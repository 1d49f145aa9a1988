"""The gpytorch models the engine fits: exact GP, sparse variational GP (SVGP)
and a two-layer deep GP, plus the likelihoods and means they share.

Every model is built from the spec and the training data alone, so that a
saved result rebuilds the same modules and loads its state dict into them.
"""

from __future__ import annotations

from dataclasses import dataclass

import gpytorch
import numpy as np
import torch
from gpytorch.constraints import GreaterThan
from gpytorch.distributions import MultivariateNormal
from gpytorch.kernels import RBFKernel, ScaleKernel
from gpytorch.likelihoods import GaussianLikelihood, Likelihood
from gpytorch.likelihoods.likelihood import _OneDimensionalLikelihood
from gpytorch.means import ConstantMean, LinearMean, Mean, ZeroMean
from gpytorch.models.deep_gps import DeepGP, DeepGPLayer
from gpytorch.variational import (
    CholeskyVariationalDistribution,
    VariationalStrategy,
)

from backends.gp.data import TrainingData
from backends.gp.kernels import HyperRef, build_kernel, make_constraint, make_prior
from backends.gp.spec import GPSpec

NOISE_FLOOR = 1e-6  # on the standardised scale: keeps K + σ²I well conditioned
DEFAULT_NOISE = 0.1


class LogPoissonLikelihood(_OneDimensionalLikelihood):
    """Counts with rate exp(f): the canonical log link of a Poisson GLM.

    gpytorch's PoissonLikelihood uses a softplus link instead; the graph writes
    ``rate = exp(f)``, and the log link gives a closed-form expected
    log-likelihood under a Gaussian q(f): E[y f − e^f] = y m − e^{m + v/2}.
    """

    def forward(self, function_samples: torch.Tensor, *args, **kwargs):
        return torch.distributions.Poisson(function_samples.exp())

    def expected_log_prob(self, observations, function_dist, *args, **kwargs):
        mean, var = function_dist.mean, function_dist.variance
        return observations * mean - torch.exp(mean + var / 2) - torch.lgamma(observations + 1)


class LogitBernoulliLikelihood(_OneDimensionalLikelihood):
    """0/1 outcomes with P(y = 1) = logistic(f): the graph's ``Bernoulli(logit = f)``.

    (gpytorch's BernoulliLikelihood uses the probit link.) The expected
    log-likelihood is computed by gpytorch's Gauss–Hermite quadrature.
    """

    def forward(self, function_samples: torch.Tensor, *args, **kwargs):
        return torch.distributions.Bernoulli(logits=function_samples)


def make_likelihood(spec: GPSpec, data: TrainingData) -> Likelihood:
    if spec.likelihood == "bernoulli":
        return LogitBernoulliLikelihood()
    if spec.likelihood == "poisson":
        return LogPoissonLikelihood()
    noise = spec.noise
    constraint = (
        make_constraint(noise["constraint"]) if "constraint" in noise else GreaterThan(NOISE_FLOOR)
    )
    likelihood = GaussianLikelihood(noise_constraint=constraint)
    if "prior" in noise:
        likelihood.noise_covar.register_prior(
            "noise_prior",
            make_prior(noise["prior"]),
            lambda m: m.noise,
            lambda m, v: m._set_noise(v),
        )
    init = noise.get("init")
    likelihood.noise = DEFAULT_NOISE if init is None else float(init) / data.y_scale**2
    if noise.get("fixed", False):
        likelihood.noise_covar.raw_noise.requires_grad_(False)
    return likelihood


def make_mean(spec: GPSpec, data: TrainingData) -> Mean:
    if spec.mean == "zero":
        return ZeroMean()
    if spec.mean == "linear":
        return LinearMean(len(spec.inputs))
    mean = ConstantMean()
    if spec.likelihood == "poisson":  # start at the log of the average count
        mean.constant.data.fill_(float(np.log(max(data.y.mean(), 1e-3))))
    return mean


class ExactModel(gpytorch.models.ExactGP):
    def __init__(self, x, y, likelihood, mean: Mean, kernel) -> None:
        super().__init__(x, y, likelihood)
        self.mean_module = mean
        self.covar_module = kernel

    def forward(self, x):
        return MultivariateNormal(self.mean_module(x), self.covar_module(x))


class SVGPModel(gpytorch.models.ApproximateGP):
    """Inducing points summarise the data: cost O(N M²) per epoch, O(M³) per step."""

    def __init__(self, inducing: torch.Tensor, mean: Mean, kernel, learn_inducing: bool) -> None:
        distribution = CholeskyVariationalDistribution(inducing.shape[-2])
        strategy = VariationalStrategy(
            self, inducing, distribution, learn_inducing_locations=learn_inducing
        )
        super().__init__(strategy)
        self.mean_module = mean
        self.covar_module = kernel

    def forward(self, x):
        return MultivariateNormal(self.mean_module(x), self.covar_module(x))


class _DeepLayer(DeepGPLayer):
    """One layer of the deep GP: ARD RBF GPs, a linear mean for the hidden layer
    (a skip connection that keeps the layer close to the identity at the start)."""

    def __init__(
        self, input_dims: int, output_dims: int | None, inducing: torch.Tensor, linear_mean: bool
    ) -> None:
        batch = torch.Size([output_dims]) if output_dims is not None else torch.Size([])
        distribution = CholeskyVariationalDistribution(inducing.shape[-2], batch_shape=batch)
        strategy = VariationalStrategy(self, inducing, distribution, learn_inducing_locations=True)
        super().__init__(strategy, input_dims, output_dims)
        self.mean_module = (
            LinearMean(input_dims, batch_shape=batch)
            if linear_mean
            else ConstantMean(batch_shape=batch)
        )
        self.covar_module = ScaleKernel(
            RBFKernel(batch_shape=batch, ard_num_dims=input_dims), batch_shape=batch
        )

    def forward(self, x):
        return MultivariateNormal(self.mean_module(x), self.covar_module(x))


class DeepModel(DeepGP):
    """Two layers (Salimbeni & Deisenroth 2017): hidden GPs feed an output GP."""

    def __init__(self, hidden_inducing: torch.Tensor, output_inducing: torch.Tensor) -> None:
        super().__init__()
        hidden_dims, _, input_dims = hidden_inducing.shape
        self.hidden = _DeepLayer(input_dims, hidden_dims, hidden_inducing, linear_mean=True)
        self.output = _DeepLayer(hidden_dims, None, output_inducing, linear_mean=False)

    def forward(self, x):
        return self.output(self.hidden(x))


@dataclass
class Built:
    """A model and its likelihood, plus what the result needs to report on them."""

    model: torch.nn.Module
    likelihood: Likelihood
    refs: list[HyperRef]


def build_model(
    method: str,
    spec: GPSpec,
    data: TrainingData,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    inducing: torch.Tensor | None = None,
    learn_inducing: bool = True,
    hidden: int = 0,
) -> Built:
    """The modules for ``method`` (exact, svgp or deep), in float64 on x_train's device."""
    likelihood = make_likelihood(spec, data)
    if method != "exact" and inducing is None:
        raise ValueError(f"a {method} model needs inducing points")
    if method == "deep":
        hidden_inducing = inducing.unsqueeze(0).expand(hidden, *inducing.shape).clone()
        output_inducing = torch.randn(
            inducing.shape[0],
            hidden,
            generator=torch.Generator().manual_seed(0),
            dtype=inducing.dtype,
        )
        model = DeepModel(hidden_inducing, output_inducing)
        refs: list[HyperRef] = []
    else:
        kernel, refs = build_kernel(spec.kernel, spec.inputs, data.x_scale, data.y_scale)
        mean = make_mean(spec, data)
        if method == "exact":
            model = ExactModel(x_train, y_train, likelihood, mean, kernel)
        else:
            model = SVGPModel(inducing, mean, kernel, learn_inducing)
    device = x_train.device
    return Built(model.to(device, torch.float64), likelihood.to(device, torch.float64), refs)
