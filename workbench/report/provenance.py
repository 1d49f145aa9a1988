"""Fingerprints of what a report was made from: model, run and data.

A fingerprint is the SHA-256 of canonical JSON (sorted keys, no spaces, UTF-8)
— the same bytes for the same content on any machine — so that anyone holding
the project file can check that a report came from exactly this model and run.
Arrays enter through the SHA-256 of their raw bytes, dtype and shape.

A report describes the model and data of its run, never the project's current
ones, which may have been edited since: each run keeps the graph it fitted and the
fingerprint of its table. A run from a project of format 1 kept neither (only the
MCMC engine saved the graph in its result); what is not known is said, not guessed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from workbench.project import RunRecord


def canonical_json(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def sha256_json(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


MODEL_UNKNOWN = (
    "This run was made before the program kept each run's model; "
    "the model it was fitted with is not known."
)
DATA_UNKNOWN = (
    "This run was made before the program kept a fingerprint of each run's data; "
    "the table it was fitted on is not known, and the data described here are the "
    "table now in the project."
)
DATA_CHANGED = (
    "The data have changed since this run: the table now in the project is not the "
    "one the model was fitted on."
)


def run_graph(record: RunRecord) -> dict[str, Any] | None:
    """The model the run was fitted with: kept with the run, or, for a run of format 1,
    saved by the engine in its result (MCMC); None when neither kept it."""
    if record.graph is not None:
        return record.graph
    graph = record.state.meta.get("graph") if record.state is not None else None
    return graph if isinstance(graph, dict) else None


def model_hash(graph: dict[str, Any]) -> str:
    return sha256_json(graph)


def split_fingerprint(fingerprint: str) -> tuple[str, int]:
    """A table fingerprint ("<file SHA-256>:<rows>", ColumnTable.fingerprint) as its parts."""
    sha256, _, rows = fingerprint.rpartition(":")
    return sha256, int(rows)


def facts(record: RunRecord, current_table: str) -> dict[str, Any]:
    """What a report or an explanation states about the run's model and data:
    ``model_fingerprint`` (None: not known), ``table_fingerprint`` (of the table the
    run was fitted on; None: not known) and ``table_changed`` (whether the project's
    table, fingerprint ``current_table``, is another one now; None: cannot tell)."""
    graph = run_graph(record)
    table = record.table_fingerprint or None
    return {
        "run_id": record.id,
        "model_fingerprint": None if graph is None else model_hash(graph),
        "table_fingerprint": table,
        "table_changed": None if table is None else table != current_table,
    }


def caveats(known: dict[str, Any]) -> list[str]:
    """The sentences a reader must see about what is not known or no longer current."""
    out = [MODEL_UNKNOWN] if known["model_fingerprint"] is None else []
    if known["table_fingerprint"] is None:
        out.append(DATA_UNKNOWN)
    elif known["table_changed"]:
        out.append(DATA_CHANGED)
    return out


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
    fields = record.to_json()
    # a run of format 1 kept no model or table fingerprint: without the empty fields,
    # its fingerprint stays the one that the reports made before printed
    if fields["graph"] is None:
        del fields["graph"]
    if not fields["table_fingerprint"]:
        del fields["table_fingerprint"]
    return sha256_json({"record": fields, "arrays": arrays, "blobs": blobs})
