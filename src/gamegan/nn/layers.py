"""Shared building blocks: activations, Keras-convention BatchNorm, Keras "same" convs, init.

The chapter's networks were Keras 2 models. These helpers carry the Keras conventions that
differ from PyTorch's defaults (BatchNorm momentum and eps, "same" padding alignment for
strided convolutions, Glorot-uniform init) so a port starts where the chapter did.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from gamegan.errors import ConfigError

# input standardisation


class Standardize(nn.Module):
    """``(x - mean) / std`` per channel, with the statistics of the training images.

    A discriminator on raw pixels of a photo whose mean is far from zero (the Hubble Deep
    Field is -0.85 on the [-1, 1] scale, std 0.23) sees its sparse detail as a small ripple
    on a large constant, and learns to tell real from fake crops many times slower than on
    standardised input. The statistics are buffers: set once by :meth:`fit` from the data
    (the trainer does it), saved with the weights.
    """

    def __init__(self, channels: int, transform: nn.Module | None = None) -> None:
        super().__init__()
        # An optional fixed map applied first (SlopeChannels): its outputs are standardised.
        self.transform = transform if transform is not None else nn.Identity()
        self.register_buffer("mean", torch.zeros(1, channels, 1, 1))
        self.register_buffer("std", torch.ones(1, channels, 1, 1))

    @torch.no_grad()
    def fit(self, images: torch.Tensor, chunk: int = 256) -> None:
        """Measure per-channel mean and std of the (transformed) training images ``[N, C, H,
        W]``: uint8, or float already on [-1, 1] (height data)."""
        total = square = None
        count = 0
        for start in range(0, len(images), chunk):
            x = images[start : start + chunk].to(torch.float64)
            if images.dtype == torch.uint8:
                x = x.div_(127.5).sub_(1.0)
            x = self.transform(x)
            if total is None:
                total = torch.zeros(x.shape[1], dtype=torch.float64, device=x.device)
                square = torch.zeros_like(total)
            total += x.sum((0, 2, 3))
            square += x.square().sum((0, 2, 3))
            count += x.numel() // x.shape[1]
        mean = total / count
        std = (square / count - mean.square()).clamp_min(0).sqrt().clamp_min(1 / 127.5)
        self.mean.copy_(mean.view(1, -1, 1, 1))
        self.std.copy_(std.view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.transform(x) - self.mean) / self.std


class SlopeChannels(nn.Module):
    """``[N, C, H, W]`` -> ``[N, 3C, H, W]``: the input, then its differences to the right and
    below (the last column and row repeat the one before).

    Terrain's small valleys are a small ripple on a heightmap's large range, but the whole of
    its slope: a critic that sees the slopes judges the valley network directly.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dx = x[..., :, 1:] - x[..., :, :-1]
        dy = x[..., 1:, :] - x[..., :-1, :]
        dx = torch.cat([dx, dx[..., :, -1:]], dim=-1)
        dy = torch.cat([dy, dy[..., -1:, :]], dim=-2)
        return torch.cat([x, dx, dy], dim=1)


# activations

ACTIVATIONS = ("relu", "leaky_relu", "prelu", "elu", "selu", "crelu", "relu6")


class CReLU(nn.Module):
    """Concatenated ReLU (Shang et al. 2016, arXiv:1603.05201): doubles the channels (dim 1)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([F.relu(x), F.relu(-x)], dim=1)  # [N, 2C, ...]


def make_activation(name: str, channels: int, *, leaky_slope: float = 0.2) -> tuple[nn.Module, int]:
    """Build activation ``name`` for ``channels`` inputs along dim 1 ([N, C] or [N, C, H, W]).

    Parameters
    ----------
    name
        One of :data:`ACTIVATIONS`.
    channels
        Input channels; PReLU learns one slope per channel.
    leaky_slope
        Negative slope of ``leaky_relu`` (Keras' ``alpha``).

    Returns
    -------
    tuple[nn.Module, int]
        The module and its output channel count (twice ``channels`` for CReLU).
    """
    if name == "relu":
        return nn.ReLU(), channels
    if name == "leaky_relu":
        return nn.LeakyReLU(leaky_slope), channels
    if name == "prelu":
        return nn.PReLU(channels), channels
    if name == "elu":
        return nn.ELU(), channels
    if name == "selu":
        return nn.SELU(), channels
    if name == "crelu":
        return CReLU(), 2 * channels
    if name == "relu6":
        return nn.ReLU6(), channels
    raise ConfigError(f"unknown activation {name!r}; choose one of: {', '.join(ACTIVATIONS)}")


# regularisation


class Dropout(nn.Dropout):
    """``nn.Dropout`` whose mask, on the CPU, comes from 16 random bits per element.

    PyTorch's CPU dropout draws its mask with ``bernoulli_``, one generator call and a float
    comparison per element: 11% of a ``dcgan-mnist`` training step in float32 and 21% in
    bf16 on 2 cores (profiled). One 64-bit draw gives the mask of four elements here, three
    times faster, from the same global generator (so seeds and resume work as before). The
    rate is ``p`` rounded to a multiple of 1/65536 (the chapter's 0.25 is exact). On other
    devices PyTorch's fused kernel runs.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0 or x.device.type != "cpu":
            return super().forward(x)
        if self.p == 1:
            return x * 0.0
        n = x.numel()
        words = torch.empty((n + 3) // 4, dtype=torch.int64).random_(-(2**63), 2**63 - 1)
        lanes = words.view(torch.int16)[:n].view(x.shape)  # uniform on [-32768, 32767]
        keep = lanes >= round(self.p * 65536) - 32768
        return x * keep.to(x.dtype).mul_(1.0 / (1.0 - self.p))


# normalization


def batch_norm(
    channels: int, keras_momentum: float, eps: float = 1e-3, dims: int = 2
) -> nn.BatchNorm1d | nn.BatchNorm2d:
    """BatchNorm configured with the chapter's Keras momentum.

    Keras updates ``running = m * running + (1 - m) * batch`` while PyTorch updates
    ``running = (1 - p) * running + p * batch``, so ``p = 1 - m``: Keras ``momentum=0.8``
    is PyTorch ``momentum=0.2``. Keras' default ``epsilon`` is 1e-3 (PyTorch's is 1e-5).

    Parameters
    ----------
    channels
        Features (dims=1, input [N, C]) or channels (dims=2, input [N, C, H, W]).
    keras_momentum
        Momentum in the Keras convention, in [0, 1).
    eps
        Added to the variance.
    dims
        1 for ``BatchNorm1d``, 2 for ``BatchNorm2d``.

    Returns
    -------
    nn.BatchNorm1d | nn.BatchNorm2d
        The layer, with ``momentum = 1 - keras_momentum``.
    """
    if not 0.0 <= keras_momentum < 1.0:
        raise ConfigError(
            f"BatchNorm momentum (Keras convention) must be in [0, 1), got {keras_momentum}"
        )
    cls = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d}.get(dims)
    if cls is None:
        raise ValueError(f"dims must be 1 or 2, got {dims}")
    return cls(channels, eps=eps, momentum=1.0 - keras_momentum)


class PixelNorm(nn.Module):
    """Each pixel's feature vector scaled to unit RMS over channels, then a per-channel affine.

    ProGAN's pixelwise feature normalisation (Karras et al. 2018, arXiv:1710.10196), with
    BatchNorm's learned scale and shift. Unlike BatchNorm it uses no batch or running
    statistics, so a generator computes the same function in training and in inference, and
    a pixel depends on its neighbourhood only: windows and tiles stay exact.
    """

    def __init__(self, channels: int, eps: float = 1e-8) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(1, channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = torch.rsqrt(x.float().square().mean(1, keepdim=True) + self.eps)
        return x * scale.to(x.dtype) * self.weight + self.bias


# convolutions


def same_padding(size: int, kernel_size: int, stride: int) -> tuple[int, int]:
    """TensorFlow's "same" padding (before, after): the odd pixel goes after (bottom/right)."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel_size - size, 0)
    return total // 2, total - total // 2


class Conv2dSame(nn.Conv2d):
    """Conv2d with Keras/TensorFlow ``padding="same"`` for any stride.

    PyTorch's ``padding="same"`` refuses stride > 1, and a symmetric ``padding=1`` gives the
    same size but shifts the sampling grid by one pixel relative to Keras (which pads only
    bottom/right when the total is odd). Output size is ``ceil(size / stride)``. At stride 1
    it equals PyTorch's ``padding="same"``, minus its warning for even kernels (the WGAN's 4).
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1
    ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        top, bottom = same_padding(x.shape[-2], self.kernel_size[0], self.stride[0])
        left, right = same_padding(x.shape[-1], self.kernel_size[1], self.stride[1])
        if top == bottom and left == right:
            # Symmetric: let the conv pad (no extra copy of the input).
            return F.conv2d(x, self.weight, self.bias, self.stride, (top, left))
        return super().forward(F.pad(x, (left, right, top, bottom)))


def conv2d_same_size(size: int, strides: Sequence[int]) -> int:
    """Spatial size after a stack of "same" convolutions with ``strides``."""
    for stride in strides:
        size = math.ceil(size / stride)
    return size


# initialization


def keras_init_(module: nn.Module) -> nn.Module:
    """Keras defaults in place: Glorot-uniform kernels, zero biases, for every Linear/Conv.

    Keras' Glorot fans for a conv kernel are ``k*k*in`` and ``k*k*out``, the same as
    ``nn.init.xavier_uniform_`` on PyTorch's [out, in, k, k] weight. Returns ``module``.
    """
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.modules.conv._ConvNd)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return module


# shape checks


def memory_format_of(t: torch.Tensor) -> torch.memory_format:
    """channels_last for a 4-d tensor stored that way, else the default layout."""
    if t.dim() == 4 and t.is_contiguous(memory_format=torch.channels_last):
        return torch.channels_last
    return torch.contiguous_format


def check_shape(x: torch.Tensor, shape: Sequence[int | None], name: str) -> None:
    """Raise ValueError unless ``x`` has ``shape`` (``None`` matches any size)."""
    if x.ndim != len(shape) or any(
        want is not None and got != want for got, want in zip(x.shape, shape, strict=True)
    ):
        want_str = ", ".join("N" if s is None else str(s) for s in shape)
        raise ValueError(f"{name}: expected shape [{want_str}], got {list(x.shape)}")


def keras_lstm_init_(lstm: nn.LSTM) -> nn.LSTM:
    """Keras' LSTM defaults in place: Glorot-uniform input kernels, orthogonal recurrent
    kernels, zero biases except 1 on the forget gate (``unit_forget_bias``)."""
    hidden = lstm.hidden_size
    for name, param in lstm.named_parameters():
        if name.startswith("weight_ih"):
            # Keras initializes the [in, 4h] kernel as one matrix: fans in and 4h.
            nn.init.xavier_uniform_(param)
        elif name.startswith("weight_hh"):
            # Keras' [h, 4h] recurrent kernel gets orthonormal rows; this is its transpose.
            nn.init.orthogonal_(param)
        elif name.startswith("bias_ih"):
            nn.init.zeros_(param)
            param.data[hidden : 2 * hidden] = 1.0  # PyTorch gate order: input, forget, cell, out
        elif name.startswith("bias_hh"):
            nn.init.zeros_(param)
    return lstm
