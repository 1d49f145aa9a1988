"""The non-centred rewrite keeps the model and changes only how it is sampled.

The rewritten centred eight schools must be the hand-written non-centred model:
it validates, and its log-density equals that model's at every point (the same
parameters, named differently), so the posterior is the same one.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from backends.graph.compile import compile_model
from backends.graph.model import Graph, Node, Plate
from backends.graph.rewrite import non_centred
from backends.graph.validate import errors_of, validate
from backends.runtime import ColumnTable, EngineError

DATA = Path(__file__).resolve().parents[2] / "data"


def eight_schools(centred: bool) -> tuple[Graph, ColumnTable]:
    """Eight schools as the example project draws it; non-centred with ``eta``."""
    raw = json.loads((DATA / "eight_schools.json").read_text())
    names = np.array([f"school {i + 1}" for i in range(8)], dtype=object)
    table = ColumnTable(
        {"school": names, "y": np.array(raw["y"], float), "s": np.array(raw["sigma"], float)},
        {"school": "categorical", "y": "numeric", "s": "numeric"},
    )
    graph = Graph()
    schools = graph.add_plate(
        Plate("schools", over="school", index="j", position=(200.0, 130.0), size=(260.0, 110.0))
    )
    rows = graph.add_plate(Plate("rows", position=(40.0, 290.0), size=(420.0, 130.0)))
    add = graph.add_node
    add(Node("mu", "stochastic", position=(120.0, 60.0), distribution="Normal",
             params={"mu": "0", "sigma": "5"}))  # fmt: skip
    add(Node("tau", "stochastic", position=(360.0, 60.0), distribution="HalfCauchy",
             params={"sigma": "5"}))  # fmt: skip
    if centred:
        add(Node("theta", "stochastic", position=(340.0, 190.0), distribution="Normal",
                 params={"mu": "mu", "sigma": "tau"}, plate=schools.id))  # fmt: skip
    else:
        add(Node("eta", "stochastic", distribution="Normal", params={"mu": "0", "sigma": "1"},
                 plate=schools.id))  # fmt: skip
        add(Node("theta", "deterministic", expression="mu + tau * eta", plate=schools.id))
    add(Node("sd", "data", columns=["s"], plate=rows.id, position=(140.0, 360.0)))
    add(Node("y", "observed", distribution="Normal", params={"mu": "theta[school]", "sigma": "sd"},
             columns=["y"], plate=rows.id, position=(340.0, 360.0)))  # fmt: skip
    return graph, table


def test_the_rewrite_adds_a_standard_normal_and_keeps_theta_in_place() -> None:
    graph, table = eight_schools(centred=True)
    before = graph.to_dict()
    theta = graph.node_by_name("theta")
    rewritten = non_centred(graph, "theta")
    assert graph.to_dict() == before  # a copy: the original is untouched
    new_theta = rewritten.nodes[theta.id]
    assert (new_theta.name, new_theta.kind, new_theta.expression) == (
        "theta",
        "deterministic",
        "mu + tau * theta_z",
    )
    assert (new_theta.plate, new_theta.position) == (theta.plate, theta.position)
    assert new_theta.distribution is None and new_theta.params == {}
    z = rewritten.node_by_name("theta_z")
    assert (z.kind, z.distribution, z.params) == ("stochastic", "Normal", {"mu": "0", "sigma": "1"})
    assert z.plate == theta.plate and z.position[1] == theta.position[1]
    plate = rewritten.plates[theta.plate]
    left, right = plate.position[0], plate.position[0] + plate.size[0]
    assert left < z.position[0] - 60 and z.position[0] + 60 < right  # its box grew around z
    assert errors_of(validate(rewritten, table)) == []
    into_theta = {rewritten.nodes[e.source].name for e in rewritten.edges.values()
                  if e.target == theta.id}  # fmt: skip
    assert into_theta == {"mu", "tau", "theta_z"}  # the arrows its expression implies
    assert [p for p in validate(rewritten, table) if p.node == theta.id] == []


def test_the_rewritten_model_has_the_hand_written_non_centred_density() -> None:
    graph, table = eight_schools(centred=True)
    ours = compile_model(non_centred(graph, "theta"), table)
    hand_graph, _ = eight_schools(centred=False)
    hand = compile_model(hand_graph, table)
    renamed = [n.replace("eta", "theta_z") for n in hand.names]
    assert sorted(ours.names) == sorted(renamed)
    u = np.random.default_rng(0).normal(0.0, 1.5, size=(50, ours.dim))
    order = [ours.names.index(n) for n in renamed]  # hand's columns, in our order
    np.testing.assert_allclose(ours.log_density(u), hand.log_density(u[:, order]), rtol=1e-12)


def test_a_taken_name_and_compound_parameters_are_handled() -> None:
    graph = Graph()
    graph.add_node(Node("a", "stochastic", distribution="Normal", params={"mu": "0", "sigma": "1"}))
    graph.add_node(Node("s", "stochastic", distribution="HalfNormal", params={"sigma": "1"}))
    graph.add_node(
        Node(
            "b",
            "stochastic",
            distribution="Normal",
            params={"mu": "a - 1", "sigma": "s + 0.5"},
            options={"size": 3},
        )
    )
    graph.add_node(Node("b_z", "constant", value=1.0))
    out = non_centred(graph, "b")
    b, z = out.node_by_name("b"), out.node_by_name("b_z_2")
    assert b.expression == "a - 1 + (s + 0.5) * b_z_2"
    assert z.options == {"size": 3} and b.options == {}
    plain = Graph()
    plain.add_node(Node("c", "stochastic", distribution="Normal", params={"mu": "0", "sigma": "2"}))
    assert non_centred(plain, "c").node_by_name("c").expression == "2 * c_z"


@pytest.mark.parametrize(
    "node,message",
    [
        (Node("theta", "stochastic", distribution="StudentT",
              params={"nu": "3", "mu": "0", "sigma": "tau"}),
         "theta.distribution: the non-centred rewrite handles Normal nodes only; "
         "theta is StudentT"),
        (Node("theta", "deterministic", expression="2 * tau"),
         "theta.kind: only a stochastic node can be written non-centred; theta is deterministic"),
        (Node("theta", "stochastic", distribution="Normal", params={"mu": "0"}),
         "theta.params.sigma: the parameter is empty"),
    ],
)  # fmt: skip
def test_a_node_that_cannot_be_rewritten_is_refused_by_name_and_field(
    node: Node, message: str
) -> None:
    graph = Graph()
    graph.add_node(Node("tau", "stochastic", distribution="HalfNormal", params={"sigma": "1"}))
    graph.add_node(node)
    with pytest.raises(EngineError) as caught:
        non_centred(graph, "theta")
    assert str(caught.value) == message
    with pytest.raises(EngineError, match="no node named 'phi'"):
        non_centred(graph, "phi")
