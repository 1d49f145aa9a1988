"""The closed form on a GP fitted by the real engine (backends.gp): its
exact_shapley_data() layout must give the same attributions as enumeration
over its own predictive mean."""

import numpy as np
import pytest

from backends.explain import exact_shapley, explain_rows
from backends.runtime import ColumnTable

engine = pytest.importorskip("backends.gp.engine")
templates = pytest.importorskip("backends.gp.templates")


def test_engine_gp_closed_form_equals_enumeration():
    rng = np.random.default_rng(3)
    t, z = rng.uniform(0, 10, 40), rng.uniform(10, 90, 40)
    y = np.sin(t) + 0.02 * z + 0.1 * rng.standard_normal(40)
    table = ColumnTable({"t": t, "z": z, "y": y}, {"t": "numeric", "z": "numeric", "y": "numeric"})
    graph = templates.gp_graph(table, "y", ["t", "z"], "gaussian", kernel=None)
    result = engine.run(graph, table, {"steps": 10, "restarts": 1}, device="cpu")
    X = np.column_stack([t, z])
    a = explain_rows(result, X[:3], X[10:20])
    assert a.method.startswith("gp-closed-form")
    truth, base = exact_shapley(lambda Z: result.predict(Z)[0], X[:3], X[10:20])
    assert np.allclose(a.values, truth, atol=1e-6)
    assert abs(a.base_value - base) < 1e-6
    assert np.all(a.sd > 0) and a.additivity_error < 1e-8
