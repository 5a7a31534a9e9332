"""Wasserstein GAN with weight clipping (Arjovsky et al. 2017, arXiv:1701.07875).

The critic estimates the Wasserstein-1 distance as mean(D(real)) - mean(D(fake)); the chapter
writes it as Keras' mean(y_true * y_pred) with y = -1 for real and +1 for fake, which is the
same d_loss = -mean(D(real)) + mean(D(fake)). The Lipschitz constraint is kept by clamping
the critic's parameters to [-c, c] after each critic step.

Known bug in the reference Keras code: it clipped ``layer.get_weights()``, which includes
BatchNorm's moving mean and variance, squeezing the running statistics that eval-mode
BatchNorm normalizes with into [-0.01, 0.01]. Here only parameters are clipped (BatchNorm's
gamma and beta included, as in the paper); buffers such as running statistics are never touched.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from gamegan.errors import ConfigError
from gamegan.gan.base import Objective, register


class Wasserstein(Objective):
    """The critic's losses shared by WGAN and WGAN-GP; logits are scores, not probabilities."""

    n_critic: ClassVar[int] = 5
    has_accuracy: ClassVar[bool] = False

    def d_loss(self, logits_real: Tensor, logits_fake: Tensor) -> Tensor:
        return -logits_real.float().mean() + logits_fake.float().mean()

    def g_loss(self, logits_fake: Tensor) -> Tensor:
        return -logits_fake.float().mean()


@register("wgan")
class WGAN(Wasserstein):
    """Wasserstein critic kept Lipschitz by clamping its parameters to [-clip_value, clip_value]."""

    default_optimizer: ClassVar[dict[str, Any]] = {"name": "rmsprop", "lr": 5e-5}

    def __init__(self, clip_value: float = 0.01) -> None:
        if not clip_value > 0:
            raise ConfigError(f"loss.clip_value must be > 0, got {clip_value}")
        self.clip_value = clip_value

    def after_d_step(self, D: nn.Module) -> None:
        # parameters(), not state_dict(): BatchNorm running statistics are buffers and stay.
        # Works on a DDP wrapper too, whose parameters() are the wrapped module's.
        with torch.no_grad():
            for p in D.parameters():
                p.clamp_(-self.clip_value, self.clip_value)
