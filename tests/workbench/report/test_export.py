"""Export: self-contained HTML, PDF with text, the audit record, clear refusals."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import numpy as np
import pytest

from workbench.project import Project, load_project, save_project
from workbench.project.dataset import file_sha256
from workbench.report import ReportError, explain_row_json, export_report

FIRST_LINE = "Explanation of a decision about you"


def test_html_references_nothing_outside_itself(project, tmp_path: Path) -> None:
    out = tmp_path / "row3.html"
    export_report(project, out, row=3)
    html = out.read_text(encoding="utf-8")
    assert FIRST_LINE in html
    assert not re.search(r"https?:|ftp:|file:|//[a-z]", html, flags=re.I)
    for attr, value in re.findall(r'(?<![-\w])(src|href|srcset|action)\s*=\s*"([^"]*)"', html):
        assert value.startswith(("data:", "#")), (attr, value)
    assert "<link" not in html and "<script" not in html and "@import" not in html
    assert "url(" not in html.replace("url(#arrow)", "")
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(svgs) == 3  # the factors, the drawn model, global importance
    for svg in svgs:  # each figure is well-formed SVG
        ET.fromstring(svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))
    assert "@media print" in html
    # a Bayesian model's average effects come with their ranges
    assert '<th class="r">from</th>' in html and "with its 90% range" in html


def pdf_text(path: Path) -> str | None:
    """The PDF's text via pdftotext, or None where poppler is not installed."""
    if shutil.which("pdftotext") is None:
        return None
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_has_text_layer(data: bytes) -> bool:
    """Without poppler: text drawn with fonts that map glyphs back to Unicode."""
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, flags=re.S)
    content = b""
    for raw in streams:
        try:
            content += zlib.decompress(raw)
        except zlib.error:
            content += raw
    return b"/ToUnicode" in data and b"BT" in content and (b"Tj" in content or b"TJ" in content)


def test_pdf_has_selectable_text(project, tmp_path: Path, qapp) -> None:  # noqa: ANN001
    """(qapp: a QApplication made first, as in the window; the printer would otherwise
    make a QGuiApplication, and later widget tests in this process could not run.)"""
    out = tmp_path / "row3.pdf"
    record = export_report(project, out, row=3)
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    assert record.sha256 == file_sha256(out)
    assert pdf_has_text_layer(data)
    text = pdf_text(out)
    if text is None:
        return
    flat = " ".join(unicodedata.normalize("NFKC", text).split())  # "ﬁ" ligatures -> "fi"
    assert FIRST_LINE in flat
    assert "Technical annex" in flat and "Data file SHA-256" in flat
    explanation = explain_row_json(project, 3)
    assert project.dataset.source.sha256[:32] in flat.replace(" ", "")
    assert explanation["target"] in flat


def test_export_is_recorded_and_saved(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    record = export_report(project, out, row=4, level=0.8)
    assert project.reports[-1] is record
    assert (record.kind, record.row, record.level, record.file_name) == (
        "decision",
        4,
        0.8,
        "r.html",
    )
    assert record.run_id == project.latest_run().id
    assert record.sha256 == file_sha256(out)
    save_project(project, tmp_path / "p.wbproj")
    again = load_project(tmp_path / "p.wbproj")
    assert again.reports[-1].to_json() == record.to_json()


def test_model_report(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "model.html"
    record = export_report(project, out, row=None, kind="model")
    html = out.read_text(encoding="utf-8")
    assert record.kind == "model" and record.row is None
    assert "Model report" in html and FIRST_LINE not in html
    for section in (
        "The model",
        "Engine and settings",
        "Reliability checks",
        "Calibration",
        "What matters across all cases",
        "Fairness",
        "provenance",
    ):
        assert section in html
    assert project.dataset.source.sha256 in html


@pytest.mark.parametrize(
    ("row", "words"),
    [
        (0, "row 0 does not exist: the table has rows 1 to 434"),
        (435, "row 435 does not exist"),
        ("3", "whole number"),
    ],
)
def test_a_bad_row_is_refused_clearly(project: Project, tmp_path: Path, row, words) -> None:
    with pytest.raises(ReportError, match=words):
        export_report(project, tmp_path / "x.html", row=row)
    assert project.reports == [] and not (tmp_path / "x.html").exists()


def test_a_row_with_a_missing_input_is_refused(project: Project, tmp_path: Path) -> None:
    project.dataset.frame.loc[9, "mom_iq"] = np.nan
    project.dataset._table_cache = None  # the table as engines see it, rebuilt
    with pytest.raises(ReportError, match="row 10 has no value for mom_iq"):
        export_report(project, tmp_path / "x.pdf", row=10)


def test_other_refusals(project: Project, tmp_path: Path, example_project: Path) -> None:
    with pytest.raises(ReportError, match=r"\.html or \.pdf"):
        export_report(project, tmp_path / "x.docx", row=1)
    with pytest.raises(ReportError, match="no run 'nope'"):
        export_report(project, tmp_path / "x.html", row=1, run_id="nope")
    with pytest.raises(ReportError, match="needs a row"):
        export_report(project, tmp_path / "x.html", row=None)
    with pytest.raises(ReportError, match="between 0 and 1"):
        export_report(project, tmp_path / "x.html", row=1, level=90)
    with pytest.raises(ReportError, match="no finished run"):
        export_report(load_project(example_project), tmp_path / "x.html", row=1)
    project.settings.report = {"decision": {"threshold": 1, "direction": "sideways"}}
    with pytest.raises(ReportError, match="'decision.direction'"):
        export_report(project, tmp_path / "x.html", row=1)
    project.settings.report = {"protected": "shoe_size"}
    with pytest.raises(ReportError, match="no column 'shoe_size'"):
        export_report(project, tmp_path / "x.html", row=1)


def test_the_explain_command(project: Project, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    from workbench.cli import main

    path = tmp_path / "fitted.wbproj"
    save_project(project, path)
    assert main(["explain", str(path), "--row", "3", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["row"] == 3
    assert set(record["prediction"]) >= {"mean", "lower", "upper", "level"}
    assert set(record["attributions"]) == {"mom_iq", "mom_hs"}
    for a in record["attributions"].values():
        assert a["lower"] <= a["value"] <= a["upper"]
    total = record["base_value"] + sum(a["value"] for a in record["attributions"].values())
    # the attributions add up to the value they explain (the posterior mean over their
    # draws), which is the predictive mean up to the Monte Carlo error of the draws
    assert abs(total - record["explained_value"]) <= record["additivity_error"] + 1e-9
    assert abs(record["explained_value"] - record["prediction"]["mean"]) < 0.01 * abs(total)
    assert isinstance(record["counterfactuals"], list)

    assert main(["explain", str(path), "--row", "3"]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"row 3: {record['prediction']['mean']:.4g} (90% interval")
    assert f"attributions ({record['method']}, {record['scale']} scale" in text
    assert "mom_iq" in text and "mom_hs" in text


def test_the_explain_command_shows_no_intervals_for_a_model_without_posterior(
    project: Project, tmp_path: Path, capsys, monkeypatch
) -> None:  # noqa: ANN001
    """A GAN critic's score is one number: its text says so instead of 'x to x' intervals."""
    import workbench.report
    from workbench.cli import main

    point = {
        "row": 1,
        "prediction": {"mean": -25.7, "lower": -25.7, "upper": -25.7, "level": 0.9},
        "base_value": -4.8,
        "method": "sampled-kernel",
        "scale": "response",
        "attributions": {"px_3_4": {"value": -4.8, "lower": -4.8, "upper": -4.8, "mc_error": 0.05}},
        "counterfactuals": [],
        "notes": [],
        "model_fingerprint": "0" * 64,
        "table_fingerprint": "0" * 64 + ":434",
        "table_changed": False,
    }
    monkeypatch.setattr(workbench.report, "explain_row_json", lambda *a, **k: point)
    path = tmp_path / "fitted.wbproj"
    save_project(project, path)
    assert main(["explain", str(path), "--row", "1"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("row 1: -25.7; average prediction -4.8")
    assert "no posterior, no intervals" in text and " to " not in text
    assert "± 0.05 sampling error" in text

    # a GP explained through its predictive mean: the prediction has its interval,
    # the attributions have none
    gp_mean = dict(point, prediction={"mean": 314.6, "lower": 314.2, "upper": 314.9, "level": 0.9})
    gp_mean["attributions"] = {"t": {"value": -24.2, "lower": -24.2, "upper": -24.2}}
    monkeypatch.setattr(workbench.report, "explain_row_json", lambda *a, **k: gp_mean)
    assert main(["explain", str(path), "--row", "1"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("row 1: 314.6 (90% interval 314.2 to 314.9)")
    assert "scale, no intervals):" in text and "-24.2 to" not in text
