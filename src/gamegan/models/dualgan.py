"""DualGAN (Yi et al. 2017, arXiv:1704.02510): CycleGAN's two-way scheme with pix2pix's nets
and a Wasserstein critic.

Two generators and two critics trained by :mod:`gamegan.train.cycle`, as CycleGAN's; what
differs is the paper's choice of parts: each generator is the pix2pix U-Net
(:mod:`gamegan.models.pix2pix`, skip connections and decoder dropout), each critic the
PatchGAN without normalisation, trained as a WGAN with weight clipping (the preset:
``--loss wgan``, RMSprop 5e-5, two critic steps per generator step), and the reconstruction
term is L1 with a weight of 100 (the paper's lambda lies between 100 and 1000) and no
identity term.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gamegan.errors import ConfigError
from gamegan.models import cyclegan, pix2pix
from gamegan.models.base import MODELS, GANSpec, check_choice, check_range


@dataclass(frozen=True)
class Config(cyclegan.TwoWay, pix2pix.Config):
    """DualGAN parameters: pix2pix's networks (at 256 px, depth 8) and the two-way terms."""

    cycle_weight: float = 100.0
    identity_weight: float = 0.0
    cycle_loss: str = "l1"

    def __post_init__(self) -> None:
        super().__post_init__()
        check_range("cycle_weight", self.cycle_weight, 0.0, float("inf"))
        check_range("identity_weight", self.identity_weight, 0.0, float("inf"))
        check_choice("cycle_loss", self.cycle_loss, cyclegan.CYCLE_LOSSES)
        if self.l1_weight != pix2pix.Config.l1_weight:
            raise ConfigError("model.l1_weight is pix2pix's paired term; DualGAN's is cycle_weight")


class Critic(nn.Module):
    """Images of one domain -> a score per overlapping patch: the PatchGAN without
    normalisation, as a weight-clipped Wasserstein critic wants (InstanceNorm would hide each
    picture's overall level and contrast from it)."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.net = pix2pix.patch_discriminator(cfg.channels, cfg, norm=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten(1)


MODELS.register("dualgan")(
    GANSpec(Config, pix2pix.Generator, Critic, kind="image_to_image", two_way=True)
)
