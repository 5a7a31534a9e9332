"""Least-squares GAN (Mao et al. 2017, arXiv:1611.04076), the 0-1 coding (a=0, b=1, c=1).

Squared error on D's raw output keeps gradients for fakes that are already on the right side
of the decision boundary, where the sigmoid BCE has flattened out.
"""

from __future__ import annotations

from torch import Tensor

from gamegan.gan.base import Objective, register


@register("lsgan")
class LSGAN(Objective):
    """Regress D to 1 on real and 0 on fake; G pulls D(fake) to 1."""

    def d_loss(self, logits_real: Tensor, logits_fake: Tensor) -> Tensor:
        real, fake = logits_real.float(), logits_fake.float()
        return 0.5 * (real - 1).square().mean() + 0.5 * fake.square().mean()

    def g_loss(self, logits_fake: Tensor) -> Tensor:
        return 0.5 * (logits_fake.float() - 1).square().mean()
