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

Flat only up to sampling noise: a batch of a few crops of a photo with sparse, strong edges
(brick joints) is itself uneven, wherever the crops were cut. Pulled below that, a generator
meets the term most cheaply by drawing no strong edges at all (a first try on brick lost every
horizontal joint), so the term only counts unevenness above the training crops' own, measured
on batches of the training batch's size.

The generated images must start at a corner of the generator's grid, as training windows and
whole fields do. The fold's period is 8 px by default, the last three stages' blocks (its
harmonics are periods 4 and 2); a whole latent cell, 16 px, holds the first stage's too. On
brick, folded over 8 px, the pattern moved to 16, so brick's preset folds over 16.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gamegan.data.images import to_model_range
from gamegan.errors import ConfigError

_FIT_BATCHES = 64  # random batches of training crops whose mean unevenness is the floor


class GridEvenness(nn.Module):
    """``loss(fake)``: how much more unevenly than the training crops' the batch's neighbour
    differences fall on the grid.

    :meth:`unevenness`: for columns and for rows, the mean |difference| between neighbouring
    pixels (of the channels' mean) at each position modulo ``period`` over the batch, divided
    by its mean over positions, is 1 everywhere for a texture without a grid; the mean squared
    distance from 1, averaged over both axes, is 1 for nearest-neighbour x2 blocks and
    ``a^2 / 2`` for a profile ``1 + a cos(2 pi j / P)``. The loss is what exceeds the floor
    that :meth:`fit` measures on batches of ``batch`` training crops (0 until fitted).
    """

    def __init__(self, period: int = 8, batch: int = 8) -> None:
        super().__init__()
        if not isinstance(period, int) or period < 2:
            raise ConfigError(f"the grid term's period must be a whole number >= 2, got {period}")
        self.period, self.batch = period, max(1, int(batch))
        self.register_buffer("floor", torch.zeros(()), persistent=False)

    @torch.no_grad()
    def fit(self, images: Tensor) -> None:
        """The crops' own unevenness: uint8 ``[N, C, H, W]``, mean over random batches drawn
        with a fixed seed (the global RNG, which training states save, is not touched)."""
        draw = torch.Generator().manual_seed(0)
        batch = min(self.batch, len(images))
        total = torch.zeros((), device=images.device)
        for _ in range(_FIT_BATCHES):
            pick = torch.randperm(len(images), generator=draw)[:batch].to(images.device)
            total += self.unevenness(to_model_range(images[pick]))
        self.floor = total / _FIT_BATCHES

    def unevenness(self, images: Tensor) -> Tensor:
        """The batch's unevenness across positions modulo the period (see the class)."""
        gray = images.float().mean(1)  # [N, H, W]
        if min(gray.shape[-2:]) <= self.period:
            raise ConfigError(
                f"the grid term needs images over {self.period} px a side, got "
                f"{gray.shape[-1]}x{gray.shape[-2]}"
            )
        total = gray.new_zeros(())
        for diff in (gray.diff(dim=2).abs().mean((0, 1)), gray.diff(dim=1).abs().mean((0, 2))):
            where = torch.arange(diff.numel(), device=diff.device) % self.period
            sums = diff.new_zeros(self.period).index_add(0, where, diff)
            counts = torch.bincount(where, minlength=self.period).to(diff.dtype)
            profile = sums / counts
            total = total + (profile / profile.mean().clamp_min(1e-8) - 1).square().mean()
        return total / 2

    def forward(self, fake: Tensor) -> Tensor:
        return F.relu(self.unevenness(fake) - self.floor)
