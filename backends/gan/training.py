"""The adversarial training loop shared by the tabular GAN and the DCGAN.

It owns nothing about columns or pixels: it draws batches of rows from a tensor on
the device, alternates critic and generator updates under the chosen objective,
reports progress, honours the cancel token between steps, and asks an ``evaluate``
callback for the quality figures every ``quality_every`` steps. The best
checkpoint is the one with the lowest two-sample AUC — never the lowest loss,
which in a GAN says little about sample quality.

All randomness (batches, latents, Gumbel noise, penalty points) comes from one
``torch.Generator`` seeded by the run's seed, and the networks are initialised
under a forked global RNG, so a run repeats exactly on the same device without
disturbing anyone else's random state.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from backends.gan.networks import critic_loss, generator_loss, gradient_penalty
from backends.runtime import CancelToken, Progress, ProgressCallback


@dataclass(frozen=True)
class TrainConfig:
    steps: int
    batch_size: int
    lr_generator: float = 2e-4
    lr_critic: float = 2e-4
    critic_steps: int = 1
    ema: float = 0.99  # decay of the generator's weight average (0: no average)
    gp_weight: float = 10.0
    quality_every: int = 200
    patience: int = 0  # stop after this many quality checks without improvement (0: never)
    target_auc: float = 0.0  # stop as soon as the AUC reaches this (0: never)
    compile: bool = False  # torch.compile the networks' training passes (for GPUs)

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> TrainConfig:
        """The training part of the engine's settings (tables and images alike)."""
        return cls(
            steps=settings["steps"],
            batch_size=settings["batch_size"],
            lr_generator=settings["learning_rate"],
            lr_critic=settings["critic_learning_rate"] or settings["learning_rate"],
            critic_steps=settings["critic_steps"],
            quality_every=settings["quality_every"],
            patience=settings["patience"],
            target_auc=settings["target_auc"],
            compile=settings["compile"],
        )


@dataclass
class TrainOutcome:
    generator_state: dict[str, np.ndarray]
    critic_state: dict[str, np.ndarray]
    best_quality: dict[str, Any]
    best_step: int
    steps_run: int
    history: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str = "steps"
    seconds: float = 0.0


Evaluate = Callable[[nn.Module], dict[str, Any]]


def seeded_modules(
    seed: int, device: str, build: Callable[[], tuple[nn.Module, nn.Module]]
) -> tuple[nn.Module, nn.Module]:
    """Build (generator, critic) with weights that depend on the seed only."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        gen, critic = build()
    return gen.to(device), critic.to(device)


def train(
    gen: nn.Module,
    critic: nn.Module,
    real: torch.Tensor,
    cond: torch.Tensor | None,
    objective: str,
    config: TrainConfig,
    evaluate: Evaluate,
    *,
    seed: int,
    progress: ProgressCallback,
    cancel: CancelToken,
) -> TrainOutcome:
    """Train in place and return the best checkpoint (as CPU numpy arrays)."""
    device = real.device
    rng = torch.Generator(device=device)
    rng.manual_seed(seed)
    opt_g = torch.optim.Adam(gen.parameters(), lr=config.lr_generator, betas=(0.5, 0.9))
    opt_d = torch.optim.Adam(critic.parameters(), lr=config.lr_critic, betas=(0.5, 0.9))
    n, batch = real.shape[0], config.batch_size
    latent = gen.latent
    noise_width = gen.out_width if getattr(gen, "needs_noise", False) else 0

    def draw() -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor, torch.Tensor | None]:
        idx = torch.randint(n, (batch,), device=device, generator=rng)
        z = torch.randn(batch, latent, device=device, generator=rng)
        u = torch.rand(batch, noise_width, device=device, generator=rng) if noise_width else None
        return real[idx], None if cond is None else cond[idx], z, u

    average = copy.deepcopy(gen).train(False)  # the generator that is evaluated and kept
    # compiled wrappers share their parameters with the modules; the gradient penalty's
    # double backward cannot go through a compiled critic, so WGAN-GP keeps it eager
    gen_step = torch.compile(gen) if config.compile else gen
    critic_step = torch.compile(critic) if config.compile and objective != "wgan-gp" else critic
    outcome = TrainOutcome({}, {}, {}, 0, 0)
    best_auc, since_best = float("inf"), 0
    started = last_report = time.perf_counter()
    g_value = d_value = float("nan")
    for step in range(1, config.steps + 1):
        cancel.raise_if_cancelled()
        for _ in range(config.critic_steps):
            real_b, cond_b, z, u = draw()
            with torch.no_grad():
                fake = gen_step(z, cond_b, u)
            loss_d = critic_loss(objective, critic_step(real_b, cond_b), critic_step(fake, cond_b))
            if objective == "wgan-gp":
                loss_d = loss_d + config.gp_weight * gradient_penalty(
                    critic, real_b, fake, cond_b, rng
                )
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
        _, cond_b, z, u = draw()
        loss_g = generator_loss(objective, critic_step(gen_step(z, cond_b, u), cond_b))
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        _update_average(average, gen, min(config.ema, (1 + step) / (10 + step)))
        outcome.steps_run = step

        checking = step % config.quality_every == 0 or step == config.steps
        now = time.perf_counter()
        if not (checking or now - last_report >= 0.1):
            continue
        g_value, d_value = float(loss_g.detach()), float(loss_d.detach())  # syncs the device
        values: dict[str, Any] = {"generator_loss": g_value, "critic_loss": d_value}
        if checking:
            with torch.no_grad():
                quality = evaluate(average)
            values.update(
                {
                    k: quality[k]
                    for k in ("c2st_auc", "max_ks", "max_tv", "correlation_gap")
                    if k in quality
                }
            )
            outcome.history.append(
                {"step": step, "seconds": time.perf_counter() - started, **values}
            )
            if quality["c2st_auc"] < best_auc:
                best_auc, since_best = quality["c2st_auc"], 0
                outcome.best_quality, outcome.best_step = quality, step
                outcome.generator_state = snapshot(average)
                outcome.critic_state = snapshot(critic)
            else:
                since_best += 1
        last_report = time.perf_counter()
        progress(Progress(step, config.steps, "training", values))
        if checking and best_auc <= config.target_auc:
            outcome.stop_reason = "target quality reached"
            break
        if checking and config.patience and since_best >= config.patience:
            outcome.stop_reason = f"no better quality in {config.patience} checks"
            break
    outcome.seconds = time.perf_counter() - started
    return outcome


def _update_average(average: nn.Module, gen: nn.Module, decay: float) -> None:
    """An exponential moving average of the generator's weights: GAN training
    oscillates around a good generator, and the average sits nearer to it."""
    with torch.no_grad():
        for kept, current in zip(average.parameters(), gen.parameters(), strict=True):
            kept.lerp_(current, 1.0 - decay)
        for kept, current in zip(average.buffers(), gen.buffers(), strict=True):
            kept.copy_(current)  # batch-norm statistics: the latest, not averaged


def snapshot(module: nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()}
