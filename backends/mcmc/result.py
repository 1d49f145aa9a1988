"""The result of an MCMC run: posterior draws that can predict and explain.

It owns plain arrays only — the constrained draws laid out (ensembles, draws,
parameters) so that a trace plot can colour each independent ensemble — plus
the graph and the few numbers of the data (``DataInfo``) needed to rebuild the
compiled model. Predictions run the graph forward on new rows for a sample of
draws; nothing is refitted.

X, for predict and the explanation engine, holds the columns of the data nodes
that feed the primary observed node (the first observed node in dependency
order), in that order; a grouping column used as an index enters X as its level
codes 0..L-1 (the order of ``summary()["levels"]``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

from backends.graph.compile import CompiledModel, rebuild_model
from backends.graph.dependencies import node_uses, parsed_fields
from backends.graph.expressions import Expression
from backends.graph.model import Graph, Node
from backends.graph.rows import DataInfo, RowBatch, matrix_rows
from backends.runtime import EngineError, ResultState

FORMAT = 1
PREDICT_DRAWS = 2000


def prediction_inputs(model: CompiledModel, observed: Node) -> tuple[list[str], list[str]]:
    """(input column names in X order, the grouping columns among them)."""
    graph = model.graph
    uses = node_uses(graph)
    needed: set[str] = set()
    stack = [observed.id]
    while stack:
        for parent in uses[stack.pop()]:
            if parent not in needed:
                needed.add(parent)
                stack.append(parent)
    needed.add(observed.id)
    inputs: list[str] = []
    groups: list[str] = []
    for step in model.steps:
        node = step.node
        if node.id not in needed:
            continue
        if node.kind == "data":
            for column in node.columns:
                if column in model.info.levels and column not in groups:
                    groups.append(column)
                elif column not in model.info.levels and column not in inputs:
                    inputs.append(column)
        for expr in parsed_fields(node).values():
            if isinstance(expr, Expression):
                for index in sorted(expr.indices):
                    column = model.group_columns.get(index)
                    if column and column not in groups:
                        groups.append(column)
    return inputs + groups, groups


class MCMCResult:
    """Posterior draws of a compiled graph, with the engine result interface."""

    engine = "mcmc"

    def __init__(
        self,
        graph: Graph,
        info: DataInfo,
        arrays: dict[str, np.ndarray],
        summary: dict[str, Any],
        settings: dict[str, Any],
        seed: int,
    ) -> None:
        self.graph, self.info, self.arrays = graph, info, arrays
        self._summary, self.settings, self.seed = summary, settings, seed
        self.model = rebuild_model(graph, info)
        self.names: list[str] = list(self.model.names)
        self.observed = self.model.observed[0]
        self.target = self.observed.columns[0]
        self.input_names, self.group_inputs = prediction_inputs(self.model, self.observed)
        self.level = 0.9

    @property
    def draws(self) -> np.ndarray:
        """Constrained posterior draws, (ensembles, draws, parameters)."""
        return self.arrays["draws"]

    def flat_draws(self) -> np.ndarray:
        return self.draws.reshape(-1, self.draws.shape[-1])

    # ------------------------------------------------------------ prediction
    def _rows(self, X: np.ndarray) -> RowBatch:
        if self.model.row_latent:
            raise EngineError("the model has a parameter per row, so it cannot predict new rows")
        return matrix_rows(X, self.input_names, self.group_inputs, self.info)

    def _pick(self, n_draws: int, seed: int) -> np.ndarray:
        flat = self.flat_draws()
        rng = np.random.default_rng(seed)
        return flat[rng.choice(len(flat), size=n_draws, replace=n_draws > len(flat))]

    def _distribution(self, X: np.ndarray, n_draws: int, seed: int):
        rows = self._rows(X)
        with np.errstate(all="ignore"):
            return self.model.distribution_of(self.observed.name, self._pick(n_draws, seed), rows)

    def sample_mean(self, X: np.ndarray, n_draws: int, seed: int = 0) -> np.ndarray:
        """Draws of E[y | x, θ] (a probability for a 0/1 target), shape (n_draws, n)."""
        fam, params = self._distribution(X, n_draws, seed)
        return np.asarray(fam.mean(params), dtype=float)

    def sample_predict(self, X: np.ndarray, n_draws: int, seed: int = 0) -> np.ndarray:
        """Posterior predictive draws of y, shape (n_draws, n)."""
        fam, params = self._distribution(X, n_draws, seed)
        rng = np.random.default_rng(seed + 1)
        return np.asarray(fam.sample(rng, params), dtype=float)

    def predict(
        self, X: np.ndarray, level: float = 0.9
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean of y and the bounds of its central predictive interval at ``level``."""
        mean = self.sample_mean(X, PREDICT_DRAWS, seed=self.seed).mean(axis=0)
        draws = self.sample_predict(X, PREDICT_DRAWS, seed=self.seed)
        tail = (1.0 - level) / 2.0
        lower, upper = np.quantile(draws, [tail, 1.0 - tail], axis=0)
        return mean, lower, upper

    def linear_terms(self) -> dict[str, Any] | None:
        """Intercept and coefficients per draw in raw input units, when the mean of
        the observed node is linear in the inputs on its link scale; else None.

        Linearity is checked numerically on the model itself (at zero, at each unit
        vector and at random points), so standardisation, ``dot`` and hand-written
        sums are all handled the same way.
        """
        link = _LINKS.get(self.observed.distribution or "")
        if link is None or self.group_inputs or not self.input_names:
            return None
        name, fn = link
        k = len(self.input_names)
        rng = np.random.default_rng(0)
        probe = np.vstack([np.zeros((1, k)), np.eye(k), rng.normal(0.0, 3.0, (5, k))])
        draws = self.flat_draws()
        with np.errstate(all="ignore"):
            _, params = self.model.distribution_of(self.observed.name, draws, self._rows(probe))
            eta = fn(params)
        if eta is None or not np.all(np.isfinite(eta)):
            return None
        intercept = eta[:, 0]
        coefficients = eta[:, 1 : k + 1] - intercept[:, None]
        predicted = intercept[:, None] + coefficients @ probe[k + 1 :].T
        scale = np.maximum(1.0, np.abs(eta[:, k + 1 :]))
        if not np.all(np.abs(predicted - eta[:, k + 1 :]) <= 1e-6 * scale):
            return None
        return {"link": name, "intercept": intercept, "coefficients": coefficients}

    # --------------------------------------------------------------- summary
    def summary(self) -> dict[str, Any]:
        return self._summary

    def to_state(self) -> ResultState:
        meta = {
            "format": FORMAT,
            "engine": self.engine,
            "graph": self.graph.to_dict(),
            "data_info": self.info.to_dict(),
            "summary": self._summary,
            "settings": self.settings,
            "seed": self.seed,
        }
        return ResultState(meta, {k: np.array(v) for k, v in self.arrays.items()})


def load_result(state: ResultState) -> MCMCResult:
    """Rebuild a result saved by ``to_state``; refuses states it does not know."""
    meta = state.meta
    if meta.get("engine") != "mcmc" or meta.get("format") != FORMAT:
        raise EngineError(
            f"not an MCMC result of format {FORMAT}: {meta.get('engine')!r}, "
            f"format {meta.get('format')!r}"
        )
    if "draws" not in state.arrays:
        raise EngineError("the saved MCMC result has no draws")
    graph = Graph.from_dict(meta["graph"])
    info = DataInfo.from_dict(meta["data_info"])
    return MCMCResult(
        graph, info, dict(state.arrays), meta["summary"], meta["settings"], int(meta["seed"])
    )


def _logit_link(p: dict[str, np.ndarray]) -> np.ndarray:
    return p["logit"] if "logit" in p else special.logit(p["p"])


_LINKS = {
    "Normal": ("identity", lambda p: p["mu"]),
    "StudentT": ("identity", lambda p: p["mu"]),
    "Laplace": ("identity", lambda p: p["mu"]),
    "Cauchy": ("identity", lambda p: p["mu"]),
    "Bernoulli": ("logit", _logit_link),
    "Poisson": ("log", lambda p: np.log(p["rate"])),
    "NegativeBinomial": ("log", lambda p: np.log(p["mu"])),
}
