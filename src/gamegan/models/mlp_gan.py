"""The vanilla GAN's multilayer perceptrons (Goodfellow et al. 2014, arXiv:1406.2661).

Layer for layer the chapter's first program, eriklindernoren/Keras-GAN ``gan/gan.py``:
G is Dense 256 -> LeakyReLU 0.2 -> BatchNorm (Keras momentum 0.8) -> Dense 512 -> ... ->
Dense 1024 -> ... -> Dense(C*H*W) tanh; D is Flatten -> Dense 512 -> LeakyReLU 0.2 ->
Dense 256 -> LeakyReLU 0.2 -> Dense 1. D returns logits: the objective applies the sigmoid.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gamegan.models.base import (
    INITS,
    MODELS,
    GANSpec,
    LatentGenerator,
    check_activation,
    check_choice,
    check_int,
    check_ints,
    check_range,
)
from gamegan.nn.layers import Dropout, batch_norm, check_shape, keras_init_, make_activation


@dataclass(frozen=True)
class Config:
    """MLP GAN parameters; defaults are the chapter's MNIST model."""

    resolution: int = 28
    channels: int = 1
    z_dim: int = 100
    g_hidden: tuple[int, ...] = (256, 512, 1024)
    d_hidden: tuple[int, ...] = (512, 256)
    g_activation: str = "leaky_relu"
    d_activation: str = "leaky_relu"
    leaky_slope: float = 0.2
    bn_momentum: float = 0.8  # Keras convention: running = m * running + (1 - m) * batch
    dropout: float = 0.0  # D only, after each activation
    init: str = "keras"  # "keras": Glorot-uniform + zero bias; "torch": PyTorch defaults

    def __post_init__(self) -> None:
        # JSON configs bring lists; keep the dataclass hashable.
        object.__setattr__(self, "g_hidden", tuple(self.g_hidden))
        object.__setattr__(self, "d_hidden", tuple(self.d_hidden))
        check_int("resolution", self.resolution)
        check_int("channels", self.channels)
        check_int("z_dim", self.z_dim)
        check_ints("g_hidden", self.g_hidden)
        check_ints("d_hidden", self.d_hidden)
        check_activation("g_activation", self.g_activation)
        check_activation("d_activation", self.d_activation)
        check_range("leaky_slope", self.leaky_slope, 0.0, float("inf"))
        check_range("bn_momentum", self.bn_momentum, 0.0, 1.0)
        check_range("dropout", self.dropout, 0.0, 1.0)
        check_choice("init", self.init, INITS)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.channels, self.resolution, self.resolution)


class Generator(LatentGenerator):
    """z [N, z_dim] -> images [N, C, H, W] in [-1, 1]."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.z_dim = cfg.z_dim
        layers: list[nn.Module] = []
        width = cfg.z_dim
        for hidden in cfg.g_hidden:
            act, width_out = make_activation(cfg.g_activation, hidden, leaky_slope=cfg.leaky_slope)
            # Keras-GAN order: Dense -> activation -> BatchNorm.
            layers += [
                nn.Linear(width, hidden),
                act,
                batch_norm(width_out, cfg.bn_momentum, dims=1),
            ]
            width = width_out
        c, h, w = cfg.image_shape
        layers += [nn.Linear(width, c * h * w), nn.Tanh(), nn.Unflatten(1, (c, h, w))]
        self.net = nn.Sequential(*layers)
        if cfg.init == "keras":
            keras_init_(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        check_shape(z, [None, self.z_dim], "mlp_gan.Generator z")
        return self.net(z)  # [N, C, H, W]


class Discriminator(nn.Module):
    """Images [N, C, H, W] -> logits [N] (no sigmoid)."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        c, h, w = cfg.image_shape
        layers: list[nn.Module] = [nn.Flatten()]
        width = c * h * w
        for hidden in cfg.d_hidden:
            act, width_out = make_activation(cfg.d_activation, hidden, leaky_slope=cfg.leaky_slope)
            layers += [nn.Linear(width, hidden), act]
            if cfg.dropout > 0:
                layers.append(Dropout(cfg.dropout))
            width = width_out
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)
        if cfg.init == "keras":
            keras_init_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_shape(x, [None, *self.cfg.image_shape], "mlp_gan.Discriminator x")
        return self.net(x).squeeze(1)  # [N]


MODELS.register("mlp_gan")(GANSpec(Config, Generator, Discriminator))
