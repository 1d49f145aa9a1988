"""Validation names the node and the field of every problem."""

import numpy as np
import pytest

from backends.graph.dependencies import implied_edges, unused_edges
from backends.graph.model import Edge, Graph, GraphError, Node, Plate
from backends.graph.validate import errors_of, validate
from backends.runtime import ColumnTable

TABLE = ColumnTable(
    {
        "y": np.array([1.0, 2.0, 3.0, 4.0]),
        "x": np.array([0.5, -1.0, 2.0, 0.0]),
        "s": np.array([1.0, 2.0, 1.0, 3.0]),
        "label": np.array(["a", "b", "a", "b"], dtype=object),
        "ratio": np.array([0.1, 0.7, 1.3, 2.2]),
    },
    {"y": "numeric", "x": "numeric", "s": "numeric", "label": "categorical", "ratio": "numeric"},
)


def _base() -> Graph:
    graph = Graph()
    rows = graph.add_plate(Plate("rows"))
    graph.add_node(
        Node("mu", "stochastic", distribution="Normal", params={"mu": "0", "sigma": "1"})
    )
    graph.add_node(Node("sigma", "stochastic", distribution="HalfNormal", params={"sigma": "1"}))
    graph.add_node(
        Node(
            "y",
            "observed",
            distribution="Normal",
            params={"mu": "mu", "sigma": "sigma"},
            columns=["y"],
            plate=rows.id,
        )
    )
    return graph


def _find(problems, graph, name, field):
    node = graph.node_by_name(name)
    hits = [p for p in problems if p.node == (node.id if node else None) and p.field == field]
    assert hits, [p.describe(graph) for p in problems]
    return hits[0]


def test_a_correct_graph_has_no_errors():
    graph = _base()
    assert errors_of(validate(graph, TABLE)) == []


def test_unknown_name():
    graph = _base()
    graph.update_node(graph.node_by_name("y").id, params={"mu": "mu + nope", "sigma": "sigma"})
    problem = _find(validate(graph), graph, "y", "params.mu")
    assert "unknown name 'nope'" in problem.message


def test_missing_and_extra_parameters():
    graph = _base()
    graph.update_node(graph.node_by_name("y").id, params={"mu": "mu", "scale": "sigma"})
    problems = validate(graph)
    assert "needs the parameter sigma" in _find(problems, graph, "y", "params.sigma").message
    assert "no parameter scale" in _find(problems, graph, "y", "params.scale").message


def test_a_scale_that_can_be_negative():
    graph = _base()
    graph.update_node(
        graph.node_by_name("sigma").id, distribution="Normal", params={"mu": "0", "sigma": "1"}
    )
    problem = _find(validate(graph), graph, "y", "params.sigma")
    assert "must be positive" in problem.message


def test_positive_transformations_are_accepted():
    graph = _base()
    graph.update_node(
        graph.node_by_name("sigma").id, distribution="Normal", params={"mu": "0", "sigma": "1"}
    )
    graph.update_node(graph.node_by_name("y").id, params={"mu": "mu", "sigma": "exp(sigma)"})
    assert errors_of(validate(graph, TABLE)) == []


def test_a_probability_outside_the_unit_interval():
    graph = _base()
    graph.update_node(graph.node_by_name("y").id, distribution="Bernoulli", params={"p": "mu"})
    assert "between 0 and 1" in _find(validate(graph), graph, "y", "params.p").message


def test_observed_column_missing_or_not_numeric():
    graph = _base()
    graph.update_node(graph.node_by_name("y").id, columns=["nothing"])
    assert "no column 'nothing'" in _find(validate(graph, TABLE), graph, "y", "columns").message
    graph.update_node(graph.node_by_name("y").id, columns=["label"])
    assert "not numeric" in _find(validate(graph, TABLE), graph, "y", "columns").message


def test_observed_values_outside_the_support():
    graph = _base()
    graph.update_node(
        graph.node_by_name("y").id,
        distribution="Poisson",
        params={"rate": "sigma"},
        columns=["ratio"],
    )
    message = _find(validate(graph, TABLE), graph, "y", "columns").message
    ratio = np.asarray(TABLE["ratio"], dtype=float)
    first = int(np.flatnonzero((ratio < 0) | (np.floor(ratio) != ratio))[0])
    assert "whole numbers" in message and f"{ratio[first]:g} in row {first + 1}" in message


def test_mismatched_lengths():
    graph = _base()
    graph.update_node(graph.node_by_name("mu").id, options={"size": 3})
    problem = _find(validate(graph, TABLE), graph, "y", "params")
    assert "mismatched lengths" in problem.message


def test_group_column_must_be_categorical_like():
    graph = _base()
    plate = graph.add_plate(Plate("groups", over="ratio", index="g"))
    graph.update_node(graph.node_by_name("mu").id, plate=plate.id)
    problems = validate(graph, TABLE)
    assert any(
        p.node == plate.id and p.field == "over" and "not a grouping column" in p.message
        for p in problems
    )


def test_indexing_by_the_wrong_group():
    graph = _base()
    groups = graph.add_plate(Plate("labels", over="label", index="j"))
    graph.update_node(graph.node_by_name("mu").id, plate=groups.id)
    graph.add_node(Node("xd", "data", columns=["x"]))
    graph.update_node(graph.node_by_name("y").id, params={"mu": "mu[xd]", "sigma": "sigma"})
    assert "index it by label" in _find(validate(graph, TABLE), graph, "y", "params.mu").message
    graph.update_node(graph.node_by_name("y").id, params={"mu": "mu[label]", "sigma": "sigma"})
    assert errors_of(validate(graph, TABLE)) == []


def test_discrete_latent_variable_is_refused():
    graph = _base()
    graph.update_node(graph.node_by_name("mu").id, distribution="Poisson", params={"rate": "2"})
    assert "discrete" in _find(validate(graph), graph, "mu", "distribution").message


def test_cycles_through_expressions_and_edges():
    graph = _base()
    graph.update_node(graph.node_by_name("mu").id, params={"mu": "sigma", "sigma": "1"})
    graph.update_node(graph.node_by_name("sigma").id, params={"sigma": "exp(mu)"})
    problems = validate(graph)
    assert any("cycle" in p.message for p in errors_of(problems))
    mu, sigma = graph.node_by_name("mu"), graph.node_by_name("sigma")
    graph.add_edge(Edge(mu.id, sigma.id))
    graph.add_edge(Edge(sigma.id, mu.id))
    assert _find(validate(graph), graph, "mu", "edges").severity == "error"


def test_edges_and_expressions_disagreeing_are_warnings():
    graph = _base()
    mu, sigma, y = (graph.node_by_name(n) for n in ("mu", "sigma", "y"))
    stray = graph.add_edge(Edge(mu.id, sigma.id))
    graph.add_edge(Edge(mu.id, y.id))
    assert unused_edges(graph) == [stray.id]
    assert implied_edges(graph) == [(sigma.id, y.id)]
    problems = validate(graph, TABLE)
    assert errors_of(problems) == []
    assert {p.node for p in problems if p.severity == "warning"} == {sigma.id, y.id}


def test_a_prior_used_by_nothing_is_a_warning():
    graph = _base()
    graph.add_node(
        Node("theta", "stochastic", distribution="Normal", params={"mu": "0", "sigma": "1"})
    )
    problems = validate(graph, TABLE)
    assert errors_of(problems) == []
    problem = _find(problems, graph, "theta", "edges")
    assert problem.severity == "warning" and "not used by any other node" in problem.message


def test_data_node_used_as_value_must_be_numeric():
    graph = _base()
    graph.add_node(Node("lab", "data", columns=["label"]))
    graph.update_node(graph.node_by_name("y").id, params={"mu": "mu + lab", "sigma": "sigma"})
    assert "not numeric" in _find(validate(graph, TABLE), graph, "lab", "columns").message


def test_bad_node_name_and_constant():
    graph = _base()
    graph.add_node(Node("exp", "constant", value="abc"))
    problems = validate(graph)
    assert "name of a function" in _find(problems, graph, "exp", "name").message
    assert "not a number" in _find(problems, graph, "exp", "value").message


def test_a_hostile_expression_in_a_loaded_graph_is_a_problem_not_a_crash():
    graph = _base()
    raw = graph.to_dict()
    for node in raw["nodes"]:
        if node["name"] == "y":
            node["params"]["mu"] = "__import__('os').system('echo owned')"
    loaded = Graph.from_dict(raw)
    problem = _find(validate(loaded, TABLE), loaded, "y", "params.mu")
    assert "not allowed" in problem.message


def test_graphs_for_other_engines_are_not_trial_compiled_for_mcmc():
    graph = _base()
    graph.add_node(Node("f", "gp", columns=["x"]))
    graph.update_node(graph.node_by_name("y").id, params={"mu": "f", "sigma": "sigma"})
    assert errors_of(validate(graph, TABLE)) == []


def test_a_malformed_graph_file_names_the_entry_and_the_field():
    node = {"id": "m", "name": "mu", "kind": "stochastic"}
    with pytest.raises(GraphError, match=r"nodes\[1\] has no 'id'"):
        Graph.from_dict({"nodes": [node, {"name": "x", "kind": "stochastic"}]})
    with pytest.raises(GraphError, match=r"edges\[0\] has no 'target'"):
        Graph.from_dict({"nodes": [node], "edges": [{"source": "m"}]})
    with pytest.raises(GraphError, match="'plates' must be a list"):
        Graph.from_dict({"plates": {"id": "p"}})
    # an arrow written by hand needs no id
    graph = Graph.from_dict(
        {
            "nodes": [node, {"id": "n", "name": "nu", "kind": "stochastic"}],
            "edges": [{"source": "m", "target": "n"}],
        }
    )
    assert [(e.source, e.target) for e in graph.edges.values()] == [("m", "n")]
