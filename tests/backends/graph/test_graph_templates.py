"""Templates build valid, laid-out graphs and refuse bad roles; formulas read them out."""

import numpy as np
import pytest

from backends.graph.formulas import formulas
from backends.graph.model import Graph
from backends.graph.template_layout import NODE_SIZE
from backends.graph.templates import DESCRIPTIONS, TEMPLATES, build_template
from backends.graph.validate import errors_of, validate
from backends.runtime import ColumnTable, EngineError

RNG = np.random.default_rng(0)
TABLE = ColumnTable(
    {
        "score": RNG.normal(100, 15, 60),
        "iq": RNG.normal(100, 15, 60),
        "hours": RNG.uniform(0, 10, 60),
        "passed": (RNG.random(60) < 0.5).astype(float),
        "visits": RNG.poisson(3, 60).astype(float),
        "school": np.array(["a", "b", "c"] * 20, dtype=object),
        "note": np.array(["x"] * 60, dtype=object),
    },
    {
        "score": "numeric",
        "iq": "numeric",
        "hours": "numeric",
        "passed": "boolean",
        "visits": "integer",
        "school": "categorical",
        "note": "text",
    },
)

ROLES = {
    "normal": ("score", [], None),
    "linear-regression": ("score", ["iq", "hours"], None),
    "logistic-regression": ("passed", ["iq", "hours"], None),
    "poisson-regression": ("visits", ["hours"], None),
    "hierarchical-intercepts": ("score", ["iq"], "school"),
}


def test_every_template_has_a_description_and_roles():
    assert set(TEMPLATES) == set(DESCRIPTIONS) == set(ROLES)


@pytest.mark.parametrize("name", sorted(ROLES))
def test_templates_are_valid_and_laid_out(name):
    target, inputs, group = ROLES[name]
    graph = build_template(name, TABLE, target, inputs, group)
    assert errors_of(validate(graph, TABLE)) == []
    assert not [p for p in validate(graph, TABLE) if p.field == "edges"]  # arrows match expressions
    assert Graph.from_dict(graph.to_dict()).to_dict() == graph.to_dict()
    observed = next(graph.nodes_of_kind("observed"))
    priors = [n for n in graph.nodes_of_kind("stochastic") if n.plate is None]
    assert all(p.position[1] < observed.position[1] for p in priors)
    assert all(p.description for p in priors)
    for plate in graph.plates.values():
        (left, top), (width, height) = plate.position, plate.size
        for node in (n for n in graph.nodes.values() if n.plate == plate.id):
            x, y = node.position
            assert left < x - NODE_SIZE[0] / 2 and x + NODE_SIZE[0] / 2 < left + width
            assert top < y - NODE_SIZE[1] / 2 and y + NODE_SIZE[1] / 2 < top + height
    assert any(observed.name in line and "~" in line for line in formulas(graph))
    assert not arrows_through_nodes(graph)


def arrows_through_nodes(graph: Graph) -> list[tuple[str, str, str]]:
    """(source, target, crossed) for each arrow whose straight line passes through a
    third node's box (NODE_SIZE around its centre)."""
    crossed = []
    half_w, half_h = NODE_SIZE[0] / 2, NODE_SIZE[1] / 2
    for edge in graph.edges.values():
        (x0, y0), (x1, y1) = graph.nodes[edge.source].position, graph.nodes[edge.target].position
        for node in graph.nodes.values():
            if node.id in (edge.source, edge.target):
                continue
            x, y = node.position
            t = np.linspace(0.0, 1.0, 200)
            inside = (np.abs(x0 + t * (x1 - x0) - x) < half_w) & (
                np.abs(y0 + t * (y1 - y0) - y) < half_h
            )
            if inside.any():
                source, target = graph.nodes[edge.source], graph.nodes[edge.target]
                crossed.append((source.name, target.name, node.name))
    return crossed


def test_standardised_inputs_are_said_so():
    graph = build_template("linear-regression", TABLE, "score", ["iq"], None)
    data = next(graph.nodes_of_kind("data"))
    assert data.options["standardize"] and "standardised" in data.description


@pytest.mark.parametrize(
    "name,target,inputs,group,message",
    [
        ("normal", None, [], None, "needs a target"),
        ("normal", "nothing", [], None, "no column 'nothing'"),
        ("linear-regression", "score", [], None, "at least one input"),
        ("linear-regression", "score", ["note"], None, "not numeric"),
        ("linear-regression", "score", ["score"], None, "both the target and an input"),
        ("logistic-regression", "score", ["iq"], None, "only 0 and 1"),
        ("poisson-regression", "hours", ["iq"], None, "counts"),
        ("hierarchical-intercepts", "score", [], None, "group column"),
        ("hierarchical-intercepts", "score", [], "hours", "group by"),
        ("no-such", "score", [], None, "unknown template"),
    ],
)
def test_bad_roles_are_refused(name, target, inputs, group, message):
    with pytest.raises(EngineError, match=message):
        build_template(name, TABLE, target, inputs, group)


def test_formulas_of_the_hierarchical_template():
    graph = build_template("hierarchical-intercepts", TABLE, "score", ["iq"], "school")
    text = "\n".join(formulas(graph))
    assert "theta[school] = mu + tau * z[school]  for school in levels of school" in text
    assert "m[i] = theta[school[i]] + dot(X[i], beta)  for i in rows" in text
    assert "score[i] ~ Normal(m[i], sigma)  for i in rows    (observed: score)" in text


def test_an_empty_parameter_keeps_its_place_in_the_formula():
    """Clearing mu of Normal(mu, sigma) must not read as Normal(sigma)."""
    graph = build_template("hierarchical-intercepts", TABLE, "score", ["iq"], "school")
    score = next(n for n in graph.nodes.values() if n.name == "score")
    score.params["mu"] = ""
    assert any(line.startswith("score[i] ~ Normal(?, sigma)") for line in formulas(graph))


def test_a_target_the_likelihood_cannot_take_is_refused_with_its_rows():
    visits = TABLE["visits"].copy()
    visits[[4, 9]] = [2.5, -1.0]
    visits[0] = np.nan  # missing values are left out of the fit, not refused
    table = ColumnTable({**TABLE.columns, "visits": visits}, TABLE.types)
    with pytest.raises(
        EngineError, match=r"counts \(whole numbers >= 0\): rows 5 \(2\.5\), 10 \(-1\) do not"
    ):
        build_template("poisson-regression", table, "visits", ["hours"], None)
    part = table.take(np.arange(3, 60))  # numbered as the whole table numbers them
    with pytest.raises(EngineError, match=r"rows 5 \(2\.5\), 10 \(-1\) do not"):
        build_template("poisson-regression", part, "visits", ["hours"], None)
    with pytest.raises(EngineError, match=r"only 0 and 1 .*: rows 1 \(.*\) and 57 more do not"):
        build_template("logistic-regression", table, "score", ["hours"], None)
