"""The gp-regression and gp-classification templates build graphs the engine accepts."""

from __future__ import annotations

import numpy as np
import pytest

from backends.gp.spec import gp_problems, gp_spec_from_graph
from backends.gp.templates import gp_classification, gp_regression
from backends.graph.model import Graph, GraphError

from .gp_helpers import table_of


def _table():
    x = np.linspace(0, 1, 10)
    return table_of(
        {"x": x, "z": x**2, "y": x, "label": np.array(["a", "b"] * 5, dtype=object)},
        {"label": "categorical"},
    )


def test_regression_template_is_valid_and_drawable():
    graph = gp_regression(_table(), "y", ["x", "z"])
    assert gp_problems(graph) == []
    spec = gp_spec_from_graph(graph)
    assert (spec.target, spec.likelihood, spec.inputs) == ("y", "gaussian", ["x", "z"])
    positions = [n.position for n in graph.nodes.values()]
    assert len(set(positions)) == len(positions) == 3
    assert Graph.from_dict(graph.to_dict()).to_dict() == graph.to_dict()


def test_classification_template_takes_a_two_level_column():
    spec = gp_spec_from_graph(gp_classification(_table(), "label", ["x"]))
    assert spec.likelihood == "bernoulli" and spec.target == "label"


def test_templates_refuse_what_a_gp_cannot_use():
    with pytest.raises(GraphError, match="not in the table"):
        gp_regression(_table(), "y", ["nope"])
    with pytest.raises(GraphError, match="is categorical"):
        gp_regression(_table(), "y", ["label"])
    with pytest.raises(GraphError, match="no group column"):
        gp_regression(_table(), "y", ["x"], group="label")
