"""NUTS on drawn models, checked against exact posteriors and known failures.

Exact Gaussian posteriors (a hierarchical model with known scales, a regression
with correlated inputs) give the truth in closed form: means must sit within
their Monte Carlo error, sds within 10%, R-hat below 1.01. Eight schools in the
centred form is the classic funnel: NUTS must report its divergences and name
the fix; the non-centred form must sample cleanly.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from backends.mcmc import engine
from backends.mcmc.result import load_result
from backends.mcmc.samplers import ENSEMBLE_MAX_PARAMETERS, choose_sampler
from backends.runtime import CancelToken, RunCancelled
from tests.backends.mcmc.models import (
    correlated_regression,
    eight_schools,
    flat_kidiq,
    hierarchical,
)

QUICK_MAP = {"map_restarts": 1, "ppc_draws": 20}


def assert_matches(summary: dict, mean: np.ndarray, cov: np.ndarray) -> None:
    rows = list(summary["parameters"].values())
    got = np.array([r["mean"] for r in rows])
    mcse = np.array([r["mcse_mean"] for r in rows])
    sd = np.array([r["sd"] for r in rows])
    z = np.abs(got - mean) / mcse
    # within 3 MCSE, allowing the few exceedances that chance gives among many parameters
    assert np.mean(z < 3) >= 0.95 and z.max() < 4.5, np.sort(z)[-5:]
    np.testing.assert_allclose(sd, np.sqrt(np.diag(cov)), rtol=0.10)
    assert max(r["r_hat"] for r in rows) < 1.01
    assert summary["converged"], summary["warnings"]


@pytest.mark.parametrize("sampler", ["nuts", "auto"])
def test_nuts_recovers_an_exact_hierarchical_posterior_in_10_dimensions(sampler: str) -> None:
    graph, table, mean, cov = hierarchical(9)
    result = engine.run(graph, table, {"sampler": sampler, **QUICK_MAP}, seed=1)
    summary = result.summary()
    assert summary["sampler"] == "nuts"
    assert_matches(summary, mean, cov)
    assert summary["divergences"] == 0


def test_nuts_recovers_an_exact_hierarchical_posterior_in_100_dimensions() -> None:
    graph, table, mean, cov = hierarchical(99)
    summary = engine.run(graph, table, {"sampler": "auto", **QUICK_MAP}, seed=2).summary()
    assert summary["sampler"] == "nuts" and "100 parameters" in summary["sampler_reason"]
    assert_matches(summary, mean, cov)


@pytest.mark.slow
def test_nuts_recovers_an_exact_hierarchical_posterior_in_500_dimensions() -> None:
    graph, table, mean, cov = hierarchical(499)
    summary = engine.run(graph, table, {"sampler": "auto", **QUICK_MAP}, seed=3).summary()
    assert_matches(summary, mean, cov)


@pytest.mark.parametrize("sampler", ["nuts", "auto"])
def test_nuts_recovers_a_correlated_gaussian_posterior(sampler: str) -> None:
    graph, table, mean, cov = correlated_regression()
    result = engine.run(graph, table, {"sampler": sampler, **QUICK_MAP}, seed=4)
    summary = result.summary()
    assert summary["sampler"] == "nuts"
    assert_matches(summary, mean, cov)
    draws = result.draws.reshape(-1, result.draws.shape[-1])
    corr = np.corrcoef(draws.T)
    exact = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    assert np.abs(corr - exact).max() < 0.08  # about 5 sds of a correlation from 4000 draws


def test_the_ensemble_at_100_dimensions_matches_or_says_it_has_not_converged() -> None:
    graph, table, mean, cov = hierarchical(99)
    settings = {"sampler": "ensemble", "max_steps": 500, "check_every": 250, **QUICK_MAP}
    summary = engine.run(graph, table, settings, seed=5).summary()
    if summary["converged"]:
        assert_matches(summary, mean, cov)
    else:
        assert any("convergence rule" in w or "R-hat" in w for w in summary["warnings"])


@pytest.fixture(scope="module")
def eight_schools_runs() -> dict[str, dict]:
    out = {}
    for centred in (True, False):
        graph, table = eight_schools(centred)
        result = engine.run(graph, table, {"sampler": "auto", **QUICK_MAP}, seed=6)
        out["centred" if centred else "non-centred"] = result.summary()
    return out


def test_centred_eight_schools_reports_divergences_and_names_the_funnel(eight_schools_runs) -> None:
    summary = eight_schools_runs["centred"]
    assert summary["sampler"] == "nuts"
    assert summary["divergences"] > 40  # more than 0.5% of the 8000 draws
    assert not summary["converged"]
    text = " ".join(summary["warnings"])
    assert "divergent" in text and "near small tau" in text
    assert "funnel" in text and "non-centred" in text
    assert summary["funnel"] == {"node": "theta", "scale": "tau"}


def test_non_centred_eight_schools_samples_cleanly_and_agrees_with_the_reference(
    eight_schools_runs,
) -> None:
    summary = eight_schools_runs["non-centred"]
    assert summary["sampler"] == "nuts"
    # a few isolated divergences remain at target_accept 0.8 (as in Stan and PyMC; the
    # warning stands and suggests raising it), but no centred node is left to blame
    assert summary["divergences"] <= 8 < eight_schools_runs["centred"]["divergences"] / 5
    assert summary["funnel"] is None
    assert not any("funnel" in w for w in summary["warnings"])
    assert all(p["r_hat"] < 1.01 for p in summary["parameters"].values())
    # posteriordb's reference posterior: mu about 4.4 (sd 3.3), tau about 3.6 (sd 3.2)
    params = summary["parameters"]
    assert abs(params["mu"]["mean"] - 4.4) < 4 * params["mu"]["mcse_mean"] + 0.2
    assert abs(params["tau"]["mean"] - 3.6) < 4 * params["tau"]["mcse_mean"] + 0.2
    assert "theta[school 1]" in summary["derived"]


def test_auto_keeps_the_ensemble_for_small_models_and_says_why() -> None:
    small = choose_sampler("auto", ENSEMBLE_MAX_PARAMETERS)
    large = choose_sampler("auto", ENSEMBLE_MAX_PARAMETERS + 1)
    assert small.name == "ensemble" and large.name == "nuts"
    assert str(ENSEMBLE_MAX_PARAMETERS) in small.reason
    assert choose_sampler("vi", 3).name == "vi"


def test_a_nuts_result_saves_its_sampler_statistics_and_predicts() -> None:
    graph, table, _, _ = hierarchical(9)
    settings = {"sampler": "nuts", "chains": 2, "tune": 200, "draws": 200, **QUICK_MAP}
    result = engine.run(graph, table, settings, seed=8)
    state = result.to_state()
    again = load_result(state)
    assert again.summary() == result.summary()
    for name in ("diverging", "tree_depth", "energy", "step_size"):
        np.testing.assert_array_equal(again.arrays[name], result.arrays[name])
    assert result.arrays["diverging"].shape == (2, 200)
    X = np.array([[0.0], [3.0]])
    mean, lower, upper = again.predict(X)
    assert np.all(lower < mean) and np.all(mean < upper)
    json.dumps(result.summary())


def test_progress_counts_draws_over_all_chains() -> None:
    graph, table, _, _ = hierarchical(9)
    records = []
    settings = {"sampler": "nuts", "chains": 2, "tune": 100, "draws": 100, **QUICK_MAP}
    engine.run(graph, table, settings, seed=9, progress=records.append)
    sampling = [r for r in records if r.message == "sampling (NUTS)"]
    assert sampling and all(r.total == 400 for r in sampling)
    assert all(0 <= r.step <= 400 for r in sampling)


def test_stop_ends_a_nuts_run_within_a_second() -> None:
    graph, table, _, _ = hierarchical(99)
    token = CancelToken()
    outcome: dict[str, float] = {}
    started = threading.Event()

    def progress(record) -> None:
        if record.message == "sampling (NUTS)":
            started.set()

    def work() -> None:
        try:
            engine.run(
                graph,
                table,
                {"sampler": "nuts", "draws": 100_000, **QUICK_MAP},
                progress=progress,
                cancel=token,
            )
        except RunCancelled:
            outcome["cancelled_at"] = time.monotonic()

    thread = threading.Thread(target=work)
    thread.start()
    assert started.wait(timeout=60)
    token.cancel()
    asked = time.monotonic()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert outcome["cancelled_at"] - asked < 1.0


def test_flat_uniform_priors_on_kidiq_sample_correctly_with_nuts() -> None:
    """Issue 16's wide-prior case: Uniform(-1e8, 1e8) on the coefficients, a "flat"
    prior whose posterior is 1e-9 wide on the logit scale. Truth: least squares."""
    graph, table, coef, _ = flat_kidiq()
    summary = engine.run(graph, table, {"sampler": "nuts", **QUICK_MAP}, seed=10).summary()
    intercept, slope = coef
    params = summary["parameters"]
    assert abs(params["b1"]["mean"] - slope) < 4 * params["b1"]["mcse_mean"] + 0.005
    assert abs(params["b0"]["mean"] - intercept) < 4 * params["b0"]["mcse_mean"] + 0.5
    assert params["b1"]["sd"] == pytest.approx(0.06, rel=0.1)
    assert summary["converged"] and summary["divergences"] == 0, summary["warnings"]


def test_the_eight_schools_example_agrees_between_nuts_and_the_ensemble() -> None:
    """The example now runs with NUTS under auto (10 parameters); its numbers must agree
    with the ensemble's, which ran it before, within their Monte Carlo errors."""
    from workbench.project import load_project

    examples = Path(__file__).resolve().parents[3] / "resources" / "examples"
    project = load_project(examples / "eight-schools.wbproj")
    table = project.dataset.column_table()
    nuts = engine.run(project.graph, table, {"sampler": "auto", **QUICK_MAP}, seed=11).summary()
    ensemble_settings = {"sampler": "ensemble", "max_steps": 4000, **QUICK_MAP}
    ensemble = engine.run(project.graph, table, ensemble_settings, seed=11).summary()
    assert nuts["sampler"] == "nuts" and ensemble["sampler"] == "ensemble"
    for name, row in nuts["parameters"].items():
        other = ensemble["parameters"][name]
        error = np.hypot(row["mcse_mean"], other["mcse_mean"])
        assert abs(row["mean"] - other["mean"]) < 4 * error, name
