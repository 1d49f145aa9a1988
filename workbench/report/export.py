"""Export a report to a file and record it in the project (the audit trail).

The file's SHA-256 goes into the project's report records together with the
run, row, level and time, so that an organisation can later show which report
was sent, made from which run. The file format follows the suffix: .html/.htm
(self-contained) or .pdf (printed through Qt, see pdf.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backends.runtime import CancelToken
from workbench.project import Project, ReportRecord
from workbench.project.dataset import file_sha256
from workbench.report import analysis
from workbench.report.content import KINDS, ReportOptions, build_content
from workbench.report.errors import ReportError
from workbench.report.render import render_html

SUFFIXES = (".html", ".htm", ".pdf")


def explain_row_json(
    project: Project, row: int, run_id: str | None = None, level: float = 0.9
) -> dict[str, Any]:
    """The explanation record (schema workbench.explanation/1, docs/explain.md) of table
    row ``row`` (numbered from 1) — exactly the numbers a decision report prints."""
    if not 0 < level < 1:
        raise ReportError(f"the level must be between 0 and 1 (e.g. 0.9), got {level}")
    settings = analysis.project_settings(project)
    record = analysis.finished_run(project, run_id)
    data = analysis.run_data(project, record)
    return analysis.explain_one_row(data, row, level, settings)


def check_out_path(out_path: str | Path) -> Path:
    path = Path(out_path)
    if path.suffix.lower() not in SUFFIXES:
        raise ReportError(f"{path.name}: a report is written as .html or .pdf")
    if not path.parent.is_dir():
        raise ReportError(f"{path.parent}: no such folder")
    return path


def write_report(project: Project, content: dict[str, Any], out_path: str | Path) -> ReportRecord:
    """Write already built content to HTML or PDF and record it in the project."""
    path = check_out_path(out_path)
    if path.suffix.lower() == ".pdf":
        from workbench.report.pdf import write_pdf  # Qt is loaded only to print a PDF

        write_pdf(content, path)
    else:
        path.write_text(render_html(content), encoding="utf-8")
    person = content.get("person")
    record = ReportRecord(
        run_id=content["run_id"],
        kind=content["kind"],
        row=person["row"] if person else None,
        level=float(content["level"]),
        file_name=path.name,
        sha256=file_sha256(path),
        created=content["created"],
    )
    project.add_report(record)
    return record


def export_report(
    project: Project,
    out_path: str | Path,
    *,
    row: int | None,
    run_id: str | None = None,
    level: float = 0.9,
    kind: str = "decision",
    options: ReportOptions | None = None,
    cancel: CancelToken | None = None,
) -> ReportRecord:
    """Build, write and record a report; raise ReportError with the reason when it
    cannot be made honestly (no finished run, bad row, explanation that does not add
    up, unknown suffix). ``row`` is numbered from 1 (None for a model report)."""
    if kind not in KINDS:
        raise ReportError(f"a report is 'decision' (one row) or 'model', not {kind!r}")
    check_out_path(out_path)  # before seconds of work, not only when writing
    base = options or ReportOptions()
    options = ReportOptions(
        level=level,
        max_factors=base.max_factors,
        include_annex=base.include_annex,
        created=base.created,
    )
    content = build_content(
        project,
        kind=kind,
        row=row if kind == "decision" else None,
        run_id=run_id,
        options=options,
        cancel=cancel,
    )
    return write_report(project, content, out_path)
