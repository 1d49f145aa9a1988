"""The registry of engines: which module implements each, and which one a graph suggests.

Each engine module provides::

    SETTINGS: list[runtime.Setting]      # the settings form
    QUICK_SETTINGS: dict                 # small settings for --quick and tests
    settings_for(graph, quick) -> dict   # optional: defaults tailored to a graph
    run(graph, table, settings, *, device, seed, progress, cancel) -> result
    load_result(state: runtime.ResultState) -> result

Modules are imported only when an engine is used, so that opening a project
does not pay for torch or gpytorch.
"""

from __future__ import annotations

import gc
import importlib
import threading
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from backends.graph.model import Graph
from backends.runtime import EngineError


@dataclass(frozen=True)
class EngineInfo:
    name: str
    title: str
    module: str
    # Modules the engine's libraries import lazily on first use (torch's optimisers pull in
    # torch._dynamo, ~1.5 s; the GAN imports its training and scikit-learn-based quality
    # modules only when it runs).
    # Importing holds the GIL, so done mid-run it freezes the window; preload() does it early.
    lazy_imports: tuple[str, ...] = ()


ENGINES: dict[str, EngineInfo] = {
    "mcmc": EngineInfo(
        "mcmc",
        "MCMC (NUTS, emcee, VI)",
        "backends.mcmc.engine",
        # the gradient-based samplers: nutpie (with arviz and xarray) and JAX take seconds
        ("backends.mcmc.nuts_run", "nutpie", "backends.mcmc.vi_run"),
    ),
    "gp": EngineInfo("gp", "Gaussian process (gpytorch)", "backends.gp.engine", ("torch._dynamo",)),
    "gan": EngineInfo(
        "gan",
        "GAN (torch)",
        "backends.gan.engine",
        ("torch._dynamo", "backends.gan.tabular", "backends.gan.quality"),
    ),
}


# torch registers its operators while its modules import; a second thread importing other
# torch modules meanwhile can find an operator not yet there ("'prims' object has no
# attribute 'sum'"). Engine imports, the GUI's background preload among them, take turns.
_IMPORTING = threading.RLock()
# A run also imports lazily while it goes (torch._dynamo on its first optimiser step): a
# run waits until a background preload of every engine is over before it starts.
_PRELOAD_DONE = threading.Event()
_PRELOAD_DONE.set()  # until a preload starts there is nothing to wait for


def engine_module(name: str) -> ModuleType:
    info = ENGINES.get(name)
    if info is None:
        raise EngineError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    with _IMPORTING:
        return importlib.import_module(info.module)


def preload(name: str) -> None:
    """Import an engine and what its libraries would import on first use, ahead of a run."""
    with _IMPORTING:
        engine_module(name)
        for module in ENGINES[name].lazy_imports:
            importlib.import_module(module)


def preload_all() -> None:
    """Preload every engine (on a background thread); runs wait until it is done."""
    _PRELOAD_DONE.clear()
    try:
        for name in ENGINES:
            preload(name)
    finally:
        _PRELOAD_DONE.set()


def wait_for_preload(timeout_s: float = 120.0) -> None:
    """Block until a background preload is over (at once when none is going on)."""
    _PRELOAD_DONE.wait(timeout_s)


def settle_after_preload() -> None:
    """Move the objects created by importing (hundreds of thousands: torch, sympy) out of
    the garbage collector's sight. Otherwise the next full collection, which lands at a
    random moment of a run, walks them all with the GIL held: a 200 ms freeze."""
    gc.collect()
    gc.freeze()


def tailored_settings(name: str, graph: Graph, quick: bool = False) -> dict[str, Any]:
    """The engine's defaults for this graph where they differ from its SETTINGS (the GAN
    trains images with other settings than tables), or with quick, its small settings."""
    module = engine_module(name)
    tailor = getattr(module, "settings_for", None)  # an optional part of the protocol
    if tailor is not None:
        return tailor(graph, quick)
    return dict(module.QUICK_SETTINGS) if quick else {}


def suggest_engine(graph: Graph) -> str:
    """GP node → gp; generator node → gan; otherwise mcmc."""
    kinds = {n.kind for n in graph.nodes.values()}
    if "gp" in kinds:
        return "gp"
    if "generator" in kinds:
        return "gan"
    return "mcmc"
