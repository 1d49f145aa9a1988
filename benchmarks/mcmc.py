"""Minimum bulk ESS per second, end to end, side by side with PyMC.

    .venv/bin/python benchmarks/mcmc.py [--models kidiq hier radon] [--repeats 3]
        [--groups 50 200 1000] [--samplers nuts ensemble auto]
        [--pymc benchmarks/.peers/pymc/bin/python]

The figure of merit is the minimum bulk ESS over parameters divided by wall time.
The machine is shared: run several repeats and compare medians.

kidiq (the default model) is the regression of posteriordb kidiq-kidscore_momiq:
kid_score ~ Normal(b1 + b2 * mom_iq, sigma) with b1, b2 ~ Normal(0, 1000) (posteriordb
uses flat priors; these are flat at the scale of the posterior) and sigma ~
HalfCauchy(2.5). Three contenders, each timed from the model's construction to its
diagnostics (imports excluded):

* workbench — the graph compiled to one vectorised log-density, MAP start, four
  independent emcee ensembles run until emcee's convergence rule holds, ArviZ
  diagnostics (backends.mcmc.engine.run);
* per-walker emcee — the same sampler setup written the plain way, a Python
  log-probability called once per walker (vectorize=False), same diagnostics;
* PyMC NUTS — four chains of 1000 draws after 1000 tuning steps, run in its own
  interpreter (a separate venv) when --pymc points at one; skipped otherwise.

hier and radon are the hierarchical models of issue 16, each with G groups (--groups),
simulated with a fixed seed:

* hier, H(G): y ~ Normal(theta[group], 1), theta ~ Normal(mu, 2), mu ~ Normal(0, 10);
  4 rows per group (G = 50: 200 rows, 51 parameters). The posterior is exactly
  Gaussian; its mean and sd are computed here in closed form and every contender's
  posterior means are scored against them (max |mean - exact| / exact sd);
* radon: log_radon ~ Normal(a[county] + b[county] * floor, sigma) with a = mu_a +
  sigma_a * za, b = mu_b + sigma_b * zb, za, zb ~ Normal(0, 1) (the non-centred form,
  in both tools), mu_a, mu_b ~ Normal(0, 10), sigma_a, sigma_b ~ HalfNormal(1), sigma ~
  HalfNormal(5); 4 or 5 houses per county, floor 0/1 (2G + 5 parameters). Means are
  scored against PyMC + nutpie's (max |mean - nutpie's| / nutpie's sd).

Contenders: PyMC + nutpie (NUTS, numba backend), run in the peer venv's interpreter
and timed from the model's construction through nutpie's compilation and sampling to
ArviZ's ESS; and the engine (backends.mcmc.engine.run: compiling the graph, sampling,
diagnostics) once for each of --samplers, passed as the setting {"sampler": name}.
Until the engine has a "sampler" setting, only "ensemble" runs (the engine as it is)
and the others are skipped with a message. The ensemble sampler runs only at the G of
--ensemble-groups (it takes hours at G = 1000), capped by --ensemble-max-steps if
given (such rows are marked "capped").

The peer venv: see benchmarks/README.md and benchmarks/peers-requirements.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import emcee
import numpy as np
from scipy import optimize

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backends.graph.model import Graph, Node, Plate  # noqa: E402
from backends.graph.template_layout import Builder  # noqa: E402
from backends.mcmc import engine  # noqa: E402
from backends.mcmc.diagnostics import parameter_table  # noqa: E402
from backends.mcmc.sampler import stuck_walkers  # noqa: E402
from backends.runtime import ColumnTable  # noqa: E402

DATA = (
    Path(__file__).resolve().parents[2]
    / "shared/datasets/posteriordb/kidiq-kidscore_momiq/data.json"
)


def load(path: Path) -> tuple[np.ndarray, np.ndarray]:
    raw = json.loads(path.read_text())
    return np.asarray(raw["mom_iq"], float), np.asarray(raw["kid_score"], float)


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def workbench(x: np.ndarray, y: np.ndarray, walkers: int, processes: int, seed: int) -> dict:
    began, cpu = time.perf_counter(), cpu_seconds()
    graph = Graph()
    rows = graph.add_plate(Plate("rows"))
    prior = {"mu": "0", "sigma": "1000"}
    graph.add_node(Node("b1", "stochastic", distribution="Normal", params=prior))
    graph.add_node(Node("b2", "stochastic", distribution="Normal", params=prior))
    graph.add_node(Node("sigma", "stochastic", distribution="HalfCauchy", params={"sigma": "2.5"}))
    graph.add_node(Node("mom_iq", "data", columns=["mom_iq"], plate=rows.id))
    graph.add_node(
        Node(
            "kid_score",
            "observed",
            distribution="Normal",
            columns=["kid_score"],
            params={"mu": "b1 + b2 * mom_iq", "sigma": "sigma"},
            plate=rows.id,
        )
    )
    table = ColumnTable(
        {"mom_iq": x, "kid_score": y}, {"mom_iq": "numeric", "kid_score": "numeric"}
    )
    settings = {"walkers": walkers, "max_draws": 1_000_000, "ppc_draws": 0, "processes": processes}
    result = engine.run(graph, table, settings, seed=seed)
    seconds = time.perf_counter() - began
    summary = result.summary()
    params = summary["parameters"]
    where = f", {processes} processes" if processes > 1 else ""
    return _row(
        f"workbench ({walkers} walkers x 4{where})",
        seconds,
        cpu_seconds() - cpu,
        params,
        {"converged": summary["converged"], "steps": summary["steps"]},
    )


def per_walker_emcee(x: np.ndarray, y: np.ndarray, walkers: int, seed: int) -> dict:
    """The plain way: a Python function of one parameter vector, called per walker."""
    began, cpu = time.perf_counter(), cpu_seconds()

    def log_prob(theta: np.ndarray) -> float:
        b1, b2, log_sigma = theta
        sigma = np.exp(log_sigma)
        mu = b1 + b2 * x
        lp = -0.5 * (b1 / 1000) ** 2 - 0.5 * (b2 / 1000) ** 2
        lp += np.log(2 / np.pi / 2.5) - np.log1p((sigma / 2.5) ** 2) + log_sigma
        return lp - len(y) * log_sigma - 0.5 * np.sum(((y - mu) / sigma) ** 2)

    rng = np.random.default_rng(seed)
    mode = optimize.minimize(lambda t: -log_prob(t), np.array([0.0, 0.0, 1.0])).x
    draws = []
    for k in range(4):
        sampler = emcee.EnsembleSampler(walkers, 3, log_prob)
        sampler.random_state = np.random.RandomState(seed + k).get_state()
        start = mode + 1e-3 * rng.standard_normal((walkers, 3))
        steps, old = 0, np.inf
        while True:  # the same convergence rule as the engine: 50 tau, tau stable to 1%
            sampler.run_mcmc(start if steps == 0 else None, 100)
            steps += 100
            tau = np.max(sampler.get_autocorr_time(tol=0))
            if tau * 50 < steps and abs(old - tau) / tau < 0.01:
                break
            old = tau
        all_tau = sampler.get_autocorr_time(tol=0)
        good = np.setdiff1d(np.arange(walkers), stuck_walkers(sampler.acceptance_fraction))
        chain = sampler.get_chain(
            discard=int(2 * all_tau.max()), thin=max(1, int(all_tau.min() / 2))
        )
        draws.append(
            np.swapaxes(chain[:, good], 0, 1).reshape(-1, 3)
        )  # walker-major, as the engine
    keep = min(len(d) for d in draws)
    stacked = np.stack([d[-keep:] for d in draws])
    stacked[..., 2] = np.exp(stacked[..., 2])
    params = parameter_table(stacked, ["b1", "b2", "sigma"])
    name = f"per-walker emcee ({walkers} walkers x 4)"
    return _row(name, time.perf_counter() - began, cpu_seconds() - cpu, params, {})


PYMC_SCRIPT = r"""
import json, resource, sys, time
import numpy as np
raw = json.load(open(sys.argv[1]))
x, y = np.asarray(raw["mom_iq"], float), np.asarray(raw["kid_score"], float)
import pymc as pm, arviz as az

def cpu():
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

began, cpu0 = time.perf_counter(), cpu()
with pm.Model():
    b1 = pm.Normal("b1", 0, 1000)
    b2 = pm.Normal("b2", 0, 1000)
    sigma = pm.HalfCauchy("sigma", 2.5)
    pm.Normal("kid_score", b1 + b2 * x, sigma, observed=y)
    idata = pm.sample(1000, tune=1000, chains=4, cores=2, random_seed=int(sys.argv[2]),
                      progressbar=False, compute_convergence_checks=False)
ess = az.ess(idata, method="bulk")
seconds = time.perf_counter() - began
print(json.dumps({"seconds": seconds, "cpu": cpu() - cpu0,
                  "ess": {k: float(ess[k]) for k in ("b1", "b2", "sigma")},
                  "means": {k: float(idata.posterior[k].mean()) for k in ("b1", "b2", "sigma")},
                  "version": pm.__version__}))
"""


def pymc(python: str, data: Path, seed: int) -> dict | None:
    """PyMC in its own interpreter (its own venv); None with a note when it cannot run."""
    try:
        done = subprocess.run(
            [python, "-c", PYMC_SCRIPT, str(data), str(seed)],
            capture_output=True,
            text=True,
            timeout=1800,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"PyMC skipped: {exc}", file=sys.stderr)
        return None
    out = json.loads(done.stdout.strip().splitlines()[-1])
    params = {k: {"ess_bulk": v, "mean": out["means"][k]} for k, v in out["ess"].items()}
    name = f"PyMC {out['version']} NUTS (4 chains, 2 cores)"
    return _row(name, out["seconds"], out["cpu"], params, {})


def _row(name: str, seconds: float, cpu: float, params: dict, extra: dict) -> dict:
    min_ess = min(p["ess_bulk"] for p in params.values())
    return {
        "name": name,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "min_ess_bulk": min_ess,
        "ess_per_second": min_ess / seconds,
        "ess_per_cpu_second": min_ess / cpu,
        "means": {k: round(p["mean"], 3) for k, p in params.items()},
        **extra,
    }


def _line(run: dict) -> str:
    return (
        f"{run['name']:<46} {run['seconds']:6.1f} s wall {run['cpu_seconds']:6.1f} s CPU"
        f"  min ESS {run['min_ess_bulk']:7.0f}  {run['ess_per_second']:7.1f} ESS/s"
        f"  {run['ess_per_cpu_second']:7.1f} ESS/CPU-s  means {run['means']}"
    )


# --- hierarchical models (issue 16) -------------------------------------------------

DATA_SEED = 16  # with G, fixes every simulated data set
MU_SD, THETA_SD = 10.0, 2.0  # H(G)'s priors; its likelihood's sd is 1
ROWS_PER_GROUP = 4
GROUP_COLUMN = {"hier": "group", "radon": "county"}
HIDDEN = ("ess", "means", "sds", "parts")  # per-parameter figures, left out of --json lines
LEVEL = re.compile(r"\[g(\d+)\]")


def simulate(model: str, groups: int) -> dict[str, np.ndarray]:
    """The data of ``model`` with ``groups`` groups: integer group codes from 0, and
    the other columns."""
    rng = np.random.default_rng([DATA_SEED, groups, int(model == "radon")])
    if model == "hier":
        group = np.repeat(np.arange(groups), ROWS_PER_GROUP)
        theta = rng.normal(3.0, THETA_SD, groups)
        return {"group": group, "y": rng.normal(theta[group], 1.0)}
    county = np.repeat(np.arange(groups), rng.integers(4, 6, groups))  # 4 or 5 houses
    floor = (rng.random(county.size) < 0.3).astype(float)
    a = rng.normal(1.5, 0.35, groups)
    b = rng.normal(-0.65, 0.25, groups)
    return {
        "county": county,
        "floor": floor,
        "log_radon": rng.normal(a[county] + b[county] * floor, 0.75),
    }


def exact_posterior(data: dict[str, np.ndarray]) -> tuple[dict[str, float], dict[str, float]]:
    """H(G)'s posterior means and sds in closed form.

    With theta integrated out each group's mean is ybar_j ~ Normal(mu, 2² + 1/n_j), so
    mu's posterior is a conjugate Normal update; given mu, theta_j is Normal with
    precision n_j + 1/2² and mean (n_j ybar_j + mu / 2²) / precision, and the laws of
    total expectation and variance give theta_j's marginal mean and variance."""
    group, y = data["group"], data["y"]
    n = np.bincount(group).astype(float)
    ybar = np.bincount(group, weights=y) / n
    weight = 1.0 / (THETA_SD**2 + 1.0 / n)
    mu_var = 1.0 / (1.0 / MU_SD**2 + weight.sum())
    mu_mean = mu_var * (weight * ybar).sum()
    precision = n + 1.0 / THETA_SD**2
    shrink = 1.0 / THETA_SD**2 / precision
    theta_mean = n * ybar / precision + shrink * mu_mean
    theta_sd = np.sqrt(1.0 / precision + shrink**2 * mu_var)
    means = {"mu": float(mu_mean)} | {f"theta[{j}]": float(m) for j, m in enumerate(theta_mean)}
    sds = {"mu": float(np.sqrt(mu_var))} | {f"theta[{j}]": float(s) for j, s in enumerate(theta_sd)}
    return means, sds


def hier_graph() -> Graph:
    """H(G) as an analyst draws it: theta in a plate over the group column."""
    build = Builder()
    groups = build.graph.add_plate(Plate("groups", over="group", index="j"))
    build.add("mu", "stochastic", "prior", distribution="Normal", params={"mu": "0", "sigma": "10"})
    build.add(
        "theta",
        "stochastic",
        "group",
        groups,
        distribution="Normal",
        params={"mu": "mu", "sigma": "2"},
    )
    build.add(
        "y",
        "observed",
        "observed",
        build.rows,
        distribution="Normal",
        columns=["y"],
        params={"mu": "theta[group]", "sigma": "1"},
    )
    return build.finish()


def radon_graph() -> Graph:
    """Varying intercepts and slopes per county, non-centred (a = mu_a + sigma_a * za)."""
    build = Builder()
    counties = build.graph.add_plate(Plate("counties", over="county", index="j"))
    for name in ("mu_a", "mu_b"):
        build.add(
            name, "stochastic", "prior", distribution="Normal", params={"mu": "0", "sigma": "10"}
        )
    for name, scale in (("sigma_a", "1"), ("sigma_b", "1"), ("sigma", "5")):
        build.add(name, "stochastic", "prior", distribution="HalfNormal", params={"sigma": scale})
    for name in ("za", "zb"):
        build.add(
            name,
            "stochastic",
            "group",
            counties,
            distribution="Normal",
            params={"mu": "0", "sigma": "1"},
        )
    build.add("a", "deterministic", "group", counties, expression="mu_a + sigma_a * za")
    build.add("b", "deterministic", "group", counties, expression="mu_b + sigma_b * zb")
    build.add("floor", "data", "row", build.rows, columns=["floor"])
    build.add(
        "log_radon",
        "observed",
        "observed",
        build.rows,
        distribution="Normal",
        columns=["log_radon"],
        params={"mu": "a[county] + b[county] * floor", "sigma": "sigma"},
    )
    return build.finish()


GRAPHS = {"hier": hier_graph, "radon": radon_graph}


def table_of(model: str, data: dict[str, np.ndarray]) -> ColumnTable:
    """The data as the project's table: groups as a categorical column of labels
    g0000, g0001, ... (sorted as the codes are, so the engine's levels keep their order)."""
    group = GROUP_COLUMN[model]
    columns = {k: v for k, v in data.items() if k != group}
    types = dict.fromkeys(columns, "numeric")
    columns[group] = np.array([f"g{code:04d}" for code in data[group]], dtype=object)
    types[group] = "categorical"
    return ColumnTable(columns, types)


def has_sampler_setting() -> bool:
    return any(s.name == "sampler" for s in engine.SETTINGS)


def workbench_hierarchical(
    model: str, data: dict[str, np.ndarray], sampler: str, settings: dict, seed: int
) -> dict:
    """The engine end to end: building the graph, then engine.run (compiling, sampling,
    diagnostics)."""
    began, cpu = time.perf_counter(), cpu_seconds()
    graph = GRAPHS[model]()
    result = engine.run(graph, table_of(model, data), settings, seed=seed)
    seconds = time.perf_counter() - began
    summary = result.summary()
    params = {LEVEL.sub(lambda m: f"[{int(m[1])}]", k): v for k, v in summary["parameters"].items()}
    notes = ["converged" if summary["converged"] else "NOT converged"]
    if "max_steps" in settings:
        notes.append(f"capped at {settings['max_steps']} steps ({summary.get('steps')} taken)")
    if summary.get("sampler") not in (None, sampler):
        notes.append(f"ran {summary['sampler']}")
    return {
        "tool": "workbench",
        "sampler": sampler if has_sampler_setting() else f"{sampler} (current engine)",
        "seconds": seconds,
        "cpu_seconds": cpu_seconds() - cpu,
        "ess": {k: p["ess_bulk"] or 0.0 for k, p in params.items()},
        "means": {k: p["mean"] for k, p in params.items()},
        "sds": {k: p["sd"] for k, p in params.items()},
        "note": "; ".join(notes),
    }


NUTPIE_SCRIPT = r"""
import json, resource, sys, time
import numpy as np
data = dict(np.load(sys.argv[1]))
opts = json.loads(sys.argv[2])
import arviz as az, numba, nutpie, pymc as pm, pytensor

def cpu():
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

began, cpu0 = time.perf_counter(), cpu()
with pm.Model() as model:
    if opts["model"] == "hier":
        g = data["group"]
        mu = pm.Normal("mu", 0, 10)
        theta = pm.Normal("theta", mu, 2, shape=int(g.max()) + 1)
        pm.Normal("y", theta[g], 1, observed=data["y"])
    else:
        c = data["county"]
        mu_a, mu_b = pm.Normal("mu_a", 0, 10), pm.Normal("mu_b", 0, 10)
        sigma_a, sigma_b = pm.HalfNormal("sigma_a", 1), pm.HalfNormal("sigma_b", 1)
        sigma = pm.HalfNormal("sigma", 5)
        za = pm.Normal("za", 0, 1, shape=int(c.max()) + 1)
        zb = pm.Normal("zb", 0, 1, shape=int(c.max()) + 1)
        a, b = mu_a + sigma_a * za, mu_b + sigma_b * zb
        pm.Normal("log_radon", a[c] + b[c] * data["floor"], sigma, observed=data["log_radon"])
compiled = nutpie.compile_pymc_model(model)
compiled_at = time.perf_counter()
idata = nutpie.sample(compiled, chains=opts["chains"], cores=opts["cores"], seed=opts["seed"],
                      tune=opts["tune"], draws=opts["draws"], progress_bar=False)
sampled_at = time.perf_counter()
names = [rv.name for rv in model.free_RVs]
ess = az.ess(idata, method="bulk", var_names=names)
seconds = time.perf_counter() - began
post = idata.posterior
esses, means, sds = {}, {}, {}
for name in names:
    values = post[name].values.reshape(post.sizes["chain"] * post.sizes["draw"], -1)
    labels = [name] if post[name].ndim == 2 else [f"{name}[{j}]" for j in range(values.shape[1])]
    means.update(zip(labels, values.mean(axis=0).tolist()))
    sds.update(zip(labels, values.std(axis=0, ddof=1).tolist()))
    esses.update(zip(labels, np.ravel(ess[name].values).tolist()))
print(json.dumps({
    "seconds": seconds, "cpu": cpu() - cpu0,
    "compile_seconds": compiled_at - began, "sample_seconds": sampled_at - compiled_at,
    "ess": esses, "means": means, "sds": sds,
    "divergences": int(idata.sample_stats["diverging"].sum()),
    "chains": int(post.sizes["chain"]), "draws": int(post.sizes["draw"]),
    "versions": {m.__name__: m.__version__ for m in (pm, nutpie, pytensor, numba, az, np)},
}))
"""


def nutpie_peer(
    python: str, model: str, data: dict[str, np.ndarray], seed: int, args: argparse.Namespace
) -> dict | None:
    """PyMC + nutpie in the peer venv's interpreter; None with a note when it cannot run."""
    opts = {
        "model": model,
        "seed": seed,
        "chains": args.peer_chains,
        "cores": args.peer_cores,
        "tune": args.peer_tune,
        "draws": args.peer_draws,
    }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.npz"
        np.savez(path, **data)
        try:
            done = subprocess.run(
                [python, "-c", NUTPIE_SCRIPT, str(path), json.dumps(opts)],
                capture_output=True,
                text=True,
                timeout=3600,
                check=True,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            detail = (getattr(exc, "stderr", None) or "").strip().splitlines()[-1:]
            print(f"PyMC + nutpie skipped ({model}): {exc} {' '.join(detail)}", file=sys.stderr)
            return None
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "tool": "PyMC+nutpie",
        "sampler": f"nutpie NUTS ({out['chains']} x {out['draws']}, {args.peer_cores} cores)",
        "seconds": out["seconds"],
        "cpu_seconds": out["cpu"],
        "ess": out["ess"],
        "means": out["means"],
        "sds": out["sds"],
        "note": _peer_note([out]),
        "parts": {k: out[k] for k in ("compile_seconds", "sample_seconds", "divergences")},
        "versions": out["versions"],
    }


def _peer_note(parts: list[dict]) -> str:
    """Where the peer's time went (medians over its runs) and its divergences (all runs)."""
    return (
        f"compile {statistics.median(p['compile_seconds'] for p in parts):.1f} s, sample "
        f"{statistics.median(p['sample_seconds'] for p in parts):.1f} s, "
        f"{sum(p['divergences'] for p in parts)} divergences"
    )


def max_error(means: dict[str, float], reference: tuple[dict, dict]) -> float:
    """max |mean - reference mean| / reference sd over the reference's parameters."""
    ref_means, ref_sds = reference
    return max(abs(means[k] - ref_means[k]) / ref_sds[k] for k in ref_means)


def peer_reference(runs: list[dict]) -> tuple[dict, dict]:
    """The peer's means and sds averaged over its repeats."""
    keys = runs[0]["means"]
    return (
        {k: float(np.mean([r["means"][k] for r in runs])) for k in keys},
        {k: float(np.mean([r["sds"][k] for r in runs])) for k in keys},
    )


def _hier_line(run: dict) -> str:
    error = "" if run.get("error") is None else f"  max |mean err|/sd {run['error']:.3f}"
    return (
        f"{run['model']:<5} G={run['groups']:<5} {run['tool']:<11} {run['sampler']:<36}"
        f" {run['seconds']:7.1f} s  min ESS {run['min_ess_bulk']:7.0f}"
        f" ({run['min_at']})  {run['ess_per_second']:8.2f} ESS/s{error}  {run['note']}"
    )


def _median_table(runs: list[dict]) -> list[str]:
    """One markdown row per (model, G, tool, sampler): medians over repeats."""
    keyed: dict[tuple, list[dict]] = {}
    for run in runs:
        keyed.setdefault((run["model"], run["groups"], run["tool"], run["sampler"]), []).append(run)
    peer_rate = {
        (m, g): statistics.median(r["ess_per_second"] for r in rs)
        for (m, g, tool, _), rs in keyed.items()
        if tool == "PyMC+nutpie"
    }
    lines = [
        "| model | G | tool | sampler | repeats | seconds | min bulk ESS | ESS/s | × PyMC+nutpie "
        "| max \\|mean err\\|/sd | note |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for (model, groups, tool, sampler), rs in keyed.items():
        rate = statistics.median(r["ess_per_second"] for r in rs)
        peer = peer_rate.get((model, groups))
        errors = [r["error"] for r in rs if r.get("error") is not None]
        if errors:
            error = f"{statistics.median(errors):.3f}"
        else:
            error = "reference" if tool == "PyMC+nutpie" else "—"
        if tool == "PyMC+nutpie":
            note = _peer_note([r["parts"] for r in rs])
        else:
            note = " / ".join(sorted({r["note"] for r in rs}))
        lines.append(
            f"| {model} | {groups} | {tool} | {sampler} | {len(rs)}"
            f" | {statistics.median(r['seconds'] for r in rs):.1f}"
            f" | {statistics.median(r['min_ess_bulk'] for r in rs):.0f} | {rate:.2f}"
            f" | {f'{rate / peer:.3f}' if peer else '—'} | {error} | {note} |"
        )
    return lines


def hierarchical_benchmark(args: argparse.Namespace, models: list[str]) -> None:
    extra = dict(item.split("=", 1) for item in args.set)
    samplers = list(args.samplers)
    if not has_sampler_setting():
        skipped = [s for s in samplers if s != "ensemble"]
        if skipped:
            print(
                f"the engine has no 'sampler' setting yet: workbench {', '.join(skipped)} "
                "skipped; 'ensemble' runs the engine as it is",
                flush=True,
            )
        samplers = [s for s in samplers if s == "ensemble"]
    peer = args.pymc if args.pymc and Path(args.pymc).exists() else ""
    if args.pymc and not peer:
        print(f"PyMC + nutpie skipped: no interpreter at {args.pymc}", flush=True)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    datasets = {(m, g): simulate(m, g) for m in models for g in args.groups}
    exact = {(m, g): exact_posterior(d) for (m, g), d in datasets.items() if m == "hier"}
    runs: list[dict] = []
    for repeat in range(args.repeats):
        for (model, groups), data in datasets.items():
            contenders: list[tuple] = []
            if peer:
                contenders.append((nutpie_peer, (peer, model, data, repeat, args)))
            for sampler in samplers:
                if sampler == "ensemble" and groups not in args.ensemble_groups:
                    continue
                settings = {"ppc_draws": 0, **extra}
                if has_sampler_setting():
                    settings["sampler"] = sampler
                if sampler == "ensemble" and args.ensemble_max_steps:
                    settings["max_steps"] = args.ensemble_max_steps
                contenders.append(
                    (workbench_hierarchical, (model, data, sampler, settings, repeat))
                )
            for function, arguments in contenders:
                run = function(*arguments)
                if run is None:
                    continue
                lowest = min(run["ess"], key=run["ess"].get)
                run |= {
                    "model": model,
                    "groups": groups,
                    "repeat": repeat,
                    "min_ess_bulk": run["ess"][lowest],
                    "min_at": lowest,
                    "ess_per_second": run["ess"][lowest] / run["seconds"],
                    "error": max_error(run["means"], exact[model, groups])
                    if model == "hier"
                    else None,
                }
                runs.append(run)
                if args.json:
                    print(json.dumps({k: v for k, v in run.items() if k not in HIDDEN}))
                else:
                    print(_hier_line(run), flush=True)
    for model, groups in datasets:  # radon's reference: the peer's means over its repeats
        mine = [r for r in runs if r["model"] == model and r["groups"] == groups]
        peers = [r for r in mine if r["tool"] == "PyMC+nutpie"]
        if model == "hier" or not peers:
            continue
        reference = peer_reference(peers)
        for run in mine:
            if run["tool"] != "PyMC+nutpie":
                run["error"] = max_error(run["means"], reference)
    print(f"\nload average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    versions = next((r["versions"] for r in runs if "versions" in r), None)
    if versions:
        print("peer versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print(f"medians over {args.repeats} repeat(s):\n")
    print("\n".join(_median_table(runs)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--models",
        nargs="+",
        choices=["kidiq", *GRAPHS],
        default=["kidiq"],
        help="kidiq (the regression), hier (H(G)), radon (varying intercept and slope)",
    )
    parser.add_argument("--data", type=Path, default=DATA, help="kidiq's data")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--walkers", type=int, nargs="+", default=[256, 512])
    parser.add_argument(
        "--processes",
        type=int,
        default=2,
        help="also run the engine with this many worker processes (1: skip)",
    )
    parser.add_argument("--plain-walkers", type=int, default=32)
    parser.add_argument(
        "--pymc",
        default=str(Path(__file__).resolve().parent / ".peers" / "pymc" / "bin" / "python"),
        help="a python with pymc and nutpie (benchmarks/peers-requirements.txt); empty to skip",
    )
    parser.add_argument("--json", action="store_true", help="print the raw rows as JSON")
    hier = parser.add_argument_group("hier and radon")
    hier.add_argument("--groups", type=int, nargs="+", default=[50, 200, 1000])
    hier.add_argument(
        "--samplers",
        nargs="*",
        default=["nuts", "ensemble", "auto"],
        help="the engine's samplers to run (the setting 'sampler'); none: the peer only",
    )
    hier.add_argument(
        "--ensemble-groups",
        type=int,
        nargs="*",
        default=[50],
        help="the G at which the ensemble sampler runs (it takes hours at G = 1000)",
    )
    hier.add_argument(
        "--ensemble-max-steps",
        type=int,
        default=0,
        help="cap the ensemble sampler's steps per ensemble (0: the engine's default)",
    )
    hier.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="another engine setting for every sampler (repeatable)",
    )
    hier.add_argument("--peer-chains", type=int, default=4)
    hier.add_argument("--peer-cores", type=int, default=2)
    hier.add_argument("--peer-tune", type=int, default=None, help="default: nutpie's (400)")
    hier.add_argument("--peer-draws", type=int, default=None, help="default: nutpie's (1000)")
    args = parser.parse_args()
    if "kidiq" in args.models:
        kidiq_benchmark(args)
    hierarchical = [m for m in args.models if m != "kidiq"]
    if hierarchical:
        hierarchical_benchmark(args, hierarchical)


def kidiq_benchmark(args: argparse.Namespace) -> None:
    x, y = load(args.data)
    rows: dict[str, list[dict]] = {}
    for repeat in range(args.repeats):
        contenders = [(workbench, (x, y, w, 1, repeat)) for w in args.walkers]
        if args.processes > 1:
            contenders.append((workbench, (x, y, max(args.walkers), args.processes, repeat)))
        contenders.append((per_walker_emcee, (x, y, args.plain_walkers, repeat)))
        if args.pymc and Path(args.pymc).exists():
            contenders.append((pymc, (args.pymc, args.data, repeat)))
        for function, arguments in contenders:
            run = function(*arguments)
            if run is None:
                continue
            rows.setdefault(run["name"], []).append(run)
            print(json.dumps(run) if args.json else _line(run), flush=True)
    print(f"\nmedians over {args.repeats} repeat(s):")
    rates = {
        name: (
            statistics.median(r["ess_per_second"] for r in runs),
            statistics.median(r["ess_per_cpu_second"] for r in runs),
        )
        for name, runs in rows.items()
    }
    pymc_rate = next((v for k, v in rates.items() if k.startswith("PyMC")), None)
    for name, (rate, cpu_rate) in rates.items():
        versus = ""
        if pymc_rate:
            versus = (
                f"  = {rate / pymc_rate[0]:5.1f} x PyMC (wall), "
                f"{cpu_rate / pymc_rate[1]:5.1f} x (CPU)"
            )
        print(f"  {name:<46} {rate:8.1f} ESS/s {cpu_rate:8.1f} ESS/CPU-s{versus}")


if __name__ == "__main__":
    main()
