"""Bring an older project.json up to the current format, one version at a time.

Each step is a pure function on the raw dict: ``MIGRATIONS[n]`` turns version n
into version n + 1. Keep one file of every past version under tests/data/ and a
test that it still opens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workbench.project.errors import ProjectFileError

CURRENT_VERSION = 2


def _v1_to_v2(raw: dict[str, Any]) -> dict[str, Any]:
    """Version 2 keeps with each run the model it fitted and the fingerprint of its
    table. A version 1 run did not keep them: they are marked unknown (``null`` and
    ``""``), never filled in from the project's current model and table, which may
    have been edited since the run."""
    runs = raw.get("runs")
    if not isinstance(runs, list):  # the schema check that follows names the problem
        return raw
    unknown = {"graph": None, "table_fingerprint": ""}
    return {**raw, "runs": [{**r, **unknown} if isinstance(r, dict) else r for r in runs]}


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


def migrate(raw: dict[str, Any], name: str) -> dict[str, Any]:
    if raw.get("format") != "workbench-project":
        raise ProjectFileError(
            f'{name}: not a Workbench project (project.json has no "format": "workbench-project")'
        )
    version = raw.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ProjectFileError(f"{name}: project.json has no valid format_version")
    if version > CURRENT_VERSION:
        raise ProjectFileError(
            f"{name}: written by a newer Workbench (format {version}; "
            f"this one reads up to {CURRENT_VERSION}); please update"
        )
    while version < CURRENT_VERSION:
        raw = MIGRATIONS[version](raw)
        version += 1
        raw["format_version"] = version
    return raw
