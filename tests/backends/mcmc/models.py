"""Models with known answers, shared by the MCMC tests (NUTS, VI, the ensemble)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from backends.graph.model import Graph, Node, Plate
from backends.runtime import ColumnTable

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data"
KIDIQ = ROOT / "resources" / "data" / "kidiq.csv"


def hierarchical(groups: int, per_group: int = 4, seed: int = 0):
    """y ~ Normal(theta[g], 1), theta ~ Normal(mu, 2), mu ~ Normal(0, 10), and its exact
    posterior (mean, covariance) over (mu, theta_1..G)."""
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(groups), per_group)
    y = rng.normal(rng.normal(1.0, 2.0, groups)[g], 1.0)
    labels = np.array([f"g{i:04d}" for i in g], dtype=object)
    table = ColumnTable({"g": labels, "y": y}, {"g": "categorical", "y": "numeric"})
    graph = Graph()
    rows = graph.add_plate(Plate("rows"))
    levels = graph.add_plate(Plate("groups", over="g", index="j"))
    graph.add_node(
        Node("mu", "stochastic", distribution="Normal", params={"mu": "0", "sigma": "10"})
    )
    graph.add_node(
        Node(
            "theta",
            "stochastic",
            distribution="Normal",
            params={"mu": "mu", "sigma": "2"},
            plate=levels.id,
        )
    )
    graph.add_node(
        Node(
            "y",
            "observed",
            distribution="Normal",
            params={"mu": "theta[g]", "sigma": "1"},
            columns=["y"],
            plate=rows.id,
        )
    )
    precision = np.zeros((groups + 1, groups + 1))
    precision[0, 0] = 1 / 100 + groups / 4
    precision[0, 1:] = precision[1:, 0] = -1 / 4
    precision[1:, 1:] = np.diag(1 / 4 + np.bincount(g, minlength=groups))
    linear = np.concatenate([[0.0], np.bincount(g, weights=y, minlength=groups)])
    cov = np.linalg.inv(precision)
    return graph, table, cov @ linear, cov


def correlated_regression(k: int = 10, n: int = 60, seed: int = 1):
    """y ~ Normal(X·beta, 1), beta ~ Normal(0, 10), X with strongly correlated columns:
    an exactly Gaussian, correlated posterior."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n, 1))
    X = 0.9 * base + 0.45 * rng.normal(size=(n, k))
    y = X @ rng.normal(size=k) + rng.normal(size=n)
    names = [f"x{i}" for i in range(k)]
    table = ColumnTable(
        {**{c: X[:, i] for i, c in enumerate(names)}, "y": y},
        {**dict.fromkeys(names, "numeric"), "y": "numeric"},
    )
    graph = Graph()
    rows = graph.add_plate(Plate("rows"))
    graph.add_node(Node("X", "data", columns=names, plate=rows.id))
    graph.add_node(
        Node(
            "beta",
            "stochastic",
            distribution="Normal",
            params={"mu": "0", "sigma": "10"},
            options={"size": k},
        )
    )
    graph.add_node(
        Node(
            "y",
            "observed",
            distribution="Normal",
            params={"mu": "dot(X, beta)", "sigma": "1"},
            columns=["y"],
            plate=rows.id,
        )
    )
    cov = np.linalg.inv(X.T @ X + np.eye(k) / 100)
    return graph, table, cov @ X.T @ y, cov


def eight_schools(centred: bool) -> tuple[Graph, ColumnTable]:
    raw = json.loads((DATA / "eight_schools.json").read_text())
    names = np.array([f"school {i + 1}" for i in range(8)], dtype=object)
    table = ColumnTable(
        {"school": names, "y": np.array(raw["y"], float), "s": np.array(raw["sigma"], float)},
        {"school": "categorical", "y": "numeric", "s": "numeric"},
    )
    graph = Graph()
    rows = graph.add_plate(Plate("rows"))
    schools = graph.add_plate(Plate("schools", over="school", index="j"))
    graph.add_node(
        Node("mu", "stochastic", distribution="Normal", params={"mu": "0", "sigma": "5"})
    )
    graph.add_node(Node("tau", "stochastic", distribution="HalfCauchy", params={"sigma": "5"}))
    if centred:
        graph.add_node(
            Node(
                "theta",
                "stochastic",
                distribution="Normal",
                params={"mu": "mu", "sigma": "tau"},
                plate=schools.id,
            )
        )
    else:
        graph.add_node(
            Node(
                "eta",
                "stochastic",
                distribution="Normal",
                params={"mu": "0", "sigma": "1"},
                plate=schools.id,
            )
        )
        graph.add_node(
            Node("theta", "deterministic", expression="mu + tau * eta", plate=schools.id)
        )
    graph.add_node(Node("sd", "data", columns=["s"], plate=rows.id))
    graph.add_node(
        Node(
            "y",
            "observed",
            distribution="Normal",
            params={"mu": "theta[school]", "sigma": "sd"},
            columns=["y"],
            plate=rows.id,
        )
    )
    return graph, table


def flat_kidiq() -> tuple[Graph, ColumnTable, np.ndarray, np.ndarray]:
    """kid_score ~ Normal(b0 + b1 * mom_iq, sigma), a user's "flat" Uniform(-1e8, 1e8)
    on the coefficients; also the least-squares coefficients and their standard errors,
    which the flat prior's posterior means and sds equal up to the Student-t factor."""
    data = pd.read_csv(KIDIQ)
    x, y = data["mom_iq"].to_numpy(float), data["kid_score"].to_numpy(float)
    graph = Graph()
    rows = graph.add_plate(Plate("rows"))
    flat = {"lower": "-1e8", "upper": "1e8"}
    graph.add_node(Node("b0", "stochastic", distribution="Uniform", params=flat))
    graph.add_node(Node("b1", "stochastic", distribution="Uniform", params=flat))
    graph.add_node(Node("sigma", "stochastic", distribution="HalfCauchy", params={"sigma": "2.5"}))
    graph.add_node(Node("mom_iq", "data", columns=["mom_iq"], plate=rows.id))
    graph.add_node(
        Node(
            "kid_score",
            "observed",
            distribution="Normal",
            columns=["kid_score"],
            params={"mu": "b0 + b1 * mom_iq", "sigma": "sigma"},
            plate=rows.id,
        )
    )
    table = ColumnTable(
        {"mom_iq": x, "kid_score": y}, {"mom_iq": "numeric", "kid_score": "numeric"}
    )
    design = np.column_stack([np.ones_like(x), x])
    coef, residual, *_ = np.linalg.lstsq(design, y, rcond=None)
    s2 = residual[0] / (len(y) - 2)
    se = np.sqrt(np.diag(s2 * np.linalg.inv(design.T @ design)))
    return graph, table, coef, se
