"""Honesty gates: a failed convergence check is told to the person; an explanation
that does not add up is never exported."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.project import Project
from workbench.report import ReportError, analysis, build_content, export_report, render_html
from workbench.report.gates import ADDITIVITY_TOLERANCE, check_additivity

WARNING = "Please read this first"


def test_a_failed_convergence_check_opens_the_letter(project: Project) -> None:
    record = project.latest_run()
    record.summary = {**record.summary, "converged": False}
    html = render_html(build_content(project, row=2))
    assert WARNING in html
    assert html.index(WARNING) < html.index("1. The outcome")
    assert "did not pass its own reliability check" in html
    assert "The engine's convergence check did not pass." in html  # the annex says it too
    model_html = render_html(build_content(project, kind="model"))
    assert WARNING in model_html and "section 3 below" in model_html


def test_a_converged_run_carries_no_warning(project: Project) -> None:
    record = project.latest_run()
    record.summary = {**record.summary, "converged": True}
    html = render_html(build_content(project, row=2))
    assert WARNING not in html
    assert "The engine's convergence check passed." in html


def test_an_explanation_that_does_not_add_up_is_refused(
    project: Project, tmp_path: Path, monkeypatch
) -> None:
    honest = analysis.explain_one_row

    def broken(*args, **kwargs):
        record = honest(*args, **kwargs)
        record["additivity_error"] = 0.2 * sum(
            abs(a["value"]) for a in record["attributions"].values()
        )
        return record

    monkeypatch.setattr(analysis, "explain_one_row", broken)
    with pytest.raises(ReportError, match="does not add up"):
        export_report(project, tmp_path / "x.pdf", row=2)
    assert project.reports == [] and not (tmp_path / "x.pdf").exists()


def test_the_additivity_threshold() -> None:
    check_additivity(0.009, [0.5, -0.5], 3.0, "row 1")  # 0.9% of 1.0: fine
    with pytest.raises(ReportError, match="row 1"):
        check_additivity(1.01 * ADDITIVITY_TOLERANCE, [0.5, -0.5], 3.0, "row 1")
    check_additivity(1e-12, [0.0, 0.0], 5.0, "row 2")  # nothing matters, exactly
    with pytest.raises(ReportError):
        check_additivity(float("nan"), [1.0], 1.0, "row 3")
