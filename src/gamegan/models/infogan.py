"""InfoGAN (Chen et al. 2016, arXiv:1606.03657): latent codes the generator must keep visible.

Part of G's latent is a set of *codes*: a categorical code (one of ``n_categorical`` values,
one-hot) and ``n_continuous`` codes uniform in [-1, 1]. A head Q on D's features estimates
the codes back from a fake, and G and Q together maximise a lower bound on the mutual
information between the codes and the image: cross-entropy for the categorical code, the
Gaussian negative log-likelihood for the continuous ones. Nothing says what a code should
mean; on MNIST the categorical code tends to become the digit and the continuous ones its
slant and width, unsupervised. ``gamegan generate RUN --code c1=-2,-1,0,1,2`` sweeps one.

The networks are the chapter's reference collection's, eriklindernoren/Keras-GAN
``infogan/infogan.py``: G is Dense 1024 -> ReLU -> BatchNorm -> Dense 128*7*7 -> ReLU ->
BatchNorm -> x2 -> Conv 64 (4x4) -> ReLU -> BatchNorm -> x2 -> Conv C (4x4) -> tanh; D is
Conv 64 (4x4, stride 2) -> LeakyReLU 0.2 -> Dropout 0.25 -> Conv 128 (stride 2) -> LeakyReLU
-> BatchNorm -> Dropout -> Dense 1024 -> LeakyReLU, then the real/fake logit and Q: Dense 128
-> LeakyReLU -> BatchNorm -> category logits, means and log standard deviations (at least
-16). Two deliberate differences. Keras-GAN puts a BatchNorm after the Dense 1024 too; as
real and fake batches go through D separately, that layer gives every batch the same mean
features, so the mean real/fake logit of a batch is a constant and D cannot tell an all-real
batch from an all-fake one (measured: equal mean scores to four digits). And Keras-GAN also
trains Q on *real* images against their MNIST labels and random codes; here Q learns from
fakes only, as in the paper, so the model needs no labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gamegan.errors import ConfigError
from gamegan.models.auxiliary import AuxiliaryTerms, Batch, Heads
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
from gamegan.nn.layers import Conv2dSame, Dropout, batch_norm, check_shape, keras_init_

CATEGORY = "category"


@dataclass(frozen=True)
class Config:
    """InfoGAN parameters; defaults are Keras-GAN's InfoGAN on MNIST (62 + 10 + 2 latents)."""

    resolution: int = 28
    channels: int = 1
    z_dim: int = 62  # the noise; the codes come after it in G's latent
    n_categorical: int = 10  # values of the categorical code (0: none)
    n_continuous: int = 2  # continuous codes, uniform in [-1, 1]: c1, c2, ...
    g_hidden: int = 1024
    g_channels: tuple[int, ...] = (128, 64)  # the dense layer's map, then a conv per x2
    d_channels: tuple[int, ...] = (64, 128)  # stride-2 convolutions
    d_hidden: int = 1024
    q_hidden: int = 128
    kernel_size: int = 4
    bn_momentum: float = 0.8  # Keras convention: running = m * running + (1 - m) * batch
    leaky_slope: float = 0.2
    dropout: float = 0.25
    info_weight: float = 1.0  # lambda: weight of the mutual-information terms
    init: str = "keras"

    def __post_init__(self) -> None:
        for name in ("g_channels", "d_channels"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        check_int("resolution", self.resolution)
        check_int("channels", self.channels)
        check_int("z_dim", self.z_dim)
        check_int("n_categorical", self.n_categorical, 0)
        check_int("n_continuous", self.n_continuous, 0)
        if self.n_categorical == 1:
            raise ConfigError("model.n_categorical must be 0 (no categorical code) or >= 2")
        if not self.n_categorical and not self.n_continuous:
            raise ConfigError("InfoGAN needs a code: model.n_categorical or model.n_continuous")
        check_int("g_hidden", self.g_hidden)
        check_int("d_hidden", self.d_hidden)
        check_int("q_hidden", self.q_hidden)
        check_int("kernel_size", self.kernel_size)
        check_ints("g_channels", self.g_channels)
        check_ints("d_channels", self.d_channels)
        factor = 2 ** len(self.g_channels)
        if self.resolution % factor:
            raise ConfigError(
                f"model.resolution must be divisible by {factor} (the generator upsamples x2 "
                f"{len(self.g_channels)} times), got {self.resolution}"
            )
        check_range("bn_momentum", self.bn_momentum, 0.0, 1.0)
        check_range("leaky_slope", self.leaky_slope, 0.0, float("inf"))
        check_range("dropout", self.dropout, 0.0, 1.0)
        check_range("info_weight", self.info_weight, 0.0, float("inf"))
        check_choice("init", self.init, INITS)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.channels, self.resolution, self.resolution)

    @property
    def code_names(self) -> tuple[str, ...]:
        """``category`` (when there is one), then ``c1``, ``c2``, ..."""
        names = (CATEGORY,) if self.n_categorical else ()
        return names + tuple(f"c{i + 1}" for i in range(self.n_continuous))


def split_codes(z: torch.Tensor, cfg: Config) -> tuple[torch.Tensor | None, torch.Tensor]:
    """The codes in a latent: the category index [N] (None without one), continuous [N, k]."""
    start = cfg.z_dim
    category = None
    if cfg.n_categorical:
        category = z[:, start : start + cfg.n_categorical].argmax(1)
        start += cfg.n_categorical
    return category, z[:, start:]


class Generator(LatentGenerator):
    """z [N, z_dim + n_categorical + n_continuous] -> images [N, C, H, W] in [-1, 1]."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.z_dim = cfg.z_dim + cfg.n_categorical + cfg.n_continuous
        self.code_names = cfg.code_names
        first, *rest = cfg.g_channels
        start = cfg.resolution // 2 ** len(cfg.g_channels)
        k, m = cfg.kernel_size, cfg.bn_momentum
        layers: list[nn.Module] = [
            nn.Linear(self.z_dim, cfg.g_hidden),
            nn.ReLU(),
            batch_norm(cfg.g_hidden, m, dims=1),
            nn.Linear(cfg.g_hidden, first * start * start),
            nn.ReLU(),
            batch_norm(first * start * start, m, dims=1),
            nn.Unflatten(1, (first, start, start)),
        ]
        width = first
        for out_channels in rest:
            layers += [
                nn.Upsample(scale_factor=2, mode="nearest"),
                Conv2dSame(width, out_channels, k),
                nn.ReLU(),
                batch_norm(out_channels, m),
            ]
            width = out_channels
        # The last upsampling goes straight to the image.
        layers += [nn.Upsample(scale_factor=2, mode="nearest"), Conv2dSame(width, cfg.channels, k)]
        layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)
        if cfg.init == "keras":
            keras_init_(self)

    @property
    def latent_summary(self) -> str:
        cfg = self.cfg
        parts = [f"z[:, :{cfg.z_dim}] N(0, 1)"]
        if cfg.n_categorical:
            parts.append(f"z[:, {cfg.z_dim}:{cfg.z_dim + cfg.n_categorical}] the category, one-hot")
        if cfg.n_continuous:
            parts.append(f"z[:, {self.z_dim - cfg.n_continuous}:] codes c1.. in [-1, 1]")
        return ", ".join(parts)

    def sample_z(self, n, generator=None, device=None) -> torch.Tensor:
        """Noise N(0, 1), a uniformly drawn category (one-hot), continuous codes U(-1, 1)."""
        if device is None:
            device = next(self.parameters()).device
        cfg = self.cfg
        draw = generator.device if generator is not None else device
        parts = [torch.randn(n, cfg.z_dim, generator=generator, device=draw)]
        if cfg.n_categorical:
            index = torch.randint(cfg.n_categorical, (n,), generator=generator, device=draw)
            parts.append(F.one_hot(index, cfg.n_categorical).float())
        parts.append(torch.rand(n, cfg.n_continuous, generator=generator, device=draw) * 2 - 1)
        return torch.cat(parts, 1).to(device)

    def with_codes(self, z: torch.Tensor, codes: dict[str, float]) -> torch.Tensor:
        """``z`` with the named codes set: ``category`` to an index, ``c1``... to a value."""
        cfg = self.cfg
        z = z.clone()
        for name, value in codes.items():
            if name not in self.code_names:
                raise ValueError(f"no code {name!r}: this model's codes are {self.code_names}")
            if name == CATEGORY:
                if value != int(value) or not 0 <= value < cfg.n_categorical:
                    raise ValueError(f"category must be 0-{cfg.n_categorical - 1}, got {value}")
                block = z[:, cfg.z_dim : cfg.z_dim + cfg.n_categorical]
                block.zero_()
                block[:, int(value)] = 1.0
            else:
                z[:, self.z_dim - cfg.n_continuous + int(name[1:]) - 1] = float(value)
        return z

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        check_shape(z, [None, self.z_dim], "infogan.Generator z")
        return self.net(z)


class Discriminator(nn.Module):
    """Images -> (logits [N], Q's estimates: {"category": logits [N, n_categorical],
    "mean": [N, n_continuous], "log_std": [N, n_continuous]})."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        k, m, slope = cfg.kernel_size, cfg.bn_momentum, cfg.leaky_slope
        layers: list[nn.Module] = []
        width, size = cfg.channels, cfg.resolution
        for i, out_channels in enumerate(cfg.d_channels):
            layers += [Conv2dSame(width, out_channels, k, 2), nn.LeakyReLU(slope)]
            if i > 0:
                layers.append(batch_norm(out_channels, m))
            if cfg.dropout > 0:
                layers.append(Dropout(cfg.dropout))
            width, size = out_channels, (size + 1) // 2
        layers += [
            nn.Flatten(),
            nn.Linear(width * size * size, cfg.d_hidden),
            nn.LeakyReLU(slope),
        ]
        self.features = nn.Sequential(*layers)
        self.real_fake = nn.Linear(cfg.d_hidden, 1)
        self.q = nn.Sequential(
            nn.Linear(cfg.d_hidden, cfg.q_hidden),
            nn.LeakyReLU(slope),
            batch_norm(cfg.q_hidden, m, dims=1),
        )
        self.q_category = nn.Linear(cfg.q_hidden, cfg.n_categorical) if cfg.n_categorical else None
        self.q_mean = nn.Linear(cfg.q_hidden, cfg.n_continuous)
        self.q_log_std = nn.Linear(cfg.q_hidden, cfg.n_continuous)
        if cfg.init == "keras":
            keras_init_(self)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, Heads]:
        check_shape(x, [None, *self.cfg.image_shape], "infogan.Discriminator x")
        h = self.features(x)
        q = self.q(h)
        heads = {"mean": self.q_mean(q), "log_std": self.q_log_std(q).clamp(min=-16.0)}
        if self.q_category is not None:
            heads[CATEGORY] = self.q_category(q)
        return self.real_fake(h).squeeze(1), heads


class InformationTerms(AuxiliaryTerms):
    """Minus the variational lower bound on I(codes; G(z, codes)), for Q (in D's step) and for
    G (in its step), times ``info_weight``: the category's cross-entropy plus the continuous
    codes' Gaussian negative log-likelihood (summed over codes, constant dropped)."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg

    def _information(self, fake: Heads, z: torch.Tensor) -> torch.Tensor:
        category, continuous = split_codes(z, self.cfg)
        loss = z.new_zeros((), dtype=torch.float32)
        if category is not None:
            loss = loss + F.cross_entropy(fake[CATEGORY].float(), category)
        if continuous.shape[1]:
            mean, log_std = fake["mean"].float(), fake["log_std"].float()
            nll = log_std + 0.5 * ((continuous - mean) / log_std.exp()).square()
            loss = loss + nll.sum(1).mean()
        return self.cfg.info_weight * loss

    def d_terms(self, real: Heads, fake: Heads, batch: Batch) -> dict[str, torch.Tensor]:
        return {"info": self._information(fake, batch["z"])}

    def g_terms(self, fake: Heads, batch: Batch) -> dict[str, torch.Tensor]:
        return {"info": self._information(fake, batch["z"])}

    def metrics(self, real: Heads, fake: Heads, batch: Batch) -> dict[str, torch.Tensor]:
        category, continuous = split_codes(batch["z"], self.cfg)
        stats = {}
        with torch.no_grad():
            if category is not None:
                hits = fake[CATEGORY].argmax(1) == category
                stats["Accuracy/Q/category"] = hits.float().mean()
            if continuous.shape[1]:
                stats["Error/Q/continuous"] = (fake["mean"] - continuous).abs().mean()
        return stats


MODELS.register("infogan")(GANSpec(Config, Generator, Discriminator, auxiliary=InformationTerms))
