"""Minimum bulk ESS per second on the kidiq regression, end to end, side by side.

    .venv/bin/python benchmarks/mcmc.py [--repeats 3] [--pymc /work/peers/pymc/bin/python]

The model (posteriordb kidiq-kidscore_momiq): kid_score ~ Normal(b1 + b2 * mom_iq, sigma)
with b1, b2 ~ Normal(0, 1000) (posteriordb uses flat priors; these are flat at the scale
of the posterior) and sigma ~ HalfCauchy(2.5). Three contenders, each timed from the
model's construction to its diagnostics (imports excluded):

* workbench — the graph compiled to one vectorised log-density, MAP start, four
  independent emcee ensembles run until emcee's convergence rule holds, ArviZ
  diagnostics (backends.mcmc.engine.run);
* per-walker emcee — the same sampler setup written the plain way, a Python
  log-probability called once per walker (vectorize=False), same diagnostics;
* PyMC NUTS — four chains of 1000 draws after 1000 tuning steps, run in its own
  interpreter (a separate venv) when --pymc points at one; skipped otherwise.

The figure of merit is the minimum bulk ESS over parameters divided by wall time.
The machine is shared: run several repeats and compare medians.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import emcee
import numpy as np
from scipy import optimize

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backends.graph.model import Graph, Node, Plate  # noqa: E402
from backends.mcmc import engine  # noqa: E402
from backends.mcmc.diagnostics import parameter_table  # noqa: E402
from backends.mcmc.sampler import stuck_walkers  # noqa: E402
from backends.runtime import ColumnTable  # noqa: E402

DATA = Path("/work/shared/datasets/posteriordb/kidiq-kidscore_momiq/data.json")


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
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
        default="/work/peers/pymc/bin/python",
        help="a python with pymc installed; empty to skip",
    )
    parser.add_argument("--json", action="store_true", help="print the raw rows as JSON")
    args = parser.parse_args()
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
