"""CycleGAN (Zhu et al. 2017, arXiv:1703.10593): two unpaired sets of images, each restyled as
the other.

Two generators, A to B and B to A, and a discriminator for each domain. Nothing pairs an A
with a B; what keeps G_AB's output tied to its input is the *cycle*: G_BA(G_AB(a)) must give
``a`` back and G_AB(G_BA(b)) ``b`` (an L1 term, ``cycle_weight`` 10), and, where the two
domains have the same channels, an *identity* term: G_AB(b) should leave a picture that is
already in B alone (``identity_weight`` 0.5, relative to the cycle weight). The trainer that
holds the four networks is :mod:`gamegan.train.cycle`; the adversarial objective is the
run's ``--loss`` (the paper's least squares: ``lsgan``).

The networks are the paper's: G is a ResNet (a 7x7 convolution, two stride-2 convolutions,
``n_blocks`` residual blocks, two x2 upsamplings, a 7x7 convolution to the image); D is the
70x70 PatchGAN of :mod:`gamegan.models.pix2pix` on the image alone. As there, every
convolution pads circularly (the paper's reflection padding otherwise) so a tileable input
gives a tileable output, and the decoder upsamples with nearest neighbour and a 3x3
convolution instead of transposed convolutions. The paper's history buffer of 50 fakes is
left out.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn

from gamegan.errors import ConfigError
from gamegan.models.base import (
    MODELS,
    GANSpec,
    check_choice,
    check_int,
    check_ints,
    check_range,
)
from gamegan.models.pix2pix import (
    ImageToImageGenerator,
    down_conv,
    instance_norm,
    patch_discriminator,
    same_conv,
)

CYCLE_LOSSES = ("l1", "l2")


class TwoWay:
    """What the two-way trainer asks of a config beside its networks' fields (``channels``,
    ``condition_channels``, ``cycle_weight``, ``identity_weight``, ``cycle_loss``)."""

    def reversed(self):
        """The same networks the other way round: B is the input, A the output."""
        return dataclasses.replace(
            self, channels=self.condition_channels, condition_channels=self.channels
        )


@dataclass(frozen=True)
class Config(TwoWay):
    """CycleGAN parameters; defaults are the paper's 256x256 networks (9 residual blocks)."""

    resolution: int = 256  # training crops; generation takes any multiple of 4
    channels: int = 3  # of domain B
    condition_channels: int = 3  # of domain A
    g_base: int = 64
    n_blocks: int = 9
    d_channels: tuple[int, ...] = (64, 128, 256, 512)
    cycle_weight: float = 10.0  # lambda: A -> B -> A and B -> A -> B back to where they began
    identity_weight: float = 0.5  # times cycle_weight; needs the same channels in A and B
    cycle_loss: str = "l1"  # the cycle's distance: l1 (CycleGAN, DualGAN) or l2 (DiscoGAN)
    tileable: bool = True
    leaky_slope: float = 0.2

    def __post_init__(self) -> None:
        object.__setattr__(self, "d_channels", tuple(self.d_channels))
        check_int("resolution", self.resolution)
        check_int("channels", self.channels)
        check_int("condition_channels", self.condition_channels)
        check_int("g_base", self.g_base)
        check_int("n_blocks", self.n_blocks, 0)
        check_ints("d_channels", self.d_channels)
        if len(self.d_channels) < 2:
            raise ConfigError("model.d_channels needs at least 2 convolutions")
        if self.resolution % 4:
            raise ConfigError(f"model.resolution must be a multiple of 4, got {self.resolution}")
        check_range("cycle_weight", self.cycle_weight, 0.0, float("inf"))
        check_range("identity_weight", self.identity_weight, 0.0, float("inf"))
        check_choice("cycle_loss", self.cycle_loss, CYCLE_LOSSES)
        check_range("leaky_slope", self.leaky_slope, 0.0, float("inf"))
        if not isinstance(self.tileable, bool):
            raise ConfigError(f"model.tileable must be true or false, got {self.tileable!r}")

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.channels, self.resolution, self.resolution)


class _Residual(nn.Module):
    def __init__(self, channels: int, cfg: Config) -> None:
        super().__init__()
        self.body = nn.Sequential(
            same_conv(channels, channels, 3, cfg),
            instance_norm(channels),
            nn.ReLU(),
            same_conv(channels, channels, 3, cfg),
            instance_norm(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class Generator(ImageToImageGenerator):
    """(z [N, 0], condition: an image of A [N, C', H, W]) -> its B version [N, C, H, W]."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.multiple = 4  # two stride-2 convolutions
        g = cfg.g_base
        self.net = nn.Sequential(
            same_conv(cfg.condition_channels, g, 7, cfg),
            instance_norm(g),
            nn.ReLU(),
            down_conv(g, 2 * g, cfg),
            instance_norm(2 * g),
            nn.ReLU(),
            down_conv(2 * g, 4 * g, cfg),
            instance_norm(4 * g),
            nn.ReLU(),
            *(_Residual(4 * g, cfg) for _ in range(cfg.n_blocks)),
            nn.Upsample(scale_factor=2, mode="nearest"),
            same_conv(4 * g, 2 * g, 3, cfg),
            instance_norm(2 * g),
            nn.ReLU(),
            nn.Upsample(scale_factor=2, mode="nearest"),
            same_conv(2 * g, g, 3, cfg),
            instance_norm(g),
            nn.ReLU(),
            same_conv(g, cfg.channels, 7, cfg),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(self.checked_input(condition))


class Discriminator(nn.Module):
    """Images of one domain [N, C, H, W] -> a logit per overlapping 70x70 patch."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.net = patch_discriminator(cfg.channels, cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten(1)


MODELS.register("cyclegan")(
    GANSpec(Config, Generator, Discriminator, kind="image_to_image", two_way=True)
)
