"""DCGAN generator and discriminator (Radford et al. 2016, arXiv:1511.06434).

Layer for layer the chapter's Keras-GAN ``dcgan/dcgan.py`` with its defaults; with
``d_channels=(16, 32, 64, 128)`` and ``g_kernel_size=4`` it is the chapter's WGAN
(Arjovsky et al. 2017, arXiv:1701.07875) critic and generator from ``wgan/wgan.py``.
The discriminator returns raw logits; the objective decides how they are used.
Keras' conventions are kept: BatchNorm momentum as Keras writes it (0.8 == PyTorch 0.2),
"same" padding that puts the odd pixel bottom/right, nearest-neighbour upsampling.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gamegan.errors import ConfigError
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
from gamegan.nn.layers import (
    Conv2dSame,
    Dropout,
    batch_norm,
    check_shape,
    conv2d_same_size,
    keras_init_,
    make_activation,
)


@dataclass(frozen=True)
class Config:
    """DCGAN parameters; defaults are the chapter's DCGAN on MNIST."""

    resolution: int = 28
    channels: int = 1
    z_dim: int = 100
    g_channels: tuple[int, ...] = (128, 64)  # one x2 upsampling block each
    g_kernel_size: int = 3
    d_channels: tuple[int, ...] = (32, 64, 128, 256)
    d_kernel_size: int = 3
    d_strides: tuple[int, ...] = (2, 2, 2, 1)
    bn_momentum: float = 0.8  # Keras convention: running = m * running + (1 - m) * batch
    g_activation: str = "relu"
    d_activation: str = "leaky_relu"
    leaky_slope: float = 0.2
    dropout: float = 0.25  # D only, after each activation
    d_batchnorm: bool = True  # BN on D's convs 2..n (turn off for wgan_gp, as its paper says)
    init: str = "keras"  # "keras": Glorot-uniform + zero bias; "torch": PyTorch defaults

    def __post_init__(self) -> None:
        # JSON configs bring lists; keep the dataclass hashable.
        for name in ("g_channels", "d_channels", "d_strides"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        check_int("resolution", self.resolution)
        check_int("channels", self.channels)
        check_int("z_dim", self.z_dim)
        check_ints("g_channels", self.g_channels)
        check_int("g_kernel_size", self.g_kernel_size)
        check_ints("d_channels", self.d_channels)
        check_int("d_kernel_size", self.d_kernel_size)
        check_ints("d_strides", self.d_strides)
        if len(self.d_channels) < 2:
            raise ConfigError(
                "model.d_channels needs at least 2 convolutions (the zero pad follows the "
                f"second), got {self.d_channels!r}"
            )
        if len(self.d_strides) != len(self.d_channels):
            raise ConfigError(
                f"model.d_strides has {len(self.d_strides)} entries but model.d_channels has "
                f"{len(self.d_channels)}; give one stride per convolution"
            )
        factor = 2 ** len(self.g_channels)
        if self.resolution % factor:
            raise ConfigError(
                f"model.resolution must be divisible by {factor} (the generator upsamples x2 "
                f"{len(self.g_channels)} times), got {self.resolution}"
            )
        check_range("bn_momentum", self.bn_momentum, 0.0, 1.0)
        check_activation("g_activation", self.g_activation)
        check_activation("d_activation", self.d_activation)
        check_range("leaky_slope", self.leaky_slope, 0.0, float("inf"))
        check_range("dropout", self.dropout, 0.0, 1.0)
        if not isinstance(self.d_batchnorm, bool):
            raise ConfigError(f"model.d_batchnorm must be true or false, got {self.d_batchnorm!r}")
        check_choice("init", self.init, INITS)

    @property
    def start_resolution(self) -> int:
        """Side of the map the dense layer makes: 7 for 28 px, 8 for 32, 16 for 64."""
        return self.resolution // 2 ** len(self.g_channels)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.channels, self.resolution, self.resolution)


class Generator(LatentGenerator):
    """z [N, z_dim] -> images [N, C, H, W] in [-1, 1]."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.z_dim = cfg.z_dim
        start, k, g0 = cfg.start_resolution, cfg.g_kernel_size, cfg.g_channels[0]
        act, width = make_activation(cfg.g_activation, g0, leaky_slope=cfg.leaky_slope)
        # The chapter's Dense(128*7*7, activation="relu"); activating after the reshape is the
        # same for elementwise activations and gives PReLU/CReLU per-channel meaning.
        layers: list[nn.Module] = [
            nn.Linear(cfg.z_dim, g0 * start * start),
            nn.Unflatten(1, (g0, start, start)),  # [N, g0, start, start]
            act,
        ]
        for out_channels in cfg.g_channels:
            act, width_out = make_activation(
                cfg.g_activation, out_channels, leaky_slope=cfg.leaky_slope
            )
            layers += [
                nn.Upsample(scale_factor=2, mode="nearest"),  # Keras UpSampling2D
                # "same" keeps the size for even kernels too (the odd pixel goes bottom/right).
                Conv2dSame(width, out_channels, k),
                batch_norm(out_channels, cfg.bn_momentum),
                act,
            ]
            width = width_out
        layers += [Conv2dSame(width, cfg.channels, k), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        if cfg.init == "keras":
            keras_init_(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        check_shape(z, [None, self.z_dim], "dcgan.Generator z")
        return self.net(z)  # [N, C, H, W]


class Discriminator(nn.Module):
    """Images [N, C, H, W] -> logits [N] (no sigmoid); the WGAN's critic with its params."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        k = cfg.d_kernel_size
        layers: list[nn.Module] = []
        width, size = cfg.channels, cfg.resolution
        for i, (out_channels, stride) in enumerate(zip(cfg.d_channels, cfg.d_strides, strict=True)):
            layers.append(Conv2dSame(width, out_channels, k, stride))
            size = conv2d_same_size(size, [stride])
            if i == 1:
                # Keras-GAN's ZeroPadding2D(((0, 1), (0, 1))): 7x7 -> 8x8 on MNIST.
                layers.append(nn.ZeroPad2d((0, 1, 0, 1)))
                size += 1
            if i >= 1 and cfg.d_batchnorm:
                layers.append(batch_norm(out_channels, cfg.bn_momentum))
            act, width = make_activation(
                cfg.d_activation, out_channels, leaky_slope=cfg.leaky_slope
            )
            layers.append(act)
            if cfg.dropout > 0:
                layers.append(Dropout(cfg.dropout))
        self.flat_features = width * size * size  # 4*4*256 for the chapter's MNIST D
        layers += [nn.Flatten(), nn.Linear(self.flat_features, 1)]
        self.net = nn.Sequential(*layers)
        if cfg.init == "keras":
            keras_init_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_shape(x, [None, *self.cfg.image_shape], "dcgan.Discriminator x")
        return self.net(x).squeeze(1)  # [N]


Critic = Discriminator  # the WGAN's name for it: same network, unbounded output

MODELS.register("dcgan")(GANSpec(Config, Generator, Discriminator, channels_last=True))
