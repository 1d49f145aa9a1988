"""Fingerprints of what a report was made from: model, run and data.

A fingerprint is the SHA-256 of canonical JSON (sorted keys, no spaces, UTF-8)
— the same bytes for the same content on any machine — so that anyone holding
the project file can check that a report came from exactly this model and run.
Arrays enter through the SHA-256 of their raw bytes, dtype and shape.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from workbench.project import Project, RunRecord


def canonical_json(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def sha256_json(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


def run_graph(project: Project, record: RunRecord) -> dict[str, Any]:
    """The model as it was when the run was made (saved with MCMC results), else the
    project's current model."""
    meta = record.state.meta if record.state is not None else {}
    graph = meta.get("graph")
    return graph if isinstance(graph, dict) else project.graph.to_dict()


def model_hash(graph: dict[str, Any]) -> str:
    return sha256_json(graph)


def run_hash(record: RunRecord) -> str:
    arrays: dict[str, Any] = {}
    blobs: dict[str, str] = {}
    if record.state is not None:
        for name, array in sorted(record.state.arrays.items()):
            a = np.ascontiguousarray(array)
            arrays[name] = {
                "dtype": str(a.dtype),
                "shape": list(a.shape),
                "sha256": hashlib.sha256(a.tobytes()).hexdigest(),
            }
        blobs = {k: hashlib.sha256(v).hexdigest() for k, v in sorted(record.state.blobs.items())}
    return sha256_json({"record": record.to_json(), "arrays": arrays, "blobs": blobs})
