"""Starting models: a graph built from the roles the analyst gives to columns.

Each template takes the table, a target column, input columns and an optional
grouping column, and returns a laid-out Graph with weakly informative default
priors scaled to the data, in the spirit of rstanarm's defaults:

* inputs are standardised inside the model (the data node carries
  ``options["standardize"]``; the centre and scale are taken on the training
  rows, stored with the result, and applied again to new rows by ``predict``),
  so that one prior scale suits every coefficient;
* coefficients get Normal(0, 2.5·sd(y)) for a numeric target and Normal(0, 2.5)
  on the log-odds or log-rate scale; scales get Exponential(1/sd(y)).

Each prior's description says what it is and why, for the inspector and the
report. The canvas layout is described in ``template_layout``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from backends.graph.model import Graph, Plate
from backends.graph.template_layout import Builder
from backends.runtime import ColumnTable, EngineError

NUMERIC_TYPES = ("numeric", "integer", "boolean")

Template = Callable[[ColumnTable, "str | None", "list[str]", "str | None"], Graph]


def _nice(x: float) -> str:
    """A number rounded to 3 significant digits, as expression text."""
    if x == 0 or not math.isfinite(x):
        return "0"
    digits = 2 - int(math.floor(math.log10(abs(x))))
    return f"{round(x, digits):g}"


def _numeric(table: ColumnTable, column: str | None, role: str) -> np.ndarray:
    if not column:
        raise EngineError(f"this template needs a {role} column")
    if column not in table:
        raise EngineError(f"the table has no column {column!r} (the {role})")
    if table.types.get(column) not in NUMERIC_TYPES:
        raise EngineError(f"the {role} column {column!r} is {table.types.get(column)}, not numeric")
    values = np.asarray(table[column], dtype=float)
    values = values[~np.isnan(values)]
    if values.size < 2:
        raise EngineError(f"the {role} column {column!r} has fewer than two values")
    return values


def _require(table: ColumnTable, column: str, ok: np.ndarray, need: str) -> None:
    """Refuse a target some of whose values (``ok`` False, missing ones aside) are not
    ``need``, naming the first rows as the table numbers them."""
    values = np.asarray(table[column], dtype=float)
    bad = ~np.isnan(values) & ~ok
    if bad.any():
        verb = "does" if bad.sum() == 1 else "do"
        raise EngineError(
            f"the target {column!r} must hold {need}: {table.rows_text(bad, values)} {verb} not"
        )


def _check_inputs(table: ColumnTable, inputs: list[str], target: str, need: bool) -> None:
    if need and not inputs:
        raise EngineError("this template needs at least one input column")
    for column in inputs:
        if column == target:
            raise EngineError(f"{column!r} cannot be both the target and an input")
        _numeric(table, column, "input")


def _linear_predictor(
    b: Builder, inputs: list[str], intercept: str, coef_sd: str, what: str
) -> str:
    """Add the standardised inputs and their coefficients; return the predictor text."""
    if not inputs:
        return intercept
    x = b.add(
        b.name("X"),
        "data",
        "row",
        b.rows,
        columns=list(inputs),
        options={"standardize": True},
        description="The inputs, standardised inside the model: (x - mean) / sd on the "
        "training rows; predictions apply the same centre and scale to new rows.",
    )
    beta = b.add(
        b.name("beta"),
        "stochastic",
        "prior",
        distribution="Normal",
        params={"mu": "0", "sigma": coef_sd},
        options={"coords": list(inputs)},
        description=f"One coefficient per standardised input ({', '.join(inputs)}): the "
        f"change in {what} for one standard deviation of the input. Weakly "
        f"informative prior Normal(0, {coef_sd}).",
    )
    return f"{intercept} + dot({x.name}, {beta.name})"


def _normal_likelihood(
    b: Builder, target: str, predictor: str, sd: float, mean_name: str, what_sigma: str
) -> Graph:
    """The tail every Normal template shares: sigma, the row mean, the observed target."""
    sigma = b.add(
        b.name("sigma"),
        "stochastic",
        "prior",
        distribution="Exponential",
        params={"rate": _nice(1 / sd)},
        description=f"{what_sigma} Prior Exponential with mean sd(y).",
    )
    mean = b.add(
        b.name(mean_name),
        "deterministic",
        "row",
        b.rows,
        expression=predictor,
        description="The expected value of the target for each row.",
    )
    b.add(
        b.name(target),
        "observed",
        "observed",
        b.rows,
        distribution="Normal",
        params={"mu": mean.name, "sigma": sigma.name},
        columns=[target],
    )
    return b.finish()


def _decade_above(x: float) -> float:
    """The power of ten strictly above |x| (15 -> 100, 100 -> 1000): a round bound that
    leaves the data well inside it."""
    return 10.0 ** (math.floor(math.log10(abs(x))) + 1) if x else 1.0


def normal(table: ColumnTable, target: str | None, inputs: list[str], group: str | None) -> Graph:
    """y ~ Normal(mu, sigma) with flat priors: the classic first example of Bayesian
    inference (on 100 draws from Normal(10, 2): mu ~ Uniform(0, 100), sigma ~ Uniform(0, 10)),
    with round bounds set by the data's order of magnitude."""
    y = _numeric(table, target, "target")
    if inputs or group:
        raise EngineError("the normal template takes a target only (no inputs, no group)")
    b = Builder()
    high = _decade_above(float(np.max(np.abs(y))))
    low = 0.0 if float(np.min(y)) >= 0 else -high
    sd_high = _decade_above(2 * float(np.std(y, ddof=1)))
    mu = b.add(
        b.name("mu"),
        "stochastic",
        "prior",
        distribution="Uniform",
        params={"lower": f"{low:g}", "upper": f"{high:g}"},
        description=f"The mean of {target}. Flat prior on a round range that holds every "
        "value of the column (0 upwards for a column without negative values).",
    )
    sigma = b.add(
        b.name("sigma"),
        "stochastic",
        "prior",
        distribution="Uniform",
        params={"lower": "0", "upper": f"{sd_high:g}"},
        description=f"The standard deviation of {target}. Flat prior from 0 to the power "
        "of ten above twice the sample standard deviation.",
    )
    b.add(
        b.name(target),
        "observed",
        "observed",
        b.rows,
        distribution="Normal",
        params={"mu": mu.name, "sigma": sigma.name},
        columns=[target],
        description=f"Each row's {target} is Normal around mu.",
    )
    return b.finish()


def linear_regression(
    table: ColumnTable, target: str | None, inputs: list[str], group: str | None
) -> Graph:
    """y ~ Normal(alpha + X·beta, sigma) with standardised inputs."""
    y = _numeric(table, target, "target")
    _check_inputs(table, inputs, target, need=True)
    b = Builder()
    mean, sd = float(np.mean(y)), float(np.std(y, ddof=1)) or 1.0
    alpha = b.add(
        b.name("alpha"),
        "stochastic",
        "prior",
        distribution="Normal",
        params={"mu": _nice(mean), "sigma": _nice(2.5 * sd)},
        description=f"The intercept: the mean of {target} at the average input. Prior "
        "Normal(mean(y), 2.5 sd(y)).",
    )
    predictor = _linear_predictor(b, inputs, alpha.name, _nice(2.5 * sd), target)
    return _normal_likelihood(b, target, predictor, sd, "mu", "The residual standard deviation.")


def logistic_regression(
    table: ColumnTable, target: str | None, inputs: list[str], group: str | None
) -> Graph:
    """y ~ Bernoulli(logit = alpha + X·beta) for a 0/1 target."""
    _numeric(table, target, "target")
    y = np.asarray(table[target], dtype=float)
    _require(table, target, (y == 0) | (y == 1), "only 0 and 1 for logistic regression")
    _check_inputs(table, inputs, target, need=True)
    b = Builder()
    alpha = b.add(
        b.name("alpha"),
        "stochastic",
        "prior",
        distribution="Normal",
        params={"mu": "0", "sigma": "2.5"},
        description="The log-odds of a 1 at the average input. Prior Normal(0, 2.5).",
    )
    predictor = _linear_predictor(b, inputs, alpha.name, "2.5", "log-odds")
    eta = b.add(
        b.name("eta"),
        "deterministic",
        "row",
        b.rows,
        expression=predictor,
        description="The log-odds of a 1 for each row.",
    )
    b.add(
        b.name(target),
        "observed",
        "observed",
        b.rows,
        distribution="Bernoulli",
        params={"logit": eta.name},
        columns=[target],
    )
    return b.finish()


def poisson_regression(
    table: ColumnTable, target: str | None, inputs: list[str], group: str | None
) -> Graph:
    """y ~ Poisson(exp(alpha + X·beta)) for a count target."""
    _numeric(table, target, "target")
    y = np.asarray(table[target], dtype=float)
    _require(table, target, (y >= 0) & (np.floor(y) == y), "counts (whole numbers >= 0)")
    _check_inputs(table, inputs, target, need=True)
    b = Builder()
    alpha = b.add(
        b.name("alpha"),
        "stochastic",
        "prior",
        distribution="Normal",
        params={"mu": _nice(math.log(max(float(np.mean(y)), 0.1))), "sigma": "2.5"},
        description="The log of the expected count at the average input. Prior "
        "Normal(log mean(y), 2.5).",
    )
    predictor = _linear_predictor(b, inputs, alpha.name, "2.5", "log expected count")
    eta = b.add(
        b.name("eta"),
        "deterministic",
        "row",
        b.rows,
        expression=predictor,
        description="The log of the expected count for each row.",
    )
    b.add(
        b.name(target),
        "observed",
        "observed",
        b.rows,
        distribution="Poisson",
        params={"rate": f"exp({eta.name})"},
        columns=[target],
    )
    return b.finish()


def hierarchical_intercepts(
    table: ColumnTable, target: str | None, inputs: list[str], group: str | None
) -> Graph:
    """y ~ Normal(theta[group] + X·beta, sigma), theta_j = mu + tau * z_j (non-centred)."""
    y = _numeric(table, target, "target")
    if not group or group not in table:
        raise EngineError("the hierarchical template needs a group column that is in the table")
    if table.types.get(group) not in ("categorical", "text", "integer", "boolean"):
        raise EngineError(
            f"the group column {group!r} is {table.types.get(group)}; group by a "
            "categorical, text or integer column"
        )
    _check_inputs(table, inputs, target, need=False)
    b = Builder()
    index = b.name(group)
    plate = b.graph.add_plate(Plate(f"levels of {group}", over=group, index=index))
    mean, sd = float(np.mean(y)), float(np.std(y, ddof=1)) or 1.0
    mu = b.add(
        b.name("mu"),
        "stochastic",
        "prior",
        distribution="Normal",
        params={"mu": _nice(mean), "sigma": _nice(2.5 * sd)},
        description=f"The mean intercept over the levels of {group}. Prior "
        "Normal(mean(y), 2.5 sd(y)).",
    )
    tau = b.add(
        b.name("tau"),
        "stochastic",
        "prior",
        distribution="HalfNormal",
        params={"sigma": _nice(sd)},
        description=f"How much the intercepts vary between levels of {group}. Prior "
        "HalfNormal(sd(y)).",
    )
    z = b.add(
        b.name("z"),
        "stochastic",
        "group",
        plate,
        distribution="Normal",
        params={"mu": "0", "sigma": "1"},
        description="Standardised level effects. The non-centred form (theta = mu + tau*z) "
        "samples far better than theta ~ Normal(mu, tau) when groups have few rows.",
    )
    theta = b.add(
        b.name("theta"),
        "deterministic",
        "group",
        plate,
        expression=f"{mu.name} + {tau.name} * {z.name}",
        description=f"The intercept of each level of {group}.",
    )
    predictor = _linear_predictor(b, inputs, f"{theta.name}[{index}]", _nice(2.5 * sd), target)
    return _normal_likelihood(
        b, target, predictor, sd, "m", "The residual standard deviation within a level."
    )


TEMPLATES: dict[str, Template] = {
    "normal": normal,
    "linear-regression": linear_regression,
    "logistic-regression": logistic_regression,
    "poisson-regression": poisson_regression,
    "hierarchical-intercepts": hierarchical_intercepts,
}

DESCRIPTIONS: dict[str, str] = {
    "normal": "Mean and spread of one numeric column: y ~ Normal(mu, sigma).",
    "linear-regression": "A numeric target as a straight-line function of inputs plus noise.",
    "logistic-regression": "A 0/1 target whose log-odds are a straight-line function of inputs.",
    "poisson-regression": "A count target whose log-rate is a straight-line function of inputs.",
    "hierarchical-intercepts": "A numeric target with an intercept per level of a group column, "
    "partially pooled towards a common mean.",
}


def build_template(
    name: str,
    table: ColumnTable,
    target: str | None = None,
    inputs: list[str] | None = None,
    group: str | None = None,
) -> Graph:
    """Build the template called ``name``; EngineError for unknown names or bad roles."""
    if name not in TEMPLATES:
        raise EngineError(f"unknown template {name!r}; choose one of {', '.join(TEMPLATES)}")
    return TEMPLATES[name](table, target, list(inputs or []), group)
