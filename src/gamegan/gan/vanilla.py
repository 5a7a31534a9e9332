"""The original GAN loss, non-saturating form (Goodfellow et al. 2014, arXiv:1406.2661).

BCE on logits is the chapter's sigmoid + binary cross-entropy without its overflow: D labels
real 1 and fake 0; G maximizes log D(G(z)) (target 1) instead of minimizing log(1 - D(G(z))),
which saturates early in training. Optional one-sided label smoothing (Salimans et al. 2016,
arXiv:1606.03498) sets the real target to 1 - s.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from gamegan.errors import ConfigError
from gamegan.gan.base import Objective, register


@register("vanilla")
class Vanilla(Objective):
    """Non-saturating BCE on logits, optionally with one-sided label smoothing."""

    def __init__(self, label_smoothing: float = 0.0) -> None:
        if not 0.0 <= label_smoothing < 1.0:
            raise ConfigError(f"loss.label_smoothing must be in [0, 1), got {label_smoothing}")
        self.label_smoothing = label_smoothing

    def d_loss(self, logits_real: Tensor, logits_fake: Tensor) -> Tensor:
        real, fake = logits_real.float(), logits_fake.float()
        loss_real = F.binary_cross_entropy_with_logits(
            real, torch.full_like(real, 1.0 - self.label_smoothing)
        )
        loss_fake = F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
        # The mean of the two, which is the "D loss" the chapter prints.
        return 0.5 * (loss_real + loss_fake)

    def g_loss(self, logits_fake: Tensor) -> Tensor:
        fake = logits_fake.float()
        return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
