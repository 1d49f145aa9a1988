"""A fitted DCGAN: images, latent walks, typicality, and the result interface.

Images are returned in the units of the training data (digits: 0..1 after dividing
by 16; PNGs: 0..1; pixel columns: their own range). Generated images of data on a grid
of levels (the digits' 17 grey levels) are put back on the grid, as integer columns
are in the tabular GAN: otherwise a generated background of 0.001 instead of exactly
0 alone tells them from real digits (two-sample AUC 0.997 for real digits plus that).
As a table (``sample``) each pixel is a column ``px_<row>_<col>``. The result
interface treats an image generator like an unconditional tabular one:
``input_names`` are the pixel columns, ``target`` is "typicality" and ``predict``
the critic's typicality score.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from backends.gan.image_networks import build_networks
from backends.gan.latent import arithmetic, endpoint, latents, slerp
from backends.gan.result import GOOD_AUC, RUN_INFO_KEYS
from backends.gan.spec import GanSpec
from backends.gan.weights import from_bytes, load_into, to_bytes
from backends.runtime import EngineError, ResultState

FORMAT = 1
CHUNK = 8192


def encode(unit: np.ndarray, levels: int) -> np.ndarray:
    """Pixels in [0, 1] → the generator's range [-1, 1]; grid values (``levels`` > 0) go
    to the centre of their cell, so that a tanh output reaches every level."""
    if not levels:
        return unit * 2 - 1
    return (np.rint(unit * (levels - 1)) + 0.5) * (2.0 / levels) - 1


def decode(x: np.ndarray, levels: int) -> np.ndarray:
    """The generator's output in [-1, 1] → pixels in [0, 1], on the grid if there is one."""
    unit = (x + 1) / 2
    if not levels:
        return np.clip(unit, 0.0, 1.0)
    return np.clip(np.floor(unit * levels), 0, levels - 1) / (levels - 1)


class ImageGanResult:
    engine = "gan"
    level = 0.9
    target = "typicality"

    def __init__(
        self,
        spec: GanSpec,
        generator_state: dict[str, np.ndarray],
        critic_state: dict[str, np.ndarray],
        info: dict[str, Any],
        reference_scores: np.ndarray,
    ) -> None:
        self.spec = spec
        self.generator_state = generator_state
        self.critic_state = critic_state
        self.info = info
        self.reference_scores = np.sort(np.asarray(reference_scores, dtype=np.float64))
        self.size = int(info["size"])
        self.low, self.high = (float(v) for v in info["pixel_range"])
        self.levels = int(info.get("pixel_levels", 0))
        self.input_names = [f"px_{r}_{c}" for r in range(self.size) for c in range(self.size)]
        self._nets: tuple[torch.nn.Module, torch.nn.Module] | None = None

    def _networks(self) -> tuple[torch.nn.Module, torch.nn.Module]:
        if self._nets is None:
            gen, critic = build_networks(self.spec, self.size, self.levels)
            self._nets = (
                load_into(gen, self.generator_state, "generator"),
                load_into(critic, self.critic_state, "critic"),
            )
        return self._nets

    # ------------------------------------------------------------- sampling
    def latents(self, n: int, seed: int = 0) -> np.ndarray:
        return latents(n, seed, self.spec.latent_size)

    def generate_images(self, z: np.ndarray) -> np.ndarray:
        """Images (n, size, size) in data units from latent vectors (n, latent_size)."""
        z = np.atleast_2d(np.asarray(z, dtype=np.float32))
        if z.shape[1] != self.spec.latent_size:
            raise EngineError(f"latent vectors must have {self.spec.latent_size} entries")
        gen = self._networks()[0]
        with torch.no_grad():
            out = np.concatenate(
                [gen(torch.from_numpy(z[i : i + CHUNK])).numpy() for i in range(0, len(z), CHUNK)]
            )
        return decode(out[:, 0].astype(np.float64), self.levels) * (self.high - self.low) + self.low

    def sample_images(self, n: int, seed: int = 0) -> np.ndarray:
        if n < 1:
            raise EngineError("the number of images to sample must be at least 1")
        return self.generate_images(self.latents(n, seed))

    def sample(
        self, n: int, seed: int = 0, conditions: dict[str, Any] | None = None
    ) -> dict[str, np.ndarray]:
        """n images as a table: one column per pixel."""
        if conditions:
            raise EngineError("an image generator takes no conditions")
        flat = self.sample_images(n, seed).reshape(n, -1)
        return {name: flat[:, j] for j, name in enumerate(self.input_names)}

    def interpolate(
        self, a: int | np.ndarray, b: int | np.ndarray, steps: int = 9
    ) -> dict[str, np.ndarray]:
        """{"t": (steps,), "images": (steps, size, size)} along a great circle."""
        size = self.spec.latent_size
        t, z = slerp(endpoint(a, size), endpoint(b, size), steps)
        return {"t": t, "images": self.generate_images(z)}

    def latent_arithmetic(self, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
        """The image generated from mean(a) − mean(b) + mean(c)."""
        return self.generate_images(arithmetic(a, b, c))[0]

    # ----------------------------------------------------------- typicality
    def critic_score(self, images: np.ndarray) -> np.ndarray:
        """Typicality of each image (n, size, size) or flattened row (n, size²): 0 for a
        median held-out real image, in units of the real images' spread."""
        raw = self._critic_raw(images)
        spread = float(np.std(self.reference_scores)) or 1.0
        return (raw - float(np.median(self.reference_scores))) / spread

    def _critic_raw(self, images: np.ndarray) -> np.ndarray:
        x = np.asarray(images, dtype=np.float64)
        if x.size % (self.size * self.size):
            raise EngineError(f"images must have {self.size}×{self.size} pixels")
        x = x.reshape(-1, 1, self.size, self.size)
        unit = (x - self.low) / (self.high - self.low)
        x = encode(unit, self.levels).astype(np.float32)
        critic = self._networks()[1]
        with torch.no_grad():
            return np.concatenate(
                [
                    critic(torch.from_numpy(x[i : i + CHUNK])).numpy()
                    for i in range(0, len(x), CHUNK)
                ]
            ).astype(np.float64)

    # ------------------------------------------------------ result interface
    def predict(self, X: np.ndarray, level: float = 0.9) -> tuple[np.ndarray, ...]:
        s = self.critic_score(X)
        return s, s.copy(), s.copy()

    def sample_predict(self, X: np.ndarray, n_draws: int, seed: int = 0) -> np.ndarray:
        return np.tile(self.critic_score(X), (n_draws, 1))

    def sample_mean(self, X: np.ndarray, n_draws: int, seed: int = 0) -> np.ndarray:
        return self.sample_predict(X, n_draws, seed)

    def summary(self) -> dict[str, Any]:
        quality = self.info["quality"]
        return {
            "engine": "gan",
            "kind": "images",
            "generator": self.spec.node_name,
            "image": {"source": self.spec.image.source, "size": self.size},
            "objective": self.spec.objective,
            "target": self.target,
            "metrics": {k: quality.get(k) for k in ("c2st_auc", "class_tv", "mean_confidence")},
            "quality": quality,
            "converged": quality.get("c2st_auc", 1.0) <= GOOD_AUC,
            "warnings": list(self.info.get("warnings", [])),
            **{k: self.info.get(k) for k in RUN_INFO_KEYS},
        }

    def to_state(self) -> ResultState:
        return ResultState(
            meta={
                "format": FORMAT,
                "engine": "gan",
                "kind": "images",
                "spec": self.spec.to_dict(),
                "info": self.info,
            },
            arrays={"reference_scores": self.reference_scores},
            blobs={
                "generator": to_bytes(self.generator_state),
                "critic": to_bytes(self.critic_state),
            },
        )

    @classmethod
    def from_state(cls, state: ResultState) -> ImageGanResult:
        try:
            return cls(
                GanSpec.from_dict(state.meta["spec"]),
                from_bytes(state.blobs["generator"], "generator"),
                from_bytes(state.blobs["critic"], "critic"),
                state.meta["info"],
                state.arrays["reference_scores"],
            )
        except KeyError as exc:
            raise EngineError(f"the saved GAN result lacks {exc}") from exc
