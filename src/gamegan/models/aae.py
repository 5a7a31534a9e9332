"""Adversarial autoencoder (Makhzani et al. 2015, arXiv:1511.05644).

An autoencoder whose codes are pushed towards the prior by a GAN *in the latent space*: the
encoder is the generator of that GAN (it makes codes), the discriminator tells the encoder's
codes from draws of N(0, I), and the decoder learns to rebuild the image from its code. Once
trained, the decoder turns any draw of the prior into an image (``gamegan generate``, like
every image GAN), and the encoder gives the code of an image (``gamegan.api.encode``), so
images can be rebuilt and blended in code space.

The networks are the chapter's reference collection's, eriklindernoren/Keras-GAN
``aae/aae.py``: the encoder Dense 512 -> LeakyReLU 0.2 -> Dense 512 -> LeakyReLU -> a mean and
a log-variance of ``z_dim`` (10), sampled with the reparametrisation trick; the decoder
Dense 512 -> LeakyReLU -> Dense 512 -> LeakyReLU -> Dense C*H*W, tanh; the discriminator
Dense 512 -> LeakyReLU -> Dense 256 -> LeakyReLU -> Dense 1 on codes. The autoencoder's loss
is the squared reconstruction error and the adversarial loss weighted 0.999 and 0.001, as
there. The training step is :mod:`gamegan.train.autoencoder`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from gamegan.models.base import (
    INITS,
    MODELS,
    GANSpec,
    LatentGenerator,
    check_choice,
    check_int,
    check_ints,
    check_range,
)
from gamegan.nn.layers import check_shape, keras_init_


@dataclass(frozen=True)
class Config:
    """AAE parameters; defaults are Keras-GAN's AAE on MNIST (a 10-dimensional code)."""

    resolution: int = 28
    channels: int = 1
    z_dim: int = 10
    hidden: tuple[int, ...] = (512, 512)  # encoder and decoder
    d_hidden: tuple[int, ...] = (512, 256)  # the code discriminator
    leaky_slope: float = 0.2
    adversarial_weight: float = 0.001  # the reconstruction error weighs 1 - this
    init: str = "keras"

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(self.hidden))
        object.__setattr__(self, "d_hidden", tuple(self.d_hidden))
        check_int("resolution", self.resolution)
        check_int("channels", self.channels)
        check_int("z_dim", self.z_dim)
        check_ints("hidden", self.hidden)
        check_ints("d_hidden", self.d_hidden)
        check_range("leaky_slope", self.leaky_slope, 0.0, float("inf"))
        check_range("adversarial_weight", self.adversarial_weight, 0.0, 1.0)
        check_choice("init", self.init, INITS)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.channels, self.resolution, self.resolution)


def _mlp(width: int, hidden: tuple[int, ...], slope: float) -> tuple[list[nn.Module], int]:
    layers: list[nn.Module] = []
    for h in hidden:
        layers += [nn.Linear(width, h), nn.LeakyReLU(slope)]
        width = h
    return layers, width


class Generator(LatentGenerator):
    """The decoder: codes z [N, z_dim] -> images [N, C, H, W] in [-1, 1]."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.z_dim = cfg.z_dim
        layers, width = _mlp(cfg.z_dim, cfg.hidden, cfg.leaky_slope)
        layers += [
            nn.Linear(width, math.prod(cfg.image_shape)),
            nn.Tanh(),
            nn.Unflatten(1, cfg.image_shape),
        ]
        self.net = nn.Sequential(*layers)
        if cfg.init == "keras":
            keras_init_(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        check_shape(z, [None, self.z_dim], "aae.Generator z")
        return self.net(z)


class Encoder(nn.Module):
    """Images -> (mean, log-variance) of their codes, each [N, z_dim]."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        layers, width = _mlp(math.prod(cfg.image_shape), cfg.hidden, cfg.leaky_slope)
        self.body = nn.Sequential(nn.Flatten(), *layers)
        self.mean = nn.Linear(width, cfg.z_dim)
        self.log_var = nn.Linear(width, cfg.z_dim)
        if cfg.init == "keras":
            keras_init_(self)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        check_shape(x, [None, *self.cfg.image_shape], "aae.Encoder x")
        h = self.body(x)
        return self.mean(h), self.log_var(h)

    def encode(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """A code drawn for each image (the reparametrisation trick); its mean when
        ``generator`` is None and the encoder is in eval mode."""
        mean, log_var = self(x)
        if generator is None and not self.training:
            return mean
        draw = generator.device if generator is not None else mean.device
        eps = torch.randn(mean.shape, generator=generator, device=draw).to(mean.device)
        return mean + eps * (0.5 * log_var).exp()


class Discriminator(nn.Module):
    """Codes [N, z_dim] -> logits [N]: a draw of the prior (real) or an encoder's code."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        layers, width = _mlp(cfg.z_dim, cfg.d_hidden, cfg.leaky_slope)
        self.net = nn.Sequential(*layers, nn.Linear(width, 1))
        if cfg.init == "keras":
            keras_init_(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).squeeze(1)


MODELS.register("aae")(GANSpec(Config, Generator, Discriminator, encoder=Encoder))
