"""What a GP run needs from the drawn graph: a ``GPSpec``.

The representation a canvas draws (docs/gp.md): a ``gp`` node ``f`` whose
``options`` hold the inputs, mean and kernel, and an ``observed`` node ``y``
bound to the target column whose distribution (Normal, Bernoulli or Poisson)
picks the likelihood and whose parameter is ``mu = f``, ``logit = f`` or
``rate = exp(f)`` (it may also just have an edge from ``f``). The links are
fixed by the family (identity, logit, log) because those are what the GP
inference implements; other parameter text is refused with a Problem. The
Normal's ``sigma`` is the GP's noise, a hyperparameter set in
``options.noise``, so it is left empty.
A graph without an observed node may instead name ``target`` and
``likelihood`` in the gp node's options (handy for JSON written by hand).

Pure Python, no torch: the canvas calls ``gp_problems`` on every edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from backends.gp.kernel_spec import KernelParser, KernelTerm, default_kernel, parse_kernel
from backends.graph.model import Graph, Node, Problem
from backends.runtime import EngineError

LIKELIHOODS = ("gaussian", "bernoulli", "poisson")
MEANS = ("constant", "zero", "linear")
LINK = {"gaussian": ("mu", "{f}"), "bernoulli": ("logit", "{f}"), "poisson": ("rate", "exp({f})")}
FAMILY_TO_LIKELIHOOD = {
    "normal": "gaussian",
    "gaussian": "gaussian",
    "bernoulli": "bernoulli",
    "poisson": "poisson",
}


class GPSpecError(EngineError):
    """The graph does not describe a usable GP; ``problems`` locate each defect."""

    def __init__(self, problems: list[Problem], graph: Graph | None = None) -> None:
        self.problems = problems
        text = "; ".join(p.describe(graph) for p in problems)
        super().__init__(f"the GP model is not usable: {text}")


@dataclass
class GPSpec:
    """Everything the GP engine reads from the graph, in one plain object."""

    inputs: list[str]
    target: str
    likelihood: str
    mean: str
    kernel: KernelTerm
    noise: dict[str, Any]
    node_name: str = "f"
    node_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The gp node's options in full (defaults filled in), target and likelihood included."""
        return {
            "inputs": list(self.inputs),
            "target": self.target,
            "likelihood": self.likelihood,
            "mean": self.mean,
            "kernel": self.kernel.to_json(),
            "noise": dict(self.noise),
            "node_name": self.node_name,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> GPSpec:
        spec, problems = parse_options(raw, None, str(raw.get("node_name", "f")))
        if spec is None:
            raise GPSpecError(problems)
        return spec


def parse_options(
    options: dict[str, Any],
    node_id: str | None,
    node_name: str,
    target: str | None = None,
    likelihood: str | None = None,
) -> tuple[GPSpec | None, list[Problem]]:
    """Check a gp node's options; target/likelihood given here come from the observed node."""
    problems: list[Problem] = []

    def bad(path: str, message: str) -> None:
        problems.append(Problem(message, node_id, path))

    inputs = options.get("inputs")
    if isinstance(inputs, str):
        inputs = [inputs]
    if not isinstance(inputs, list) or not inputs or not all(isinstance(i, str) for i in inputs):
        bad("options.inputs", "choose at least one input column")
        inputs = []
    elif len(set(inputs)) != len(inputs):
        bad("options.inputs", "an input column is listed twice")

    target = target or options.get("target")
    if not isinstance(target, str) or not target:
        bad("options.target", "no target: connect an observed node or set options.target")
    elif target in inputs:
        bad("options.inputs", f"the target {target!r} cannot also be an input")

    likelihood = likelihood or options.get("likelihood", "gaussian")
    if likelihood not in LIKELIHOODS:
        bad("options.likelihood", f"{likelihood!r} is not one of {', '.join(LIKELIHOODS)}")

    mean = options.get("mean", "constant")
    if mean not in MEANS:
        bad("options.mean", f"{mean!r} is not one of {', '.join(MEANS)}")

    noise = options.get("noise", {})
    _check_noise(noise, bad)

    kernel = None
    if inputs:
        kernel, kernel_problems = parse_kernel(
            options.get("kernel", default_kernel(inputs)), inputs, node_id
        )
        problems.extend(kernel_problems)
    if problems or kernel is None:
        return None, problems
    spec = GPSpec(
        list(inputs),
        str(target),
        str(likelihood),
        str(mean),
        kernel,
        dict(noise),
        node_name,
        node_id,
    )
    return spec, []


def _check_noise(noise: Any, bad: Any) -> None:
    if not isinstance(noise, dict):
        bad("options.noise", "must be an object with init / prior / constraint / fixed")
        return
    unknown = set(noise) - {"init", "prior", "constraint", "fixed"}
    if unknown:
        bad("options.noise", f"unknown field {sorted(unknown)[0]!r}")
    init = noise.get("init")
    if init is not None and (not isinstance(init, int | float) or init <= 0):
        bad("options.noise.init", "the noise variance must be a positive number")
    checker = KernelParser([], None)
    if "prior" in noise:
        checker._check_prior(noise["prior"], "options.noise.prior")
    if "constraint" in noise:
        checker._check_constraint(noise["constraint"], "options.noise.constraint")
    for p in checker.problems:
        bad(p.field or "options.noise", p.message)
    if not isinstance(noise.get("fixed", False), bool):
        bad("options.noise.fixed", "must be true or false")


def _mentions(node: Node, name: str) -> bool:
    pattern = re.compile(rf"\b{re.escape(name)}\b")
    return any(pattern.search(text) for text in node.params.values())


def _observed_for(graph: Graph, gp: Node) -> list[Node]:
    children = set(graph.children(gp.id))
    return [n for n in graph.nodes_of_kind("observed") if n.id in children or _mentions(n, gp.name)]


def _read_observed(
    obs: Node, gp_name: str, problems: list[Problem]
) -> tuple[str | None, str | None]:
    if len(obs.columns) != 1:
        problems.append(Problem("bind it to exactly one target column", obs.id, "columns"))
    family = (obs.distribution or "").lower()
    likelihood = FAMILY_TO_LIKELIHOOD.get(family)
    if likelihood is None:
        problems.append(
            Problem(
                f"a GP observation must be Normal, Bernoulli or Poisson, not {obs.distribution!r}",
                obs.id,
                "distribution",
            )
        )
    elif obs.params:
        param, template = LINK[likelihood]
        expected = template.format(f=gp_name)
        given = "".join(obs.params.get(param, "").split())
        extra = sorted(
            set(obs.params) - {param, "sigma"}
            if likelihood == "gaussian"
            else set(obs.params) - {param}
        )
        if given != expected or extra or obs.params.get("sigma", "").strip():
            problems.append(
                Problem(
                    f"the GP engine links {obs.distribution} to the GP as {param} = {expected} "
                    "(the noise of a Normal is the GP's options.noise); write exactly that",
                    obs.id,
                    f"params.{param}",
                )
            )
    return (obs.columns[0] if len(obs.columns) == 1 else None), likelihood


def gp_problems(graph: Graph) -> list[Problem]:
    """Every defect that stops the GP engine, each naming its node and field."""
    return _read_graph(graph)[1]


def gp_spec_from_graph(graph: Graph) -> GPSpec:
    """The GPSpec of the graph's GP node; raises GPSpecError listing the problems."""
    spec, problems = _read_graph(graph)
    if spec is None:
        raise GPSpecError(problems, graph)
    return spec


def _read_graph(graph: Graph) -> tuple[GPSpec | None, list[Problem]]:
    gps = sorted(graph.nodes_of_kind("gp"), key=lambda n: n.name)
    if not gps:
        return None, [Problem("the model has no GP node; add one to use the GP engine")]
    problems = [
        Problem("the GP engine fits one GP node; remove or merge the others", n.id, "kind")
        for n in gps[1:]
    ]
    gp = gps[0]
    options = gp.options if isinstance(gp.options, dict) else {}
    target = likelihood = None
    observed = _observed_for(graph, gp)
    if len(observed) > 1:
        problems.append(
            Problem("more than one observed node uses this GP; keep one", observed[1].id, "params")
        )
    if observed:
        target, likelihood = _read_observed(observed[0], gp.name, problems)
        for key, value in (("target", target), ("likelihood", likelihood)):
            if key in options and value is not None and options[key] != value:
                problems.append(
                    Problem(
                        f"options.{key} says {options[key]!r} but the observed node "
                        f"{observed[0].name!r} says {value!r}",
                        gp.id,
                        f"options.{key}",
                    )
                )
    spec, option_problems = parse_options(options, gp.id, gp.name, target, likelihood)
    problems.extend(option_problems)
    return (spec if not problems else None), problems
