"""The `workbench` command: subcommands, exit codes, JSON outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.project import load_project


def run_cli(capsys, *args: str) -> tuple[int, str, str]:  # noqa: ANN001
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_new_from_template_then_validate_and_info(tmp_path: Path, kidiq_csv: Path, capsys) -> None:  # noqa: ANN001
    out = tmp_path / "kid.wbproj"
    code, stdout, _ = run_cli(
        capsys,
        "new",
        out,
        "--data",
        kidiq_csv,
        "--template",
        "linear-regression",
        "--target",
        "kid_score",
        "--inputs",
        "mom_iq",
    )
    assert code == 0 and "434 rows" in stdout
    code, stdout, _ = run_cli(capsys, "validate", out)
    assert code == 0 and "valid" in stdout
    code, stdout, _ = run_cli(capsys, "info", out, "--json")
    info = json.loads(stdout)
    assert code == 0
    assert info["table"]["rows"] == 434
    assert [c["name"] for c in info["table"]["columns"]] == ["kid_score", "mom_hs", "mom_iq"]
    assert info["model"]["suggested_engine"] == "mcmc"
    assert any(n["kind"] == "observed" for n in info["model"]["nodes"])
    assert info["runs"] == []


def test_new_with_a_hand_written_graph(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    doc = json.loads(
        (Path(__file__).resolve().parents[2] / "docs" / "example-project.json").read_text()
    )
    graph = tmp_path / "graph.json"
    graph.write_text(json.dumps(doc["graph"]))
    data = tmp_path / "heights.csv"
    data.write_text("y\n9.1\n11.4\n10.2\n")
    out = tmp_path / "hand.wbproj"
    code, _, err = run_cli(capsys, "new", out, "--data", data, "--graph", graph)
    assert code == 0, err
    assert {n.name for n in load_project(out).graph.nodes.values()} == {"mu", "sigma", "y"}
    assert run_cli(capsys, "validate", out)[0] == 0


def test_validate_names_node_and_field_and_exits_2(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    doc = json.loads(
        (Path(__file__).resolve().parents[2] / "docs" / "example-project.json").read_text()
    )
    doc["graph"]["nodes"][2]["params"]["sigma"] = "sigmaa"  # a typo: an unknown name
    graph = tmp_path / "graph.json"
    graph.write_text(json.dumps(doc["graph"]))
    data = tmp_path / "heights.csv"
    data.write_text("y\n9.1\n11.4\n10.2\n")
    out = tmp_path / "typo.wbproj"
    assert run_cli(capsys, "new", out, "--data", data, "--graph", graph)[0] == 0
    code, stdout, _ = run_cli(capsys, "validate", out, "--json")
    report = json.loads(stdout)
    assert code == 2 and report["valid"] is False
    problem = next(p for p in report["problems"] if p["severity"] == "error")
    assert problem["name"] == "y" and problem["field"] == "params.sigma"
    assert "sigmaa" in problem["message"]


@pytest.mark.parametrize(
    "args",
    [
        ("info", "missing.wbproj"),
        ("new", "out.wbproj", "--data", "missing.csv"),
        ("new", "out.wbproj", "--data", "{data}", "--template", "no-such-template"),
        (
            "new",
            "out.wbproj",
            "--data",
            "{data}",
            "--template",
            "linear-regression",
            "--target",
            "nope",
            "--inputs",
            "mom_iq",
        ),
        ("run", "{project}", "--set", "no_such_setting=1"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_traceback(
    tmp_path: Path,
    kidiq_csv: Path,
    example_project: Path,
    capsys,  # noqa: ANN001
    monkeypatch,
    args,
) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)
    filled = [a.format(data=kidiq_csv, project=example_project) for a in args]
    code, _, err = run_cli(capsys, *filled)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_python_dash_m_workbench_works() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "workbench", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout.startswith("workbench ")


def test_summary_without_runs_is_bad_input(example_project: Path, capsys) -> None:  # noqa: ANN001
    code, _, err = run_cli(capsys, "summary", example_project)
    assert code == 2 and "no finished run" in err


def test_the_documented_graphs_are_valid(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    """docs/file-format.md's examples must stay true: each JSON block parses, and the
    every-node-kind example builds a valid model on the eight-schools table."""
    import re

    docs = Path(__file__).resolve().parents[2] / "docs"
    blocks = [
        json.loads(b)
        for b in re.findall(r"```json\n(.*?)```", (docs / "file-format.md").read_text(), re.S)
    ]
    assert blocks[0] == json.loads((docs / "example-project.json").read_text())
    graph = tmp_path / "graph.json"
    graph.write_text(json.dumps(blocks[1]))
    out = tmp_path / "schools.wbproj"
    data = Path(__file__).resolve().parents[2] / "resources" / "data" / "eight_schools.csv"
    assert run_cli(capsys, "new", out, "--data", data, "--graph", graph)[0] == 0
    assert run_cli(capsys, "validate", out)[0] == 0
    assert {n.kind for n in load_project(out).graph.nodes.values()} == {
        "stochastic",
        "deterministic",
        "data",
        "observed",
        "constant",
    }
