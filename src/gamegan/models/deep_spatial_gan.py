"""Deep periodic Spatial GAN: texture structure at the photo's own scale, any size, seamless.

The plain periodic Spatial GAN (``spatial_gan``) sees under two latent cells around a pixel,
32 px at 16x upsampling: too little to hold one brick and its neighbours, so courses break
into short cells. This design keeps its latent field (local, global and PSGAN's periodic
parts; Jetchev et al. 2016, arXiv:1611.08207; Bergmann et al. 2017, arXiv:1705.06566) and
spends depth where it is cheap:

- a residual trunk of 3x3 convolutions on the coarse latent grid, where each layer widens the
  receptive field by a whole cell (16 px) for 1/256 of the cost at full resolution, so the
  arrangement of bricks and stones is decided at the scale it lives at;
- x2 upsampling stages that render the detail, each with per-pixel noise added after its
  convolution (StyleGAN's noise inputs, Karras et al. 2019, arXiv:1812.04948) and scaled by a
  learned per-channel weight, so grain and pebble detail need not be painted from the coarse
  features, which is what smears them into streaks;
- a patch discriminator without normalisation whose receptive field spans the larger training
  crop (128 px by default), trained with the R1 penalty (``loss.name=r1``).

The fine noise is drawn as extra channels of each latent cell and unfolded with a pixel
shuffle (a cell's 4 channels are its 2x2 noise map at the first stage, 16 its 4x4 map at the
second, ...), so one latent field still describes a whole texture: seeds, windowed
generation, tiling and ONNX export work as for ``spatial_gan``. Every convolution pads
circularly and the wave numbers snap to whole periods, so any field tiles seamlessly.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gamegan.errors import ConfigError
from gamegan.models.base import MODELS, GANSpec, check_int, check_range
from gamegan.models.spatial_gan import PeriodicLatentGenerator, check_periodic_latent
from gamegan.nn.color import ColorTransfer
from gamegan.nn.layers import (
    PixelNorm,
    SlopeChannels,
    Standardize,
    batch_norm,
    check_shape,
    memory_format_of,
)


@dataclass(frozen=True)
class Config:
    """Deep texture GAN parameters. ``resolution`` is the training crop's side."""

    resolution: int = 128
    channels: int = 1
    z_local: int = 16  # new noise at every latent cell
    z_global: int = 16  # one vector per image: which variant of the texture
    n_periodic: int = 8  # PSGAN's sinusoid channels
    trunk_channels: int = 128  # width of the residual trunk on the latent grid
    n_blocks: int = 2  # residual blocks (two 3x3 convolutions each) on the latent grid
    g_channels: tuple[int, ...] = (128, 64, 32, 16)  # one x2 upsampling stage each
    # 3x3 convolutions per upsampling stage (StyleGAN draws with two at each resolution):
    # more than one gives the fine stages the depth to shape blades and small objects
    g_convs_per_stage: int = 1
    use_noise: bool = True  # per-pixel noise inputs at every upsampling stage
    noise_init: float = 0.0  # the noise inputs' starting weight (0: learned from nothing)
    # x2 upsampling of the stages: "nearest", or "bilinear" (nearest then a fixed [1, 2, 1]
    # filter, which wraps like the convolutions: no blocky period-2 artefacts, a wider reach)
    upsample: str = "nearest"
    # steps of the colour map fitted after training (gamegan.nn.color; 0: none): the
    # generator's colour distribution moved onto the training photo's, pixel by pixel
    color_steps: int = 0
    d_channels: tuple[int, ...] = (32, 64, 128, 256)  # stride-2 convolutions
    d_blocks: int = 2  # 3x3 convolutions at D's coarsest scale, widening its view
    # 3x3 convolutions after each of D's stride-2 layers: depth at every scale, where the
    # shapes of stones and blades are judged (StyleGAN's critic has two per scale)
    d_convs_per_scale: int = 0
    # a fixed [1, 2, 1] blur before each of D's stride-2 layers (StyleGAN2's critic): without
    # it the strided sampling aliases, and grain D cannot resolve passes for real
    d_blur: bool = False
    d_fine_head: int = 0  # also judge small patches after this many of D's stride-2 layers
    # critics at this many scales: the image, then it halved, halved again, ... each with its
    # own weights (pix2pixHD); a halved image's critic sees twice the span at a quarter the cost
    d_scales: int = 1
    # spectral normalisation of D's learned convolutions (Miyato et al. 2018): a critic held
    # to a Lipschitz bound by its weights, not by a penalty on its input gradient (R1)
    d_spectral_norm: bool = False
    d_standardize: bool = False  # D sees pixels standardised by the photo's channel statistics
    # D sees the image and its slopes (differences right and below), each standardised: for
    # heightmaps, whose valleys are a small ripple on a large range (the terrain preset)
    d_slopes: bool = False
    context: int = 2  # training: the trunk sees a field this many times the crop's side
    # training windows start at a random pixel of G's cell grid, not at a cell corner: real
    # crops are cut anywhere, so D's stride-2 layers otherwise meet G's upsampling grid at one
    # phase and can miss a pattern that follows it. Measured on brick it did not: the grid
    # pattern grew without the grid term (docs/textures.md), so it is off
    random_phase: bool = False
    # the generator's normalisation: "batch" (BatchNorm: training uses each batch's
    # statistics, inference the running ones, so a latent can render differently in each) or
    # "pixel" (ProGAN's per-pixel normalisation: the same function in training and inference)
    g_norm: str = "batch"
    bn_momentum: float = 0.9  # Keras convention, as everywhere in gamegan
    leaky_slope: float = 0.2

    def __post_init__(self) -> None:
        for name in ("g_channels", "d_channels"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        check_periodic_latent(self)
        check_int("trunk_channels", self.trunk_channels)
        check_int("n_blocks", self.n_blocks, 0)
        check_int("g_convs_per_stage", self.g_convs_per_stage)
        check_int("d_blocks", self.d_blocks, 0)
        check_int("d_convs_per_scale", self.d_convs_per_scale, 0)
        check_int("color_steps", self.color_steps, 0)
        check_int("d_fine_head", self.d_fine_head, 0)
        check_int("d_scales", self.d_scales)
        if self.d_fine_head >= len(self.d_channels):
            raise ConfigError(
                f"model.d_fine_head must be below the {len(self.d_channels)} stride-2 layers "
                f"of model.d_channels, got {self.d_fine_head}"
            )
        check_int("context", self.context)
        for name in (
            "use_noise",
            "d_standardize",
            "d_slopes",
            "d_blur",
            "d_spectral_norm",
            "random_phase",
        ):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(
                    f"model.{name} must be True or False, got {getattr(self, name)!r}"
                )
        if self.g_norm not in G_NORMS:
            raise ConfigError(
                f"model.g_norm must be one of {', '.join(G_NORMS)}, got {self.g_norm!r}"
            )
        if self.upsample not in UPSAMPLE_MODES:
            raise ConfigError(
                f"model.upsample must be one of {', '.join(UPSAMPLE_MODES)}, got {self.upsample!r}"
            )
        check_range("bn_momentum", self.bn_momentum, 0.0, 1.0)
        check_range("noise_init", self.noise_init, 0.0, float("inf"))
        check_range("leaky_slope", self.leaky_slope, 0.0, float("inf"))

    @property
    def upsampling(self) -> int:
        """Output pixels per latent cell along each axis."""
        return 2 ** len(self.g_channels)

    @property
    def noise_channels(self) -> int:
        """Latent channels per cell that carry the stages' noise maps: 4 + 16 + 64 + ..."""
        if not self.use_noise:
            return 0
        return sum(4**stage for stage in range(1, len(self.g_channels) + 1))


UPSAMPLE_MODES = ("nearest", "bilinear")
G_NORMS = ("batch", "pixel")


def _norm(channels: int, cfg: Config) -> nn.Module:
    """The generator's normalisation layer (``cfg.g_norm``)."""
    if cfg.g_norm == "pixel":
        return PixelNorm(channels)
    return batch_norm(channels, cfg.bn_momentum)


def _conv(c_in: int, c_out: int) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, 3, padding=1, padding_mode="circular")


class ResidualBlock(nn.Module):
    """conv-norm-ReLU-conv-norm plus the input, then ReLU: two cells more of receptive field."""

    def __init__(self, channels: int, cfg: Config) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _conv(channels, channels),
            _norm(channels, cfg),
            nn.ReLU(),
            _conv(channels, channels),
            _norm(channels, cfg),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.body(x))


class BinomialSmoothing(nn.Conv2d):
    """A fixed depthwise [1, 2, 1] x [1, 2, 1] / 16 filter.

    In the generator, after a nearest x2, it makes exact bilinear upsampling; as a Conv2d it
    pads circularly, or with zeros inside training windows, exactly as the learned
    convolutions do. In the critic (``d_blur``, replicated edges) it low-passes before each
    stride-2 layer. Its kernel is a buffer, not a parameter: the trainer switches the
    critic's gradients off and on again around each generator step, which once turned a
    parameter kept fixed by ``requires_grad`` into a learned one."""

    def __init__(self, channels: int, padding_mode: str = "circular") -> None:
        super().__init__(
            channels, channels, 3, padding=1, groups=channels, bias=False, padding_mode=padding_mode
        )
        taps = torch.tensor([1.0, 2.0, 1.0])
        del self.weight
        kernel = (torch.outer(taps, taps) / 16).expand(channels, 1, 3, 3).contiguous()
        self.register_buffer("weight", kernel)

    def reset_parameters(self) -> None:  # nothing to initialise: the kernel is fixed
        pass


class UpStage(nn.Module):
    """Nearest (or bilinear) x2, conv, norm, plus scaled per-pixel noise, ReLU; then
    ``g_convs_per_stage - 1`` more conv-norm-ReLU layers at the stage's resolution."""

    def __init__(self, c_in: int, c_out: int, cfg: Config) -> None:
        super().__init__()
        self.smooth = BinomialSmoothing(c_in) if cfg.upsample == "bilinear" else None
        self.conv = _conv(c_in, c_out)
        self.norm = _norm(c_out, cfg)
        # Zero by default: the stage begins as a plain one and learns how much grain to add.
        self.noise_weight = (
            nn.Parameter(torch.full((1, c_out, 1, 1), float(cfg.noise_init)))
            if cfg.use_noise
            else None
        )
        self.more = nn.Sequential(
            *(
                layer
                for _ in range(cfg.g_convs_per_stage - 1)
                for layer in (_conv(c_out, c_out), _norm(c_out, cfg), nn.ReLU())
            )
        )

    def forward(self, x: torch.Tensor, noise: torch.Tensor | None) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        if self.smooth is not None:
            x = self.smooth(x)
        x = self.norm(self.conv(x))
        if self.noise_weight is not None:
            x = x + self.noise_weight * noise  # noise [N, 1, H, W] broadcasts over channels
        return self.more(F.relu(x))


class TextureNet(nn.Module):
    """Feature field [N, F, L, M] (noise channels last) -> texture [N, C, L*u, M*u]."""

    def __init__(self, cfg: Config, in_channels: int) -> None:
        super().__init__()
        self.n_stages = len(cfg.g_channels)
        self.noise_channels = cfg.noise_channels
        head = in_channels - cfg.noise_channels
        self.stem = nn.Sequential(
            _conv(head, cfg.trunk_channels),
            _norm(cfg.trunk_channels, cfg),
            nn.ReLU(),
            *(ResidualBlock(cfg.trunk_channels, cfg) for _ in range(cfg.n_blocks)),
        )
        widths = (cfg.trunk_channels, *cfg.g_channels)
        bilinear = cfg.upsample == "bilinear"
        self.stages = nn.ModuleList(
            UpStage(c_in, c_out, cfg) for c_in, c_out in zip(widths[:-1], widths[1:], strict=True)
        )
        self.to_image = nn.Sequential(_conv(widths[-1], cfg.channels), nn.Tanh())
        # Fitted after training (the trainer's snapshots); training itself passes through it.
        self.color = ColorTransfer(cfg.channels, cfg.color_steps) if cfg.color_steps else None
        # Each convolution of a stage reaches one pixel at that stage's scale, 1/2 + 1/4 + ...
        # of a cell over the stages: K per stage reach under K cells, and bilinear upsampling's
        # filter adds as much as one convolution. A window rendered with that many cells more
        # on each side is exact inside (see forward_window and generate's windows).
        self.render_margin_cells = cfg.g_convs_per_stage + (1 if bilinear else 0)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.render_field(self.trunk(features))

    def trunk(self, features: torch.Tensor) -> torch.Tensor:
        """The arrangement on the latent grid: trunk output and noise channels, joined."""
        n_head = features.shape[1] - self.noise_channels
        return torch.cat([self.stem(features[:, :n_head]), features[:, n_head:]], dim=1)

    def render_field(self, field: torch.Tensor) -> torch.Tensor:
        """Pixels of a :meth:`trunk` output (or a window of one)."""
        n_trunk = field.shape[1] - self.noise_channels
        return self.render(field[:, :n_trunk], field[:, n_trunk:])

    def forward_window(
        self, features: torch.Tensor, cells: int, random_phase: bool = False
    ) -> torch.Tensor:
        """The trunk on the whole (wrapping) field, the rest on a random ``cells`` window.

        The window carries one cell more on each side, which the rendering stages (whose
        reach is under a cell) use in place of padding and which is cut off afterwards, so the
        window is rendered exactly as inside the whole field. With ``random_phase`` one more
        cell is rendered and the window starts at a random pixel of its first cell. Its
        position comes from the global RNG, which training states save.
        """
        field = self.trunk(features)  # [N, trunk_channels + noise_channels, rows, cols]
        rows, cols = field.shape[-2:]
        m = self.render_margin_cells
        extra = 1 if random_phase else 0
        # (the phase is drawn only when asked for: other runs keep their random stream)
        top, left, *phase = (int(i) for i in torch.randint(0, 1 << 30, (2 + 2 * extra,)))
        span = cells + extra + m
        ri = torch.arange(top - m, top + span, device=field.device) % rows
        ci = torch.arange(left - m, left + span, device=field.device) % cols
        window = field[:, :, ri][:, :, :, ci].contiguous(memory_format=memory_format_of(field))
        # What padding puts at the window's border lands in the margin, which is cut off:
        # zero padding, which the convolution does itself, saves circular padding's copies
        # (a fifth of a training step on 2 CPU cores).
        convs = [
            module
            for part in (self.stages, self.to_image)
            for module in part.modules()
            if isinstance(module, nn.Conv2d)
        ]
        modes = [conv.padding_mode for conv in convs]
        try:
            for conv in convs:
                conv.padding_mode = "zeros"
            x = self.render_field(window)
        finally:
            for conv, mode in zip(convs, modes, strict=True):
                conv.padding_mode = mode
        u = x.shape[-1] // (cells + extra + 2 * m)
        dy, dx = (phase[0] % u, phase[1] % u) if random_phase else (0, 0)
        y0, x0 = u * m + dy, u * m + dx
        return x[..., y0 : y0 + u * cells, x0 : x0 + u * cells]

    def render(self, x: torch.Tensor, noise_fields: torch.Tensor) -> torch.Tensor:
        """Upsampling stages and the output layer, with each stage's unfolded noise."""
        offset = 0
        for stage, block in enumerate(self.stages, start=1):
            noise = None
            if self.noise_channels:
                # A cell's 4^s channels unfold into its 2^s x 2^s patch of this stage's map.
                width = 4**stage
                noise = F.pixel_shuffle(noise_fields[:, offset : offset + width], 2**stage)
                offset += width
            x = block(x, noise)
        x = self.to_image(x)
        return x if self.color is None else self.color(x)


class Generator(PeriodicLatentGenerator):
    """Latent field z [N, z_dim, L, M] -> texture [N, C, L*u, M*u] in [-1, 1] (u = upsampling)."""

    def __init__(self, cfg: Config) -> None:
        super().__init__(cfg, noise_channels=cfg.noise_channels)
        self.upsampling = cfg.upsampling
        self.net = TextureNet(cfg, self.feature_channels)
        # Cells that can reach a pixel: one per trunk conv (stem and two per block), and the
        # rendering stages' reach (a cell per convolution of each stage, one more with
        # bilinear upsampling).
        self.margin_cells = 1 + 2 * cfg.n_blocks + self.net.render_margin_cells

    def sample_training_z(
        self, n: int, generator: torch.Generator | None = None, device=None
    ) -> torch.Tensor:
        """The latent field of a training step: ``context`` times the crop's side."""
        side = self.cfg.resolution * self.cfg.context
        return self.sample_z(n, generator, device, height=side, width=side)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Texture of the whole field; in training, of a crop-sized window of a larger field.

        Training draws ``context`` times the crop's field (:meth:`sample_training_z`): the
        trunk's arrangement then need not wrap at the crop's size, and the sinusoids snap to
        whole periods of the larger field, a finer choice of periods (a brick course of 36 px
        is no whole fraction of a 128 px crop).
        """
        features = self.features(z)
        cells = self.cfg.resolution // self.upsampling
        if self.training and max(features.shape[-2:]) > cells:
            return self.net.forward_window(features, cells, self.cfg.random_phase)
        return self.net(features)


class Discriminator(nn.Module):
    """Images [N, C, H, W] -> patch logits: a map [N, H/2^k, W/2^k] (k = len(d_channels)).

    With ``d_fine_head = j`` a second head also judges the features after ``j`` stride-2
    layers, whose patches are a few pixels wide (38 px at j = 3), and the two maps are
    returned flattened and joined, [N, h_j * w_j + h * w]. The coarse logits see nearly a
    whole 128 px crop, so few of them judge the grain; the fine head's many small patches
    give the generator a dense signal about detail (pix2pixHD's multi-scale critics, Wang et
    al. 2018, arXiv:1711.11585, sharing one trunk here). With ``d_scales = S`` critics of
    their own also judge the image halved S - 1 times (pix2pixHD's coarse critics), which see
    the layout of blades and stones over a larger area than the first one; their logits are
    repeated onto the first critic's grid and joined to the flattened maps.
    """

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        width = cfg.channels
        if cfg.d_slopes:  # heights and their slopes, each standardised
            width = 3 * cfg.channels
            self.standardize = Standardize(width, transform=SlopeChannels())
        elif cfg.d_standardize:
            self.standardize = Standardize(width)
        else:
            self.standardize = nn.Identity()
        fine, layers = _critic_layers(cfg, width, fine_head=cfg.d_fine_head)
        if cfg.d_fine_head:
            self.fine_head = nn.Conv2d(cfg.d_channels[cfg.d_fine_head - 1], 1, 3, padding=1)
        self.fine = nn.Sequential(*fine)
        self.net = nn.Sequential(*layers)
        # the critics of the halved images: no fine head, the same layers otherwise
        self.coarse = nn.ModuleList(
            nn.Sequential(*_critic_layers(cfg, width)[1]) for _ in range(cfg.d_scales - 1)
        )
        if cfg.d_spectral_norm:
            for layer in self.modules():
                if isinstance(layer, nn.Conv2d) and layer.weight.requires_grad:
                    nn.utils.parametrizations.spectral_norm(layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_shape(x, [None, self.cfg.channels, None, None], "deep_spatial_gan.Discriminator x")
        x = self.standardize(x)
        if not self.cfg.d_fine_head and not self.coarse:
            return self.net(x).squeeze(1)  # [N, h, w]: one logit per patch
        features = self.fine(x)
        logits = self.net(features)
        maps = [self.fine_head(features).flatten(1)] if self.cfg.d_fine_head else []
        maps.append(logits.flatten(1))
        for critic in self.coarse:
            x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
            # repeated onto the first critic's grid, so each scale weighs alike in the mean
            # loss (pix2pixHD sums the scales' losses) and in the R1 penalty
            coarse = F.interpolate(critic(x), size=logits.shape[-2:], mode="nearest")
            maps.append(coarse.flatten(1))
        return torch.cat(maps, dim=1)


def _critic_layers(
    cfg: Config, width: int, fine_head: int = 0
) -> tuple[list[nn.Module], list[nn.Module]]:
    """A critic's stride-2 layers, split after the ``fine_head``-th, and its head at 1/2^k."""
    fine: list[nn.Module] = []
    layers: list[nn.Module] = []
    for i, out_channels in enumerate(cfg.d_channels):
        scale = [BinomialSmoothing(width, "replicate")] if cfg.d_blur else []
        scale.append(nn.Conv2d(width, out_channels, 4, stride=2, padding=1))
        scale.append(nn.LeakyReLU(cfg.leaky_slope))
        for _ in range(cfg.d_convs_per_scale):
            scale.append(nn.Conv2d(out_channels, out_channels, 3, padding=1))
            scale.append(nn.LeakyReLU(cfg.leaky_slope))
        (fine if i < fine_head else layers).extend(scale)
        width = out_channels
    for _ in range(cfg.d_blocks):
        layers += [nn.Conv2d(width, width, 3, padding=1), nn.LeakyReLU(cfg.leaky_slope)]
    layers.append(nn.Conv2d(width, 1, 3, padding=1))
    return fine, layers


MODELS.register("deep_spatial_gan")(
    GANSpec(Config, Generator, Discriminator, kind="texture_gan", channels_last=True)
)
