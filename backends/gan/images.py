"""A DCGAN for small square grayscale images (8×8 digits, or 16/32-pixel PNGs).

Images come from scikit-learn's bundled 8×8 digits (no download), a folder of
PNGs, or table columns that hold pixels; the networks are in image_networks.py.
Quality is the two-sample AUC on pixels, and for the digits the class mix of
generated images under a classifier trained on real ones — a generator that draws
only ones and sevens fails there even when each image looks sharp.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.functional import interpolate

from backends.gan.image_networks import build_networks
from backends.gan.image_result import ImageGanResult, decode, encode
from backends.gan.quality import c2st_auc, class_distribution, total_variation
from backends.gan.result import GOOD_AUC
from backends.gan.spec import GanSpec
from backends.gan.tabular import split_rows
from backends.gan.training import TrainConfig, seeded_modules, train
from backends.runtime import CancelToken, ColumnTable, EngineError, ProgressCallback


def load_images(spec: GanSpec) -> tuple[np.ndarray, np.ndarray | None]:
    """(images in [0, 1] of shape (n, size, size), digit labels or None)."""
    image = spec.image
    if image.source == "digits":
        from sklearn.datasets import load_digits

        digits = load_digits()
        return digits.images / 16.0, digits.target.astype(np.int64)
    from backends.gan.pngs import read_folder

    raw = torch.from_numpy(read_folder(image.path)).float()[:, None]
    if raw.shape[-1] != image.size or raw.shape[-2] != image.size:
        raw = interpolate(raw, size=(image.size, image.size), mode="area")
    return raw[:, 0].numpy().astype(np.float64), None


def images_from_columns(spec: GanSpec, table: ColumnTable) -> np.ndarray:
    """Pixel columns (row-major) as images; values are later scaled to [0, 1]."""
    pixels = np.column_stack([np.asarray(table[c], dtype=np.float64) for c in spec.columns])
    side = spec.image.size
    return pixels.reshape(-1, side, side)


def fit_images(
    spec: GanSpec,
    settings: dict[str, Any],
    *,
    device: str,
    seed: int,
    progress: ProgressCallback,
    cancel: CancelToken,
    images: np.ndarray | None = None,
) -> ImageGanResult:
    labels = None
    if images is None:
        images, labels = load_images(spec)
    low, high = float(images.min()), float(images.max())
    if not high > low:
        raise EngineError("all images are blank (one pixel value everywhere)")
    unit = (images - low) / (high - low)
    levels = grid_levels(unit)
    size = unit.shape[-1]
    config = TrainConfig.from_settings(settings)
    train_rows, hold_rows = split_rows(
        len(unit), settings["holdout"], settings["quality_rows"], config.batch_size, seed
    )
    real = torch.from_numpy(encode(unit[train_rows], levels).astype(np.float32))[:, None]
    hold = unit[hold_rows].reshape(len(hold_rows), -1)
    judge = _digit_judge(unit[train_rows], labels[train_rows]) if labels is not None else None
    real_classes = class_distribution(labels[hold_rows], 10) if labels is not None else None
    gen, critic = seeded_modules(seed, device, lambda: build_networks(spec, size, levels))
    eval_z = torch.from_numpy(
        np.random.default_rng([seed, 5])
        .standard_normal((len(hold_rows), spec.latent_size))
        .astype(np.float32)
    ).to(device)

    def evaluate(g: nn.Module) -> dict[str, Any]:
        fake = decode(g(eval_z).cpu().numpy().astype(np.float64), levels)
        fake = fake.reshape(len(hold_rows), -1)
        quality: dict[str, Any] = {
            "c2st_auc": c2st_auc(hold, fake, seed=seed),
            "n_compared": len(hold_rows),
        }
        if judge is not None:
            classes = class_distribution(judge.predict(fake), 10)
            quality.update(
                {
                    "class_distribution": classes,
                    "real_class_distribution": real_classes,
                    "class_tv": total_variation(classes, real_classes),
                    "mean_confidence": float(judge.predict_proba(fake).max(1).mean()),
                }
            )
        return quality

    outcome = train(
        gen,
        critic,
        real.to(device),
        None,
        spec.objective,
        config,
        evaluate,
        seed=seed,
        progress=progress,
        cancel=cancel,
    )
    auc = outcome.best_quality["c2st_auc"]
    warnings = (
        [f"a classifier tells generated images from real ones with AUC {auc:.2f}; train longer"]
        if auc > GOOD_AUC
        else []
    )
    info = {
        "quality": outcome.best_quality,
        "history": outcome.history,
        "best_step": outcome.best_step,
        "steps_run": outcome.steps_run,
        "stop_reason": outcome.stop_reason,
        "seconds": round(outcome.seconds, 3),
        "device": device,
        "seed": seed,
        "settings": dict(settings),
        "size": size,
        "pixel_range": [low, high],
        "pixel_levels": levels,
        "n_train": int(len(train_rows)),
        "n_holdout": int(len(hold_rows)),
        "warnings": warnings,
    }
    result = ImageGanResult(spec, outcome.generator_state, outcome.critic_state, info, np.zeros(1))
    result.reference_scores = np.sort(result._critic_raw(hold * (high - low) + low))
    return result


def grid_levels(unit: np.ndarray) -> int:
    """The number of evenly spaced levels the pixels take (17 for the digits' 0..16),
    or 0 when they do not lie on such a grid of at most 256 levels."""
    values = np.unique(unit)
    n = round(1.0 / float(np.min(np.diff(values)))) if len(values) <= 256 else 0
    if 0 < n <= 255 and np.allclose(values * n, np.rint(values * n), atol=1e-6):
        return n + 1
    return 0


def _digit_judge(images: np.ndarray, labels: np.ndarray):
    """A classifier of real digits (about 97% accurate on held-out digits) that names
    the class of each generated image."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=500).fit(images.reshape(len(images), -1), labels)
