"""One MCMC run of the kidiq example per test session, saved once and loaded fresh
for each test (the quick run takes 5–20 s; loading takes a fraction of a second)."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.project import Project, load_project, save_project
from workbench.runner import execute_plan, prepare_run

REPORT_SETTINGS = {
    "organisation": "Northfield Council",
    "contact": "review@northfield.example",
    "outcome_name": "expected test score",
    "decision": {
        "threshold": 80,
        "direction": "below",
        "positive": "offered support",
        "negative": "not offered support",
    },
    "actionable": [{"feature": "mom_iq", "lower": 70, "upper": 140}],
    "protected": "mom_hs",
    "labels": {"mom_iq": "mother's IQ score"},
    "significance": "Support means a weekly reading session.",
}


@pytest.fixture(scope="session")
def fitted_project_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = Path(__file__).resolve().parents[3]
    project = load_project(root / "resources" / "examples" / "kidiq.wbproj")
    project.add_run(execute_plan(prepare_run(project, quick=True)))
    path = tmp_path_factory.mktemp("report") / "kidiq-fitted.wbproj"
    save_project(project, path)
    return path


@pytest.fixture
def project(fitted_project_file: Path) -> Project:
    """A fresh copy of the fitted project, with the organisation's report settings."""
    loaded = load_project(fitted_project_file)
    loaded.settings.report = {k: v for k, v in REPORT_SETTINGS.items()}
    return loaded
