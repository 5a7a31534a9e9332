"""A generator term that matches the mean power spectrum of the training crops.

A patch discriminator judges neighbourhoods; what it sees least is *arrangement*: the period
and orientation at which bricks, stones and blades repeat, which the log-spectrum distance
(:mod:`gamegan.metrics.spectrum`) measures. Liu, Gousseau and Xia (2016, "Texture synthesis
through convolutional neural networks and spectrum constraints", arXiv:1605.01141) fixed the
same failure of Gatys et al.'s CNN textures by constraining the Fourier spectrum, as did
Gonthier, Gousseau and Ladjal (2020, arXiv:2008.01808) for regular textures at high
resolution; Durall et al. (2020, arXiv:2003.01826) add a spectral term to a GAN's generator.
Here the generator is pulled towards the crops' *mean* power spectrum (an expectation over the
texture, so the term cannot copy any one crop): the squared difference of the log10 spectra,
Hann-windowed as in the metric, on luminance.

The batch's spectrum is an average of few crops, so each bin is noisy; both spectra are
smoothed over a 3x3 neighbourhood of frequency bins (circularly, as the DFT wraps) before the
log, which pools nine bins' worth of samples at little cost in resolution. Each crop's mean is
taken out first, so its brightness, which the smoothing would spread from DC into the lowest
bins, is left to the discriminator.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gamegan.data.images import to_model_range
from gamegan.errors import ConfigError
from gamegan.metrics.spectrum import LUMA  # the metric's gray conversion, so the two agree

_FIT_CHUNK = 256  # crops per FFT while fitting the target


def _gray(x: Tensor) -> Tensor:
    """``[N, C, H, W]`` -> ``[N, H, W]`` luminance (alpha and extra channels left out)."""
    if x.shape[1] >= 3:
        return LUMA[0] * x[:, 0] + LUMA[1] * x[:, 1] + LUMA[2] * x[:, 2]
    return x[:, 0]


def _hann(n: int, device: torch.device) -> Tensor:
    w = torch.hann_window(n, periodic=True, dtype=torch.float32, device=device)
    return w[:, None] * w[None, :]


class SpectrumMatch(nn.Module):
    """``loss(fake)``: mean squared log10 difference to the training crops' mean spectrum.

    Call :meth:`fit` with the training crops first (the trainer does). The target is a
    buffer of this module but is not part of a run's state: it is a function of the data,
    refitted whenever a trainer is built.
    """

    def __init__(self, smooth: int = 3, min_period: float = 0.0) -> None:
        super().__init__()
        if smooth < 1 or smooth % 2 == 0:
            raise ConfigError(f"the spectrum smoothing must be an odd width >= 1, got {smooth}")
        self.smooth = smooth
        # Bins of periods shorter than this are left out: most of a crop's bins are fine
        # grain (three quarters lie above 1/8 cycle per pixel), which the discriminator
        # judges well, while the term is there for the arrangement at coarser periods.
        self.min_period = min_period
        self.register_buffer("target", torch.empty(0), persistent=False)
        self.register_buffer("floor", torch.zeros(()), persistent=False)

    def _mean_power(self, x: Tensor) -> Tensor:
        """Smoothed mean power spectrum ``[H, W]`` of a batch ``[N, C, H, W]`` in [-1, 1]."""
        gray = _gray(x.float())
        gray = gray - gray.mean((-2, -1), keepdim=True)  # the level is D's to judge, not this
        hann = _hann(gray.shape[-1], gray.device)
        power = torch.fft.fft2(gray * hann).abs().square().mean(0)
        if self.smooth > 1:
            pad = self.smooth // 2
            power = F.pad(power[None, None], (pad, pad, pad, pad), mode="circular")
            power = F.avg_pool2d(power, self.smooth, stride=1)[0, 0]
        return power

    @torch.no_grad()
    def fit(self, images: Tensor) -> None:
        """Measure the target from uint8 crops ``[N, C, H, W]`` (square, at least 8 px)."""
        n, _, h, w = images.shape
        if n == 0 or h != w or h < 8:
            raise ConfigError(
                f"spectrum matching needs square crops of at least 8x8, got {n} of {w}x{h}"
            )
        total = torch.zeros((h, w), device=images.device)
        for start in range(0, n, _FIT_CHUNK):
            chunk = to_model_range(images[start : start + _FIT_CHUNK])
            total += self._mean_power(chunk) * len(chunk)
        power = total / n
        # Bins far below the photo's own weakest ones carry no information; the floor keeps
        # the log finite for a flat generator without letting those bins dominate.
        self.floor = power.flatten()[1:].min().clamp_min(1e-12) * 1e-2
        self.target = torch.log10(power + self.floor)

    def forward(self, fake: Tensor) -> Tensor:
        if self.target.numel() == 0:
            raise RuntimeError("SpectrumMatch.fit() must be called before use")
        if fake.shape[-2:] != self.target.shape:
            h, w = self.target.shape
            raise ConfigError(
                f"spectrum matching: the generator's {fake.shape[-1]}x{fake.shape[-2]} "
                f"training images differ from the {w}x{h} crops"
            )
        diff = torch.log10(self._mean_power(fake) + self.floor) - self.target
        return diff.flatten()[self._bins(diff.shape, diff.device)].square().mean()

    def _bins(self, shape: tuple[int, ...], device: torch.device) -> Tensor:
        """Indices of the compared bins: all but DC (the mean level), and with
        ``min_period`` only those of periods at least that long."""
        h, w = shape
        fy = torch.fft.fftfreq(h, device=device)[:, None]
        fx = torch.fft.fftfreq(w, device=device)[None, :]
        keep = torch.ones((h, w), dtype=torch.bool, device=device)
        if self.min_period:
            keep = (fy.square() + fx.square()).sqrt() <= 1.0 / self.min_period
        keep[0, 0] = False
        return keep.flatten().nonzero()[:, 0]
