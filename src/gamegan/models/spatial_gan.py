"""Fully convolutional texture GAN: Spatial GAN with PSGAN's periodic latents.

Spatial GAN (Jetchev et al. 2016, arXiv:1611.08207) generates from a *field* of latents, so
the output size follows the field's size; the periodic Spatial GAN (Bergmann et al. 2017,
arXiv:1705.06566) splits each latent vector into a local part (new at every position), a
global part (one per image) and a periodic part (sinusoids whose wave vectors the global part
chooses), which lets regular patterns such as bricks line up over long distances.

Seamless tiling: every convolution of the generator pads circularly and the periodic
wave numbers are snapped to whole periods of the field (a straight-through rounding during
training), so a field of L x M latents gives an image that wraps exactly at its borders. The
generator's receptive field is under two latent cells wide, so a wrapped field is computed
exactly as an infinite one would be: training on wrapped crops loses nothing, and any size
that is a multiple of ``upsampling`` tiles without a seam. ``tileable=False`` pads with
zeros and leaves the wave numbers free instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from gamegan.errors import ConfigError
from gamegan.models.base import (
    INITS,
    MODELS,
    GANSpec,
    check_activation,
    check_choice,
    check_int,
    check_ints,
    check_range,
)
from gamegan.nn.layers import batch_norm, check_shape, keras_init_, make_activation


def check_periodic_latent(cfg) -> None:
    """Checks shared by the periodic Spatial GAN configs: sizes, latent parts, crop."""
    check_int("resolution", cfg.resolution)
    check_int("channels", cfg.channels)
    check_int("z_local", cfg.z_local, 0)
    check_int("z_global", cfg.z_global, 0)
    check_int("n_periodic", cfg.n_periodic, 0)
    check_ints("g_channels", cfg.g_channels)
    check_ints("d_channels", cfg.d_channels)
    if cfg.z_local + cfg.z_global == 0:
        raise ConfigError("model.z_local and model.z_global cannot both be 0")
    if cfg.n_periodic and not cfg.z_global:
        raise ConfigError("model.n_periodic needs model.z_global > 0 (it sets the waves)")
    if cfg.resolution % cfg.upsampling:
        raise ConfigError(
            f"model.resolution must be a multiple of {cfg.upsampling} (the generator "
            f"upsamples x2 {len(cfg.g_channels)} times), got {cfg.resolution}"
        )


@dataclass(frozen=True)
class Config:
    """Texture GAN parameters. ``resolution`` is the training crop's side."""

    resolution: int = 64
    channels: int = 1
    z_local: int = 20  # new noise at every latent position
    z_global: int = 20  # one vector per image: which variant of the texture
    n_periodic: int = 4  # sinusoid channels (PSGAN); 0 gives a plain Spatial GAN
    g_channels: tuple[int, ...] = (128, 64, 32, 16)  # one x2 upsampling each
    d_channels: tuple[int, ...] = (32, 64, 128, 256)  # stride-2 convs, then a logit map
    kernel_size: int = 3
    bn_momentum: float = 0.9  # Keras convention, as in dcgan
    g_activation: str = "relu"
    d_activation: str = "leaky_relu"
    leaky_slope: float = 0.2
    d_batchnorm: bool = True
    init: str = "torch"

    def __post_init__(self) -> None:
        for name in ("g_channels", "d_channels"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        check_periodic_latent(self)
        check_int("kernel_size", self.kernel_size)
        if self.kernel_size % 2 == 0:
            raise ConfigError(f"model.kernel_size must be odd, got {self.kernel_size}")
        check_range("bn_momentum", self.bn_momentum, 0.0, 1.0)
        check_activation("g_activation", self.g_activation)
        check_activation("d_activation", self.d_activation)
        check_range("leaky_slope", self.leaky_slope, 0.0, float("inf"))
        check_choice("init", self.init, INITS)

    @property
    def upsampling(self) -> int:
        """Output pixels per latent cell along each axis."""
        return 2 ** len(self.g_channels)

    @property
    def z_dim(self) -> int:
        """Channels of the latent field as sampled: local, global, then one phase pair each."""
        return self.z_local + self.z_global + 2 * self.n_periodic


class PeriodicLatentGenerator(nn.Module):
    """The latent side of a periodic Spatial GAN: field sampling, sinusoids and tiling.

    A subclass builds :attr:`net`, the convolutions from the feature field
    [N, z_local + z_global + n_periodic, L, M] to the texture [N, C, L*u, M*u], with circular
    padding. It sets :attr:`upsampling` (u) and :attr:`margin_cells`, how many latent cells
    around a position can change its pixels: windowed generation overlaps by that much.
    ``cfg`` needs ``resolution``, ``z_local``, ``z_global`` and ``n_periodic``.

    ``z_dim`` counts what :meth:`sample_z` draws: local noise, the global vector (the same at
    every position), per periodic channel a random phase as a unit vector (cos, sin), and
    ``noise_channels`` more channels of unit Gaussian noise per cell, which a subclass may
    unfold into finer noise maps (a cell's 4 channels as one 2x2 map, ...) to inject at its
    upsampling stages: the noise stays part of the latent field, so windows, seeds, tiling
    and ONNX export treat it like the rest.
    """

    upsampling: int
    margin_cells: int
    net: nn.Module

    def __init__(self, cfg, noise_channels: int = 0) -> None:
        super().__init__()
        self.cfg = cfg
        self.noise_channels = noise_channels
        self.z_dim = cfg.z_local + cfg.z_global + 2 * cfg.n_periodic + noise_channels
        self.tileable = True
        if cfg.n_periodic:
            # PSGAN: wave vectors (2 per channel) as an affine function of the global latent.
            self.wave = nn.Sequential(
                nn.Linear(cfg.z_global, 2 * cfg.n_periodic * 4),
                nn.ReLU(),
                nn.Linear(2 * cfg.n_periodic * 4, 2 * cfg.n_periodic),
            )

    @property
    def feature_channels(self) -> int:
        """Channels of :meth:`features`, the input of :attr:`net` (noise channels last)."""
        return self.cfg.z_local + self.cfg.z_global + self.cfg.n_periodic + self.noise_channels

    def set_tileable(self, tileable: bool) -> PeriodicLatentGenerator:
        """Circular padding and whole periods (seamless), or zero padding and free waves."""
        self.tileable = tileable
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                m.padding_mode = "circular" if tileable else "zeros"
        return self

    def sample_z(
        self,
        n: int,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
        *,
        height: int | None = None,
        width: int | None = None,
    ) -> torch.Tensor:
        """Draw a latent field for ``n`` textures of ``height`` x ``width`` pixels.

        Sizes default to the training crop and must be multiples of ``upsampling``. The draw
        happens on ``generator``'s device, so a seed gives the same field on any device.
        """
        cfg = self.cfg
        height = cfg.resolution if height is None else height
        width = cfg.resolution if width is None else width
        u = self.upsampling
        if height % u or width % u or height < u or width < u:
            raise ConfigError(
                f"texture size must be a multiple of {u} pixels, got {width}x{height}"
            )
        if device is None:
            device = next(self.parameters()).device
        draw = generator.device if generator is not None else device
        rows, cols = height // u, width // u
        local = torch.randn(n, cfg.z_local, rows, cols, generator=generator, device=draw)
        glob = torch.randn(n, cfg.z_global, 1, 1, generator=generator, device=draw)
        angle = torch.rand(n, cfg.n_periodic, 1, 1, generator=generator, device=draw) * 2 * math.pi
        phase = torch.cat([angle.cos(), angle.sin()], dim=1)
        spatial = torch.cat([glob, phase], dim=1).expand(-1, -1, rows, cols)
        parts = [local, spatial]
        if self.noise_channels:
            parts.append(
                torch.randn(n, self.noise_channels, rows, cols, generator=generator, device=draw)
            )
        return torch.cat(parts, dim=1).to(device)  # [n, z_dim, rows, cols]

    def sample_training_z(
        self, n: int, generator: torch.Generator | None = None, device=None
    ) -> torch.Tensor:
        """The latent field of a training step: the crop's (a subclass may draw more)."""
        return self.sample_z(n, generator, device)

    def wave_numbers(self, glob: torch.Tensor, rows: int, cols: int) -> torch.Tensor:
        """Wave vectors [N, P, 2] in radians per latent cell (|k| <= pi, the Nyquist limit).

        When tileable they are snapped to whole periods over a ``rows`` x ``cols`` field, so
        the sinusoids wrap; the rounding passes gradients straight through.
        """
        k = math.pi * torch.tanh(self.wave(glob)).view(glob.shape[0], self.cfg.n_periodic, 2)
        if self.tileable:
            steps = torch.tensor([2 * math.pi / rows, 2 * math.pi / cols], device=glob.device)
            k = k + (torch.round(k / steps) * steps - k).detach()
        return k

    def _periodic(self, z: torch.Tensor) -> torch.Tensor:
        """PSGAN's sinusoids [N, n_periodic, L, M] from the global latent and the phases."""
        cfg = self.cfg
        n, _, rows, cols = z.shape
        glob = z[:, cfg.z_local : cfg.z_local + cfg.z_global, 0, 0]  # [N, z_global]
        start = cfg.z_local + cfg.z_global
        phase = z[:, start : start + 2 * cfg.n_periodic, 0, 0]  # [N, 2 * n_periodic]
        cos, sin = phase[:, : cfg.n_periodic], phase[:, cfg.n_periodic :]
        phi = torch.atan2(sin, cos)  # [N, P]
        k = self.wave_numbers(glob, rows, cols)  # [N, P, 2]
        ys = torch.arange(rows, device=z.device, dtype=z.dtype).view(1, 1, rows, 1)
        xs = torch.arange(cols, device=z.device, dtype=z.dtype).view(1, 1, 1, cols)
        arg = k[..., 0, None, None] * ys + k[..., 1, None, None] * xs + phi[..., None, None]
        return torch.sin(arg)  # [N, P, rows, cols]

    def features(self, z: torch.Tensor) -> torch.Tensor:
        """The field the convolutions see: local and global noise plus the sinusoids.

        Positions of the sinusoids are those of the whole field, so tiled generation computes
        this once for the full field and runs :attr:`net` on overlapping windows of it.
        """
        check_shape(z, [None, self.z_dim, None, None], f"{type(self).__module__} z")
        cfg = self.cfg
        parts = [z[:, : cfg.z_local + cfg.z_global]]
        if cfg.n_periodic:
            parts.append(self._periodic(z).to(z.dtype))
        if self.noise_channels:
            parts.append(z[:, self.z_dim - self.noise_channels :])
        return torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]  # [N, F, rows, cols]

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(self.features(z))  # [N, C, rows * u, cols * u]


class Generator(PeriodicLatentGenerator):
    """Latent field z [N, z_dim, L, M] -> texture [N, C, L*u, M*u] in [-1, 1] (u = upsampling).

    One nearest-neighbour x2 upsampling and convolution per entry of ``g_channels``.
    """

    def __init__(self, cfg: Config) -> None:
        super().__init__(cfg)
        self.upsampling = cfg.upsampling
        self.margin_cells = 2  # the receptive field is under two cells wide
        width = self.feature_channels
        layers: list[nn.Module] = []
        for out_channels in cfg.g_channels:
            act, width_out = make_activation(
                cfg.g_activation, out_channels, leaky_slope=cfg.leaky_slope
            )
            layers += [
                nn.Upsample(scale_factor=2, mode="nearest"),
                self._conv(width, out_channels),
                batch_norm(out_channels, cfg.bn_momentum),
                act,
            ]
            width = width_out
        layers += [self._conv(width, cfg.channels), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        if cfg.init == "keras":
            keras_init_(self)

    def _conv(self, c_in: int, c_out: int) -> nn.Conv2d:
        k = self.cfg.kernel_size
        return nn.Conv2d(c_in, c_out, k, padding=k // 2, padding_mode="circular")


class Discriminator(nn.Module):
    """Images [N, C, H, W] -> a map of patch logits [N, H/2^k, W/2^k] (k = len(d_channels))."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        width = cfg.channels
        layers: list[nn.Module] = []
        for i, out_channels in enumerate(cfg.d_channels):
            layers.append(nn.Conv2d(width, out_channels, 4, stride=2, padding=1))
            if i > 0 and cfg.d_batchnorm:
                layers.append(batch_norm(out_channels, cfg.bn_momentum))
            act, width = make_activation(
                cfg.d_activation, out_channels, leaky_slope=cfg.leaky_slope
            )
            layers.append(act)
        layers.append(nn.Conv2d(width, 1, 3, padding=1))
        self.net = nn.Sequential(*layers)
        if cfg.init == "keras":
            keras_init_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_shape(x, [None, self.cfg.channels, None, None], "spatial_gan.Discriminator x")
        return self.net(x).squeeze(1)  # [N, h, w]: one logit per patch


MODELS.register("spatial_gan")(GANSpec(Config, Generator, Discriminator, kind="texture_gan"))
