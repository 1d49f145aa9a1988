"""The tabular generator and critic, and the losses both objectives share.

The generator is a plain MLP (no batch norm: a batch-norm generator samples
differently in train and eval mode, and our samples must be reproducible one row
at a time). Its output heads are linear for continuous columns (quantile-normal
space) and Gumbel-softmax for each boolean or categorical column. The Gumbel noise
comes in as a uniform tensor ``u`` so that sampling can be driven from numpy
seeds and reproduced exactly after a save and load.

The critic is an MLP with leaky ReLUs and no normalisation inside (a gradient
penalty is per-sample, which batch norm would break); with the ``ns-sn``
objective its linear layers are spectrally normalised instead.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.functional import one_hot, softplus
from torch.nn.utils.parametrizations import spectral_norm

GUMBEL_TAU = 0.2  # CTGAN's temperature: near one-hot yet with useful gradients


class TabularGenerator(nn.Module):
    """z (and encoded conditions) → one encoded row."""

    def __init__(
        self,
        latent: int,
        cond_width: int,
        hidden: tuple[int, ...],
        out_width: int,
        discrete_spans: list[tuple[int, int]],
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = latent + cond_width
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
            width = h
        layers.append(nn.Linear(width, out_width))
        self.body = nn.Sequential(*layers)
        self.latent = latent
        self.out_width = out_width
        self.pieces = _pieces(out_width, discrete_spans)

    @property
    def needs_noise(self) -> bool:
        return any(discrete for _, _, discrete in self.pieces)

    def forward(
        self, z: torch.Tensor, cond: torch.Tensor | None, u: torch.Tensor | None, hard: bool = False
    ) -> torch.Tensor:
        raw = self.body(z if cond is None else torch.cat([z, cond], dim=1))
        if not self.needs_noise:
            return raw
        parts = []
        for a, b, discrete in self.pieces:
            if not discrete:
                parts.append(raw[:, a:b])
                continue
            gumbel = -torch.log(-torch.log(u[:, a:b].clamp(1e-10, 1.0 - 1e-7)))
            noisy = raw[:, a:b] + gumbel
            # argmax of logits + Gumbel noise is an exact categorical draw
            draw = one_hot(noisy.argmax(dim=1), b - a).to(raw.dtype)
            if hard:
                parts.append(draw)
            else:  # straight-through: the critic sees the one-hot draw, gradients flow
                soft = torch.softmax(noisy / GUMBEL_TAU, dim=1)  # through the relaxation
                parts.append(draw - soft.detach() + soft)
        return torch.cat(parts, dim=1)


class TabularCritic(nn.Module):
    """Encoded row (and conditions) → a real score: higher means more like the data."""

    def __init__(
        self, in_width: int, cond_width: int, hidden: tuple[int, ...], spectral: bool
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = in_width + cond_width
        for h in hidden:
            layers += [_linear(width, h, spectral), nn.LeakyReLU(0.2)]
            width = h
        layers.append(_linear(width, 1, spectral))
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        return self.body(x if cond is None else torch.cat([x, cond], dim=1)).squeeze(1)


def _linear(width_in: int, width_out: int, spectral: bool) -> nn.Module:
    layer = nn.Linear(width_in, width_out)
    return spectral_norm(layer) if spectral else layer


def _pieces(width: int, discrete_spans: list[tuple[int, int]]) -> list[tuple[int, int, bool]]:
    """Contiguous runs of continuous outputs between the discrete spans."""
    pieces, start = [], 0
    for a, b in sorted(discrete_spans):
        if a > start:
            pieces.append((start, a, False))
        pieces.append((a, b, True))
        start = b
    if start < width:
        pieces.append((start, width, False))
    return pieces


def critic_loss(objective: str, real_score: torch.Tensor, fake_score: torch.Tensor) -> torch.Tensor:
    if objective == "wgan-gp":
        return fake_score.mean() - real_score.mean()
    return softplus(-real_score).mean() + softplus(fake_score).mean()


def generator_loss(objective: str, fake_score: torch.Tensor) -> torch.Tensor:
    if objective == "wgan-gp":
        return -fake_score.mean()
    return softplus(-fake_score).mean()  # the non-saturating loss


def gradient_penalty(
    critic: nn.Module,
    real: torch.Tensor,
    fake: torch.Tensor,
    cond: torch.Tensor | None,
    generator: torch.Generator,
) -> torch.Tensor:
    """WGAN-GP: (‖∇ critic‖ − 1)² at random points between real and generated rows."""
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    eps = torch.rand(shape, device=real.device, generator=generator)
    mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
    score = critic(mixed, cond)
    (grad,) = torch.autograd.grad(score.sum(), mixed, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1.0) ** 2).mean()
