"""Fitting: choose the method, build the model, optimise, with restarts where cheap.

Exact GPs are fitted by L-BFGS on the exact marginal likelihood (Cholesky, no
conjugate-gradient approximations). Restarts and the first descent run on a
random subset of at most ``subset`` rows, where an iteration is cheap, and the
best start is then refined on all rows: most of the optimiser's path is walked
at a fraction of the cost, which is where the speed over scikit-learn comes from.

SVGP and the deep GP maximise the ELBO with minibatch Adam (or with L-BFGS when
the whole data set is one batch, as for small classification problems).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import gpytorch
import numpy as np
import torch
from gpytorch.mlls import DeepApproximateMLL, VariationalELBO
from threadpoolctl import threadpool_limits

from backends.gp.data import TrainingData
from backends.gp.exact_nll import gaussian_nll
from backends.gp.models import Built, build_model
from backends.gp.optimise import Tracker, adam, lbfgs
from backends.gp.spec import GPSpec
from backends.runtime import EngineError

BYTES_PER_EXACT_ELEMENT = 8 * 8  # float64, about eight N×N buffers while fitting
TRAIN_SAMPLES = 8  # Monte Carlo samples per step through the deep GP's layers
TOLERANCE_NATS = 0.05  # exact GP: a change in log likelihood too small to matter
RESOLVE_EVERY = 20  # Gaussian SVGP: optimiser steps between closed-form updates of q(u)


@dataclass
class Fitted:
    method: str
    built: Built
    x: torch.Tensor  # standardised training inputs on the device
    y: torch.Tensor  # training targets (standardised when Gaussian)
    converged: bool
    tracker: Tracker
    inducing: int = 0
    hidden: int = 0


def free_memory(device: str) -> int:
    """Bytes the fit may use on the device (what is free now)."""
    if device.startswith("cuda"):
        return int(torch.cuda.mem_get_info(torch.device(device))[0])
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError):
        return 4 * 2**30


def choose_method(
    n: int, likelihood: str, device: str, settings: dict[str, Any]
) -> tuple[str, str]:
    """The method to use and why (the reason goes into the result's summary)."""
    requested = settings["method"]
    if requested == "exact" and likelihood != "gaussian":
        raise EngineError(
            f"exact inference needs a Gaussian likelihood; a {likelihood} GP "
            "is fitted with method 'svgp' (or 'auto')"
        )
    if requested != "auto":
        return requested, "chosen in the settings"
    if likelihood != "gaussian":
        return "svgp", f"a {likelihood} likelihood needs variational inference"
    need = BYTES_PER_EXACT_ELEMENT * n * n
    free = free_memory(device)
    limit = settings["exact_max_rows"]
    if n <= limit and need <= free // 2:
        return (
            "exact",
            f"{n} rows fit the device ({need / 2**20:.0f} MiB of {free / 2**20:.0f} free)",
        )
    return "svgp", (
        f"{n} rows exceed the exact limit ({limit} rows, or half of "
        f"{free / 2**20:.0f} MiB free memory)"
    )


def fit(
    spec: GPSpec,
    data: TrainingData,
    settings: dict[str, Any],
    method: str,
    device: str,
    seed: int,
    tracker: Tracker,
) -> Fitted:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x = torch.as_tensor(data.x_std(data.X), dtype=torch.float64, device=device)
    y = torch.as_tensor(data.y_std(), dtype=torch.float64, device=device)
    if method == "exact":
        return _fit_exact(spec, data, settings, x, y, tracker, rng)
    return _fit_variational(method, spec, data, settings, x, y, tracker, rng, seed)


def exact_loss(built: Built, x: torch.Tensor, y: torch.Tensor, tracker: Tracker):
    """The exact GP's negative log marginal likelihood (minus log priors), per row."""
    model, likelihood = built.model, built.likelihood
    model.train()
    likelihood.train()

    def loss() -> torch.Tensor:
        noise = likelihood.noise.reshape(-1)[0] + tracker.jitter
        with gpytorch.settings.lazily_evaluate_kernels(False):
            value = gaussian_nll(model.covar_module, x, noise, y - model.mean_module(x))
        for _, module, prior, closure, _ in model.named_priors():
            value = value - prior.log_prob(closure(module)).sum()
        return value / len(y)

    return loss


def _free_params(built: Built) -> list[torch.Tensor]:
    seen: dict[int, torch.Tensor] = {}
    for module in (built.model, built.likelihood):
        for p in module.parameters():
            if p.requires_grad:
                seen.setdefault(id(p), p)
    return list(seen.values())


def _perturb(built: Built, rng: np.random.Generator) -> None:
    """A new starting point: free lengthscales scaled by up to e^±1, noise resampled."""
    for module in built.model.modules():
        raw = getattr(module, "raw_lengthscale", None)
        if isinstance(raw, torch.nn.Parameter) and raw.requires_grad:
            factor = torch.as_tensor(np.exp(rng.uniform(-1, 1, raw.shape)), dtype=raw.dtype)
            _set_within(module, "lengthscale", module.lengthscale.detach() * factor.to(raw.device))
    noise = getattr(built.likelihood, "noise_covar", None)
    if noise is not None and noise.raw_noise.requires_grad:
        _set_within(
            noise, "noise", torch.full_like(noise.noise.detach(), 10 ** rng.uniform(-2.5, -0.5))
        )


def _set_within(module: torch.nn.Module, attr: str, value: torch.Tensor) -> None:
    constraint = getattr(module, f"raw_{attr}_constraint")
    lower = float(constraint.lower_bound.max())
    upper = float(constraint.upper_bound.min())
    span = upper - lower if np.isfinite(upper) else max(abs(lower), 1.0)
    setattr(module, attr, value.clamp(lower + 1e-3 * span, upper - 1e-3 * span))


def _optimise_exact(
    built: Built,
    x: torch.Tensor,
    y: torch.Tensor,
    settings: dict[str, Any],
    tracker: Tracker,
    stage: str,
    memory: dict | None = None,
) -> bool:
    loss_fn = exact_loss(built, x, y, tracker)
    params = _free_params(built)
    if not params or settings["steps"] == 0:
        return True
    if settings["optimizer"] == "adam":
        return adam(params, loss_fn, settings["steps"], settings["learning_rate"], tracker, stage)
    # stop when an iteration gains less than TOLERANCE_NATS in total log likelihood
    tolerance = max(TOLERANCE_NATS / len(y), 1e-10)
    return lbfgs(params, loss_fn, settings["steps"], tracker, stage, tolerance, memory)


def _final_loss(built: Built, x: torch.Tensor, y: torch.Tensor, tracker: Tracker) -> float:
    with torch.no_grad():
        return float(exact_loss(built, x, y, tracker)())


# The LAPACK calls (OpenBLAS, exact_nll) run on one thread: torch's OpenMP threads
# already take every core, and OpenBLAS workers that spin after each call fight them
# (at N = 2000 on 2 cores: 61 s instead of 5 s).
@threadpool_limits.wrap(limits=1, user_api="blas")
def _fit_exact(
    spec: GPSpec,
    data: TrainingData,
    settings: dict[str, Any],
    x: torch.Tensor,
    y: torch.Tensor,
    tracker: Tracker,
    rng: np.random.Generator,
) -> Fitted:
    """Restarts on a subset, then a ladder of nested subsets doubling up to all rows.

    Each rung starts from the previous optimum and its L-BFGS curvature, so
    the expensive full-data rung needs only a few iterations; an iteration on
    half the rows costs an eighth.
    """
    n = len(y)
    m = min(n, settings["subset"])
    restarts = max(1, settings["restarts"])
    if settings["steps"] == 0 or (n <= m and restarts == 1):
        built = build_model("exact", spec, data, x, y)
        converged = _optimise_exact(built, x, y, settings, tracker, f"all {n} rows")
        built.model.train(False)
        built.likelihood.train(False)
        return Fitted("exact", built, x, y, converged, tracker)
    order = torch.as_tensor(rng.permutation(n), device=x.device)
    idx = order[:m]
    best_state, best_loss, converged, memory = None, np.inf, False, {}
    for r in range(restarts):
        built = build_model("exact", spec, data, x[idx], y[idx])
        if r > 0:
            _perturb(built, rng)
        stage = f"start {r + 1}/{restarts} on {m} rows"
        trial: dict = {}
        ok = _optimise_exact(built, x[idx], y[idx], settings, tracker, stage, trial)
        loss = _final_loss(built, x[idx], y[idx], tracker)
        if loss < best_loss:
            best_loss, converged, memory = loss, ok, trial
            best_state = {k: v.detach().clone() for k, v in built.model.state_dict().items()}
    refine = dict(settings, steps=min(settings["steps"], settings["refine_steps"]))
    size = m
    while size < n:
        size = n if size * 4 > n * 1.5 else size * 2  # the last rung is all rows
        idx = order[:size]
        built = build_model("exact", spec, data, x[idx], y[idx])
        built.model.load_state_dict(best_state)
        converged = _optimise_exact(
            built, x[idx], y[idx], refine, tracker, f"{size} of {n} rows", memory
        )
        best_state = {k: v.detach().clone() for k, v in built.model.state_dict().items()}
    built = build_model("exact", spec, data, x, y)
    built.model.load_state_dict(best_state)
    built.model.train(False)
    built.likelihood.train(False)
    return Fitted("exact", built, x, y, converged, tracker)


def _warm_start(
    fitted: Fitted,
    spec: GPSpec,
    data: TrainingData,
    settings: dict[str, Any],
    rng: np.random.Generator,
) -> None:
    """Start a Gaussian SVGP where it should end up, not at q(u) = N(0, I).

    Joint optimisation from the default start tends to explain the data as
    noise and stall there. Instead: hyperparameters from an exact GP on a
    subset (cheap), then the optimal q(u) for them in closed form (Titsias
    2009), so that the optimiser only polishes.
    """
    x, y, tracker = fitted.x, fitted.y, fitted.tracker
    n = len(y)
    idx = torch.as_tensor(
        np.sort(rng.choice(n, min(n, settings["subset"]), replace=False)), device=x.device
    )
    exact = _fit_exact(spec, data, settings, x[idx], y[idx], tracker, rng)
    model = fitted.built.model
    model.covar_module.load_state_dict(exact.built.model.covar_module.state_dict())
    model.mean_module.load_state_dict(exact.built.model.mean_module.state_dict())
    fitted.built.likelihood.load_state_dict(exact.built.likelihood.state_dict())
    with torch.no_grad():
        _optimal_q(model, float(fitted.built.likelihood.noise.reshape(-1)[0]), x, y)


def _optimal_q(model: torch.nn.Module, noise: float, x: torch.Tensor, y: torch.Tensor) -> None:
    """Set the whitened q(v) = N(Lᵀ A⁻¹ b, Lᵀ A⁻¹ L), with A = Kuu + σ⁻² Kuf Kfu and
    b = σ⁻² Kuf (y − m), accumulated over row batches (O(N M²), no N×N matrix)."""
    strategy = model.variational_strategy
    z = strategy.inducing_points
    with gpytorch.settings.lazily_evaluate_kernels(False):
        kuu = model.covar_module(z).to_dense()
        m = len(z)
        A = kuu.clone()
        b = torch.zeros(m, dtype=z.dtype, device=z.device)
        for start in range(0, len(y), 4096):
            xb = x[start : start + 4096]
            kub = model.covar_module(z, xb).to_dense()
            A += kub @ kub.T / noise
            b += kub @ (y[start : start + 4096] - model.mean_module(xb)) / noise
    eye = torch.eye(m, dtype=z.dtype, device=z.device)
    L = torch.linalg.cholesky(kuu + 1e-8 * eye)
    A_chol = torch.linalg.cholesky(A + 1e-8 * eye)
    mean = L.T @ torch.cholesky_solve(b.unsqueeze(-1), A_chol).squeeze(-1)
    cov = L.T @ torch.cholesky_solve(L, A_chol)
    distribution = strategy._variational_distribution
    distribution.variational_mean.copy_(mean)
    distribution.chol_variational_covar.copy_(torch.linalg.cholesky(cov + 1e-10 * eye))


def variational_objective(fitted: Fitted, n: int):
    likelihood, model = fitted.built.likelihood, fitted.built.model
    elbo = VariationalELBO(likelihood, model, num_data=n)
    return DeepApproximateMLL(elbo) if fitted.method == "deep" else elbo


def _fit_variational(
    method: str,
    spec: GPSpec,
    data: TrainingData,
    settings: dict[str, Any],
    x: torch.Tensor,
    y: torch.Tensor,
    tracker: Tracker,
    rng: np.random.Generator,
    seed: int,
) -> Fitted:
    n, d = x.shape
    m = min(settings["inducing_points"], n)
    order = torch.as_tensor(rng.permutation(n)[:m], device=x.device)
    inducing = x[order].clone()
    hidden = settings["hidden_dims"] or min(max(d, 2), 5)
    learn = m < n or method == "deep"
    built = build_model(
        method, spec, data, x, y, inducing, learn, hidden if method == "deep" else 0
    )
    fitted = Fitted(method, built, x, y, False, tracker, m, hidden if method == "deep" else 0)
    if method == "svgp" and spec.likelihood == "gaussian" and settings["steps"] > 0:
        _warm_start(fitted, spec, data, settings, rng)
    objective = variational_objective(fitted, n)
    batch = min(settings["batch_size"], n)
    generator = torch.Generator(device=x.device).manual_seed(seed)
    built.model.train()
    built.likelihood.train()

    # Gaussian SVGP: q(u) is kept at its closed-form optimum (re-solved every
    # RESOLVE_EVERY steps) and Adam moves only hyperparameters and inducing
    # points; Adam on q's own parameters scatters a good q faster than it learns.
    optimizer = settings["optimizer"]
    use_lbfgs = optimizer == "lbfgs" or (optimizer == "auto" and batch == n and method == "svgp")
    solve_q = method == "svgp" and spec.likelihood == "gaussian" and not use_lbfgs
    noise_of = built.likelihood
    calls = [0]

    def loss_fn() -> torch.Tensor:
        if solve_q and calls[0] % RESOLVE_EVERY == 0:
            with torch.no_grad():
                _optimal_q(built.model, float(noise_of.noise.reshape(-1)[0]), x, y)
        calls[0] += 1
        if batch < n:
            idx = torch.randint(n, (batch,), generator=generator, device=x.device)
            xb, yb = x[idx], y[idx]
        else:
            xb, yb = x, y
        with gpytorch.settings.num_likelihood_samples(TRAIN_SAMPLES):
            return -objective(built.model(xb), yb)

    params = _free_params(built)
    if solve_q:
        q_params = {
            id(p) for p in built.model.variational_strategy._variational_distribution.parameters()
        }
        params = [p for p in params if id(p) not in q_params]
    stage = f"{method} with {m} inducing points"
    if use_lbfgs:
        fitted.converged = lbfgs(params, loss_fn, settings["steps"], tracker, stage, 1e-7)
    else:
        fitted.converged = adam(
            params, loss_fn, settings["steps"], settings["learning_rate"], tracker, stage
        )
    if method == "svgp" and spec.likelihood == "gaussian":
        with torch.no_grad():  # the exact optimum of q for the final hyperparameters
            _optimal_q(built.model, float(built.likelihood.noise.reshape(-1)[0]), x, y)
    built.model.train(False)
    built.likelihood.train(False)
    return fitted
