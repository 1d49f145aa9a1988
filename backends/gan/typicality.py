"""Turn the GAN's critic into a "how typical is this row" score.

At the end of adversarial training the critic's job is to tell real rows from
*generated* ones; when the generator is good the two look alike and the critic's
score flattens — it no longer says whether a row is typical of the data (a point
between two modes of a mixture can score as high as a point on one). So after
training we fine-tune the critic by noise-contrastive estimation: it learns to
tell real rows from rows of a known, broad reference distribution (each
quantile-normal column ~ N(0, 1.5²), each discrete column uniform over its levels).
At the optimum the classifier's logit is log p_data(x) − log p_ref(x), so

    score(x) = scale · critic(x) + log p_ref(x) = log p_data(x | conditions) + const,

a log-density up to a constant: higher is more typical. A learnable ``scale`` lets a
spectrally normalised (Lipschitz-bounded) critic reach the range a log-density needs.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.functional import binary_cross_entropy_with_logits, one_hot

from backends.runtime import CancelToken

REFERENCE_SD = 1.5


class TypicalityCritic(nn.Module):
    """The GAN critic with a learned output scale and the reference log-density added."""

    def __init__(self, critic: nn.Module, continuous: list[int]) -> None:
        super().__init__()
        self.critic = critic
        self.log_scale = nn.Parameter(torch.zeros(()))
        self.register_buffer("continuous", torch.tensor(continuous, dtype=torch.long))

    def logit(self, x: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        return self.log_scale.exp() * self.critic(x, cond)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        return self.logit(x, cond) + log_reference(x, self.continuous)


def log_reference(x: torch.Tensor, continuous: torch.Tensor) -> torch.Tensor:
    """log p_ref(x) up to a constant (discrete columns are uniform: a constant)."""
    if continuous.numel() == 0:
        return torch.zeros(x.shape[0], device=x.device)
    return -(x[:, continuous] ** 2).sum(dim=1) / (2 * REFERENCE_SD**2)


def reference_rows(
    n: int,
    width: int,
    continuous: torch.Tensor,
    discrete_spans: list[tuple[int, int]],
    rng: torch.Generator,
) -> torch.Tensor:
    x = torch.zeros(n, width, device=continuous.device)
    if continuous.numel():
        x[:, continuous] = REFERENCE_SD * torch.randn(
            n, continuous.numel(), device=x.device, generator=rng
        )
    for a, b in discrete_spans:
        level = torch.randint(b - a, (n,), device=x.device, generator=rng)
        x[:, a:b] = one_hot(level, b - a).float()
    return x


def fit_typicality(
    critic: nn.Module,
    real: torch.Tensor,
    cond: torch.Tensor | None,
    continuous: list[int],
    discrete_spans: list[tuple[int, int]],
    *,
    steps: int,
    batch_size: int,
    seed: int,
    cancel: CancelToken,
) -> TypicalityCritic:
    """Fine-tune the (trained) critic into a TypicalityCritic by NCE, in place."""
    device = real.device
    model = TypicalityCritic(critic, continuous).to(device)
    rng = torch.Generator(device=device)
    rng.manual_seed(seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    labels = torch.cat(
        [torch.ones(batch_size, device=device), torch.zeros(batch_size, device=device)]
    )
    for _ in range(steps):
        cancel.raise_if_cancelled()
        idx = torch.randint(real.shape[0], (batch_size,), device=device, generator=rng)
        ref = reference_rows(batch_size, real.shape[1], model.continuous, discrete_spans, rng)
        x = torch.cat([real[idx], ref])
        c = None if cond is None else torch.cat([cond[idx], cond[idx]])
        loss = binary_cross_entropy_with_logits(model.logit(x, c), labels)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
    return model.train(False)
