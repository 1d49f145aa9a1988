"""How close generated rows are to real ones, measured on rows the GAN never saw.

The headline figure is a classifier two-sample test (C2ST): a gradient-boosted
classifier is asked to tell held-out real rows from generated ones under
cross-validation; its AUC is 0.5 when it cannot (perfect generator) and 1.0 when it
always can. A flexible classifier matters: a linear one would call a generator that
misses every mode of a mixture "perfect". Per-column distances (KS for continuous,
total variation for discrete) and the largest change in the correlation matrix say
*where* the generator is off. We never report the GAN's own losses as quality.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import ks_2samp
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from threadpoolctl import threadpool_limits

from backends.gan.encoding import TableEncoder


def c2st_auc(real: np.ndarray, fake: np.ndarray, seed: int = 0, folds: int = 3) -> float:
    """Cross-validated AUC of a classifier telling real rows (class 0) from fake (1)."""
    m = min(len(real), len(fake))
    X = np.concatenate([real[:m], fake[:m]]).reshape(2 * m, -1)
    y = np.repeat([0, 1], m)
    classifier = HistGradientBoostingClassifier(
        max_iter=60, max_leaf_nodes=15, learning_rate=0.1, random_state=seed
    )
    cv = StratifiedKFold(n_splits=min(folds, m), shuffle=True, random_state=seed)
    # one thread: on a few thousand rows, OpenMP threads only fight over shared cores
    with threadpool_limits(limits=1):
        proba = cross_val_predict(classifier, X, y, cv=cv, method="predict_proba")[:, 1]
    return float(roc_auc_score(y, proba))


def column_distances(
    encoder: TableEncoder, real: dict[str, np.ndarray], fake: dict[str, np.ndarray]
) -> dict[str, dict[str, float]]:
    """KS statistic per continuous column, total variation per discrete column."""
    out: dict[str, dict[str, float]] = {}
    for code in encoder.codes:
        r, f = np.asarray(real[code.name]), np.asarray(fake[code.name])
        if code.discrete:
            levels = code.levels if code.type == "categorical" else (0.0, 1.0)
            p = np.array([np.mean(r == lv) for lv in levels])
            q = np.array([np.mean(f == lv) for lv in levels])
            out[code.name] = {"tv": float(0.5 * np.abs(p - q).sum())}
        else:
            ks = ks_2samp(r.astype(float), f.astype(float), method="asymp")
            out[code.name] = {"ks": float(ks.statistic)}
    return out


def correlation_gap(real: np.ndarray, fake: np.ndarray) -> float:
    """Largest absolute difference between the correlation matrices of the encoded rows
    (quantile-normal continuous columns, one-hot indicators): a rank-correlation view."""
    if real.shape[1] < 2:
        return 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = np.corrcoef(real, rowvar=False) - np.corrcoef(fake, rowvar=False)
    return float(np.nanmax(np.abs(gap))) if np.isfinite(gap).any() else 0.0


def table_quality(
    encoder: TableEncoder,
    real_matrix: np.ndarray,
    fake_matrix: np.ndarray,
    real_columns: dict[str, np.ndarray],
    fake_columns: dict[str, np.ndarray],
    seed: int = 0,
) -> dict[str, Any]:
    """All figures for one comparison; matrices are encoded rows with hard one-hots
    (for a conditional GAN they include the condition columns)."""
    distances = column_distances(encoder, real_columns, fake_columns)
    ks = [d["ks"] for d in distances.values() if "ks" in d]
    tv = [d["tv"] for d in distances.values() if "tv" in d]
    return {
        "c2st_auc": c2st_auc(real_matrix, fake_matrix, seed=seed),
        "max_ks": max(ks) if ks else None,
        "max_tv": max(tv) if tv else None,
        "correlation_gap": correlation_gap(real_matrix, fake_matrix),
        "columns": distances,
        "n_compared": int(min(len(real_matrix), len(fake_matrix))),
    }


def class_distribution(labels: np.ndarray, n_classes: int) -> list[float]:
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=n_classes)
    return (counts / max(counts.sum(), 1)).tolist()


def total_variation(p: list[float], q: list[float]) -> float:
    return float(0.5 * np.abs(np.asarray(p) - np.asarray(q)).sum())
