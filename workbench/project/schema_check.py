"""Validate project.json against the published JSON Schema of its format version."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from workbench.project.errors import ProjectFileError


@cache
def project_schema(version: int = 1) -> dict[str, Any]:
    text = resources.files("workbench.project.schema").joinpath(f"project-v{version}.schema.json")
    return json.loads(text.read_text(encoding="utf-8"))


def check_schema(raw: dict[str, Any], name: str) -> None:
    """Raise ProjectFileError naming the first offending field, e.g. ``runs[0].status``."""
    validator = jsonschema.Draft202012Validator(project_schema(raw["format_version"]))
    error = jsonschema.exceptions.best_match(validator.iter_errors(raw))
    if error is None:
        return
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    where = where.lstrip(".") or "the top level"
    raise ProjectFileError(f"{name}: project.json, {where}: {error.message}")
