"""Attribution speed and accuracy, side by side with shap's KernelExplainer and
PermutationExplainer, in one run.

1. A GP on 1,000 rows with 10 features (ARD RBF, fixed hyperparameters; the numpy
   double from the tests, whose exact_shapley_data() has the engine's layout),
   background 100: exact closed-form attributions (mean only, and with their
   posterior covariance) against KernelExplainer and PermutationExplainer on the
   posterior mean. The reference is brute-force enumeration of all 2**10
   coalitions on a few rows.
2. The same GP with a Matern-5/2 kernel, which has no closed form: the product
   explains its predictive mean as a black box with the sampled estimator (one
   output; each model evaluation sums over the 1,000 training rows, so
   evaluations dominate everyone's cost), against the same peers; the reference
   is brute-force enumeration on every explained row.
3. Bayesian models with 64 posterior draws as outputs (10 features, background
   100), against the same peers on the same 64-output model: a logistic
   regression on the probability scale (our exact GLM enumeration from its
   coefficient draws), and a logistic model with an interaction (a black box: our
   exact enumeration and our sampled estimator, all draws per model call; the
   sampled one also prints its model evaluations per row and how its reported
   standard error compares with its actual error); and that black box at the
   posterior mean, one output (a point model), where KernelExplainer's own
   overhead is smaller and the ratio is nearer that of the model evaluations.

Error is per row max_j |phi_j - phi*_j| / max_j |phi*_j| (phi* exact). Timings
are medians over rows (the machine is shared; quote medians).

    .venv/bin/python benchmarks/explain.py [--rows 20] [--kernel-rows 3] [--perm-rows 5]
        [--black-box-rows 8] [--parts gp,matern,draws] [--mc-tolerance 0.01 0.005]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "backends" / "explain"))

from explain_doubles import NumpyMatern52GP, NumpyRBFGP  # noqa: E402

from backends.explain import exact_shapley  # noqa: E402
from backends.explain.gp_exact import RBFProductShapley  # noqa: E402
from backends.explain.linear import (  # noqa: E402
    linear_attributions,
    linear_response_attributions,
)
from backends.explain.sampled import sampled_shapley  # noqa: E402
from backends.explain.shap_backend import shap_attributions  # noqa: E402


def relative_error(values: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Per row (and output): max |error| over features / max |exact| over features."""
    return np.max(np.abs(values - truth), axis=1) / np.max(np.abs(truth), axis=1)


def timed_rows(fn, rows: np.ndarray) -> tuple[np.ndarray, float]:
    """Run fn on one row at a time; return stacked outputs and the median seconds per row."""
    outs, times = [], []
    for x in rows:
        start = time.perf_counter()
        outs.append(fn(x[None, :]))
        times.append(time.perf_counter() - start)
    return np.concatenate(outs), float(np.median(times))


def sampled_run(model, background: np.ndarray, tolerance: float, runs: list):
    """One row of the sampled estimator; keeps each run (evaluations, standard errors)."""

    def run(x: np.ndarray) -> np.ndarray:
        runs.append(sampled_shapley(model, x, background, tolerance=tolerance))
        return runs[-1].values

    return run


def peers(model, background: np.ndarray, rows: np.ndarray, kernel_rows: int, perm_rows: int):
    import shap

    kernel = shap.KernelExplainer(model, background)
    k_vals, k_time = timed_rows(
        lambda x: np.asarray(kernel.shap_values(x, silent=True)).reshape(1, x.shape[1], -1),
        rows[:kernel_rows],
    )
    permutation = shap.PermutationExplainer(
        model, shap.maskers.Independent(background, 1000), seed=0
    )
    p_vals, p_time = timed_rows(
        lambda x: np.asarray(permutation(x, silent=True).values).reshape(1, x.shape[1], -1),
        rows[:perm_rows],
    )
    return (k_vals, k_time), (p_vals, p_time)


def table(lines: list[tuple[str, int, float, np.ndarray | None]], reference: float) -> None:
    print("| method | rows | ms per row (median) | speed-up vs Kernel | error: median / max |")
    print("|---|---|---|---|---|")
    for name, n, seconds, err in lines:
        error = "exact" if err is None else f"{np.median(err):.2%} / {np.max(err):.2%}"
        ms = seconds * 1e3
        shown = f"{ms:.1f}" if ms >= 1 else f"{ms:.3f}"
        print(f"| {name} | {n} | {shown} | {reference / seconds:.0f}x | {error} |")


def gp_problem(n_rows: int):
    """The issue's GP data: 1,000 rows, 10 features, background 100; rows to explain."""
    rng = np.random.default_rng(0)
    n, d = 1000, 10
    X = rng.normal(size=(n, d))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, 2] + 0.3 * X[:, 3:].sum(1) + 0.1 * rng.normal(size=n)
    background = X[rng.choice(n, 100, replace=False)]
    rows = X[rng.choice(n, n_rows, replace=False)]
    return X, y, background, rows


def fixed_gp(kernel: type, X: np.ndarray, y: np.ndarray):
    """The numpy double with fixed hyperparameters (ARD lengthscales 1 to 4)."""
    return kernel(X, y, lengthscales=np.linspace(1.0, 4.0, X.shape[1]), outputscale=1.0, noise=0.01)


def gp_benchmark(args) -> None:
    X, y, background, rows = gp_problem(args.rows)
    gp = fixed_gp(NumpyRBFGP, X, y)
    n, d = X.shape

    start = time.perf_counter()
    explainer = RBFProductShapley(gp.exact_shapley_data(), background)
    setup = time.perf_counter() - start
    exact_vals, exact_time = timed_rows(
        lambda x: explainer.explain(x, covariance=False)["values"], rows
    )
    _, cov_time = timed_rows(
        lambda x: explainer.explain(x)["values"], rows[: max(3, args.rows // 4)]
    )
    brute_vals, brute_time = timed_rows(
        lambda x: exact_shapley(gp.posterior_mean, x, background)[0], rows[: args.brute_rows]
    )
    agreement = np.max(np.abs(brute_vals - exact_vals[: args.brute_rows]))
    (k_vals, k_time), (p_vals, p_time) = peers(
        gp.posterior_mean, background, rows, args.kernel_rows, args.perm_rows
    )
    print(f"\n## GP, {n} rows, {d} features, background {len(background)}\n")
    print(
        f"closed form vs brute-force enumeration: max abs difference {agreement:.1e} "
        f"({args.brute_rows} rows); one-off setup per background {setup * 1e3:.0f} ms\n"
    )
    table(
        [
            (
                "KernelExplainer (exact at D=10)",
                args.kernel_rows,
                k_time,
                relative_error(k_vals[..., 0], exact_vals[: args.kernel_rows]),
            ),
            (
                "PermutationExplainer (default 500 evals)",
                args.perm_rows,
                p_time,
                relative_error(p_vals[..., 0], exact_vals[: args.perm_rows]),
            ),
            ("brute-force enumeration (ours, black box)", args.brute_rows, brute_time, None),
            ("exact GP closed form, mean", args.rows, exact_time, None),
            ("exact GP closed form, mean + covariance", max(3, args.rows // 4), cov_time, None),
        ],
        k_time,
    )
    engine_gp_benchmark(args, X, y, background, rows)


def engine_gp_benchmark(args, X, y, background, rows) -> None:
    """The same data through the product's GP engine (gpytorch, hyperparameters
    fitted): KernelExplainer on the result's predictive mean, the function a user of
    shap would call, against the closed form on the result's exact_shapley_data()."""
    from backends.gp import engine, templates
    from backends.runtime import ColumnTable

    names = [f"x{j}" for j in range(X.shape[1])]
    columns = {**dict(zip(names, X.T, strict=True)), "y": y}
    data = ColumnTable(columns, dict.fromkeys(columns, "numeric"))
    graph = templates.gp_graph(data, "y", names, "gaussian", kernel=None)
    result = engine.run(graph, data, {"steps": 30, "restarts": 1}, device="cpu")

    def model(Z: np.ndarray) -> np.ndarray:
        return result.predict(Z)[0]

    explainer = RBFProductShapley(result.exact_shapley_data(), background)
    exact_vals, exact_time = timed_rows(
        lambda x: explainer.explain(x, covariance=False)["values"], rows
    )
    import shap

    kernel = shap.KernelExplainer(model, background)
    k_vals, k_time = timed_rows(
        lambda x: np.asarray(kernel.shap_values(x, silent=True)).reshape(1, x.shape[1]),
        rows[: args.kernel_rows],
    )
    print("\n### The same data through the GP engine (gpytorch, hyperparameters fitted)\n")
    table(
        [
            (
                "KernelExplainer on result.predict's mean",
                args.kernel_rows,
                k_time,
                relative_error(k_vals, exact_vals[: args.kernel_rows]),
            ),
            ("exact GP closed form, mean", args.rows, exact_time, None),
        ],
        k_time,
    )


def draws_benchmark(args) -> None:
    rng = np.random.default_rng(1)
    d, n_draws = 10, 64
    beta = rng.normal(size=(n_draws, d)) * 0.2 + rng.normal(size=d)
    intercept = rng.normal(size=n_draws) * 0.1
    gamma = rng.normal(size=n_draws) * 0.1 + 0.5
    terms = {"link": "logit", "intercept": intercept, "coefficients": beta}

    def logistic(Z: np.ndarray) -> np.ndarray:
        """Posterior draws of P(y=1 | x) of a Bayesian logistic regression, (m, n_draws)."""
        return 1 / (1 + np.exp(-(intercept[None, :] + Z @ beta.T)))

    def interacting(Z: np.ndarray) -> np.ndarray:
        """The same with an interaction x0*x1: no linear structure left to exploit."""
        eta = intercept[None, :] + Z @ beta.T + gamma[None, :] * (Z[:, :1] * Z[:, 1:2])
        return 1 / (1 + np.exp(-eta))

    def one_output(Z: np.ndarray) -> np.ndarray:
        """The interacting model at the posterior mean: one output, as a point model
        (a GAN's critic) or a GP explained through its mean gives."""
        eta = intercept.mean() + Z @ beta.mean(0) + gamma.mean() * (Z[:, 0] * Z[:, 1])
        return (1 / (1 + np.exp(-eta)))[:, None]

    X = rng.normal(size=(1000, d))
    background = X[:100]
    rows = X[100 : 100 + args.rows]
    for title, model, ours_name, ours_fn in [
        (
            "Bayesian logistic regression, probability scale",
            logistic,
            "ours: GLM enumeration from linear_terms (no model calls)",
            lambda x: np.moveaxis(linear_response_attributions(terms, x, background)[0], 0, -1),
        ),
        (
            "Bayesian logistic model with an interaction (black box)",
            interacting,
            "ours: exact enumeration, all draws per model call",
            lambda x: shap_attributions(interacting, x, background, method="enumeration").values,
        ),
        (
            "The same black box at the posterior mean (one output)",
            one_output,
            "ours: exact enumeration",
            lambda x: shap_attributions(one_output, x, background, method="enumeration").values,
        ),
    ]:
        ours, ours_time = timed_rows(ours_fn, rows)
        truth = shap_attributions(model, rows, background, method="enumeration").values
        (k_vals, k_time), (p_vals, p_time) = peers(
            model, background, rows, args.kernel_rows, args.perm_rows
        )
        outputs = truth.shape[-1]
        print(f"\n## {title}: {outputs} output(s), {d} features, background {len(background)}\n")
        lines = [
            (
                f"KernelExplainer, {outputs} output(s)",
                args.kernel_rows,
                k_time,
                relative_error(k_vals, truth[: args.kernel_rows]),
            ),
            (
                f"PermutationExplainer, {outputs} output(s)",
                args.perm_rows,
                p_time,
                relative_error(p_vals, truth[: args.perm_rows]),
            ),
            (ours_name, args.rows, ours_time, relative_error(ours, truth)),
        ]
        if model is logistic:
            _, link_time = timed_rows(lambda x: linear_attributions(terms, x, background)[0], rows)
            lines.append(
                ("ours: linear_terms, log-odds scale (exact, additive)", args.rows, link_time, None)
            )
        tolerances = args.mc_tolerance if model is not logistic else []
        sampled, notes = sampled_lines(model, background, rows, truth, tolerances)
        table(lines + sampled, k_time)
        for note in notes:
            print(f"- {note}")


def sampled_lines(model, background, rows, truth, tolerances):
    """Table lines of the sampled estimator at each tolerance, and a note on each:
    model evaluations per row and how its reported standard error held up."""
    lines, notes = [], []
    for tol in tolerances:
        runs: list = []
        values, seconds = timed_rows(sampled_run(model, background, tol, runs), rows)
        name = f"ours: sampled estimator, tolerance {tol * 100:g}%"
        lines.append((name, len(rows), seconds, relative_error(values, truth)))
        z = (values - truth) / np.concatenate([r.mc_error for r in runs])
        note = (
            f"{name}: {np.median([r.n_evals[0] for r in runs]):.0f} model evaluations per "
            f"row (enumeration: {2 ** rows.shape[1] * len(background)}); |error| <= 1.96 "
            f"reported SE for {np.mean(np.abs(z) <= 1.96):.1%} of values, RMS(error / SE) = "
            f"{np.sqrt(np.mean(z**2)):.2f}"
        )
        if truth.shape[-1] > 1:
            mean_err = relative_error(values.mean(-1), truth.mean(-1))
            note += (
                f"; error of the posterior-mean attribution (the mean over draws, the "
                f"panel's value): {np.median(mean_err):.2%} / {np.max(mean_err):.2%}"
            )
        notes.append(note)
    return lines, notes


def matern_benchmark(args) -> None:
    """The issue's GP with a Matern-5/2 kernel: no closed form, so the product explains
    its predictive mean as a black box (one output, evaluations dominate the cost)."""
    X, y, background, rows = gp_problem(args.black_box_rows)
    model = fixed_gp(NumpyMatern52GP, X, y).posterior_mean
    truth, brute_time = timed_rows(lambda x: exact_shapley(model, x, background)[0], rows)
    truth = truth[..., None]
    (k_vals, k_time), (p_vals, p_time) = peers(
        model, background, rows, args.kernel_rows, args.perm_rows
    )
    sampled, notes = sampled_lines(model, background, rows, truth, args.mc_tolerance)
    n, d = X.shape
    print(
        f"\n## GP with a Matern-5/2 kernel (a black box), {n} rows, {d} features, "
        f"background {len(background)}\n"
    )
    table(
        [
            (
                "KernelExplainer (exact at D=10)",
                args.kernel_rows,
                k_time,
                relative_error(k_vals, truth[: args.kernel_rows]),
            ),
            (
                "PermutationExplainer (default 500 evals)",
                args.perm_rows,
                p_time,
                relative_error(p_vals, truth[: args.perm_rows]),
            ),
            ("brute-force enumeration (ours, the reference)", len(rows), brute_time, None),
        ]
        + sampled,
        k_time,
    )
    for note in notes:
        print(f"- {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20, help="rows for the fast methods")
    parser.add_argument("--kernel-rows", type=int, default=2, help="rows for KernelExplainer")
    parser.add_argument("--perm-rows", type=int, default=5, help="rows for permutation methods")
    parser.add_argument(
        "--brute-rows", type=int, default=2, help="rows for brute-force enumeration"
    )
    parser.add_argument(
        "--black-box-rows", type=int, default=8, help="rows for the Matern GP (its reference costs)"
    )
    parser.add_argument(
        "--parts", default="gp,matern,draws", help="which parts to run: gp, matern, draws"
    )
    parser.add_argument(
        "--mc-tolerance",
        type=float,
        nargs="+",
        default=[0.01, 0.005],
        help="tolerances of the sampled estimator (relative standard error per draw)",
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    import shap

    # shap JIT-compiles with numba on first use; do it before anything is timed.
    shap.PermutationExplainer(lambda Z: Z[:, 0], np.zeros((2, 2)))(np.ones((1, 2)), silent=True)
    parts = args.parts.split(",")
    if "gp" in parts:
        gp_benchmark(args)
    if "matern" in parts:
        matern_benchmark(args)
    if "draws" in parts:
        draws_benchmark(args)


if __name__ == "__main__":
    main()
