"""Tileability of a texture: whether the wrap-around seam looks like any other place.

A texture tiles seamlessly when the step from its last column to its first (and last row to
first) is no larger than the steps between neighbouring pixels inside it. Both measures here
are ratios of "at the seam" to "anywhere else", so 1 means seamless whatever the contrast of
the texture, and a visible seam gives a value well above 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gamegan.metrics import METRICS

__all__ = ["edge_error", "seam_score", "tile_2x2", "tiling"]


def _as_hwc(img: Any) -> np.ndarray:
    x = np.asarray(img, dtype=np.float64)
    if x.ndim == 2:
        x = x[..., None]
    if x.ndim != 3:
        raise ValueError(f"expected one image [H, W] or [H, W, C], got shape {x.shape}")
    return x


def _ratio(at_seam: float, elsewhere: float) -> float:
    if elsewhere > 0:
        return float(at_seam / elsewhere)
    return 1.0 if at_seam == 0 else float("inf")


def edge_error(img: Any) -> float:
    """Wrap-around step between opposite borders relative to steps between neighbours.

    Parameters
    ----------
    img : array_like
        One image ``[H, W]`` or ``[H, W, C]`` (any dtype and value range).

    Returns
    -------
    float
        ``mean |img[:, -1] - img[:, 0]|`` and ``mean |img[-1] - img[0]|`` (pooled) divided
        by the mean absolute difference of adjacent columns and rows inside the image.
        About 1 for a seamless tile, much larger for a visible seam. A flat image gives
        1.0 (a step at the wrap implies a step inside, so the ratio is always finite).

    Raises
    ------
    ValueError
        If the image is not 2- or 3-dimensional or is smaller than 2x2.
    """
    x = _as_hwc(img)
    if x.shape[0] < 2 or x.shape[1] < 2:
        raise ValueError(f"edge_error needs at least 2x2 pixels, got {x.shape[:2]}")
    wrap = np.concatenate([np.abs(x[:, -1] - x[:, 0]).ravel(), np.abs(x[-1] - x[0]).ravel()]).mean()
    inner = np.concatenate(
        [np.abs(np.diff(x, axis=1)).ravel(), np.abs(np.diff(x, axis=0)).ravel()]
    ).mean()
    return _ratio(wrap, inner)


def seam_score(img: Any) -> float:
    """Gradient magnitude across the wrap seams relative to the rest of the image.

    The image is rolled by half its size (``np.roll(img, (H // 2, W // 2))``) so that the
    seams a tiling would show lie on the centre row and column. Gradients are central
    differences (``np.gradient``), their magnitude ``sqrt(gx^2 + gy^2)`` averaged over the
    channels.

    Parameters
    ----------
    img : array_like
        One image ``[H, W]`` or ``[H, W, C]`` (any dtype and value range).

    Returns
    -------
    float
        Mean gradient magnitude on the two-pixel bands straddling the seams (rows
        ``H//2 - 1, H//2`` and columns ``W//2 - 1, W//2``) divided by its mean over all
        other pixels. About 1 when the seam looks like any other place, much larger for a
        visible seam. A flat image gives 1.0; an image flat except at the seam gives
        ``inf``.

    Raises
    ------
    ValueError
        If the image is not 2- or 3-dimensional or is smaller than 4x4.
    """
    x = _as_hwc(img)
    h, w = x.shape[:2]
    if h < 4 or w < 4:
        raise ValueError(f"seam_score needs at least 4x4 pixels, got {(h, w)}")
    rolled = np.roll(x, (h // 2, w // 2), axis=(0, 1))
    gy, gx = np.gradient(rolled, axis=(0, 1))
    magnitude = np.sqrt(gx**2 + gy**2).mean(axis=-1)  # [H, W]
    band = np.zeros((h, w), dtype=bool)
    band[h // 2 - 1 : h // 2 + 1] = True
    band[:, w // 2 - 1 : w // 2 + 1] = True
    return _ratio(magnitude[band].mean(), magnitude[~band].mean())


def interior_seam_scores(img: Any, n: int = 16, seed: int = 0) -> np.ndarray:
    """:func:`seam_score` measured on ``n`` random interior lines instead of the wrap.

    Rolling the image by a random offset first moves the measured cross to other rows and
    columns, so the spread of these scores is the range of an ordinary place in this very
    image: a seam score inside it means the wrap is indistinguishable from the interior.

    Parameters
    ----------
    img : array_like
        One image ``[H, W]`` or ``[H, W, C]``.
    n : int
        How many interior crosses.
    seed : int
        Seed of the offsets.

    Returns
    -------
    numpy.ndarray
        ``n`` scores; offsets within 2 pixels of the wrap are avoided.
    """
    x = _as_hwc(img)
    h, w = x.shape[:2]
    rng = np.random.default_rng(seed)
    dy = rng.integers(2, max(3, h - 2), n)
    dx = rng.integers(2, max(3, w - 2), n)
    if h < 4 or w < 4:
        raise ValueError(f"seam_score needs at least 4x4 pixels, got {(h, w)}")
    # Every cross is seam_score of a rolled copy, whose gradients are the image's own wrapping
    # central differences except on the rolled copy's outer rows and columns, where
    # np.gradient takes one-sided steps. So the wrapping magnitude is computed once and only
    # those lines and the cross itself are computed per offset: exact, and one full pass
    # instead of n (a 4096x4096 texture: 1.2 s instead of 12).
    gy = (np.roll(x, -1, axis=0) - np.roll(x, 1, axis=0)) / 2
    gx = (np.roll(x, -1, axis=1) - np.roll(x, 1, axis=1)) / 2
    wrapped = np.sqrt(gx**2 + gy**2).mean(axis=-1)  # [H, W]
    total = wrapped.sum()
    return np.array(
        [
            _rolled_seam_score(x, wrapped, total, (a + h // 2) % h, (b + w // 2) % w)
            for a, b in zip(dy, dx, strict=True)
        ]
    )


def _rolled_rows(x: np.ndarray, s: int, t: int, indices) -> np.ndarray:
    """np.gradient's magnitudes on rows ``indices`` of ``np.roll(x, (s, t))``, [len, W].

    Columns are the rows of the transposed image (``x.transpose(1, 0, 2)``, shifts swapped):
    the magnitude is the same for either order of the two axes.
    """
    h = x.shape[0]
    out = []
    for i in indices:
        above, row, below = (
            np.roll(x[(k - s) % h], t, axis=0) for k in (max(i - 1, 0), i, min(i + 1, h - 1))
        )
        across = (below - above) / (2.0 if 0 < i < h - 1 else 1.0)
        along = np.gradient(row, axis=0)
        out.append(np.sqrt(along**2 + across**2).mean(axis=-1))
    return np.stack(out)


def _rolled_seam_score(x, wrapped, total, s: int, t: int) -> float:
    """seam_score(np.roll(x, (s, t))) from the wrapping magnitude of ``x`` (see above)."""
    h, w = x.shape[:2]
    xt = x.transpose(1, 0, 2)

    def wrapped_rows(m, a, b, indices):  # the same lines of the rolled wrapping magnitude
        return np.stack([np.roll(m[(i - a) % len(m)], b) for i in indices])

    # Outer lines of the rolled image: swap the wrapping values for the one-sided ones.
    edge_r, edge_c = [0, h - 1], [0, w - 1]
    exact_r, exact_c = _rolled_rows(x, s, t, edge_r), _rolled_rows(xt, t, s, edge_c)
    wrap_r, wrap_c = wrapped_rows(wrapped, s, t, edge_r), wrapped_rows(wrapped.T, t, s, edge_c)
    corners = exact_r[:, edge_c].sum()  # counted in both the rows and the columns
    wrap_corners = wrap_r[:, edge_c].sum()
    all_sum = total - (wrap_r.sum() + wrap_c.sum() - wrap_corners)
    all_sum += exact_r.sum() + exact_c.sum() - corners
    # The cross: two rows and two columns through the middle, their crossings counted once.
    band_r, band_c = [h // 2 - 1, h // 2], [w // 2 - 1, w // 2]
    cross_r, cross_c = _rolled_rows(x, s, t, band_r), _rolled_rows(xt, t, s, band_c)
    band_sum = cross_r.sum() + cross_c.sum() - cross_r[:, band_c].sum()
    n_band = 2 * w + 2 * h - 4
    return _ratio(band_sum / n_band, (all_sum - band_sum) / (h * w - n_band))


def tile_2x2(img: Any) -> np.ndarray:
    """Two-by-two tiling of an image, to look at its seams.

    Parameters
    ----------
    img : array_like
        ``[H, W]`` or ``[H, W, C]``.

    Returns
    -------
    numpy.ndarray
        ``[2H, 2W]`` or ``[2H, 2W, C]``, same dtype.
    """
    x = np.asarray(img)
    return np.tile(x, (2, 2) + (1,) * (x.ndim - 2))


@METRICS.register("tiling")
def tiling(images: Any) -> dict[str, float]:
    """Mean :func:`edge_error` and :func:`seam_score` over one image or a batch, and the wrap's
    seam score against the image's own interior lines.

    Parameters
    ----------
    images : array_like
        One image ``[H, W]`` / ``[H, W, C]``, or a batch ``[N, H, W, C]`` or a list.

    Returns
    -------
    dict of str to float
        ``"tiling/edge_error"`` and ``"tiling/seam_score"``: 1 is seamless.
        ``"tiling/seam_over_p95"`` and ``"tiling/seam_over_median"``: the wrap's seam score
        divided by the 95th percentile and by the median of the scores of 32 random interior
        lines of the same image (:func:`interior_seam_scores`); a seam that looks like an
        ordinary place scores at most about 1 and about 1.
    """
    batch = list(images) if isinstance(images, list) or np.ndim(images) == 4 else [images]
    seams = np.array([seam_score(img) for img in batch])
    interior = [interior_seam_scores(img, n=32) for img in batch]
    return {
        "tiling/edge_error": float(np.mean([edge_error(img) for img in batch])),
        "tiling/seam_score": float(seams.mean()),
        "tiling/seam_over_p95": float(
            np.mean(seams / np.array([np.percentile(s, 95) for s in interior]))
        ),
        "tiling/seam_over_median": float(
            np.mean(seams / np.array([np.median(s) for s in interior]))
        ),
    }
