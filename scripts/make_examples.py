"""Build the example projects in resources/examples/ from the data in resources/data/.

Run it whenever the project format changes: ``python scripts/make_examples.py``.
The projects hold a model but no runs, so they stay small and open instantly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

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


EXAMPLES_TO_BUILD = (
    Example("kidiq.wbproj", "kidiq.csv", "linear-regression", "kid_score", ("mom_iq", "mom_hs")),
    Example("normal-sample.wbproj", "normal_sample.csv", "normal", "y"),
)


def write_normal_sample() -> None:
    """The classic first example: 100 draws from Normal(10, 2), fixed seed."""
    rng = np.random.default_rng(20261125)
    pd.DataFrame({"y": np.round(rng.normal(10.0, 2.0, 100), 4)}).to_csv(
        DATA / "normal_sample.csv", index=False)


def build(example: Example) -> Path:
    dataset = read_table(DATA / example.data)
    project = Project(dataset)
    project.set_graph(make_template(example.template, dataset.column_table(), target=example.target,
                                    inputs=list(example.inputs), group=example.group))
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
