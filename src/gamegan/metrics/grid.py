"""Upsampling grid: does a texture's detail depend on where a pixel sits in its generator's grid?

A generator that doubles its resolution by nearest neighbour and then convolves can leave the
pixels of each 2x2 block more alike than neighbours across blocks (or less): at 100% a faint
pixel checkerboard, the "upsampling artefact" a patch statistic averages away. Its latent
cells can likewise show through every 16 px. Folded by position modulo the period, the mean
difference between neighbouring pixels of such a texture is uneven; a photo's is flat up to
its sampling noise, which the photo itself, measured by the same function, shows.
"""

from __future__ import annotations

from typing import Any

import torch

from gamegan.metrics import METRICS, as_image_list

__all__ = ["grid_amplitude", "grid_artifacts", "grid_profiles"]


def grid_profiles(images: Any, period: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean absolute difference between neighbouring pixels by position modulo ``period``.

    Parameters
    ----------
    images : list or numpy.ndarray or torch.Tensor
        Images as :func:`~gamegan.metrics.as_image_list` takes them (any sizes, any value
        scale); colour images count as the mean of their channels. Positions count from
        each image's top-left pixel, which for a generated texture is a corner of its grid.
    period : int
        The grid's period in pixels (2 for the last x2 upsampling, 16 for a latent cell).

    Returns
    -------
    tuple of torch.Tensor
        float64 ``[period]`` each, for columns and for rows: entry ``j`` is the mean of
        ``|x[:, k + 1] - x[:, k]|`` over every ``k`` with ``k % period == j`` (likewise rows),
        pooled over the images.

    Raises
    ------
    ValueError
        If the period is under 2, or no image has more than ``period`` pixels along a side.
    """
    return _fold(_position_sums(images), period)


def _position_sums(images: Any) -> list[tuple[torch.Tensor, int]]:
    """Per image, for columns and for rows: |difference| summed along the other axis at each
    position ``k`` (between ``k`` and ``k + 1``), and how many differences each sum holds."""
    sums = []
    for x in as_image_list(images):
        gray = x.to(torch.float64).mean(0)  # [H, W]
        for diff in (gray.diff(dim=1).abs(), gray.diff(dim=0).abs().T):
            sums.append((diff.sum(0), diff.shape[0]))
    return sums


def _fold(position_sums: list, period: int) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`grid_profiles` from :func:`_position_sums`, columns and rows alternating."""
    if period < 2:
        raise ValueError(f"the grid's period must be at least 2 pixels, got {period}")
    sums = torch.zeros(2, period, dtype=torch.float64)
    counts = torch.zeros(2, period, dtype=torch.float64)
    for i, (per_position, n) in enumerate(position_sums):
        if per_position.numel() < period:
            continue
        where = torch.arange(per_position.numel()) % period
        sums[i % 2] += torch.bincount(where, weights=per_position, minlength=period)
        counts[i % 2] += torch.bincount(where, minlength=period) * n
    if (counts == 0).any():
        raise ValueError(f"grid profile of period {period} needs images over {period} px a side")
    profiles = sums / counts
    return profiles[0], profiles[1]


def grid_amplitude(profile: torch.Tensor) -> float:
    """Relative amplitude ``a`` of a folded profile's fundamental: ``m (1 + a cos(2 pi j / P +
    phi))`` scores ``a`` (for ``P = 2``, ``m (1 + a (-1)^j)``); 0 for a flat or all-zero one."""
    period, total = profile.numel(), float(profile.sum())
    if total <= 0:
        return 0.0
    fundamental = torch.fft.fft(profile)[1]
    return (1 if period == 2 else 2) * float(fundamental.abs()) / total


@METRICS.register("grid")
def grid_artifacts(images: Any, *, periods: tuple[int, ...] = (2, 4, 8, 16)) -> dict[str, float]:
    """How much an image set's neighbour differences follow a grid of each period.

    Parameters
    ----------
    images : list or numpy.ndarray or torch.Tensor
        As :func:`grid_profiles` takes them.
    periods : tuple of int
        Grid periods in pixels. The texture generators upsample x2 per stage from 16 px cells:
        2 is the last stage's pixel blocks, 4 and 8 the earlier stages', 16 the latent cells.

    Returns
    -------
    dict of str to float
        ``"grid/period_P"``: the relative amplitude of the fundamental (period ``P``) of
        :func:`grid_profiles` (:func:`grid_amplitude`), averaged over columns and rows. Each
        period is scored by its own harmonic, so a pixel-block pattern does not count at 16.
        From 0, for a texture whose detail ignores the grid, to at most 1 at period 2 and 2 at
        the others (all the difference in one position of each period); a nearest-neighbour
        upsampled image scores 1 at period 2 (every other difference is 0) and 0 at the
        others. Photos score a few thousandths to hundredths, from sampling noise and, for
        regular patterns such as brick courses, their own periods.
    """
    position_sums = _position_sums(images)  # once, folded for every period
    return {
        f"grid/period_{period}": sum(map(grid_amplitude, _fold(position_sums, period))) / 2
        for period in periods
    }
