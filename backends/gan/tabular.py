"""Fit a tabular GAN to a table: split, encode, train, measure, package.

A share of the rows (``holdout``, at most ``quality_rows``) is held out before any
fitting — encodings included — and used only to measure quality, so the figures
say how well the generator matches the population, not the rows it trained on.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from backends.gan.encoding import TableEncoder
from backends.gan.networks import TabularCritic, TabularGenerator
from backends.gan.quality import table_quality
from backends.gan.result import GOOD_AUC, TabularGanResult
from backends.gan.spec import GanSpec
from backends.gan.training import TrainConfig, seeded_modules, snapshot, train
from backends.gan.typicality import fit_typicality
from backends.runtime import CancelToken, ColumnTable, EngineError, Progress, ProgressCallback

POOL_ROWS = 5000  # training condition rows kept to sample a conditional GAN without conditions


def split_rows(
    n: int, holdout: float, quality_rows: int, batch_size: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, held-out rows); refuses a table too small for one batch."""
    n_hold = int(min(max(round(holdout * n), 2), quality_rows)) if holdout > 0 else 0
    if n - n_hold < batch_size:
        raise EngineError(
            f"the table has {n} rows; after holding out {n_hold} to measure quality, {n - n_hold}"
            f" remain for training, fewer than one batch of {batch_size}. Lower batch_size to at"
            f" most {max(n - n_hold, 1)} or use a larger table"
        )
    perm = np.random.default_rng([seed, 7]).permutation(n)
    return np.sort(perm[n_hold:]), np.sort(perm[:n_hold])


def _subset(table: ColumnTable, names: tuple[str, ...], rows: np.ndarray) -> dict[str, np.ndarray]:
    return {name: table[name][rows] for name in names}


def fit_tabular(
    spec: GanSpec,
    table: ColumnTable,
    settings: dict[str, Any],
    *,
    device: str,
    seed: int,
    progress: ProgressCallback,
    cancel: CancelToken,
) -> TabularGanResult:
    config = TrainConfig.from_settings(settings)
    train_rows, hold_rows = split_rows(
        table.n_rows, settings["holdout"], settings["quality_rows"], config.batch_size, seed
    )
    if len(hold_rows) < 10:
        raise EngineError(
            f"only {len(hold_rows)} rows held out to measure quality; "
            "raise holdout or use a larger table"
        )
    train_cols = _subset(table, spec.columns + spec.conditions, train_rows)
    hold_part = table.take(hold_rows)  # keeps the user's row numbers for messages
    hold_cols = {name: hold_part[name] for name in spec.columns + spec.conditions}
    encoder = TableEncoder.fit(_as_table(train_cols, table), spec.columns, seed)
    cond_encoder = (
        TableEncoder.fit(_as_table(train_cols, table), spec.conditions, seed)
        if spec.conditional
        else None
    )
    real = torch.from_numpy(encoder.encode(train_cols, seed)).to(device)
    cond = (
        torch.from_numpy(cond_encoder.encode(train_cols, seed)).to(device) if cond_encoder else None
    )
    hold_x = encoder.encode(hold_part, seed + 1)
    hold_c = cond_encoder.encode(hold_part, seed + 1) if cond_encoder else None
    hold_full = hold_x if hold_c is None else np.hstack([hold_c, hold_x])

    def build() -> tuple[TabularGenerator, TabularCritic]:
        width_c = cond_encoder.width if cond_encoder else 0
        return (
            TabularGenerator(
                spec.latent_size, width_c, spec.hidden, encoder.width, encoder.discrete_spans()
            ),
            TabularCritic(encoder.width, width_c, spec.critic_hidden, spec.objective == "ns-sn"),
        )

    gen, critic = seeded_modules(seed, device, build)
    eval_noise = np.random.default_rng([seed, 5])
    eval_z = torch.from_numpy(
        eval_noise.standard_normal((len(hold_rows), spec.latent_size)).astype(np.float32)
    ).to(device)
    eval_u = torch.from_numpy(
        eval_noise.random((len(hold_rows), encoder.width), dtype=np.float32)
    ).to(device)
    eval_c = None if hold_c is None else torch.from_numpy(hold_c).to(device)

    def evaluate(g: torch.nn.Module) -> dict[str, Any]:
        fake_x = g(eval_z, eval_c, eval_u, hard=True).cpu().numpy()
        fake_full = fake_x if hold_c is None else np.hstack([hold_c, fake_x])
        return table_quality(
            encoder, hold_full, fake_full, hold_cols, encoder.decode(fake_x), seed=seed
        )

    outcome = train(
        gen,
        critic,
        real,
        cond,
        spec.objective,
        config,
        evaluate,
        seed=seed,
        progress=progress,
        cancel=cancel,
    )
    progress(Progress(outcome.steps_run, config.steps, "fitting the typicality score"))
    critic.load_state_dict({k: torch.from_numpy(v) for k, v in outcome.critic_state.items()})
    typical = fit_typicality(
        critic,
        real,
        cond,
        encoder.continuous_index(),
        encoder.discrete_spans(),
        steps=settings["typicality_steps"],
        batch_size=config.batch_size,
        seed=seed,
        cancel=cancel,
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
        "n_train": int(len(train_rows)),
        "n_holdout": int(len(hold_rows)),
        "target_level": _target_level(spec, encoder, train_cols),
        "warnings": _warnings(outcome.best_quality, len(hold_rows)),
    }
    pool = None
    if cond_encoder:
        rows = np.random.default_rng([seed, 6]).permutation(len(train_rows))[:POOL_ROWS]
        pool = cond_encoder.numeric_matrix({k: v[rows] for k, v in train_cols.items()})
    result = TabularGanResult(
        spec,
        encoder,
        cond_encoder,
        outcome.generator_state,
        snapshot(typical),
        info,
        np.zeros(1),
        pool,
    )
    result.reference_scores = np.sort(result._critic_raw(hold_cols))
    return result


def _as_table(columns: dict[str, np.ndarray], table: ColumnTable) -> ColumnTable:
    return ColumnTable(columns, {k: table.types.get(k, "numeric") for k in columns})


def _target_level(spec: GanSpec, encoder: TableEncoder, cols: dict[str, np.ndarray]) -> Any:
    """For a categorical target: its most frequent level, whose probability predict reports."""
    if not spec.conditional:
        return None
    code = encoder.codes[encoder.names.index(spec.target)]
    if code.type != "categorical":
        return None
    values = cols[spec.target].astype(str)
    return max(code.levels, key=lambda lv: int(np.sum(values == lv)))


def _warnings(quality: dict[str, Any], n_hold: int) -> list[str]:
    out = []
    auc = quality.get("c2st_auc")
    if auc is not None and auc > GOOD_AUC:
        out.append(
            f"a classifier tells generated rows from real ones with AUC {auc:.2f} "
            f"(0.5 would be indistinguishable); train longer or on more rows"
        )
    if n_hold < 200:
        out.append(f"quality was measured on only {n_hold} held-out rows; its figures are rough")
    return out
