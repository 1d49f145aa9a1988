"""Latent-space helpers shared by the tabular and image results, as plain numpy."""

from __future__ import annotations

import numpy as np


def latents(n: int, seed: int, size: int) -> np.ndarray:
    """The latent vectors behind a result's ``sample(n, seed)``, row for row."""
    return np.random.default_rng([seed, 0]).standard_normal((n, size))


def slerp(za: np.ndarray, zb: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """(t, latents) along the great circle from za to zb: it keeps the norm that a
    Gaussian latent typically has, where a straight line would pass near the origin."""
    t = np.linspace(0.0, 1.0, steps)
    cos = za @ zb / (np.linalg.norm(za) * np.linalg.norm(zb))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if omega < 1e-6:
        return t, np.outer(1 - t, za) + np.outer(t, zb)
    z = (np.outer(np.sin((1 - t) * omega), za) + np.outer(np.sin(t * omega), zb)) / np.sin(omega)
    z[0], z[-1] = za, zb  # the ends exactly, not up to rounding
    return t, z


def arithmetic(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """mean(a) − mean(b) + mean(c) as one latent row (DCGAN's vector arithmetic)."""
    means = [np.atleast_2d(np.asarray(v, dtype=np.float64)).mean(axis=0) for v in (a, b, c)]
    return (means[0] - means[1] + means[2])[None, :]


def endpoint(v: int | np.ndarray, size: int) -> np.ndarray:
    """A latent given directly, or the first latent of a seed's sample."""
    return latents(1, v, size)[0] if isinstance(v, int) else np.asarray(v, dtype=np.float64)
