"""pix2pix (Isola et al. 2017, arXiv:1611.07004): an image made from another image.

G is a U-Net: an encoder of stride-2 4x4 convolutions down to ``2**depth`` times smaller,
a decoder back up, and a skip connection from each encoder level to the decoder level of
the same size, so the input's layout reaches the output directly while the bottleneck
decides what goes where. D is the paper's PatchGAN: it judges overlapping 70x70 patches of
the (input, output) pair, one logit each, so it asks for sharp, plausible texture
everywhere, and an L1 term (weight 100) ties the output to the target's colours. The
paper's noise is dropout in the decoder's three innermost levels, on in training.

For game textures two changes: every convolution pads circularly (``tileable``), so an
input that tiles gives an output that tiles, exactly, at any size that is a multiple of
``2**depth``; and the decoder doubles with nearest-neighbour upsampling and a 3x3
convolution instead of the paper's transposed convolutions, which print a checkerboard at
100% zoom and cannot pad circularly. Normalisation is InstanceNorm, which is what the
paper's BatchNorm at batch size 1 computes (and it applies it so at test time too); the
innermost level has none, as there.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gamegan.errors import ConfigError
from gamegan.models.auxiliary import AuxiliaryTerms, Batch, Heads
from gamegan.models.base import (
    MODELS,
    GANSpec,
    LatentGenerator,
    check_int,
    check_ints,
    check_range,
)
from gamegan.nn.layers import check_shape


@dataclass(frozen=True)
class Config:
    """pix2pix parameters; defaults are the paper's 256x256 U-Net and 70x70 PatchGAN."""

    resolution: int = 256  # training crops; generation takes any multiple of 2**depth
    channels: int = 3  # of B, the output
    condition_channels: int = 3  # of A, the input
    depth: int = 8  # U-Net levels: the bottleneck is 2**depth times smaller than the input
    g_base: int = 64  # channels of the first level, doubled per level up to g_max
    g_max: int = 512
    dropout: float = 0.5  # in the decoder's three innermost levels (the paper's noise)
    skips: bool = True  # the U-Net's skip connections (off: a plain encoder-decoder)
    d_channels: tuple[int, ...] = (64, 128, 256, 512)  # PatchGAN: stride 2 but the last
    l1_weight: float = 100.0  # lambda: the L1 term beside the adversarial one
    tileable: bool = True  # circular padding: a tileable input gives a tileable output
    leaky_slope: float = 0.2

    def __post_init__(self) -> None:
        object.__setattr__(self, "d_channels", tuple(self.d_channels))
        check_int("resolution", self.resolution)
        check_int("channels", self.channels)
        check_int("condition_channels", self.condition_channels)
        check_int("depth", self.depth, 2)
        check_int("g_base", self.g_base)
        check_int("g_max", self.g_max)
        check_ints("d_channels", self.d_channels)
        if len(self.d_channels) < 2:
            raise ConfigError("model.d_channels needs at least 2 convolutions")
        if self.resolution % 2**self.depth:
            raise ConfigError(
                f"model.resolution {self.resolution} must be a multiple of 2**model.depth "
                f"= {2**self.depth}"
            )
        check_range("dropout", self.dropout, 0.0, 1.0)
        check_range("l1_weight", self.l1_weight, 0.0, float("inf"))
        check_range("leaky_slope", self.leaky_slope, 0.0, float("inf"))
        for name in ("tileable", "skips"):
            value = getattr(self, name)
            if not isinstance(value, bool):
                raise ConfigError(f"model.{name} must be true or false, got {value!r}")

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.channels, self.resolution, self.resolution)

    @property
    def multiple(self) -> int:
        """Input sides must be multiples of this."""
        return 2**self.depth


def same_conv(c_in: int, c_out: int, k: int, cfg) -> nn.Conv2d:
    """A k x k convolution that keeps the size (stride 1), padding circularly when
    ``cfg.tileable``."""
    mode = "circular" if cfg.tileable else "zeros"
    return nn.Conv2d(c_in, c_out, k, padding=(k - 1) // 2, padding_mode=mode)


def down_conv(c_in: int, c_out: int, cfg) -> nn.Conv2d:
    """A 4x4 stride-2 convolution; circular padding (1 on each side) halves the size."""
    mode = "circular" if cfg.tileable else "zeros"
    return nn.Conv2d(c_in, c_out, 4, 2, padding=1, padding_mode=mode)


def instance_norm(channels: int) -> nn.Module:
    """The paper's BatchNorm at batch size 1: per image and channel, with a learned affine."""
    return nn.InstanceNorm2d(channels, affine=True)


class ImageToImageGenerator(LatentGenerator):
    """What an image-to-image generator shares: an empty latent, input sides that must be
    multiples of ``multiple``, and padding that can wrap (``set_tileable``)."""

    z_dim = 0
    multiple = 1

    def set_tileable(self, tileable: bool) -> ImageToImageGenerator:
        """Circular padding (an input that tiles gives an output that tiles) or zeros."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                m.padding_mode = "circular" if tileable else "zeros"
        return self

    def checked_input(self, condition: torch.Tensor | None) -> torch.Tensor:
        """``condition`` if it is an input image this generator takes, else a clear error."""
        what = type(self).__module__.rsplit(".", 1)[-1]
        if condition is None:
            raise ValueError(f"{what}.Generator: needs the input image (condition=)")
        check_shape(condition, [None, self.cfg.condition_channels, None, None], f"{what} input")
        h, w = condition.shape[2:]
        if h % self.multiple or w % self.multiple:
            raise ValueError(
                f"{what}.Generator: input sides must be multiples of {self.multiple}, got {h}x{w}"
            )
        return condition


class Generator(ImageToImageGenerator):
    """(z [N, 0], condition A [N, C', H, W] in [-1, 1]) -> B [N, C, H, W] in [-1, 1].

    ``z`` is empty (the noise is dropout); ``H`` and ``W`` are multiples of ``2**depth``.
    """

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.multiple = cfg.multiple
        widths = [min(cfg.g_base * 2**i, cfg.g_max) for i in range(cfg.depth)]
        slope = cfg.leaky_slope
        self.encoder = nn.ModuleList([down_conv(cfg.condition_channels, widths[0], cfg)])
        for i in range(1, cfg.depth):
            innermost = i == cfg.depth - 1  # 1x1 at the paper's size: nothing to normalise
            self.encoder.append(
                nn.Sequential(
                    nn.LeakyReLU(slope),
                    down_conv(widths[i - 1], widths[i], cfg),
                    *(() if innermost else (instance_norm(widths[i]),)),
                )
            )
        self.decoder = nn.ModuleList()
        c_in = widths[-1]
        for k, i in enumerate(range(cfg.depth - 1, 0, -1)):  # innermost first
            layers = [
                nn.ReLU(),
                nn.Upsample(scale_factor=2, mode="nearest"),
                same_conv(c_in, widths[i - 1], 3, cfg),
                instance_norm(widths[i - 1]),
            ]
            if k < 3 and cfg.dropout > 0:
                layers.append(nn.Dropout(cfg.dropout))
            self.decoder.append(nn.Sequential(*layers))
            c_in = (2 if cfg.skips else 1) * widths[i - 1]  # with the skip connection
        self.to_image = nn.Sequential(
            nn.ReLU(),
            nn.Upsample(scale_factor=2, mode="nearest"),
            same_conv(c_in, cfg.channels, 3, cfg),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        skips = []
        x = self.checked_input(condition)
        for level in self.encoder:
            x = level(x)
            skips.append(x)
        skips.pop()  # the innermost level feeds the decoder directly
        for level in self.decoder:
            x = level(x)
            skip = skips.pop()
            if self.cfg.skips:
                x = torch.cat([x, skip], 1)
        return self.to_image(x)


class Discriminator(nn.Module):
    """(B [N, C, H, W], condition A) -> a logit per overlapping patch, [N, patches]."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.net = patch_discriminator(cfg.channels + cfg.condition_channels, cfg)

    def forward(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        if condition is None:
            raise ValueError("pix2pix.Discriminator: needs the input image (condition=)")
        return self.net(torch.cat([condition, x], 1)).flatten(1)


def patch_discriminator(in_channels: int, cfg, *, norm: bool = True) -> nn.Sequential:
    """The PatchGAN: stride-2 4x4 convolutions but the last of ``cfg.d_channels`` (stride 1),
    InstanceNorm after all but the first (``norm``), LeakyReLU, and a 4x4 convolution to one
    logit per patch (70x70 pixels for the paper's four layers)."""
    layers: list[nn.Module] = []
    width, last = in_channels, len(cfg.d_channels) - 1
    for i, out_channels in enumerate(cfg.d_channels):
        make = patch_conv if i == last else down_conv
        layers.append(make(width, out_channels, cfg))
        if i and norm:
            layers.append(instance_norm(out_channels))
        layers.append(nn.LeakyReLU(cfg.leaky_slope))
        width = out_channels
    layers.append(patch_conv(width, 1, cfg))
    return nn.Sequential(*layers)


def patch_conv(c_in: int, c_out: int, cfg) -> nn.Module:
    """A 4x4 stride-1 convolution that keeps the size (the PatchGAN's last two)."""
    mode = "circular" if cfg.tileable else "constant"
    return nn.Sequential(_Pad((1, 2, 1, 2), mode), nn.Conv2d(c_in, c_out, 4, 1))


class _Pad(nn.Module):
    def __init__(self, pad: tuple[int, int, int, int], mode: str) -> None:
        super().__init__()
        self.pad, self.mode = pad, mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pad(x, self.pad, mode=self.mode)


class L1Term(AuxiliaryTerms):
    """The paper's L1 term: G's output against the target of the same input, times
    ``l1_weight``."""

    def __init__(self, cfg: Config) -> None:
        self.weight = cfg.l1_weight

    def g_terms(self, fake: Heads, batch: Batch) -> dict[str, torch.Tensor]:
        l1 = (batch["fake"].float() - batch["real"].float()).abs().mean()
        return {"l1": self.weight * l1}


MODELS.register("pix2pix")(
    GANSpec(Config, Generator, Discriminator, kind="image_to_image", auxiliary=L1Term)
)
