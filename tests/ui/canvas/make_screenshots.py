"""Render the model editor with each template, and with the inspector open, to PNG.

Not a test: a script for looking at the canvas (issue 7 asks for it).
    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/ui/canvas/make_screenshots.py [out_dir]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtGui import QUndoStack  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from backends.graph.model import Edge, Graph, Node  # noqa: E402
from backends.templates import TEMPLATES  # noqa: E402
from workbench.project import Project, read_table  # noqa: E402
from workbench.ui.canvas import ModelEditor, TemplateDialog  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
ROLES = {  # table, target, inputs, group
    "normal": ("kidiq.csv", "kid_score", [], None),
    "linear-regression": ("kidiq.csv", "kid_score", ["mom_iq", "mom_hs"], None),
    "logistic-regression": ("kidiq.csv", "mom_hs", ["mom_iq", "kid_score"], None),
    "poisson-regression": ("kidiq.csv", "kid_score", ["mom_iq"], None),
    "hierarchical-intercepts": ("eight_schools.csv", "y", [], "school"),
    "gp-regression": ("co2_monthly.csv", "co2", ["t"], None),
    "gp-classification": ("kidiq.csv", "mom_hs", ["mom_iq", "kid_score"], None),
    "gan": ("kidiq.csv", None, ["kid_score", "mom_iq", "mom_hs"], None),
}


def hand_drawn_gp(name: str) -> Graph:
    """What the GP templates will produce, for a picture while they are not written yet."""
    graph = Graph()
    if name == "gp-regression":
        kernel = {
            "op": "sum",
            "terms": [{"kind": "rbf", "inputs": ["t"]}, {"kind": "periodic", "inputs": ["t"]}],
        }
        f = graph.add_node(
            Node(
                "f",
                "gp",
                position=(0, 0),
                options={"inputs": ["t"], "mean": "linear", "kernel": kernel},
            )
        )
        noise = graph.add_node(
            Node(
                "noise",
                "stochastic",
                position=(180, 0),
                distribution="HalfNormal",
                params={"sigma": "1"},
            )
        )
        y = graph.add_node(
            Node(
                "co2",
                "observed",
                position=(90, 140),
                distribution="Normal",
                params={"mu": "f", "sigma": "noise"},
                columns=["co2"],
            )
        )
        graph.add_edge(Edge(noise.id, y.id))
    else:
        f = graph.add_node(
            Node(
                "f",
                "gp",
                position=(0, 0),
                options={
                    "inputs": ["mom_iq", "kid_score"],
                    "kernel": {"kind": "matern52", "ard": True},
                },
            )
        )
        y = graph.add_node(
            Node(
                "mom_hs",
                "observed",
                position=(0, 140),
                distribution="Bernoulli",
                params={"p": "f"},
                columns=["mom_hs"],
            )
        )
    graph.add_edge(Edge(f.id, y.id))
    return graph


def shoot(app: QApplication, out: Path) -> list[Path]:
    saved = []
    for name in TEMPLATES:
        table, target, inputs, group = ROLES.get(name, ("kidiq.csv", None, None, None))
        project = Project(read_table(ROOT / "resources" / "data" / table))
        editor = ModelEditor(project, QUndoStack())
        editor.resize(1400, 820)
        editor.show()
        dialog = TemplateDialog(project, editor)
        dialog.choose(name, target, inputs, group)
        dialog.accept()
        graph = dialog.graph
        if graph is None and name.startswith("gp-"):
            print(f"{name}: {dialog.error.text()} -- drawing a GP model by hand instead")
            graph = hand_drawn_gp(name)
        if graph is None:
            print(f"{name}: {dialog.error.text()}")
            continue
        editor.replace_graph(graph, name)
        editor.revalidate()
        app.processEvents()
        editor.view.fit()
        nodes = list(project.graph.nodes.values())
        focus = next((n for n in nodes if n.kind in ("gp", "generator")), None) or next(
            (n for n in nodes if n.kind == "stochastic"), nodes[0]
        )
        editor.scene.select_ids([focus.id])
        editor.inspector.rebuild()
        app.processEvents()
        path = out / f"template-{name}.png"
        editor.grab().save(str(path))
        saved.append(path)
        editor.auto_layout()  # the same model after the Layout button
        app.processEvents()
        path = out / f"layout-{name}.png"
        editor.view.grab().save(str(path))
        saved.append(path)
        editor.detach()
        editor.close()
    return saved


def shoot_states(app: QApplication, out: Path) -> list[Path]:
    """A model with problems (markers), and the inspector on an observed node."""
    project = Project(read_table(ROOT / "resources" / "data" / "kidiq.csv"))
    graph = Graph()
    mu = graph.add_node(
        Node(
            "mu",
            "stochastic",
            position=(-90, 0),
            distribution="Uniform",
            params={"lower": "0", "upper": "200"},
        )
    )
    sigma = graph.add_node(
        Node(
            "sigma",
            "stochastic",
            position=(90, 0),
            distribution="Normal",
            params={"mu": "0", "sigma": "10"},
        )
    )
    eta = graph.add_node(
        Node("eta", "deterministic", position=(-90, 130), expression="mu + b * mom_iq")
    )
    y = graph.add_node(
        Node(
            "y",
            "observed",
            position=(60, 250),
            distribution="Normal",
            params={"mu": "eta", "sigma": "sigma"},
        )
    )
    for a, b in ((mu, eta), (eta, y), (sigma, y), (y, mu)):
        graph.add_edge(Edge(a.id, b.id))
    editor = ModelEditor(project, QUndoStack())
    editor.resize(1400, 820)
    editor.show()
    editor.replace_graph(graph, "broken")
    editor.revalidate()
    editor.scene.select_ids([y.id])
    editor.inspector.rebuild()
    app.processEvents()
    editor.view.fit()
    path = out / "problems.png"
    editor.grab().save(str(path))
    editor.detach()
    editor.close()
    return [path]


if __name__ == "__main__":
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/canvas-shots")
    out_dir.mkdir(parents=True, exist_ok=True)
    application = QApplication.instance() or QApplication([])
    for p in shoot(application, out_dir) + shoot_states(application, out_dir):
        print(p)
