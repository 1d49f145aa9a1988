"""The GAN engine's face to the run protocol (see backends/engines.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

from backends.gan.result import TabularGanResult
from backends.gan.spec import GanSpec, gan_spec_from_graph
from backends.graph.model import Graph
from backends.runtime import (
    CancelToken,
    ColumnTable,
    EngineError,
    ProgressCallback,
    ResultState,
    Setting,
    apply_settings,
    ignore_progress,
    resolve_device,
)

SETTINGS: list[Setting] = [
    Setting("steps", "Training steps", "int", 3000, "generator updates", 1, 1_000_000),
    Setting("batch_size", "Batch size", "int", 500, "rows per step", 2, 65_536),
    Setting(
        "learning_rate",
        "Learning rate",
        "float",
        1e-3,
        "Adam, both networks (use about 1e-4 with the wgan-gp objective)",
        1e-6,
        1e-1,
    ),
    Setting(
        "critic_learning_rate",
        "Critic learning rate",
        "float",
        0.0,
        "Adam for the critic (0: the learning rate); a faster critic (about 4× the "
        "generator's, TTUR) keeps up with an image generator in one critic step",
        0.0,
        1e-1,
        zero="the learning rate",
    ),
    Setting(
        "critic_steps",
        "Critic steps per step",
        "int",
        3,
        "critic updates per generator update; a critic that lags behind the generator "
        "gives it no signal",
        1,
        20,
    ),
    Setting(
        "quality_every",
        "Quality check every",
        "int",
        200,
        "steps between two-sample tests; the best checkpoint is chosen at these",
        1,
        1_000_000,
    ),
    Setting(
        "quality_rows",
        "Rows for quality checks",
        "int",
        2000,
        "at most this many rows are held out to measure quality",
        10,
        100_000,
    ),
    Setting(
        "holdout",
        "Held-out share",
        "float",
        0.2,
        "share of rows kept out of training to measure quality",
        0.01,
        0.5,
    ),
    Setting(
        "patience",
        "Patience",
        "int",
        5,
        "stop after this many quality checks without improvement (0: never)",
        0,
        1000,
    ),
    Setting(
        "typicality_steps",
        "Typicality steps",
        "int",
        500,
        "critic updates that turn it into a log-density score after training",
        1,
        100_000,
    ),
    Setting(
        "cpu_threads",
        "CPU threads",
        "int",
        1,
        "torch threads while training on the CPU; small networks gain little from more "
        "and lose badly when the cores are shared",
        1,
        256,
    ),
    Setting(
        "compile",
        "Compile (GPU)",
        "bool",
        False,
        "torch.compile the training passes: fewer kernel launches on a GPU; the first "
        "steps pay for compilation",
    ),
    Setting(
        "target_auc",
        "Stop at AUC",
        "float",
        0.0,
        "stop as soon as the two-sample AUC reaches this (0: never)",
        0.0,
        1.0,
        zero="never",
    ),
]

QUICK_SETTINGS: dict[str, Any] = {
    "steps": 300,
    "batch_size": 128,
    "quality_every": 100,
    "quality_rows": 500,
    "typicality_steps": 200,
}

# What suits the DCGAN on 8×8 images (the digits example stores these): batches of 128,
# Adam at 1e-4 for the generator and 4e-4 for the critic in one critic step (TTUR).
# With the table defaults (1e-3, 3 critic steps) the generator collapsed to one stroke
# and a digits step cost 0.15 s on the CPU; batches of 64 learnt more slowly per step,
# 256 no better than 128 at twice the cost. 3000 steps: with generated pixels on the grey
# levels and a 32-wide latent the AUC still falls from step 2100 (0.80) to 3000 (0.75),
# about 2 minutes on one CPU thread; docs/gan.md gives the measurements.
IMAGE_SETTINGS: dict[str, Any] = {
    "steps": 3000,
    "batch_size": 128,
    "learning_rate": 1e-4,
    "critic_learning_rate": 4e-4,
    "critic_steps": 1,
    "quality_every": 300,
    "patience": 0,
}
# A first look at an image GAN: the two-sample AUC of the digits starts to fall below 1
# after 600-900 steps, so fewer would show nothing (docs/gan.md).
QUICK_IMAGE_SETTINGS: dict[str, Any] = {**IMAGE_SETTINGS, "steps": 900, "quality_rows": 500}


def settings_for(graph: Graph, quick: bool) -> dict[str, Any]:
    """The defaults that suit this graph (quick: the small ones for a first look): an image
    generator trains with other settings than a table's."""
    images = any(
        node.kind == "generator" and node.options.get("image") for node in graph.nodes.values()
    )
    if quick:
        return dict(QUICK_IMAGE_SETTINGS if images else QUICK_SETTINGS)
    return dict(IMAGE_SETTINGS) if images else {}


def run(
    graph: Graph,
    table: ColumnTable,
    settings: dict[str, Any] | None = None,
    *,
    device: str = "auto",
    seed: int = 0,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> Any:
    """Train the graph's generator node on the table and return its result."""
    values = apply_settings(SETTINGS, {**settings_for(graph, quick=False), **(settings or {})})
    spec = gan_spec_from_graph(graph, table)
    device = resolve_device(device)
    cancel = cancel or CancelToken()
    with cpu_threads(device, values["cpu_threads"]):
        return _fit(spec, table, values, device, seed, progress, cancel)


@contextmanager
def cpu_threads(device: str, threads: int) -> Iterator[None]:
    """Run with this many torch threads on the CPU, then restore the previous number."""
    if device != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _fit(
    spec: GanSpec,
    table: ColumnTable,
    values: dict[str, Any],
    device: str,
    seed: int,
    progress: ProgressCallback,
    cancel: CancelToken,
) -> Any:
    if spec.image is not None and spec.image.source != "columns":
        from backends.gan.images import fit_images  # imported late: tables never need it

        return fit_images(spec, values, device=device, seed=seed, progress=progress, cancel=cancel)
    if spec.image is not None:
        from backends.gan.images import fit_images, images_from_columns

        return fit_images(
            spec,
            values,
            device=device,
            seed=seed,
            progress=progress,
            cancel=cancel,
            images=images_from_columns(spec, table),
        )
    from backends.gan.tabular import fit_tabular

    return fit_tabular(
        spec, table, values, device=device, seed=seed, progress=progress, cancel=cancel
    )


def load_result(state: ResultState) -> Any:
    """Rebuild a saved GAN result (weights from safetensors bytes; no pickle)."""
    kind = state.meta.get("kind")
    if state.meta.get("engine") != "gan" or kind not in ("table", "images"):
        raise EngineError("this saved result is not a GAN result")
    if kind == "images":
        from backends.gan.images import ImageGanResult

        return ImageGanResult.from_state(state)
    return TabularGanResult.from_state(state)
