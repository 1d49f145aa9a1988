"""Result-like test doubles with known truth, implementing the result interface.

They stand in for engine results so that explanations can be tested against
closed forms: a GP with fixed ARD-RBF hyperparameters (numpy Cholesky) and its
Matern-5/2 twin (no closed form: a black box), a Bayesian linear regression with a
conjugate posterior, and a plain function.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import cho_solve, solve_triangular
from scipy.stats import norm


class NumpyRBFGP:
    """Exact GP regression, ARD RBF kernel, fixed hyperparameters, standardised x and y."""

    engine = "gp-double"
    level = 0.9

    def __init__(
        self, X, y, lengthscales, outputscale=1.0, noise=0.01, const=0.0, standardise=True
    ):
        X = np.asarray(X, float)
        self.input_names = [f"x{d}" for d in range(X.shape[1])]
        self.target = "y"
        if standardise:
            self.x_mean, self.x_scale = X.mean(0), X.std(0) + 1e-12
            self.y_mean, self.y_scale = float(np.mean(y)), float(np.std(y) + 1e-12)
        else:  # the model's own units: the GP prior is exactly the generating one
            self.x_mean, self.x_scale = np.zeros(X.shape[1]), np.ones(X.shape[1])
            self.y_mean, self.y_scale = 0.0, 1.0
        self.ell = np.asarray(lengthscales, float)
        self.s, self.noise, self.const = float(outputscale), float(noise), float(const)
        self.Xt = (X - self.x_mean) / self.x_scale
        yt = (np.asarray(y, float) - self.y_mean) / self.y_scale
        K = self.s * self._kappa(self.Xt, self.Xt) + self.noise * np.eye(len(X))
        self.chol = np.linalg.cholesky(K)
        self.alpha = cho_solve((self.chol, True), yt - self.const)

    def _kappa(self, A, B):
        a, b = A / self.ell, B / self.ell
        sq = np.sum(a**2, 1)[:, None] + np.sum(b**2, 1)[None, :] - 2 * a @ b.T
        return np.exp(-0.5 * np.clip(sq, 0, None))

    def latent(self, X):
        """Posterior mean and covariance of the standardised latent function at X."""
        Zt = (np.asarray(X, float) - self.x_mean) / self.x_scale
        kx = self.s * self._kappa(Zt, self.Xt)
        v = solve_triangular(self.chol, kx.T, lower=True)
        return self.const + kx @ self.alpha, self.s * self._kappa(Zt, Zt) - v.T @ v

    def posterior_mean(self, X, chunk=8192):
        Zt = (np.asarray(X, float) - self.x_mean) / self.x_scale
        parts = [
            self.s * self._kappa(Zt[i : i + chunk], self.Xt) @ self.alpha
            for i in range(0, len(Zt), chunk)
        ]
        return self.y_mean + self.y_scale * (self.const + np.concatenate(parts))

    def posterior_cov(self, X):
        return self.y_scale**2 * self.latent(X)[1]

    def predict(self, X, level=0.9):
        Zt = (np.asarray(X, float) - self.x_mean) / self.x_scale
        v = solve_triangular(self.chol, self.s * self._kappa(Zt, self.Xt).T, lower=True)
        latent_var = self.s - np.sum(v * v, axis=0)  # the diagonal only: predict may get many rows
        sd = np.sqrt(np.clip(latent_var, 0, None) + self.noise) * self.y_scale
        z = norm.ppf(0.5 + level / 2)
        mean = self.posterior_mean(X)
        return mean, mean - z * sd, mean + z * sd

    def sample_mean(self, X, n_draws, seed=0):
        m, c = self.latent(X)
        L = np.linalg.cholesky(c + 1e-9 * np.eye(len(c)))
        z = np.random.default_rng(seed).standard_normal((n_draws, len(m)))
        return self.y_mean + self.y_scale * (m + z @ L.T)

    def sample_predict(self, X, n_draws, seed=0):
        f = self.sample_mean(X, n_draws, seed)
        eps = np.random.default_rng(seed + 10**6).standard_normal(f.shape)
        return f + self.y_scale * np.sqrt(self.noise) * eps

    def exact_shapley_data(self):
        return {
            "kind": "rbf_product",
            "x_mean": self.x_mean,
            "x_scale": self.x_scale,
            "lengthscales": self.ell,
            "outputscale": self.s,
            "X_train": self.Xt,
            "alpha": self.alpha,
            "const": self.const,
            "y_mean": self.y_mean,
            "y_scale": self.y_scale,
            "noise": self.noise,
            "chol": self.chol,
        }


class NumpyMatern52GP(NumpyRBFGP):
    """The same exact GP with an ARD Matern-5/2 kernel: not a product over features,
    so it has no closed-form Shapley values (exact_shapley_data() is None, as the
    GP engine's result says for such a kernel) and is explained as a black box."""

    engine = "gp-matern-double"

    def _kappa(self, A, B):
        a, b = A / self.ell, B / self.ell
        sq = np.sum(a**2, 1)[:, None] + np.sum(b**2, 1)[None, :] - 2 * a @ b.T
        r = np.sqrt(5.0 * np.clip(sq, 0, None))
        return (1.0 + r + r * r / 3.0) * np.exp(-r)

    def exact_shapley_data(self):
        return None


class ConjugateLinear:
    """Bayesian linear regression y = X beta + e, e ~ N(0, sigma^2) known, beta ~ N(0, tau^2 I).

    Posterior draws of beta depend only on the seed, so sample_mean is consistent
    across calls (like an MCMC result's stored draws). ``link='logit'`` turns it
    into a logistic-style model whose sample_mean is a probability (used for
    counterfactuals); the posterior is then the Gaussian one given at construction.
    """

    engine = "linear-double"
    level = 0.9

    def __init__(
        self, mean, cov, sigma=1.0, link="identity", intercept=0.0, expose_terms=True, terms_seed=0
    ):
        self.mean, self.cov = np.asarray(mean, float), np.asarray(cov, float)
        self.terms_seed = terms_seed  # the stored draws linear_terms() hands out
        self.sigma, self.link, self.intercept = sigma, link, intercept
        self.input_names = [f"x{d}" for d in range(len(self.mean))]
        self.target = "y"
        if expose_terms:
            self.linear_terms = self._linear_terms

    @classmethod
    def fit(cls, X, y, sigma=1.0, tau=2.0, **kw):
        prec = X.T @ X / sigma**2 + np.eye(X.shape[1]) / tau**2
        cov = np.linalg.inv(prec)
        return cls(cov @ X.T @ y / sigma**2, cov, sigma=sigma, **kw)

    def beta_draws(self, n_draws, seed):
        return np.random.default_rng(seed).multivariate_normal(self.mean, self.cov, size=n_draws)

    def _response(self, eta):
        return 1 / (1 + np.exp(-eta)) if self.link == "logit" else eta

    def sample_mean(self, X, n_draws, seed=0):
        return self._response(
            self.intercept + self.beta_draws(n_draws, seed) @ np.asarray(X, float).T
        )

    def sample_predict(self, X, n_draws, seed=0):
        f = self.sample_mean(X, n_draws, seed)
        rng = np.random.default_rng(seed + 1)
        if self.link == "logit":
            return (rng.random(f.shape) < f).astype(float)
        return f + self.sigma * rng.standard_normal(f.shape)

    def predict(self, X, level=0.9):
        X = np.asarray(X, float)
        if self.link == "logit":
            p = self.sample_mean(X, 2000, seed=123).mean(0)
            return p, np.zeros_like(p), np.ones_like(p)
        m = self.intercept + X @ self.mean
        sd = np.sqrt(np.einsum("nd,de,ne->n", X, self.cov, X) + self.sigma**2)
        z = norm.ppf(0.5 + level / 2)
        return m, m - z * sd, m + z * sd

    def _linear_terms(self, n_draws=400):
        beta = self.beta_draws(n_draws, self.terms_seed)
        return {
            "link": self.link,
            "intercept": np.full(n_draws, self.intercept),
            "coefficients": beta,
        }


class FunctionResult:
    """A deterministic model f(X) as a result (no posterior spread)."""

    engine = "function-double"
    level = 0.9
    target = "y"

    def __init__(self, f, n_inputs):
        self.f = f
        self.input_names = [f"x{d}" for d in range(n_inputs)]

    def predict(self, X, level=0.9):
        m = self.f(np.asarray(X, float))
        return m, m, m

    def sample_mean(self, X, n_draws, seed=0):
        return np.repeat(self.f(np.asarray(X, float))[None, :], n_draws, axis=0)

    sample_predict = sample_mean
