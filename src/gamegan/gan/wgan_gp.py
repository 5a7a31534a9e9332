"""WGAN with gradient penalty (Gulrajani et al. 2017, arXiv:1704.00028).

Replaces weight clipping with a soft Lipschitz constraint: gp_weight * (||grad D(x_hat)|| - 1)^2
at random interpolates x_hat between real and fake samples. The paper drops BatchNorm from the
critic (the penalty is per sample); use ``--set model.d_batchnorm=False`` with the DCGAN critic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import torch
from torch import Tensor

from gamegan.errors import ConfigError
from gamegan.gan.base import register
from gamegan.gan.wgan import Wasserstein


def gradient_norm(D: Callable[[Tensor], Tensor], x_real: Tensor, x_fake: Tensor) -> Tensor:
    """||grad_x D(x)||_2 per sample [N] at x = eps * real + (1 - eps) * fake, eps ~ U[0, 1].

    Built with ``create_graph=True`` so a penalty on it trains D. eps comes from the global RNG
    (saved in training state like dropout's). Shared by WGAN-GP and variants such as WGAN-LP.
    """
    shape = (x_real.shape[0],) + (1,) * (x_real.ndim - 1)  # [N, 1, 1, 1] for images
    eps = torch.rand(shape, device=x_real.device, dtype=x_real.dtype)
    x_hat = (eps * x_real.detach() + (1 - eps) * x_fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    return grad.float().flatten(1).norm(2, dim=1)  # [N]


@register("wgan_gp")
class WGANGP(Wasserstein):
    """Wasserstein critic kept Lipschitz by a gradient-norm penalty at interpolates."""

    default_optimizer: ClassVar[dict[str, Any]] = {"name": "adam", "lr": 1e-4, "betas": (0.0, 0.9)}

    def __init__(self, gp_weight: float = 10.0) -> None:
        if not gp_weight >= 0:
            raise ConfigError(f"loss.gp_weight must be >= 0, got {gp_weight}")
        self.gp_weight = gp_weight

    def penalty(self, D: Callable[[Tensor], Tensor], x_real: Tensor, x_fake: Tensor) -> Tensor:
        norm = gradient_norm(D, x_real, x_fake)  # [N]
        return self.gp_weight * (norm - 1).square().mean()
