"""Terrain: are generated heights and slopes distributed and arranged like the real ones?

A heightmap can have the right height histogram and still be wrong terrain (smooth bumps
where the real land has ridges and valleys), so the comparison is made twice, on the heights
and on the slopes (the gradient's magnitude, which shows ridges, valleys and cliffs): patch
SWD over a Laplacian pyramid for the arrangement (:mod:`gamegan.metrics.swd`) and the 1-D
Wasserstein distance between the value distributions, in the data's own units.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gamegan.metrics import METRICS

__all__ = ["slopes", "terrain_distances", "wasserstein_1d"]


def slopes(heights: np.ndarray, *, wrap: bool = False) -> np.ndarray:
    """Slope magnitude per sample: height units per sample spacing (central differences).

    Parameters
    ----------
    heights : numpy.ndarray
        ``[H, W]`` (or ``[H, W, 1]``) heights.
    wrap : bool
        Differences across the borders (for tileable heightmaps); otherwise one-sided there.

    Returns
    -------
    numpy.ndarray
        float64 ``[H, W]``.
    """
    h = np.asarray(heights, dtype=np.float64).reshape(np.shape(heights)[:2])
    if wrap:
        dx = (np.roll(h, -1, axis=1) - np.roll(h, 1, axis=1)) / 2.0
        dy = (np.roll(h, -1, axis=0) - np.roll(h, 1, axis=0)) / 2.0
    else:
        dy, dx = np.gradient(h)
    return np.hypot(dx, dy)


def wasserstein_1d(a: np.ndarray, b: np.ndarray, n_quantiles: int = 1000) -> float:
    """Earth mover's distance between the value distributions of two arrays (their sizes may
    differ): the mean absolute difference of their quantiles, in the values' units."""
    q = (np.arange(n_quantiles) + 0.5) / n_quantiles
    return float(np.abs(np.quantile(np.ravel(a), q) - np.quantile(np.ravel(b), q)).mean())


@METRICS.register("terrain")
def terrain_distances(real: Any, fake: Any, *, seed: int = 0) -> dict[str, float]:
    """Heights and slopes of two sets of height fields compared, arrangement and distribution.

    Parameters
    ----------
    real, fake : list of numpy.ndarray
        Height fields ``[H, W]`` in the same units (sizes may differ).
    seed : int
        Seed of the SWD's random patches and projections.

    Returns
    -------
    dict of str to float
        ``terrain/height_swd/avg`` and ``/bandpass`` and ``terrain/slope_swd/...`` (patch SWD
        of the fields, x1e3), ``terrain/height_w1`` and ``terrain/slope_w1`` (1-D Wasserstein
        distances, in height units and height units per sample).
    """
    from gamegan.metrics.swd import sliced_wasserstein_images

    out: dict[str, float] = {}
    for name, transform in (("height", lambda h: h), ("slope", slopes)):
        a = [np.asarray(transform(np.squeeze(h)), np.float32)[..., None] for h in real]
        b = [np.asarray(transform(np.squeeze(h)), np.float32)[..., None] for h in fake]
        swd = sliced_wasserstein_images(a, b, seed=seed)
        out[f"terrain/{name}_swd/avg"] = swd["swd/avg"]
        out[f"terrain/{name}_swd/bandpass"] = swd["swd/bandpass"]
        out[f"terrain/{name}_w1"] = wasserstein_1d(
            np.concatenate([x.ravel() for x in a]), np.concatenate([x.ravel() for x in b])
        )
    return out
