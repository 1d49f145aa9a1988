"""Posterior of the latent function f at new inputs, in batches, diagonal only.

gpytorch's default prediction path builds the test×test covariance (lazily,
but some operations densify it); predicting 100k rows must never allocate a
100k×100k matrix, so every method here works on row batches and asks for the
diagonal only. Joint covariances are formed only for sampling, one chunk of
at most ``JOINT_CHUNK`` rows at a time.

The exact GP's posterior is computed here directly from one Cholesky factor of
K + σ²I (mean k*ᵀα, variance k** − ‖L⁻¹k*‖²): the same numbers a textbook gives,
which the tests compare with a plain numpy computation, and the factor the
exact-Shapley explanation reuses.

All methods return moments of shape (S, n): S = 1 for exact and SVGP, and S
Monte Carlo samples through the hidden layer for the deep GP (a mixture).
"""

from __future__ import annotations

import math

import gpytorch
import numpy as np
import torch

from backends.gp.models import Built
from backends.runtime import EngineError

JOINT_CHUNK = 2048
DEEP_SAMPLES = 32
DEEP_SEED = 20240611  # fixed: the same rows always get the same prediction


def batch_rows(n_train: int, samples: int = 1) -> int:
    """Rows per batch so that a batch's cross-covariance stays near 20M numbers."""
    return int(max(64, min(8192, 2e7 // max(n_train * samples, 1))))


class ExactPosterior:
    """The posterior of an exact GP, from the Cholesky factor of K + σ²I."""

    def __init__(self, built: Built, x: torch.Tensor, y: torch.Tensor, jitter: float) -> None:
        self.built, self.x = built, x
        model = built.model
        self.noise = float(built.likelihood.noise.detach().reshape(-1)[0])
        with torch.no_grad(), gpytorch.settings.lazily_evaluate_kernels(False):
            K = model.covar_module(x).to_dense()
            resid = y - model.mean_module(x)
        n = len(y)
        self.jitter_added = jitter  # what the fit added, so that both use the same matrix
        K.diagonal().add_(self.noise + jitter)  # in place: no second N×N matrix
        L, info = torch.linalg.cholesky_ex(K)
        while int(info) != 0:
            step = max(self.jitter_added * 10, 1e-8)
            if step > 1e-2:
                raise EngineError(
                    "the kernel matrix is not positive definite even with a jitter "
                    "of 1e-2; add noise (options.noise) or a 'white' kernel term"
                )
            K.diagonal().add_(step - self.jitter_added)
            self.jitter_added = step
            L, info = torch.linalg.cholesky_ex(K)
        self.L = L
        self.alpha = torch.cholesky_solve(resid.unsqueeze(-1), L).squeeze(-1)
        self.log_marginal = float(
            -0.5 * resid @ self.alpha
            - torch.log(torch.diagonal(L)).sum()
            - 0.5 * n * math.log(2 * math.pi)
        )

    def _cross(self, xs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        model = self.built.model
        with gpytorch.settings.lazily_evaluate_kernels(False):
            ks = model.covar_module(xs, self.x).to_dense()
        mean = model.mean_module(xs) + ks @ self.alpha
        v = torch.linalg.solve_triangular(self.L, ks.T, upper=False)
        return mean, v

    def moments(self, xs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            mean, v = self._cross(xs)
            prior = self.built.model.covar_module(xs, diag=True)
            var = (prior - (v * v).sum(0)).clamp_min(0.0)
        return mean.unsqueeze(0), var.unsqueeze(0)

    def joint(self, xs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad(), gpytorch.settings.lazily_evaluate_kernels(False):
            mean, v = self._cross(xs)
            cov = self.built.model.covar_module(xs).to_dense() - v.T @ v
        return mean.unsqueeze(0), cov.unsqueeze(0)


class VariationalPosterior:
    """SVGP (S = 1) or deep GP (S Monte Carlo samples through the hidden layer)."""

    def __init__(self, built: Built, deep: bool) -> None:
        self.built, self.deep = built, deep

    def _output(self, xs: torch.Tensor, samples: int):
        with torch.random.fork_rng(devices=[xs.device] if xs.is_cuda else []):
            torch.manual_seed(DEEP_SEED)
            with gpytorch.settings.num_likelihood_samples(samples):
                return self.built.model(xs)

    def moments(self, xs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            out = self._output(xs, DEEP_SAMPLES)
            mean, var = out.mean, out.variance
        if not self.deep:
            mean, var = mean.unsqueeze(0), var.unsqueeze(0)
        return mean, var.clamp_min(0.0)

    def joint(self, xs: torch.Tensor, samples: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            out = self._output(xs, samples)
            mean, cov = out.mean, out.covariance_matrix
        if not self.deep:
            mean, cov = mean.unsqueeze(0), cov.unsqueeze(0)
        return mean, cov


def latent_moments(
    posterior, xs: np.ndarray, device: str, n_train: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of f, shape (S, n), computed batch by batch."""
    samples = DEEP_SAMPLES if isinstance(posterior, VariationalPosterior) and posterior.deep else 1
    size = batch_rows(n_train, samples)
    means, variances = [], []
    for start in range(0, len(xs), size):
        chunk = torch.as_tensor(xs[start : start + size], dtype=torch.float64, device=device)
        m, v = posterior.moments(chunk)
        means.append(m.cpu().numpy())
        variances.append(v.cpu().numpy())
    if not means:
        return np.zeros((samples, 0)), np.zeros((samples, 0))
    return np.concatenate(means, axis=1), np.concatenate(variances, axis=1)


def latent_draws(
    posterior, xs: np.ndarray, device: str, n_draws: int, rng: np.random.Generator
) -> np.ndarray:
    """Posterior draws of f, shape (n_draws, n): joint within chunks of JOINT_CHUNK rows."""
    out = np.empty((n_draws, len(xs)))
    deep = isinstance(posterior, VariationalPosterior) and posterior.deep
    chunk_rows = JOINT_CHUNK if not deep else max(64, int(math.sqrt(2e7 / max(n_draws, 1))))
    for start in range(0, len(xs), chunk_rows):
        chunk = torch.as_tensor(xs[start : start + chunk_rows], dtype=torch.float64, device=device)
        if deep:
            mean, cov = posterior.joint(chunk, n_draws)
        else:
            mean, cov = posterior.joint(chunk)
        mean_np, cov_np = mean.cpu().numpy(), cov.cpu().numpy()
        out[:, start : start + len(chunk)] = _mvn_draws(mean_np, cov_np, n_draws, rng)
    return out


def _mvn_draws(
    mean: np.ndarray, cov: np.ndarray, n_draws: int, rng: np.random.Generator
) -> np.ndarray:
    """Draws from N(mean[s], cov[s]); with S = n_draws components, one draw each."""
    n = mean.shape[-1]
    z = rng.standard_normal((n_draws, n))
    factors = [_psd_factor(c) for c in cov]
    if len(factors) == 1:
        return mean[0] + z @ factors[0].T
    return np.stack([mean[s] + factors[s] @ z[s] for s in range(n_draws)])


def _psd_factor(cov: np.ndarray) -> np.ndarray:
    """A square root of a covariance that may be PSD only up to rounding."""
    scale = max(float(np.mean(np.diag(cov))), 1e-300)
    jitter = 1e-10 * scale
    for _ in range(8):
        try:
            return np.linalg.cholesky(cov + jitter * np.eye(len(cov)))
        except np.linalg.LinAlgError:
            jitter *= 10
    values, vectors = np.linalg.eigh(cov)
    return vectors * np.sqrt(np.clip(values, 0, None))
