"""A fitted per-pixel colour map: the generator's colour distribution moved onto the photo's.

A texture GAN learns arrangement and grain well before it gets the photo's exact colours: a
held-out hubble model paints a grey haze where the photo is black with few bright points,
a gravel one is flatter than its photo. Matching colour distributions is the last step of
classic texture synthesis (Heeger and Bergen 1995 match histograms; Pitie, Kokaram and Dahyot
2005 move a whole N-d colour distribution by repeated 1-d matching along rotated axes). This
module is that step, fitted once after training on the generator's own outputs against the
training photo's pixels and kept in the snapshot as buffers:

    for each step s: p = B_s^T (x - m_s);  p_c <- lut_s[c](p_c);  x <- B_s p + m_s

with ``B_0`` the photo's principal colour axes, later steps random rotations, and each
``lut`` a piecewise-linear quantile map sampled on a uniform grid (a gather, so it exports to
ONNX and runs on any device). It acts on every pixel alone: tiling, windowed generation and
seeds are untouched. An unfitted map (no steps) is the identity.
"""

from __future__ import annotations

import math

import torch
from torch import nn

LUT_SIZE = 257  # knots of each 1-d map, uniform over the axis's range
QUANTILES = 1024  # quantile levels matched when fitting


class ColorTransfer(nn.Module):
    """Pixels ``[N, C, H, W]`` in [-1, 1] -> the same with the fitted colour distribution."""

    def __init__(self, channels: int, steps: int) -> None:
        super().__init__()
        self.channels = channels
        self.steps = steps
        eye = torch.eye(channels).expand(steps, channels, channels)
        self.register_buffer("basis", eye.clone())  # [S, C, C]: columns are the axes
        self.register_buffer("center", torch.zeros(steps, channels))
        reach = math.sqrt(channels)  # |B^T (x - m)| <= sqrt(C) * 2 on [-1, 1]^C, with margin
        self.register_buffer("low", torch.full((steps, channels), -2 * reach))
        self.register_buffer("high", torch.full((steps, channels), 2 * reach))
        grid = torch.linspace(-2 * reach, 2 * reach, LUT_SIZE)
        self.register_buffer("lut", grid.expand(steps, channels, LUT_SIZE).clone())

    @torch.no_grad()
    def reset(self) -> None:
        """Back to the identity, as before any fit."""
        fresh = ColorTransfer(self.channels, self.steps).to(self.lut.device)
        for name, buffer in fresh.named_buffers():
            getattr(self, name).copy_(buffer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.steps == 0 or self.training:  # the generator learns without it
            return x
        dtype = x.dtype
        x = x.float()
        for s in range(self.steps):
            x = self._step(x, s)
        return x.clamp(-1.0, 1.0).to(dtype)

    def _step(self, x: torch.Tensor, s: int) -> torch.Tensor:
        basis, center = self.basis[s], self.center[s].view(1, -1, 1, 1)
        p = torch.einsum("nchw,cd->ndhw", x - center, basis)
        low, high = self.low[s].view(1, -1, 1, 1), self.high[s].view(1, -1, 1, 1)
        t = ((p - low) / (high - low) * (LUT_SIZE - 1)).clamp(0.0, LUT_SIZE - 1.0)
        index = t.floor().clamp(max=LUT_SIZE - 2)
        frac = t - index
        # One flat table for all channels: channel c's knots start at c * LUT_SIZE.
        offset = (torch.arange(self.channels, device=x.device) * LUT_SIZE).view(1, -1, 1, 1)
        flat = self.lut[s].reshape(-1)
        i = index.long() + offset
        left, right = flat[i], flat[i + 1]
        q = left + frac * (right - left)
        return torch.einsum("ndhw,cd->nchw", q, basis) + center

    @torch.no_grad()
    def fit(self, generated: torch.Tensor, real: torch.Tensor, seed: int = 0) -> None:
        """Fit every step on pixel samples ``[P, C]`` in [-1, 1]: generated, then real.

        Step 0 matches along the photo's principal colour axes, later steps along random
        rotations (fixed by ``seed``); each moves the generated sample, so the next step
        matches what is left.
        """
        g = generated.double().clone()
        r = real.double()
        c = self.channels
        center = r.mean(0)
        cov = torch.cov((r - center).T).reshape(c, c)
        axes = torch.linalg.eigh(cov).eigenvectors.flip(-1)  # largest variance first
        rotations = torch.Generator().manual_seed(seed)
        levels = torch.linspace(0.0, 1.0, QUANTILES, dtype=torch.float64)
        for s in range(self.steps):
            if s > 0:
                axes = torch.linalg.qr(torch.randn(c, c, generator=rotations).double())[0]
            pg, pr = (g - center) @ axes, (r - center) @ axes
            low = torch.minimum(pg.min(0).values, pr.min(0).values) - 1e-3
            high = torch.maximum(pg.max(0).values, pr.max(0).values) + 1e-3
            grid = low[:, None] + (high - low)[:, None] * torch.linspace(
                0.0, 1.0, LUT_SIZE, dtype=torch.float64
            )
            lut = torch.stack(
                [_quantile_map(pg[:, k], pr[:, k], levels, grid[k]) for k in range(c)]
            )
            self.basis[s] = axes.float()
            self.center[s] = center.float()
            self.low[s], self.high[s] = low.float(), high.float()
            self.lut[s] = lut.float()
            g = self._step(g.float().T.reshape(1, c, -1, 1), s).reshape(c, -1).T.double()


def _quantile_map(
    source: torch.Tensor, target: torch.Tensor, levels: torch.Tensor, at: torch.Tensor
) -> torch.Tensor:
    """The monotone map taking ``source``'s distribution to ``target``'s, sampled at ``at``.

    Beyond the source's range it continues with slope 1, so rarely seen extremes keep their
    order instead of piling up on one value.
    """
    qs = torch.quantile(source, levels)
    qt = torch.quantile(target, levels)
    # Ties in the source (a saturated tanh) would make the map a jump: spread them minimally.
    qs = qs + torch.arange(len(qs), dtype=qs.dtype) * 1e-9
    mapped = _interp(at, qs, qt)
    below, above = at < qs[0], at > qs[-1]
    mapped = torch.where(below, qt[0] + (at - qs[0]), mapped)
    return torch.where(above, qt[-1] + (at - qs[-1]), mapped)


def _interp(x: torch.Tensor, xp: torch.Tensor, fp: torch.Tensor) -> torch.Tensor:
    """numpy.interp for increasing ``xp``, in torch."""
    i = torch.searchsorted(xp, x).clamp(1, len(xp) - 1)
    x0, x1, f0, f1 = xp[i - 1], xp[i], fp[i - 1], fp[i]
    w = ((x - x0) / (x1 - x0)).clamp(0.0, 1.0)
    return f0 + w * (f1 - f0)
