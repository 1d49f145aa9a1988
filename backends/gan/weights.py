"""Network weights as safetensors bytes and back: the only way weights leave a run.

safetensors holds raw tensors and a JSON header, so a project file from a stranger
can be opened without running any of its code (unlike pickle).
"""

from __future__ import annotations

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.numpy import load, save
from torch import nn

from backends.runtime import EngineError


def to_bytes(state: dict[str, np.ndarray]) -> bytes:
    return save({k: np.ascontiguousarray(v) for k, v in state.items()})


def from_bytes(blob: bytes, what: str) -> dict[str, np.ndarray]:
    try:
        return load(blob)
    except SafetensorError as exc:
        raise EngineError(f"the saved {what} weights are damaged: {exc}") from exc


def load_into(module: nn.Module, state: dict[str, np.ndarray], what: str) -> nn.Module:
    """Copy saved arrays into a freshly built CPU module, in eval mode."""
    try:
        module.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
    except RuntimeError as exc:
        raise EngineError(
            f"the saved {what} weights do not fit its network (a run saved by an earlier "
            f"version of the program: run the model again): {exc}"
        ) from exc
    return module.train(False)
