"""Ensembles in worker processes: a ``concurrent.futures`` process pool.

The ensembles are independent, so each chunk of steps of each ensemble can run
in any process. Each worker compiles the model once (the pool's initializer gets
the graph as JSON and the table's arrays) and then advances ensembles that
arrive as plain data — positions, log-densities, random state, never the chain
so far. Workers are spawned rather than forked: the engine may run in a GUI
process with threads, which ``fork`` does not copy safely.

Stop: the parent waits on the chunks in slices of 0.1 s and, when the token is
set, cancels what has not started and returns at once (RunCancelled); a chunk
already running finishes in its worker, which then exits.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from backends.graph.compile import CompiledModel, build_model
from backends.graph.model import Graph
from backends.mcmc.sampler import Chunk, Ensemble, advance
from backends.runtime import CancelToken, ColumnTable, RunCancelled

_MODEL: CompiledModel | None = None  # the worker's compiled model


def _start_worker(graph: dict[str, Any], columns: dict, types: dict) -> None:
    global _MODEL
    _MODEL = build_model(Graph.from_dict(graph), ColumnTable(columns, types))


def _advance(ensemble: Ensemble, steps: int, move: str) -> Chunk:
    assert _MODEL is not None, "the worker was not initialised"
    return advance(_MODEL.log_density, ensemble, steps, move)


class PoolRunner:
    """A chunk runner backed by a process pool; use it as a context manager."""

    def __init__(
        self, graph: Graph, table: ColumnTable, processes: int, move: str, cancel: CancelToken
    ):
        self.cancel, self.move = cancel, move
        self.executor = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(graph.to_dict(), dict(table.columns), dict(table.types)),
        )

    def __enter__(self) -> PoolRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.executor.shutdown(wait=exc[0] is None, cancel_futures=True)

    def __call__(self, ensembles: list[Ensemble], steps: int) -> list[Chunk]:
        futures: list[Future] = [
            self.executor.submit(
                _advance, Ensemble(e.coords, e.log_prob, e.random_state), steps, self.move
            )
            for e in ensembles
        ]
        pending = set(futures)
        while pending:
            if self.cancel.cancelled:
                for future in pending:
                    future.cancel()
                raise RunCancelled("the run was stopped")
            _, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
        return [f.result() for f in futures]
