"""DiscoGAN (Kim et al. 2017, arXiv:1703.05192): CycleGAN's two-way scheme with an
encoder-decoder and a squared reconstruction distance.

Two generators and two discriminators trained by :mod:`gamegan.train.cycle`, as CycleGAN's;
the paper's parts: each generator is a plain encoder-decoder (pix2pix's U-Net without its
skip connections, so everything passes through the bottleneck, and without dropout), each
discriminator a stack of stride-2 convolutions ending in one logit per 4x4 cell of the
last map (one logit for a 64x64 picture), trained with the original GAN loss; the
reconstruction distance is the squared error with weight 1 and there is no identity term.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gamegan.models import cyclegan, pix2pix
from gamegan.models.base import MODELS, GANSpec, check_choice, check_range


@dataclass(frozen=True)
class Config(cyclegan.TwoWay, pix2pix.Config):
    """DiscoGAN parameters; defaults are the paper's 64x64 networks."""

    resolution: int = 64
    depth: int = 4
    skips: bool = False
    dropout: float = 0.0
    cycle_weight: float = 1.0
    identity_weight: float = 0.0
    cycle_loss: str = "l2"

    def __post_init__(self) -> None:
        super().__post_init__()
        check_range("cycle_weight", self.cycle_weight, 0.0, float("inf"))
        check_range("identity_weight", self.identity_weight, 0.0, float("inf"))
        check_choice("cycle_loss", self.cycle_loss, cyclegan.CYCLE_LOSSES)


class Discriminator(nn.Module):
    """Images of one domain -> a logit per 4x4 cell of the last stride-2 map, [N, cells]."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        layers: list[nn.Module] = []
        width = cfg.channels
        for i, out_channels in enumerate(cfg.d_channels):
            layers.append(pix2pix.down_conv(width, out_channels, cfg))
            if i:
                layers.append(nn.BatchNorm2d(out_channels))
            layers.append(nn.LeakyReLU(cfg.leaky_slope))
            width = out_channels
        layers.append(nn.Conv2d(width, 1, 4, stride=4))  # a 4x4 cell, not overlapping
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten(1)


MODELS.register("discogan")(
    GANSpec(Config, pix2pix.Generator, Discriminator, kind="image_to_image", two_way=True)
)
