"""A generator term against upsampling-grid artefacts: detail that depends on pixel position.

A texture is stationary: how much neighbouring pixels differ does not depend on where they
sit. The texture generators upsample x2 per stage by nearest neighbour and a 3x3
convolution, which gives the two pixels of each new pair their own kernels; nothing makes
those kernels agree, and at 100% their disagreement shows as a fine hatch (brick's faces) or
a pixel-block grain (hubble's dark ground) of period 2, 4 or 8 px. The patch critic barely
sees it (its stride-2 layers sample the image at a fixed phase), nor does the spectrum term:
a contrast that varies with position barely changes the mean power spectrum. The grid score
(:mod:`gamegan.metrics.grid`) measures it as the unevenness of the mean |difference| between
neighbouring pixels, folded by position modulo the period; this term is the same fold made
differentiable and pulled flat, a stationarity prior that costs one pass over the pixels.

The generated images must start at a corner of the generator's grid, as training windows and
whole fields do. The fold's period is the earlier stages' 8 px by default, which holds the
harmonics of 2 and 4 too; the latent cells' 16 px is left out, since regular textures (brick
courses) have their own periods there.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gamegan.errors import ConfigError


class GridEvenness(nn.Module):
    """``loss(fake)``: mean squared relative deviation of the folded neighbour differences.

    For columns and for rows, the mean |difference| between neighbouring pixels (of the
    channels' mean) at each position modulo ``period`` over the batch, divided by its mean
    over positions: 1 everywhere for a texture without a grid. The loss is the mean squared
    distance from 1, averaged over both axes: 1 for nearest-neighbour x2 blocks at period 2,
    ``a^2 / 2`` for a profile ``1 + a cos(2 pi j / P)``. It needs no statistics of the
    training crops (their profile is flat, up to noise); :meth:`fit` is a no-op.
    """

    def __init__(self, period: int = 8) -> None:
        super().__init__()
        if not isinstance(period, int) or period < 2:
            raise ConfigError(f"the grid term's period must be a whole number >= 2, got {period}")
        self.period = period

    def fit(self, images: Tensor) -> None:
        """Nothing to fit: the target is a flat profile."""

    def forward(self, fake: Tensor) -> Tensor:
        gray = fake.float().mean(1)  # [N, H, W]
        if min(gray.shape[-2:]) <= self.period:
            raise ConfigError(
                f"the grid term needs images over {self.period} px a side, got "
                f"{gray.shape[-1]}x{gray.shape[-2]}"
            )
        loss = gray.new_zeros(())
        for diff in (gray.diff(dim=2).abs().mean((0, 1)), gray.diff(dim=1).abs().mean((0, 2))):
            where = torch.arange(diff.numel(), device=diff.device) % self.period
            sums = diff.new_zeros(self.period).index_add(0, where, diff)
            counts = torch.bincount(where, minlength=self.period).to(diff.dtype)
            profile = sums / counts
            loss = loss + (profile / profile.mean().clamp_min(1e-8) - 1).square().mean()
        return loss / 2
