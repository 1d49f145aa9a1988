"""The registry of engines: which module implements each, and which one a graph suggests.

Each engine module provides::

    SETTINGS: list[runtime.Setting]      # the settings form
    QUICK_SETTINGS: dict                 # small settings for --quick and tests
    run(graph, table, settings, *, device, seed, progress, cancel) -> result
    load_result(state: runtime.ResultState) -> result

Modules are imported only when an engine is used, so that opening a project
does not pay for torch or gpytorch.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from backends.graph.model import Graph
from backends.runtime import EngineError


@dataclass(frozen=True)
class EngineInfo:
    name: str
    title: str
    module: str


ENGINES: dict[str, EngineInfo] = {
    "mcmc": EngineInfo("mcmc", "MCMC (emcee)", "backends.mcmc.engine"),
    "gp": EngineInfo("gp", "Gaussian process (gpytorch)", "backends.gp.engine"),
    "gan": EngineInfo("gan", "GAN (torch)", "backends.gan.engine"),
}


def engine_module(name: str) -> ModuleType:
    info = ENGINES.get(name)
    if info is None:
        raise EngineError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    return importlib.import_module(info.module)


def suggest_engine(graph: Graph) -> str:
    """GP node → gp; generator node → gan; otherwise mcmc."""
    kinds = {n.kind for n in graph.nodes.values()}
    if "gp" in kinds:
        return "gp"
    if "generator" in kinds:
        return "gan"
    return "mcmc"
