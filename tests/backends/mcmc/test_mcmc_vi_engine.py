"""Variational inference as the engine's sampler: exact Gaussian posteriors are
recovered and pass the Pareto-k check; a funnel fails it and the run says so."""

from __future__ import annotations

import numpy as np

from backends.mcmc import engine
from backends.mcmc.result import load_result
from tests.backends.mcmc.models import eight_schools, hierarchical

SETTINGS = {"sampler": "vi", "map_restarts": 1, "ppc_draws": 20}


def test_vi_recovers_an_exact_hierarchical_posterior_and_passes_its_check() -> None:
    graph, table, mean, cov = hierarchical(9)
    result = engine.run(graph, table, SETTINGS, seed=1)
    summary = result.summary()
    assert summary["sampler"] == "vi" and summary["vi_method"] == "fullrank"
    assert summary["converged"] and summary["pareto_k"] < 0.5, summary["warnings"]
    sd = np.sqrt(np.diag(cov))
    got = np.array([row["mean"] for row in summary["parameters"].values()])
    spread = np.array([row["sd"] for row in summary["parameters"].values()])
    assert np.abs(got - mean).max() < 0.1 * sd.min()
    np.testing.assert_allclose(spread, sd, rtol=0.1)
    again = load_result(result.to_state())
    assert again.draws.shape == (1, 4000, 10)
    low, high = again.predict(np.array([[0.0]]))[1:]
    assert low[0] < high[0]


def test_vi_on_a_funnel_says_not_to_trust_it() -> None:
    graph, table = eight_schools(centred=True)
    summary = engine.run(graph, table, SETTINGS, seed=2).summary()
    assert not summary["converged"] and summary["pareto_k"] >= 0.7
    assert any("run NUTS instead" in w for w in summary["warnings"])
