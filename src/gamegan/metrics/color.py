"""Colour-histogram distance between two image sets (intensity histogram for gray images).

Cheap and blind to structure: it catches a generator whose palette has drifted (washed-out
colours, a missing hue, too much black) that patch metrics normalise away.
"""

from __future__ import annotations

from typing import Any

import torch

from gamegan.metrics import METRICS, as_image_list

__all__ = ["color_histograms", "color_histogram_distance"]


def color_histograms(images: Any, *, n_bins: int = 32) -> torch.Tensor:
    """Per-channel value histograms of an image set, each summing to 1.

    Parameters
    ----------
    images : list or numpy.ndarray or torch.Tensor
        ``[N, H, W, C]`` or ``[N, C, H, W]`` with values in 0-255 (uint8, or floats on that
        scale; values outside are clipped into the end bins), or a list of single images of
        any sizes (as :func:`~gamegan.metrics.as_image_list` takes them): every pixel counts
        once.
    n_bins : int
        Equal-width bins over 0-256.

    Returns
    -------
    torch.Tensor
        float64 ``[C, n_bins]``.
    """
    images = as_image_list(images)  # a batch too: every image counts its own pixels
    c = images[0].shape[0]
    offsets = (torch.arange(c) * n_bins).view(c, 1, 1)
    counts = torch.zeros(c * n_bins, dtype=torch.float64)
    for x in images:
        bins = (x * (n_bins / 256)).floor().clamp(0, n_bins - 1).long()  # [C, H, W]
        counts += torch.bincount((bins + offsets).flatten(), minlength=c * n_bins)
    counts = counts.view(c, n_bins)
    return counts / counts.sum(dim=1, keepdim=True)


@METRICS.register("color")
def color_histogram_distance(real: Any, fake: Any, *, n_bins: int = 32) -> dict[str, float]:
    """Total-variation distance between the per-channel histograms of two image sets.

    Parameters
    ----------
    real, fake : list or numpy.ndarray or torch.Tensor
        Image batches ``[N, H, W, C]`` or ``[N, C, H, W]``, or lists of images of any sizes
        (as :func:`color_histograms` takes them), with values in 0-255 and the same number of
        channels (1 for gray: then this is the intensity histogram). Counts and
        sizes may differ.
    n_bins : int
        Bins per channel (32: 8 grey levels each).

    Returns
    -------
    dict of str to float
        ``"color/hist_l1"``: the mean over channels of half the L1 distance between the
        normalised histograms. 0 for sets with the same histograms (identical sets),
        1 when no bin is shared (e.g. all-black vs all-white).

    Raises
    ------
    ValueError
        If the sets have different numbers of channels.
    """
    h_real = color_histograms(real, n_bins=n_bins)
    h_fake = color_histograms(fake, n_bins=n_bins)
    if h_real.shape != h_fake.shape:
        raise ValueError(
            f"real images have {h_real.shape[0]} channels but fake ones {h_fake.shape[0]}"
        )
    distance = (h_real - h_fake).abs().sum(dim=1) / 2  # [C]
    return {"color/hist_l1": float(distance.mean())}
