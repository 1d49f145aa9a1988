"""`workbench run`, `summary` and `predict` on the classic normal example."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.project import load_project

ROOT = Path(__file__).resolve().parents[2]
SUMMARY_KEYS = {
    "mean",
    "sd",
    "hdi_3%",
    "hdi_97%",
    "mcse_mean",
    "mcse_sd",
    "ess_bulk",
    "ess_tail",
    "r_hat",
}


@pytest.fixture(scope="module")
def ran_project(tmp_path_factory) -> Path:  # noqa: ANN001
    path = tmp_path_factory.mktemp("run") / "normal.wbproj"
    shutil.copy(ROOT / "resources" / "examples" / "normal-sample.wbproj", path)
    assert main(["run", str(path), "--quick", "--seed", "7"]) == 0
    return path


def test_run_stores_a_finished_run(ran_project: Path) -> None:
    project = load_project(ran_project)
    assert [r.status for r in project.runs] == ["finished"]
    assert project.runs[0].seed == 7 and project.runs[0].engine == "mcmc"
    assert project.runs[0].result().draws.ndim == 3


def test_summary_json_has_the_documented_keys(ran_project: Path, capsys) -> None:  # noqa: ANN001
    assert main(["summary", str(ran_project), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["engine"] == "mcmc"
    assert isinstance(summary["converged"], bool) and isinstance(summary["warnings"], list)
    assert set(summary["parameters"]) == {"mu", "sigma"}
    for row in summary["parameters"].values():
        assert SUMMARY_KEYS <= set(row)
    assert 9.0 < summary["parameters"]["mu"]["mean"] < 11.0
    assert summary["sampler"] == "ensemble" and "auto: 2 parameter(s)" in summary["sampler_reason"]


def test_the_sampler_is_chosen_with_set_and_named_in_the_summary(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    path = tmp_path / "schools.wbproj"
    shutil.copy(ROOT / "resources" / "examples" / "eight-schools.wbproj", path)
    assert main(["run", str(path), "--quick", "--set", "sampler=nuts", "--seed", "3"]) == 0
    capsys.readouterr()
    assert main(["summary", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["sampler"] == "nuts" and summary["sampler_reason"].startswith("nuts was asked")
    assert isinstance(summary["divergences"], int) and len(summary["e_bfmi"]) == summary["chains"]
    assert main(["summary", str(path)]) == 0
    text = capsys.readouterr().out
    assert "sampler: nuts" in text and "divergences:" in text


def test_predict_writes_mean_and_interval_for_new_rows(ran_project: Path, tmp_path: Path) -> None:
    import pandas as pd

    data = tmp_path / "new.csv"
    data.write_text("other\n1\n2\n")
    out = tmp_path / "pred.csv"
    assert (
        main(["predict", str(ran_project), "--data", str(data), "-o", str(out), "--level", "0.5"])
        == 0
    )
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["other", "y_mean", "y_lower", "y_upper"]
    assert (frame["y_lower"] < frame["y_mean"]).all() and (frame["y_mean"] < frame["y_upper"]).all()
    # a 50% predictive interval of Normal(mu≈10, sigma≈2) is about ±1.35
    width = (frame["y_upper"] - frame["y_lower"]).iloc[0]
    assert 2.2 < width < 3.3


def test_sample_refuses_a_project_without_a_gan_run(
    ran_project: Path, tmp_path: Path, capsys
) -> None:  # noqa: ANN001
    assert main(["sample", str(ran_project), "-n", "5", "-o", str(tmp_path / "s.csv")]) == 2
    assert "no finished GAN run" in capsys.readouterr().err


def test_an_unwritable_output_or_a_run_without_result_is_bad_input(
    ran_project: Path, tmp_path: Path, capsys
) -> None:  # noqa: ANN001
    data = tmp_path / "new.csv"
    data.write_text("other\n1\n")
    assert main(["predict", str(ran_project), "--data", str(data), "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_model_without_inputs_is_explained_and_reported(
    ran_project: Path, tmp_path: Path, capsys
) -> None:  # noqa: ANN001
    """y ~ Normal(mu, sigma) predicts the same for every row: nothing to attribute,
    and the letter says so instead of failing."""
    assert main(["explain", str(ran_project), "--row", "3", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["attributions"] == {} and record["method"] == "no-inputs"
    assert record["base_value"] == record["explained_value"] and record["additivity_error"] == 0
    out = tmp_path / "letter.html"
    assert main(["report", str(ran_project), "--row", "3", "-o", str(out)]) == 0
    assert "The model uses no information about you" in out.read_text()
    assert main(["report", str(ran_project), "--model", "-o", str(tmp_path / "model.html")]) == 0
