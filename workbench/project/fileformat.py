"""Reading and writing ``*.wbproj`` files (see docs/file-format.md).

Load is read → migrate → validate → build; each step refuses a bad file with a
one-line ProjectFileError and never touches the project that is open. A file
from a stranger is data only: no pickle, no eval, entries checked for path
tricks and zip bombs before anything is decompressed.
Save writes a temporary file beside the target, flushes it to disk and renames
it over the old file, so a crash leaves either the old file or the new one.
"""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pandas as pd

from backends.graph.model import Graph, GraphError
from backends.runtime import ResultState
from workbench import __version__
from workbench.project.dataset import DataError, Dataset, Source, build_dataset
from workbench.project.document import Project, Settings
from workbench.project.errors import ProjectFileError
from workbench.project.migrations import CURRENT_VERSION, migrate
from workbench.project.records import ReportRecord, RunRecord, now_iso
from workbench.project.schema_check import check_schema

PROJECT_JSON = "project.json"
TABLE_ENTRY = "data/table.parquet"
MAX_ENTRIES = 10_000
MAX_ENTRY_BYTES = 8 << 30  # 8 GiB uncompressed: far beyond any table we could show
MAX_TOTAL_BYTES = 16 << 30
MAX_RATIO = 200  # deflate rarely beats 100:1 on real data; bombs reach 1000:1
RATIO_CHECKED_FROM = 64 << 10  # small entries may compress well without harm
MAX_JSON_BYTES = 64 << 20
_PICKLE_SUFFIXES = (".pkl", ".pickle", ".pt", ".pth", ".joblib", ".ckpt")


# ===================================================================== load
def load_project(path: str | Path) -> Project:
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise ProjectFileError(f"{name}: no such file")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ProjectFileError(f"{name}: not a Workbench project (not a zip archive)") from exc
    except OSError as exc:
        raise ProjectFileError(f"{name}: cannot be read ({exc.strerror})") from exc
    with archive:
        _check_entries(archive, name)
        raw = _read_project_json(archive, name)
        raw = migrate(raw, name)
        check_schema(raw, name)
        _check_references(raw, name)
        try:
            project = _build(raw, archive, name)
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ProjectFileError):
                raise
            raise ProjectFileError(f"{name}: project.json is inconsistent ({exc!r})") from exc
    project.path = path
    return project


def _check_references(raw: dict[str, Any], name: str) -> None:
    """Each entry may be used once and each run id may appear once: a small file that
    names one entry a million times would otherwise expand a million-fold in memory."""
    entries = [raw["dataset"]["entry"]] if raw.get("dataset") else []
    run_ids: set[str] = set()
    for run in raw["runs"]:
        if run["id"] in run_ids:
            raise ProjectFileError(f"{name}: refused: two runs have the id {run['id']!r}")
        run_ids.add(run["id"])
        entries += [run["arrays"]] if run.get("arrays") else []
        entries += list(run.get("blobs", {}).values())
    seen: set[str] = set()
    for entry in entries:
        if entry in seen:
            raise ProjectFileError(f"{name}: refused: the entry {entry!r} is used twice")
        seen.add(entry)


def _check_entries(archive: zipfile.ZipFile, name: str) -> None:
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise ProjectFileError(f"{name}: refused: {len(infos)} entries (at most {MAX_ENTRIES})")
    total = 0
    for info in infos:
        entry = info.filename
        parts = PurePosixPath(entry).parts
        if entry.startswith(("/", "\\")) or "\\" in entry or (len(entry) > 1 and entry[1] == ":"):
            raise ProjectFileError(f"{name}: refused: entry {entry!r} has an absolute path")
        if ".." in parts:
            raise ProjectFileError(f"{name}: refused: entry {entry!r} points outside the project")
        if entry.lower().endswith(_PICKLE_SUFFIXES):
            raise ProjectFileError(
                f"{name}: refused: entry {entry!r} is a pickle, which could run code"
            )
        if info.file_size > MAX_ENTRY_BYTES:
            raise ProjectFileError(
                f"{name}: refused: entry {entry!r} declares an absurd size "
                f"({info.file_size:,} bytes)"
            )
        if (
            info.compress_size
            and info.file_size / info.compress_size > MAX_RATIO
            and info.file_size > RATIO_CHECKED_FROM
        ):
            raise ProjectFileError(
                f"{name}: refused: entry {entry!r} expands "
                f"{info.file_size // info.compress_size}-fold (a zip bomb?)"
            )
        total += info.file_size
        _refuse_pickle(archive, entry, name)
    if total > MAX_TOTAL_BYTES:
        raise ProjectFileError(f"{name}: refused: the entries declare {total:,} bytes in all")


def _read_entry(
    archive: zipfile.ZipFile, entry: str, name: str, limit: int = MAX_ENTRY_BYTES
) -> bytes:
    """Read one entry, trusting no declared size: stop past the limit."""
    try:
        with archive.open(entry) as handle:
            data = handle.read(limit + 1)
    except KeyError as exc:
        raise ProjectFileError(f"{name}: the entry {entry!r} is missing") from exc
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ProjectFileError(f"{name}: the entry {entry!r} is damaged ({exc})") from exc
    if len(data) > limit:
        raise ProjectFileError(f"{name}: refused: entry {entry!r} is larger than it declares")
    return data


def _refuse_pickle(archive: zipfile.ZipFile, entry: str, name: str) -> None:
    """Refuse an entry that starts like a pickle (protocol 2 and later), whatever its name."""
    try:
        with archive.open(entry) as handle:
            head = handle.read(2)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise ProjectFileError(f"{name}: the entry {entry!r} is damaged ({exc})") from exc
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        raise ProjectFileError(
            f"{name}: refused: entry {entry!r} is a pickle, which could run code"
        )


def _read_project_json(archive: zipfile.ZipFile, name: str) -> dict[str, Any]:
    if PROJECT_JSON not in archive.namelist():
        raise ProjectFileError(f"{name}: not a Workbench project (no {PROJECT_JSON} inside)")
    data = _read_entry(archive, PROJECT_JSON, name, MAX_JSON_BYTES)
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ProjectFileError(f"{name}: {PROJECT_JSON} is not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise ProjectFileError(
            f"{name}: {PROJECT_JSON} is malformed: {exc.msg} "
            f"at line {exc.lineno}, column {exc.colno}"
        ) from exc
    if not isinstance(raw, dict):
        raise ProjectFileError(f"{name}: {PROJECT_JSON} must hold a JSON object")
    return raw


def _build(raw: dict[str, Any], archive: zipfile.ZipFile, name: str) -> Project:
    try:
        graph = Graph.from_dict(raw["graph"])
    except GraphError as exc:
        raise ProjectFileError(f"{name}: the model graph is malformed: {exc}") from exc
    project = Project(
        _build_dataset(raw.get("dataset"), archive, name),
        graph,
        Settings.from_json(raw["settings"]),
    )
    project.created = raw.get("created", project.created)
    project.runs = [_build_run(r, archive, name) for r in raw["runs"]]
    project.reports = [ReportRecord.from_json(r) for r in raw["reports"]]
    return project


def _build_dataset(
    raw: dict[str, Any] | None, archive: zipfile.ZipFile, name: str
) -> Dataset | None:
    if raw is None:
        return None
    data = io.BytesIO(_read_entry(archive, raw["entry"], name))
    try:
        if raw["entry"].endswith(".parquet"):
            frame = pd.read_parquet(data)
        else:
            frame = pd.read_csv(data)
    except (ValueError, TypeError, OSError) as exc:
        raise ProjectFileError(f"{name}: the table {raw['entry']!r} is unreadable ({exc})") from exc
    types = {c["name"]: c["type"] for c in raw["columns"]}
    if list(types) != [str(c) for c in frame.columns]:
        raise ProjectFileError(
            f"{name}: the columns listed in {PROJECT_JSON} do not match the table"
        )
    source = Source(**raw["source"])
    try:
        return build_dataset(frame, source, types)
    except DataError as exc:
        raise ProjectFileError(
            f"{name}: the stored table does not match its column types: {exc}"
        ) from exc


def _build_run(raw: dict[str, Any], archive: zipfile.ZipFile, name: str) -> RunRecord:
    state = None
    if raw.get("meta") is not None:
        arrays: dict[str, np.ndarray] = {}
        if raw.get("arrays"):
            arrays = _load_npz(_read_entry(archive, raw["arrays"], name), raw["arrays"], name)
        blobs = {
            key: _read_entry(archive, entry, name) for key, entry in raw.get("blobs", {}).items()
        }
        state = ResultState(raw["meta"], arrays, blobs)
    if raw["graph"] is not None:  # kept as stored: the fingerprint is of what the file holds
        try:
            Graph.from_dict(raw["graph"])
        except GraphError as exc:
            raise ProjectFileError(
                f"{name}: the model of run {raw['id']} is malformed: {exc}"
            ) from exc
    return RunRecord(
        id=raw["id"],
        engine=raw["engine"],
        settings=raw["settings"],
        seed=raw["seed"],
        device=raw["device"],
        started=raw["started"],
        finished=raw["finished"],
        status=raw["status"],
        message=raw.get("message", ""),
        holdout_rows=list(raw.get("holdout_rows", [])),
        holdout_table=raw.get("holdout_table", ""),
        graph=raw["graph"],
        table_fingerprint=raw["table_fingerprint"],
        summary=raw.get("summary", {}),
        state=state,
    )


def _load_npz(data: bytes, entry: str, name: str) -> dict[str, np.ndarray]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except ValueError as exc:  # numpy says "Object arrays cannot be loaded when allow_pickle=False"
        raise ProjectFileError(f"{name}: refused: {entry!r} holds pickled objects ({exc})") from exc
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ProjectFileError(f"{name}: the arrays in {entry!r} are damaged ({exc})") from exc


# ===================================================================== save
def project_to_json(project: Project) -> dict[str, Any]:
    """The content of project.json, without the ``saved`` time stamp."""
    dataset = None
    if project.dataset is not None:
        ds = project.dataset
        dataset = {
            "entry": TABLE_ENTRY,
            "columns": [{"name": c, "type": ds.types[c]} for c in ds.columns],
            "source": ds.source.to_dict(),
        }
    runs = []
    for record in project.runs:
        entry = record.to_json()
        if record.state is not None:
            entry["arrays"] = f"runs/{record.id}/arrays.npz" if record.state.arrays else None
            entry["blobs"] = {key: f"runs/{record.id}/blobs/{key}" for key in record.state.blobs}
        runs.append(entry)
    return {
        "format": "workbench-project",
        "format_version": CURRENT_VERSION,
        "program_version": __version__,
        "created": project.created,
        "dataset": dataset,
        "graph": project.graph.to_dict(),
        "settings": project.settings.to_json(),
        "runs": runs,
        "reports": [r.to_json() for r in project.reports],
    }


def save_project(project: Project, path: str | Path) -> None:
    """Write atomically: the old file survives any failure before the final rename.

    A link is followed (the file it points at is replaced, the link stays), and the
    new file keeps the old one's permissions: a project kept private stays private.
    """
    link = Path(path)
    path = link.resolve()
    content = project_to_json(project)
    content["saved"] = now_iso()
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else None
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                _write_archive(handle, project, content)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, mode if mode is not None else 0o666 & ~_umask())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ProjectFileError(f"{link.name}: could not be saved ({exc.strerror or exc})") from exc
    except (ValueError, TypeError) as exc:  # e.g. a table column Parquet cannot store
        raise ProjectFileError(f"{link.name}: could not be saved ({exc})") from exc
    _fsync_directory(path.parent)
    project.mark_saved(link)


def _umask() -> int:
    """The process's umask (reading it means setting it; it is put back at once)."""
    current = os.umask(0o022)
    os.umask(current)
    return current


def _write_archive(handle: Any, project: Project, content: dict[str, Any]) -> None:
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(PROJECT_JSON, json.dumps(content, indent=2, ensure_ascii=False))
        if project.dataset is not None:
            buffer = io.BytesIO()
            project.dataset.frame.to_parquet(buffer, index=False)
            archive.writestr(TABLE_ENTRY, buffer.getvalue())
        for record in project.runs:
            if record.state is None:
                continue
            if record.state.arrays:
                buffer = io.BytesIO()
                np.savez_compressed(buffer, **record.state.arrays)
                archive.writestr(f"runs/{record.id}/arrays.npz", buffer.getvalue())
            for key, blob in record.state.blobs.items():
                archive.writestr(f"runs/{record.id}/blobs/{key}", blob)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on directories; the data is already safe
    finally:
        os.close(fd)
