"""Exact interventional Shapley values of a GP posterior with a product RBF kernel.

A GP's posterior mean is f(x) = y_mean + y_scale (const + s sum_i alpha_i k(x~, X_i)),
with an ARD RBF kernel k(u, v) = prod_d k_d(u_d, v_d). Shapley values are linear
in f, so they are sums over training points of the Shapley values of the games
u_i(S) = E_bg[k(x_S, X_bg,-S ; X_i)] = prod_{d in S} k_d(x_d, X_id) * m_i(S),
where m_i(S) = mean_b prod_{d not in S} k_d(X_bd, X_id) does not depend on x and is
precomputed once per background. For each row, all 2**D coalitions then cost one
(N, 2**D) product table; beyond ENUMERATION_MAX_FEATURES a Gauss-Legendre rule over
the Shapley-weight integral phi_j = int_0^1 E_{S~Bernoulli(t)}[v(S+j) - v(S)] dt
(a polynomial of degree D-1 in t, so exact with ceil(D/2) nodes) is used instead.

Because the Shapley values are a linear functional L of f, their posterior is
Gaussian with covariance  y_scale^2 (s L L' k  -  s^2 Phi' (K + noise I)^-1 Phi),
Phi[i, j] = L_j k(., X_i). The prior term L L' k is a double Shapley integral that
factorises per feature, again exact with ceil(D/2) nodes in each of two variables
(Chau, Muandet and Sejdinovic, NeurIPS 2023, "Explaining the Uncertain: Stochastic
Shapley Values for Gaussian Process Models").
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.linalg import solve_triangular

from backends.explain.coalitions import shapley_matrix
from backends.runtime import EngineError

ENUMERATION_MAX_FEATURES = 12
_CHUNK_ELEMENTS = 4_000_000  # bound on the size of temporary arrays (floats)


def _gauss_legendre_01(n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    nodes, weights = np.polynomial.legendre.leggauss(n_nodes)
    return (nodes + 1) / 2, weights / 2


def _subset_products(factors: np.ndarray) -> np.ndarray:
    """prod over d in T of factors[..., d], for every subset T (bit mask), as the last axis."""
    out = np.ones(factors.shape[:-1] + (1,))
    for d in range(factors.shape[-1]):
        out = np.concatenate([out, out * factors[..., d : d + 1]], axis=-1)
    return out


def _check(data: dict[str, Any]) -> dict[str, np.ndarray]:
    if data.get("kind") != "rbf_product":
        raise EngineError(
            f"exact GP Shapley values need kind 'rbf_product', got {data.get('kind')!r}"
        )
    names = ("x_mean", "x_scale", "lengthscales", "X_train", "alpha", "chol")
    missing = [n for n in names + ("outputscale", "const", "y_mean", "y_scale") if n not in data]
    if missing:
        raise EngineError(f"exact_shapley_data() lacks {', '.join(missing)}")
    out = {n: np.asarray(data[n], dtype=float) for n in names}
    n, d = out["X_train"].shape
    for name, shape in (
        ("x_mean", (d,)),
        ("x_scale", (d,)),
        ("lengthscales", (d,)),
        ("alpha", (n,)),
        ("chol", (n, n)),
    ):
        if out[name].shape != shape:
            raise EngineError(
                f"exact_shapley_data(): {name} has shape {out[name].shape}, expected {shape}"
            )
    if np.any(out["lengthscales"] <= 0) or np.any(out["x_scale"] <= 0):
        raise EngineError("exact_shapley_data(): lengthscales and x_scale must be positive")
    return out


class RBFProductShapley:
    """Closed-form Shapley values (and their posterior covariance) for one background."""

    def __init__(
        self,
        data: dict[str, Any],
        background: np.ndarray,
        weights: np.ndarray | None = None,
        method: str = "auto",
    ) -> None:
        arrays = _check(data)
        self.x_mean, self.x_scale = arrays["x_mean"], arrays["x_scale"]
        self.ell, self.X, self.alpha, self.chol = (
            arrays["lengthscales"],
            arrays["X_train"],
            arrays["alpha"],
            arrays["chol"],
        )
        self.s = float(data["outputscale"])
        self.const, self.y_mean, self.y_scale = (
            float(data["const"]),
            float(data["y_mean"]),
            float(data["y_scale"]),
        )
        n, d = self.X.shape
        self.n_features = d
        background = np.atleast_2d(np.asarray(background, dtype=float))
        if background.shape[1] != d:
            raise EngineError(
                f"the background has {background.shape[1]} columns, the GP has {d} inputs"
            )
        self.B = self._standardise(background)
        self.w = (
            np.full(len(self.B), 1.0 / len(self.B))
            if weights is None
            else np.asarray(weights) / np.sum(weights)
        )
        if method == "auto":
            method = "enumeration" if d <= ENUMERATION_MAX_FEATURES else "quadrature"
        if method not in ("enumeration", "quadrature"):
            raise EngineError(
                f"unknown GP Shapley method {method!r}; use 'enumeration' or 'quadrature'"
            )
        self.method = method
        self.nodes, self.node_weights = _gauss_legendre_01(max(1, (d + 1) // 2))
        self.kbb = self._kernel_factors(self.B[:, None, :], self.B[None, :, :])  # (B, B, D)
        full = 2**d - 1
        if method == "enumeration":
            m = np.empty((n, 2**d))
            chunk = max(1, _CHUNK_ELEMENTS // (len(self.B) * 2**d))
            for start in range(0, n, chunk):
                kbg = self._kernel_factors(
                    self.B[:, None, :], self.X[None, start : start + chunk, :]
                )
                m[start : start + chunk] = np.tensordot(self.w, _subset_products(kbg), axes=1)
            self.m_complement = m[:, full ^ np.arange(2**d)]  # m_i(S) indexed by S
            # phi = v @ shapley_matrix: the Shapley values as one linear map of the
            # coalition values, so all training points go through a single matmul.
            self.shapley_matrix = shapley_matrix(d)  # (2**D, D)
            # For the mean alone, sum over training points first: with S split into
            # its high and low feature bits, v(h, l) = sum_i A_high[i, h] A_low[i, l]
            # alpha_i m_i(h, l): one elementwise pass over an (N, 2**D) table and one
            # batched matmul over i, with no per-point Shapley values.
            self._low = d // 2
            alpha_m = (self.alpha[:, None] * self.m_complement).reshape(
                n, 2 ** (d - self._low), 2**self._low
            )
            self.alpha_m_hil = np.ascontiguousarray(alpha_m.transpose(1, 0, 2))  # (h, i, l)
            # reused by every row: a fresh table of this size costs its page faults each time
            self._weighted = np.empty_like(self.alpha_m_hil)
            unit_base = self.m_complement[:, 0]
        else:
            unit_base = np.zeros(n)
            for b, wb in zip(self.B, self.w, strict=True):
                unit_base += wb * np.prod(self._kernel_factors(b[None, :], self.X), axis=1)
        self.base_value = self.y_mean + self.y_scale * (
            self.const + self.s * self.alpha @ unit_base
        )

    def _standardise(self, X: np.ndarray) -> np.ndarray:
        return (X - self.x_mean) / self.x_scale

    def _kernel_factors(self, U: np.ndarray, V: np.ndarray) -> np.ndarray:
        """k_d(u_d, v_d) for broadcast arrays of standardised points; last axis is the feature."""
        return np.exp(-0.5 * ((U - V) / self.ell) ** 2)

    def unit_shapley(self, xt: np.ndarray) -> np.ndarray:
        """Phi (N, D): Shapley values of each training point's kernel game at standardised xt."""
        a = self._kernel_factors(xt[None, :], self.X)  # (N, D)
        if self.method == "enumeration":
            games = _subset_products(a) * self.m_complement  # (N, 2**D)
            return games @ self.shapley_matrix
        n, d = self.X.shape
        out = np.zeros((n, d))
        for b, wb in zip(self.B, self.w, strict=True):
            kb = self._kernel_factors(b[None, :], self.X)  # (N, D)
            for t, wt in zip(self.nodes, self.node_weights, strict=True):
                mix = t * a + (1 - t) * kb
                prefix = np.cumprod(np.concatenate([np.ones((n, 1)), mix[:, :-1]], axis=1), axis=1)
                suffix = np.cumprod(
                    np.concatenate([np.ones((n, 1)), mix[:, :0:-1]], axis=1), axis=1
                )[:, ::-1]
                out += wb * wt * (a - kb) * prefix * suffix
        return out

    def mean_coalition_values(self, xt: np.ndarray) -> np.ndarray:
        """sum_i alpha_i u_i(S) for every coalition S (enumeration method), (2**D,)."""
        a = self._kernel_factors(xt[None, :], self.X)
        low = _subset_products(a[:, : self._low])  # (N, 2**low)
        high = _subset_products(a[:, self._low :])  # (N, 2**(D-low))
        weighted = np.multiply(low[None, :, :], self.alpha_m_hil, out=self._weighted)  # (h, i, l)
        return np.matmul(high.T[:, None, :], weighted)[:, 0, :].reshape(-1)

    def prior_covariance(self, xt: np.ndarray) -> np.ndarray:
        """L L' k at standardised xt for the unit kernel: (D, D), exact Gauss-Legendre."""
        d = self.n_features
        kxb = self._kernel_factors(xt[None, :], self.B)  # (B, D)
        kx1, kx2, kbb = kxb[:, None, :], kxb[None, :, :], self.kbb  # b first, b' second
        wbb = self.w[:, None] * self.w[None, :]
        diff_both = 1 - kx2 - kx1 + kbb
        # Per feature, the first argument's factor is t * (its value with the feature
        # taken from x) + (1 - t) * (taken from the background); the parts that do not
        # depend on t (or on u) are computed once, outside the inner loop.
        h_numerators = [t * (1 - kx2) + (1 - t) * (kx1 - kbb) for t in self.nodes]
        cov = np.zeros((d, d))
        diag = np.zeros(d)
        # Swapping the two arguments (t <-> u, b <-> b') transposes a node pair's
        # contribution, and the result is symmetrised, so pairs with t after u are
        # skipped and pairs with t before u count twice.
        for iu, (u, wu) in enumerate(zip(self.nodes, self.node_weights, strict=True)):
            first_in = u + (1 - u) * kx2
            first_out = u * kx1 + (1 - u) * kbb
            g_numerator = first_in - first_out
            for it in range(iu + 1):
                t, wt, h_numerator = self.nodes[it], self.node_weights[it], h_numerators[it]
                mix = t * first_in + (1 - t) * first_out
                inverse = 1.0 / mix
                pair = wt * wu * (2.0 if it < iu else 1.0)
                weight = pair * wbb * np.prod(mix, axis=-1)  # (B, B)
                weighted = (weight[..., None] * g_numerator * inverse).reshape(-1, d)
                cov += weighted.T @ (h_numerator * inverse).reshape(-1, d)
                diag += weight.reshape(-1) @ (diff_both * inverse).reshape(-1, d)
        cov = 0.5 * (cov + cov.T)
        cov[np.diag_indices(d)] = diag
        return cov

    def explain(self, X: np.ndarray, covariance: bool = True) -> dict[str, np.ndarray]:
        """Posterior mean of the Shapley values, and their covariance when asked.

        Returns values (n, D), prediction (n,) (posterior mean f(x)), base (),
        and cov (n, D, D) if ``covariance``. values.sum(1) == prediction - base.
        """
        X = np.atleast_2d(np.asarray(X, dtype=float))
        if X.shape[1] != self.n_features:
            raise EngineError(
                f"rows have {X.shape[1]} columns, the GP has {self.n_features} inputs"
            )
        Xt = self._standardise(X)
        n, d = X.shape
        values = np.empty((n, d))
        covs = np.empty((n, d, d)) if covariance else None
        for r, xt in enumerate(Xt):
            if covs is None and self.method == "enumeration":
                coalitions = self.mean_coalition_values(xt)
                values[r] = self.y_scale * self.s * (coalitions @ self.shapley_matrix)
                continue
            phi = self.unit_shapley(xt)
            values[r] = self.y_scale * self.s * (self.alpha @ phi)
            if covs is not None:
                v = solve_triangular(self.chol, self.s * phi, lower=True)
                covs[r] = self.y_scale**2 * (self.s * self.prior_covariance(xt) - v.T @ v)
        k_rows = np.prod(self._kernel_factors(Xt[:, None, :], self.X[None, :, :]), axis=-1)
        prediction = self.y_mean + self.y_scale * (self.const + self.s * k_rows @ self.alpha)
        out = {"values": values, "prediction": prediction, "base": np.asarray(self.base_value)}
        if covs is not None:
            out["cov"] = covs
        return out
