"""The result of a GP run: predictions, bands, draws, summary, and its saved state.

A result owns plain data only: the spec (JSON), the training arrays, the
standardisation, and the model's state dict as numpy arrays. The gpytorch
modules are rebuilt from these on first use (on the CPU unless told
otherwise), the same way for a fresh result and for one loaded from a
project file, so the two predict identically.

Scales: ``predict`` bounds y (observation noise included) for a Gaussian
likelihood and the counts for Poisson; for Bernoulli it gives the probability
of class 1 with the credible band of that probability (a 0/1 outcome has no
useful interval). ``credible_band`` and ``sample_mean`` are about E[y | x]:
f in y units, logistic(f), or exp(f).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from scipy import stats
from scipy.special import expit

from backends.gp.data import TrainingData
from backends.gp.models import build_model
from backends.gp.posterior import ExactPosterior, VariationalPosterior, latent_draws, latent_moments
from backends.gp.readout import expected_sigmoid, log_predictive
from backends.gp.shapley import exact_shapley_data
from backends.gp.spec import GPSpec
from backends.runtime import EngineError, ResultState

STATE_FORMAT = 1
POISSON_DRAWS = 2000
POISSON_ROWS = 1000


def mixture_quantile(means: np.ndarray, sds: np.ndarray, q: float) -> np.ndarray:
    """Quantile q of the equal-weight Gaussian mixture in each column (S, n) by bisection."""
    if len(means) == 1:
        return means[0] + sds[0] * stats.norm.ppf(q)
    lo = (means - 8 * sds).min(axis=0)
    hi = (means + 8 * sds).max(axis=0)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        below = stats.norm.cdf((mid[None] - means) / np.maximum(sds, 1e-300)).mean(axis=0) < q
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return 0.5 * (lo + hi)


class GPResult:
    engine = "gp"

    def __init__(
        self,
        spec: GPSpec,
        data: TrainingData,
        method: str,
        state_dict: dict[str, np.ndarray],
        meta: dict[str, Any],
        device: str = "cpu",
    ) -> None:
        self.spec, self.data, self.method = spec, data, method
        self.state_dict = state_dict
        self.meta = meta
        self.device = device
        self.target = spec.target
        self.input_names = list(spec.inputs)
        self.likelihood = spec.likelihood
        self.level = float(meta.get("level", 0.9))
        self._posterior: Any = None

    # ------------------------------------------------------------ the model
    def _built_posterior(self):
        if self._posterior is not None:
            return self._posterior
        x = torch.as_tensor(self.data.x_std(self.data.X), dtype=torch.float64, device=self.device)
        y = torch.as_tensor(self.data.y_std(), dtype=torch.float64, device=self.device)
        inducing = None
        if self.method != "exact":
            inducing = torch.zeros(
                self.meta["inducing"], x.shape[1], dtype=torch.float64, device=self.device
            )
        built = build_model(
            self.method,
            self.spec,
            self.data,
            x,
            y,
            inducing,
            self.meta.get("learn_inducing", True),
            self.meta.get("hidden", 0),
        )
        for prefix, module in (("model.", built.model), ("likelihood.", built.likelihood)):
            tensors = {
                k[len(prefix) :]: torch.as_tensor(v, device=self.device)
                for k, v in self.state_dict.items()
                if k.startswith(prefix)
            }
            module.load_state_dict(tensors, strict=True)
        built.model.train(False)
        built.likelihood.train(False)
        if self.method == "exact":
            self._posterior = ExactPosterior(built, x, y, self.meta.get("jitter", 0.0))
        else:
            self._posterior = VariationalPosterior(built, deep=self.method == "deep")
        return self._posterior

    def to(self, device: str) -> GPResult:
        """Predict on ``device`` from now on (the modules are rebuilt there on next use)."""
        self.device = device
        self._posterior = None
        return self

    @property
    def noise(self) -> float:
        """Observation noise variance on the standardised scale (0 unless Gaussian)."""
        if self.likelihood != "gaussian":
            return 0.0
        return float(self._built_posterior().built.likelihood.noise.detach().reshape(-1)[0])

    def _check(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = X.reshape(1, -1) if len(self.input_names) > 1 else X.reshape(-1, 1)
        if X.ndim != 2 or X.shape[1] != len(self.input_names):
            raise EngineError(
                f"X must have {len(self.input_names)} columns "
                f"({', '.join(self.input_names)}); got shape {X.shape}"
            )
        bad = ~np.isfinite(X)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise EngineError(
                f"X holds a missing value: row {row + 1}, column {self.input_names[col]!r}"
            )
        return self.data.x_std(X)

    def latent(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Moments of f, shape (S, n), on the model's (standardised) scale."""
        return latent_moments(self._built_posterior(), self._check(X), self.device, self.data.n)

    # ------------------------------------------------------- the interface
    def predict(
        self, X: np.ndarray, level: float = 0.9
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.predict_from(*self.latent(X), level)

    def predict_from(
        self, m: np.ndarray, v: np.ndarray, level: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``predict`` from latent moments (S, n), so that callers needing several
        summaries of the same rows compute the posterior once."""
        tail = (1 - level) / 2
        if self.likelihood == "gaussian":
            sd = np.sqrt(v + self.noise)
            lo, hi = mixture_quantile(m, sd, tail), mixture_quantile(m, sd, 1 - tail)
            return self._to_y(m.mean(axis=0)), self._to_y(lo), self._to_y(hi)
        if self.likelihood == "bernoulli":
            sd = np.sqrt(v)
            return (
                expected_sigmoid(m, v).mean(axis=0),
                expit(mixture_quantile(m, sd, tail)),
                expit(mixture_quantile(m, sd, 1 - tail)),
            )
        mean = np.exp(m + v / 2).mean(axis=0)
        rng = np.random.default_rng(0)
        lower, upper = np.empty_like(mean), np.empty_like(mean)
        for start in range(0, len(mean), POISSON_ROWS):  # bounded memory for many rows
            cols = np.arange(start, min(start + POISSON_ROWS, len(mean)))
            pick = rng.integers(len(m), size=(POISSON_DRAWS, len(cols)))
            f = m[pick, cols] + np.sqrt(v[pick, cols]) * rng.standard_normal(pick.shape)
            counts = rng.poisson(np.exp(np.minimum(f, 50)))
            lower[cols] = np.quantile(counts, tail, axis=0)
            upper[cols] = np.quantile(counts, 1 - tail, axis=0)
        return mean, lower, upper

    def credible_band(
        self, X: np.ndarray, level: float = 0.9, latent: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Posterior mean and band of E[y|x] (or of f itself with latent=True)."""
        m, v = self.latent(X)
        tail = (1 - level) / 2
        sd = np.sqrt(v)
        lo, hi = mixture_quantile(m, sd, tail), mixture_quantile(m, sd, 1 - tail)
        if latent:
            return m.mean(axis=0), lo, hi
        if self.likelihood == "gaussian":
            return self._to_y(m.mean(axis=0)), self._to_y(lo), self._to_y(hi)
        if self.likelihood == "bernoulli":
            return expected_sigmoid(m, v).mean(axis=0), expit(lo), expit(hi)
        return np.exp(m + v / 2).mean(axis=0), np.exp(lo), np.exp(hi)

    def _to_y(self, values: np.ndarray) -> np.ndarray:
        return self.data.y_mean + self.data.y_scale * values

    def latent_draws(self, X: np.ndarray, n_draws: int, seed: int = 0) -> np.ndarray:
        """Joint posterior draws of f on the model's scale, (n_draws, n)."""
        rng = np.random.default_rng(seed)
        return latent_draws(self._built_posterior(), self._check(X), self.device, n_draws, rng)

    def sample_mean(self, X: np.ndarray, n_draws: int, seed: int = 0) -> np.ndarray:
        f = self.latent_draws(X, n_draws, seed)
        if self.likelihood == "gaussian":
            return self._to_y(f)
        if self.likelihood == "bernoulli":
            return expit(f)
        return np.exp(f)

    def sample_predict(self, X: np.ndarray, n_draws: int, seed: int = 0) -> np.ndarray:
        f = self.latent_draws(X, n_draws, seed)
        rng = np.random.default_rng([seed, 1])
        if self.likelihood == "gaussian":
            return self._to_y(f + np.sqrt(self.noise) * rng.standard_normal(f.shape))
        if self.likelihood == "bernoulli":
            return (rng.random(f.shape) < expit(f)).astype(np.float64)
        return rng.poisson(np.exp(np.minimum(f, 50))).astype(np.float64)

    def log_predictive(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """log p(y_i | data) for each row, in the units of the target."""
        return self.log_predictive_from(*self.latent(X), y)

    def log_predictive_from(self, m: np.ndarray, v: np.ndarray, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        if self.likelihood == "gaussian":
            y_std = (y - self.data.y_mean) / self.data.y_scale
            return log_predictive("gaussian", y_std, m, v, self.noise) - np.log(self.data.y_scale)
        return log_predictive(self.likelihood, y, m, v, 0.0)

    def summary(self) -> dict[str, Any]:
        return dict(self.meta["summary"])

    def exact_shapley_data(self) -> dict[str, Any] | None:
        """Arrays for exact GP Shapley values, when the model allows them (docs/gp.md)."""
        if self.method != "exact" or self.likelihood != "gaussian":
            return None
        return exact_shapley_data(self._built_posterior(), self.spec, self.data)

    # ---------------------------------------------------------------- state
    def to_state(self) -> ResultState:
        d = self.data
        meta = dict(self.meta)
        meta.update(
            format=STATE_FORMAT,
            engine="gp",
            method=self.method,
            spec=self.spec.to_json(),
            positive_class=d.positive_class,
            standardisation={
                "x_mean": d.x_mean.tolist(),
                "x_scale": d.x_scale.tolist(),
                "y_mean": d.y_mean,
                "y_scale": d.y_scale,
            },
            data_warnings=list(d.warnings),
            state_keys=sorted(self.state_dict),
        )
        arrays = {"X": d.X, "y": d.y}
        arrays.update({f"state/{k}": v for k, v in self.state_dict.items()})
        return ResultState(meta=meta, arrays=arrays)


def load_result(state: ResultState, device: str = "cpu") -> GPResult:
    """Rebuild a result from its saved state, without pickle, on ``device``."""
    meta = state.meta
    if meta.get("engine") != "gp" or meta.get("format") != STATE_FORMAT:
        raise EngineError(
            f"not a GP result of format {STATE_FORMAT} (engine "
            f"{meta.get('engine')!r}, format {meta.get('format')!r})"
        )
    try:
        spec = GPSpec.from_json(meta["spec"])
        std = meta["standardisation"]
        data = TrainingData(
            np.asarray(state.arrays["X"], dtype=np.float64),
            np.asarray(state.arrays["y"], dtype=np.float64),
            np.asarray(std["x_mean"], dtype=np.float64),
            np.asarray(std["x_scale"], dtype=np.float64),
            float(std["y_mean"]),
            float(std["y_scale"]),
            meta.get("positive_class"),
            list(meta.get("data_warnings", [])),
        )
        state_dict = {k: np.asarray(state.arrays[f"state/{k}"]) for k in meta["state_keys"]}
    except KeyError as exc:
        raise EngineError(f"the saved GP result lacks {exc.args[0]!r}") from exc
    keep = {
        k: v
        for k, v in meta.items()
        if k not in ("spec", "standardisation", "state_keys", "data_warnings", "positive_class")
    }
    return GPResult(spec, data, meta["method"], state_dict, keep, device)


def state_arrays(model: torch.nn.Module, likelihood: torch.nn.Module) -> dict[str, np.ndarray]:
    """The model's and likelihood's state dicts as numpy arrays (copies, on the CPU)."""
    out = {}
    for prefix, module in (("model.", model), ("likelihood.", likelihood)):
        out.update(
            {prefix + k: v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()}
        )
    return out
