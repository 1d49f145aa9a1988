"""Build the example projects in resources/examples/ from the data in resources/data/.

Run it whenever the project format changes: ``python scripts/make_examples.py``.
The projects hold a model but no runs, so they stay small and open instantly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from backends.gan.templates import gan
from backends.gp.templates import TREND_SEASONAL_KERNEL, gp_graph
from backends.graph.model import Edge, Graph, Node, Plate
from backends.templates import make_template
from workbench.project import Project, read_table, save_project

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "resources" / "data"
EXAMPLES = ROOT / "resources" / "examples"


@dataclass(frozen=True)
class Example:
    file: str
    data: str
    template: str
    target: str | None = None
    inputs: tuple[str, ...] = ()
    group: str | None = None


# template: a template name, or a key of CUSTOM_GRAPHS for a model drawn here by hand
EXAMPLES_TO_BUILD = (
    Example("kidiq.wbproj", "kidiq.csv", "linear-regression", "kid_score", ("mom_iq", "mom_hs")),
    Example("normal-sample.wbproj", "normal_sample.csv", "normal", "y"),
    Example("eight-schools.wbproj", "eight_schools.csv", "eight-schools"),
    Example("mauna-loa-co2.wbproj", "co2_monthly.csv", "mauna-loa"),
    Example("earnings-gan.wbproj", "earnings.csv", "gan", inputs=("earn", "height", "male")),
    Example("digits-gan.wbproj", "digits.csv", "digits"),
)


def eight_schools_graph(dataset) -> Graph:  # noqa: ANN001
    """Rubin's eight schools, non-centred, with each school's known standard error."""
    graph = Graph()
    schools = graph.add_plate(
        Plate("schools", over="school", index="school", position=(40.0, 130.0), size=(420.0, 110.0))
    )
    rows = graph.add_plate(Plate("rows", position=(40.0, 290.0), size=(420.0, 130.0)))
    nodes = [
        Node(
            "mu",
            "stochastic",
            distribution="Normal",
            params={"mu": "0", "sigma": "5"},
            position=(120.0, 60.0),
            description="the average effect of coaching",
        ),
        Node(
            "tau",
            "stochastic",
            distribution="HalfCauchy",
            params={"sigma": "5"},
            position=(360.0, 60.0),
            description="how much schools differ",
        ),
        Node(
            "eta",
            "stochastic",
            distribution="Normal",
            params={"mu": "0", "sigma": "1"},
            plate=schools.id,
            position=(150.0, 190.0),
        ),
        Node(
            "theta",
            "deterministic",
            expression="mu + tau * eta",
            plate=schools.id,
            position=(340.0, 190.0),
            description="each school's true effect",
        ),
        Node(
            "se",
            "data",
            columns=["sigma"],
            plate=rows.id,
            position=(140.0, 360.0),
            description="the known standard error of each school's estimate",
        ),
        Node(
            "y",
            "observed",
            distribution="Normal",
            columns=["y"],
            plate=rows.id,
            params={"mu": "theta[school]", "sigma": "se"},
            position=(340.0, 360.0),
        ),
    ]
    for node in nodes:
        graph.add_node(node)
    for parent, child in (
        ("mu", "theta"),
        ("tau", "theta"),
        ("eta", "theta"),
        ("theta", "y"),
        ("se", "y"),
    ):
        graph.add_edge(Edge(graph.node_by_name(parent).id, graph.node_by_name(child).id))
    return graph


def mauna_loa_graph(dataset) -> Graph:  # noqa: ANN001
    """The classic composite kernel (trend + seasonal × decay + irregularities) over time."""
    return gp_graph(dataset.column_table(), "co2", ["t"], "gaussian", kernel=TREND_SEASONAL_KERNEL)


def write_normal_sample() -> None:
    """The classic first example: 100 draws from Normal(10, 2), fixed seed."""
    rng = np.random.default_rng(20261125)
    pd.DataFrame({"y": np.round(rng.normal(10.0, 2.0, 100), 4)}).to_csv(
        DATA / "normal_sample.csv", index=False
    )


def digits_graph(dataset) -> Graph:  # noqa: ANN001
    """A DCGAN on scikit-learn's bundled 8×8 digits; the table holds the same images as
    rows (px_<row>_<col>), so the analyst can see them in the data view."""
    graph = gan(dataset.column_table(), inputs=["digit"], image={"source": "digits"})
    generator = next(graph.nodes_of_kind("generator"))
    graph.update_node(generator.id, columns=[])  # the images come from options.image
    return graph


CUSTOM_GRAPHS = {
    "eight-schools": eight_schools_graph,
    "mauna-loa": mauna_loa_graph,
    "digits": digits_graph,
}

# What the kidiq example's report prints: an invented organisation using the model
# to offer extra reading support, so that the letter shows every section filled in.
KIDIQ_REPORT = {
    "organisation": "Example County Early Learning Service (an invented organisation)",
    "contact": "review@early-learning.example, or 0100 000 000 on weekdays",
    "purpose": (
        "It is used to decide which children are offered extra reading support before school."
    ),
    "outcome_name": "expected test score at age 3",
    "labels": {
        "mom_iq": "mother's IQ score",
        "mom_hs": "mother's schooling (1 = finished high school, 0 = not)",
    },
    "decision": {
        "threshold": 80,
        "direction": "below",
        "positive": "offered extra support",
        "negative": "not offered extra support",
    },
    "actionable": [{"feature": "mom_hs", "lower": 0, "upper": 1, "step": 1}],
    "significance": "Children offered support get two extra sessions a week for a year.",
    "consequences": "Not being offered support now does not prevent a later referral by a teacher.",
}


def build(example: Example) -> Path:
    dataset = read_table(DATA / example.data)
    project = Project(dataset)
    if example.template in CUSTOM_GRAPHS:
        project.set_graph(CUSTOM_GRAPHS[example.template](dataset))
    else:
        project.set_graph(
            make_template(
                example.template,
                dataset.column_table(),
                target=example.target,
                inputs=list(example.inputs),
                group=example.group,
            )
        )
    if example.file == "kidiq.wbproj":
        project.update_settings(report=KIDIQ_REPORT)
    out = EXAMPLES / example.file
    save_project(project, out)
    return out


def main() -> None:
    EXAMPLES.mkdir(parents=True, exist_ok=True)
    write_normal_sample()
    for example in EXAMPLES_TO_BUILD:
        print(f"wrote {build(example).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
