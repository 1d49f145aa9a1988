"""Shared builders for the GP tests: tables, graphs, and a plain numpy GP."""

from __future__ import annotations

import numpy as np

from backends.gp.templates import gp_graph
from backends.graph.model import Graph
from backends.runtime import ColumnTable


def table_of(columns: dict[str, np.ndarray], types: dict[str, str] | None = None) -> ColumnTable:
    kinds = {k: "numeric" for k in columns}
    kinds.update(types or {})
    return ColumnTable(dict(columns), kinds)


def graph_for(
    table: ColumnTable,
    target: str,
    inputs: list[str],
    likelihood: str = "gaussian",
    kernel: dict | None = None,
    **options,
) -> Graph:
    graph = gp_graph(table, target, inputs, likelihood, kernel=kernel)
    f = graph.node_by_name("f")
    f.options.update(options)
    return graph


def rbf_ard(A: np.ndarray, B: np.ndarray, lengthscales: np.ndarray) -> np.ndarray:
    d = (A[:, None, :] - B[None, :, :]) / lengthscales
    return np.exp(-0.5 * (d**2).sum(-1))


def numpy_gp(
    K: np.ndarray, Ks: np.ndarray, kss_diag: np.ndarray, y: np.ndarray, mean: float, noise: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """Textbook exact GP (Rasmussen & Williams, Alg. 2.1): mean, latent variance, log evidence."""
    n = len(y)
    L = np.linalg.cholesky(K + noise * np.eye(n))
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y - mean))
    mu = mean + Ks @ alpha
    v = np.linalg.solve(L, Ks.T)
    var = kss_diag - (v * v).sum(0)
    lml = -0.5 * (y - mean) @ alpha - np.log(np.diag(L)).sum() - 0.5 * n * np.log(2 * np.pi)
    return mu, var, lml


def draw_gp(
    rng: np.random.Generator,
    X: np.ndarray,
    lengthscales: np.ndarray,
    outputscale: float,
    noise: float,
    mean: float = 0.0,
) -> np.ndarray:
    K = outputscale * rbf_ard(X, X, lengthscales) + 1e-9 * np.eye(len(X))
    f = np.linalg.cholesky(K) @ rng.standard_normal(len(X))
    return mean + f + np.sqrt(noise) * rng.standard_normal(len(X))
