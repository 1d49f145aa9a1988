"""The .wbproj file: exact round trips, atomic saves, and refusal of bad or hostile files."""

from __future__ import annotations

import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from backends.graph.model import Edge, Graph, Node, Plate
from backends.runtime import ResultState
from workbench.project import (
    Project,
    ProjectFileError,
    RunRecord,
    fileformat,
    load_project,
    project_to_json,
    read_table,
    save_project,
)
from workbench.project.records import ReportRecord

TEST_DATA = Path(__file__).resolve().parents[1] / "data"


def small_graph() -> Graph:
    graph = Graph()
    plate = graph.add_plate(Plate("rows", position=(10.0, 200.0)))
    mu = graph.add_node(
        Node(
            "mu",
            "stochastic",
            distribution="Uniform",
            params={"lower": "0", "upper": "100"},
            position=(50.0, 20.0),
        )
    )
    sigma = graph.add_node(
        Node(
            "sigma",
            "stochastic",
            distribution="Uniform",
            params={"lower": "0", "upper": "10"},
            position=(150.0, 20.0),
        )
    )
    y = graph.add_node(
        Node(
            "y",
            "observed",
            distribution="Normal",
            columns=["kid_score"],
            params={"mu": "mu", "sigma": "sigma"},
            plate=plate.id,
            position=(100.0, 240.0),
        )
    )
    graph.add_edge(Edge(mu.id, y.id))
    graph.add_edge(Edge(sigma.id, y.id))
    return graph


def full_project(kidiq_csv: Path) -> Project:
    project = Project(read_table(kidiq_csv), small_graph())
    state = ResultState(
        {"engine": "mcmc", "names": ["mu", "sigma"]},
        {"draws": np.arange(24.0).reshape(2, 6, 2)},
        {"weights.bin": b"\x00\x01"},
    )
    project.runs.append(
        RunRecord(
            "mcmc",
            {"steps": 10},
            3,
            "cpu",
            "2026-01-01T00:00:00+00:00",
            "2026-01-01T00:00:05+00:00",
            summary={"converged": True},
            holdout_rows=[2, 7, 11],
            state=state,
        )
    )
    project.settings.holdout = 0.25
    project.reports.append(ReportRecord("r", "decision", 4, 0.9, "row4.html", "0" * 64))
    return project


def test_new_save_open_save_gives_the_same_project_json(tmp_path: Path, kidiq_csv: Path) -> None:
    project = full_project(kidiq_csv)
    first = tmp_path / "a.wbproj"
    save_project(project, first)
    reopened = load_project(first)
    second = tmp_path / "b.wbproj"
    save_project(reopened, second)
    assert project_to_json(reopened) == project_to_json(project)
    assert _stored_json(first) | {"saved": None} == _stored_json(second) | {"saved": None}


def test_round_trip_keeps_table_types_arrays_and_blobs(tmp_path: Path, kidiq_csv: Path) -> None:
    project = full_project(kidiq_csv)
    save_project(project, tmp_path / "p.wbproj")
    back = load_project(tmp_path / "p.wbproj")
    assert back.dataset.types == project.dataset.types
    assert back.dataset.frame.equals(project.dataset.frame)
    assert back.dataset.source == project.dataset.source
    state = back.runs[0].state
    np.testing.assert_array_equal(state.arrays["draws"], project.runs[0].state.arrays["draws"])
    assert state.blobs == {"weights.bin": b"\x00\x01"}
    assert back.graph.to_dict() == project.graph.to_dict()
    assert back.runs[0].holdout_rows == [2, 7, 11] and back.settings.holdout == 0.25
    assert back.path == tmp_path / "p.wbproj" and not back.modified


@pytest.mark.parametrize(
    "version_file", sorted(TEST_DATA.glob("format-v*.wbproj")), ids=lambda p: p.name
)
def test_every_past_format_version_still_opens(version_file: Path) -> None:
    project = load_project(version_file)
    assert project.dataset is not None and project.dataset.n_rows > 0
    assert project.graph.nodes
    assert project.runs and project.runs[0].state is not None


def test_a_past_version_file_exists_for_every_version() -> None:
    from workbench.project.migrations import CURRENT_VERSION

    have = {p.name for p in TEST_DATA.glob("format-v*.wbproj")}
    assert have == {f"format-v{v}.wbproj" for v in range(1, CURRENT_VERSION + 1)}


def test_a_failed_save_leaves_the_previous_file_intact(
    tmp_path: Path, kidiq_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "p.wbproj"
    project = full_project(kidiq_csv)
    save_project(project, path)
    before = path.read_bytes()

    def crash_half_way(handle, project, content):  # noqa: ANN001 - the real signature
        handle.write(b"PK\x03\x04 half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fileformat, "_write_archive", crash_half_way)
    project.graph.update_node(next(iter(project.graph.nodes)), name="changed")
    with pytest.raises(ProjectFileError, match="No space left"):
        save_project(project, path)
    assert path.read_bytes() == before
    assert load_project(path).graph.node_by_name("mu") is not None
    assert [p.name for p in tmp_path.iterdir()] == ["p.wbproj"]  # no temporary left behind


# ------------------------------------------------------------ hostile files
def _stored_json(path: Path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("project.json"))


def _write_zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def _valid_json(**changes: object) -> bytes:
    raw = {
        "format": "workbench-project",
        "format_version": 1,
        "dataset": None,
        "graph": {"nodes": [], "edges": [], "plates": []},
        "settings": {},
        "runs": [],
        "reports": [],
    }
    raw.update(changes)
    return json.dumps(raw).encode()


def _write_text(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _run(run_id: str, **extra: object) -> dict:
    run = {
        "id": run_id,
        "engine": "mcmc",
        "settings": {},
        "seed": 1,
        "device": "cpu",
        "started": "",
        "finished": "",
        "status": "finished",
        "meta": {},
    }
    run.update(extra)
    return run


def _bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.json", _valid_json())
        archive.writestr("data/table.csv", b"0" * (50 << 20))  # 50 MB of zeros: ~1000:1
    return path


def _npz_with_objects() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, draws=np.array([{"a": 1}], dtype=object))
    return buffer.getvalue()


HOSTILE = {
    "not a zip": (lambda p: _write_text(p, "hello, I am text"), "not a zip archive"),
    "no project.json": (lambda p: _write_zip(p, {"other.txt": b"x"}), "no project.json"),
    "malformed json": (lambda p: _write_zip(p, {"project.json": b'{"format": '}), "malformed"),
    "not an object": (lambda p: _write_zip(p, {"project.json": b"[1, 2]"}), "JSON object"),
    "newer version": (
        lambda p: _write_zip(p, {"project.json": _valid_json(format_version=99)}),
        "newer Workbench",
    ),
    "absolute path": (
        lambda p: _write_zip(p, {"project.json": _valid_json(), "/etc/passwd": b"x"}),
        "absolute path",
    ),
    "parent path": (
        lambda p: _write_zip(p, {"project.json": _valid_json(), "../evil.txt": b"x"}),
        "outside the project",
    ),
    "zip bomb": (_bomb, "zip bomb"),
    "pickle entry": (
        lambda p: _write_zip(
            p, {"project.json": _valid_json(), "runs/x/model.pkl": pickle.dumps(1)}
        ),
        "pickle",
    ),
    "pickle disguised": (
        lambda p: _write_zip(
            p, {"project.json": _valid_json(), "data/table.parquet": pickle.dumps([1])}
        ),
        "pickle",
    ),
    "pickled npz": (
        lambda p: _write_zip(
            p,
            {
                "project.json": _valid_json(
                    runs=[
                        {
                            "id": "r1",
                            "engine": "mcmc",
                            "settings": {},
                            "seed": 1,
                            "device": "cpu",
                            "started": "",
                            "finished": "",
                            "status": "finished",
                            "meta": {},
                            "arrays": "runs/r1/arrays.npz",
                        }
                    ]
                ),
                "runs/r1/arrays.npz": _npz_with_objects(),
            },
        ),
        "pickled objects",
    ),
    "bad field": (
        lambda p: _write_zip(
            p,
            {
                "project.json": _valid_json(
                    runs=[
                        {
                            "id": "r1",
                            "engine": "mcmc",
                            "settings": {},
                            "seed": 1,
                            "device": "cpu",
                            "started": "",
                            "finished": "",
                            "status": "exploded",
                        }
                    ]
                )
            },
        ),
        "runs[0].status",
    ),
    "entry used twice": (
        lambda p: _write_zip(
            p,
            {
                "project.json": _valid_json(runs=[_run("r1", blobs={"a": "z", "b": "z"})]),
                "z": b"0" * 1024,
            },
        ),
        "used twice",
    ),
    "duplicate run ids": (
        lambda p: _write_zip(p, {"project.json": _valid_json(runs=[_run("r1"), _run("r1")])}),
        "two runs have the id",
    ),
    "blob key that escapes": (
        lambda p: _write_zip(
            p,
            {
                "project.json": _valid_json(runs=[_run("r1", blobs={"../../x": "z"})]),
                "z": b"0",
            },
        ),
        "runs[0].blobs",
    ),
    "unknown key in source": (
        lambda p: _write_zip(
            p,
            {
                "project.json": _valid_json(
                    dataset={
                        "entry": "data/table.csv",
                        "columns": [{"name": "y", "type": "numeric"}],
                        "source": {"name": "a", "sha256": "0" * 64, "rows": 1, "evil": 1},
                    }
                ),
                "data/table.csv": b"y\n1\n",
            },
        ),
        "dataset.source",
    ),
    "a held-out share of 1": (
        lambda p: _write_zip(p, {"project.json": _valid_json(settings={"holdout": 1.0})}),
        "holdout",
    ),
    "held-out rows that are not row numbers": (
        lambda p: _write_zip(
            p, {"project.json": _valid_json(runs=[_run("r1", holdout_rows=["x"])])}
        ),
        "holdout_rows",
    ),
    "held-out row numbers too large or repeated": (
        lambda p: _write_zip(
            p, {"project.json": _valid_json(runs=[_run("r1", holdout_rows=[10**30, 5, 5])])}
        ),
        "holdout_rows",
    ),
    "not a workbench file": (
        lambda p: _write_zip(p, {"project.json": b'{"format": "other"}'}),
        "not a Workbench project",
    ),
    "dangling edge": (
        lambda p: _write_zip(
            p,
            {
                "project.json": _valid_json(
                    graph={
                        "nodes": [],
                        "plates": [],
                        "edges": [{"id": "e", "source": "a", "target": "b"}],
                    }
                )
            },
        ),
        "missing node",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_bad_or_hostile_files_are_refused_with_a_one_line_message(
    tmp_path: Path, case: str
) -> None:
    make, expected = HOSTILE[case]
    path = make(tmp_path / "bad.wbproj")
    with pytest.raises(ProjectFileError) as info:
        load_project(path)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message and message.startswith("bad.wbproj")


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ProjectFileError, match="no such file"):
        load_project(tmp_path / "nowhere.wbproj")


def test_a_hand_written_project_with_a_csv_table_opens(tmp_path: Path) -> None:
    """docs/file-format.md promises that a person can write a project by hand."""
    doc = json.loads(
        (Path(__file__).resolve().parents[2] / "docs" / "example-project.json").read_text()
    )
    table = b"y\n9.1\n11.4\n10.2\n"
    path = _write_zip(
        tmp_path / "hand.wbproj",
        {"project.json": json.dumps(doc).encode(), "data/table.csv": table},
    )
    project = load_project(path)
    assert project.dataset.n_rows == 3
    assert {n.name for n in project.graph.nodes.values()} == {"mu", "sigma", "y"}


def test_saving_keeps_the_file_private_and_follows_a_link(tmp_path: Path, kidiq_csv: Path) -> None:
    import os
    import stat

    real = tmp_path / "private.wbproj"
    save_project(full_project(kidiq_csv), real)
    os.chmod(real, 0o600)
    link = tmp_path / "link.wbproj"
    link.symlink_to(real)
    save_project(load_project(link), link)
    assert link.is_symlink()
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
