"""Non-saturating GAN loss with the R1 gradient penalty on real data.

Mescheder et al. 2018, "Which Training Methods for GANs do actually Converge?",
arXiv:1801.04406: penalising ``gamma / 2 * ||grad_x D(x)||^2`` at real samples alone makes
the non-saturating GAN converge locally where unregularised and WGAN-GP training oscillate;
StyleGAN2 (Karras et al. 2020) trains with it. It needs no BatchNorm-free interpolates and
suits small data such as one texture photo, where an unregularised discriminator memorises
the crops.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from gamegan.errors import ConfigError
from gamegan.gan.base import register
from gamegan.gan.vanilla import Vanilla


def r1_penalty(D: Callable[[Tensor], Tensor], x_real: Tensor) -> Tensor:
    """Mean over the batch of ``||grad_x sum D(x)||^2`` at the real samples.

    For a patch discriminator (a map of logits per image) the map is summed per image, so the
    penalty is on the gradient of the image's total score. Built with ``create_graph=True`` so
    that minimising it trains D.
    """
    x = x_real.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x).float().sum(), x, create_graph=True)
    return grad.float().square().flatten(1).sum(1).mean()


@register("r1")
class R1(Vanilla):
    """Non-saturating BCE on logits plus ``gamma / 2`` times the R1 penalty."""

    def __init__(self, gamma: float = 1.0, label_smoothing: float = 0.0) -> None:
        super().__init__(label_smoothing=label_smoothing)
        if not gamma >= 0:
            raise ConfigError(f"loss.gamma must be >= 0, got {gamma}")
        self.gamma = gamma

    def penalty(self, D: Callable[[Tensor], Tensor], x_real: Tensor, x_fake: Tensor) -> Tensor:
        if self.gamma == 0:
            return x_real.new_zeros(())
        return 0.5 * self.gamma * r1_penalty(D, x_real)
