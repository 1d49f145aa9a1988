"""A run keeps the model it fitted and the fingerprint of its table; its report and its
explanation describe those, not the project's current model and table, and a run from
an older file says what it did not keep."""

from __future__ import annotations

import html
import json
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from workbench.cli import main
from workbench.project import ProjectFileError, load_project, read_table, save_project
from workbench.project.records import now_iso
from workbench.project.schema_check import check_schema
from workbench.report import explain_row_json
from workbench.report.analysis import run_data
from workbench.report.annex import _provenance, graph_statements
from workbench.report.provenance import (
    DATA_CHANGED,
    DATA_UNKNOWN,
    MODEL_UNKNOWN,
    model_hash,
)
from workbench.runner import failed_record, prepare_run

ROOT = Path(__file__).resolve().parents[2]
TEST_DATA = ROOT / "tests" / "data"
KIDIQ = ROOT / "resources" / "data" / "kidiq.csv"


@pytest.fixture(scope="module")
def mcmc_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mcmc") / "kidiq.wbproj"
    shutil.copy(ROOT / "resources" / "examples" / "kidiq.wbproj", path)
    assert main(["run", str(path), "--quick"]) == 0
    return path


@pytest.fixture(scope="module")
def gp_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GP on 60 rows of kidiq: fitted in seconds (the Mauna Loa example takes a minute)."""
    folder = tmp_path_factory.mktemp("gp")
    pd.read_csv(KIDIQ).head(60).to_csv(folder / "small.csv", index=False)
    path = folder / "small-gp.wbproj"
    new = ["new", str(path), "--data", str(folder / "small.csv"), "--template", "gp-regression"]
    assert main([*new, "--target", "kid_score", "--inputs", "mom_iq,mom_hs"]) == 0
    assert main(["run", str(path), "--quick"]) == 0
    return path


def edit_mcmc_model(path: Path) -> None:
    """Rename the noise's node and change the intercept's prior; keep the run and table."""
    project = load_project(path)
    graph = project.graph
    graph.update_node(graph.node_by_name("sigma").id, name="noise_sd")
    graph.update_node(graph.node_by_name("kid_score").id, params={"mu": "mu", "sigma": "noise_sd"})
    graph.update_node(graph.node_by_name("alpha").id, params={"mu": "123.5", "sigma": "51"})
    save_project(project, path)


def edit_gp_model(path: Path) -> None:
    """Rename the GP's node and change its kernel; keep the run and table."""
    project = load_project(path)
    graph = project.graph
    gp = graph.node_by_name("f")
    options = json.loads(json.dumps(gp.options))
    options["kernel"]["kind"] = "matern52"
    graph.update_node(gp.id, name="trend_fn", options=options)
    graph.update_node(graph.node_by_name("kid_score").id, params={"mu": "trend_fn"})
    save_project(project, path)


EDITS = {
    "mcmc": (edit_mcmc_model, ("noise_sd", "123.5")),
    "gp": (edit_gp_model, ("trend_fn", "matern52")),
}


@pytest.mark.parametrize("engine", ["mcmc", "gp"])
def test_the_report_and_explanation_describe_the_fitted_model_after_an_edit(
    engine: str,
    mcmc_file: Path,
    gp_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "edited.wbproj"
    shutil.copy(mcmc_file if engine == "mcmc" else gp_file, path)
    fitted = load_project(path)
    run = fitted.runs[-1]
    assert run.engine == engine
    assert run.graph == fitted.graph.to_dict()  # the model as it was when it ran
    assert run.table_fingerprint == fitted.dataset.column_table().fingerprint != ""
    edit, new_words = EDITS[engine]
    edit(path)
    edited = load_project(path)
    assert edited.runs[-1].graph == run.graph
    assert model_hash(edited.graph.to_dict()) != model_hash(run.graph)

    capsys.readouterr()
    assert main(["explain", str(path), "--row", "1", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["run_id"] == run.id
    assert record["model_fingerprint"] == model_hash(run.graph)
    assert record["table_fingerprint"] == run.table_fingerprint
    assert record["table_changed"] is False

    out = tmp_path / "row1.html"
    assert main(["report", str(path), "--row", "1", "-o", str(out)]) == 0
    text = html.unescape(out.read_text(encoding="utf-8"))
    assert model_hash(run.graph) in text
    assert model_hash(edited.graph.to_dict()) not in text
    for statement in graph_statements(run.graph):  # the formulas name the old node
        assert statement in text
    for word in new_words:  # nothing of the edited model
        assert word not in text
    assert "Picture of the model" in text
    assert MODEL_UNKNOWN not in text and DATA_CHANGED not in text and DATA_UNKNOWN not in text


def test_a_replaced_table_is_named_as_another_than_the_one_fitted(
    mcmc_file: Path, tmp_path: Path
) -> None:
    project = load_project(mcmc_file)
    run = project.latest_run()
    shorter = tmp_path / "kidiq-400.csv"
    pd.read_csv(KIDIQ).head(400).to_csv(shorter, index=False)
    project.set_dataset(read_table(shorter, types=project.dataset.types))
    record = explain_row_json(project, 1)
    assert record["table_fingerprint"] == run.table_fingerprint
    assert record["table_changed"] is True
    provenance = _provenance(project, run_data(project, run))
    assert provenance["notes"] == [DATA_CHANGED]
    rows = dict(provenance["table"])
    sha256, _, count = run.table_fingerprint.rpartition(":")
    assert rows["Data the run was fitted on: file SHA-256"] == sha256
    assert rows["Rows in that table"] == f"{int(count):,}" == "434"
    assert rows["Its SHA-256"] == project.dataset.source.sha256 != sha256
    assert rows["Rows in it"] == "400"


def write_as_format_1(source: Path, target: Path) -> None:
    """The project as a Workbench of format 1 would have saved it: runs without their
    graph and table fingerprint (an MCMC result keeps its graph in its meta)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "project.json":
                raw = json.loads(data)
                raw["format_version"] = 1
                for run in raw["runs"]:
                    del run["graph"], run["table_fingerprint"]
                data = json.dumps(raw).encode()
            new.writestr(info, data)


def test_an_old_gp_run_says_its_model_and_data_are_not_known(
    gp_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old.wbproj"
    write_as_format_1(gp_file, path)
    project = load_project(path)
    assert project.runs[-1].graph is None and project.runs[-1].table_fingerprint == ""
    current = graph_statements(project.graph.to_dict())

    capsys.readouterr()
    assert main(["explain", str(path), "--row", "1", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["model_fingerprint"] is None
    assert record["table_fingerprint"] is None and record["table_changed"] is None
    assert main(["explain", str(path), "--row", "1"]) == 0
    printed = capsys.readouterr().out
    assert f"note: {MODEL_UNKNOWN}" in printed and f"note: {DATA_UNKNOWN}" in printed

    out = tmp_path / "row1.html"
    assert main(["report", str(path), "--row", "1", "-o", str(out)]) == 0
    text = html.unescape(out.read_text(encoding="utf-8"))
    assert MODEL_UNKNOWN in text and DATA_UNKNOWN in text
    assert "Picture of the model" not in text  # the current model is not drawn as the fitted one
    assert not any(statement in text for statement in current)
    assert model_hash(project.graph.to_dict()) not in text
    assert "not known" in text


def test_an_old_mcmc_run_keeps_the_model_its_result_saved(mcmc_file: Path, tmp_path: Path) -> None:
    """The MCMC engine has always saved its graph with its result: that is the fitted
    model, not a guess, so an old MCMC run's report still describes it."""
    path = tmp_path / "old.wbproj"
    write_as_format_1(mcmc_file, path)
    edit_mcmc_model(path)
    project = load_project(path)
    run = project.latest_run()
    assert run.graph is None and run.state.meta["graph"]["nodes"]
    record = explain_row_json(project, 1)
    assert record["model_fingerprint"] == model_hash(run.state.meta["graph"])
    assert record["table_fingerprint"] is None


def test_the_format_1_file_opens_and_lacks_graph_and_fingerprint() -> None:
    old = TEST_DATA / "format-v1.wbproj"
    with zipfile.ZipFile(old) as archive:
        raw = json.loads(archive.read("project.json"))
    assert raw["format_version"] == 1
    check_schema(raw, old.name)  # the published schema of version 1 still fits it
    run = load_project(old).runs[0]
    assert run.graph is None and run.table_fingerprint == ""
    current = load_project(TEST_DATA / "format-v2.wbproj").runs[0]
    assert current.graph is not None and current.table_fingerprint.endswith(":434")


def test_save_and_load_keep_the_runs_graph_and_fingerprint(mcmc_file: Path, tmp_path: Path) -> None:
    project = load_project(mcmc_file)
    run = project.latest_run()
    plan = prepare_run(project, holdout=0.25)
    # a failed run keeps what it was asked to fit: the whole table, held-out rows included
    failed = failed_record(plan, now_iso(), "stopped by the user", "cancelled")
    assert failed.graph == project.graph.to_dict()
    assert failed.table_fingerprint == project.dataset.column_table().fingerprint
    project.add_run(failed)
    path = tmp_path / "again.wbproj"
    save_project(project, path)
    with zipfile.ZipFile(path) as archive:
        stored = json.loads(archive.read("project.json"))
    assert stored["format_version"] == 2
    assert stored["runs"][0]["graph"] == run.graph
    back = load_project(path)
    for before, after in zip(project.runs, back.runs, strict=True):
        assert after.graph == before.graph and after.table_fingerprint == before.table_fingerprint
    assert model_hash(back.runs[0].graph) == model_hash(run.graph)


def test_a_malformed_run_model_or_a_missing_field_is_refused(
    mcmc_file: Path, tmp_path: Path
) -> None:
    def rewrite(change: object) -> Path:
        target = tmp_path / "bad.wbproj"
        with zipfile.ZipFile(mcmc_file) as old, zipfile.ZipFile(target, "w") as new:
            for info in old.infolist():
                data = old.read(info)
                if info.filename == "project.json":
                    raw = json.loads(data)
                    change(raw["runs"][0])
                    data = json.dumps(raw).encode()
                new.writestr(info, data)
        return target

    def dangling(run: dict) -> None:
        run["graph"]["edges"].append({"id": "e0", "source": "nowhere", "target": "nobody"})

    with pytest.raises(ProjectFileError, match="the model of run .* is malformed"):
        load_project(rewrite(dangling))
    with pytest.raises(ProjectFileError, match=r"runs\[0\].*'graph' is a required property"):
        load_project(rewrite(lambda run: run.pop("graph")))
    with pytest.raises(ProjectFileError, match=r"runs\[0\]\.table_fingerprint"):
        load_project(rewrite(lambda run: run.update(table_fingerprint="some table")))
