"""Image quilting (Efros & Freeman, SIGGRAPH 2001): a classical, training-free texture baseline.

Written from the paper, "Image Quilting for Texture Synthesis and Transfer":

1. Walk the output in raster order in steps of ``block - overlap`` pixels.
2. For each block position, score *every* ``block x block`` window of the source by the sum
   of squared differences (SSD) with what is already on the canvas in the overlap regions
   (left strip, top strip, or both: the L-shaped overlap). The first block has no overlap and
   is drawn uniformly.
3. Pick at random among the windows whose error is within ``(1 + tolerance)`` times the best
   error (the paper's tolerance rule, 0.1 in the paper).
4. Paste it along the minimum-error boundary cut: dynamic programming over the squared
   difference between the old and new pixels in each overlap strip finds the cheapest
   connected path (one pixel per row, moving at most one column per row); pixels on the
   existing side of the path keep the old values, the rest take the new block. For the
   L-shaped overlap the vertical and horizontal cuts are computed separately and the new
   block keeps the intersection of their "new" sides.

The SSD for all candidate windows is computed at once, with no subsampling of positions: with
``M`` the overlap mask and ``T`` the canvas under the block,
``sum M (S - T)^2 = (S^2 * M) - 2 (S * MT) + sum M T^2`` where ``*`` is a correlation with the
source ``S``. Both correlations are done with FFTs of the source computed once, so one block
costs two or four real FFTs of the source size. Pixel values are integers, so the SSD is an
integer and is rounded to remove FFT round-off: exact matches score exactly 0.

``tileable=True`` is a best-effort wrap-around, not from the paper: block positions are spread
evenly over the output size (steps differ by at most one pixel), the canvas wraps, and the
last block of each row (column) also overlaps the first one, so it is matched on its right
(bottom) strip too and cut on both sides. Nothing makes the last cut invisible; measure it
(``benchmarks/compare_quilting.py`` does).

It needs only numpy and scipy. ``gamegan eval`` uses it as the baseline of the held-out
evaluation (docs/evaluation.md), and ``benchmarks/compare_quilting.py`` compares it with the
bundled texture models (docs/quilting.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import fft as sfft

__all__ = ["Placement", "min_cut_path", "quilt", "quilt_with_placements"]


@dataclass(frozen=True)
class Placement:
    """One pasted block: its top-left corner on the output canvas and in the source.

    ``overlap_rms`` is the root-mean-square pixel difference over the block's overlap with
    the canvas (NaN for the first block), ``closes_wrap`` marks the tileable blocks that also
    overlap the first row or column across the wrap.
    """

    y: int
    x: int
    src_y: int
    src_x: int
    overlap_rms: float = float("nan")
    closes_wrap: bool = False


def min_cut_path(error: np.ndarray) -> np.ndarray:
    """Minimum-cost vertical path through an error surface (the paper's boundary cut).

    Parameters
    ----------
    error : numpy.ndarray
        ``[rows, cols]`` non-negative costs (squared differences in the overlap strip).

    Returns
    -------
    numpy.ndarray
        int ``[rows]``: the path's column in each row; neighbouring rows differ by at most 1.
        For a horizontal cut pass ``error.T`` (the result is then a row per column).
    """
    e = np.asarray(error, dtype=np.float64)
    if e.ndim != 2 or e.shape[0] == 0 or e.shape[1] == 0:
        raise ValueError(f"expected a non-empty 2-D error surface, got shape {e.shape}")
    rows, cols = e.shape
    cost = np.empty_like(e)
    back = np.zeros((rows, cols), dtype=np.int64)  # column offset (-1, 0, +1) to the row above
    cost[0] = e[0]
    for r in range(1, rows):
        prev = cost[r - 1]
        left = np.concatenate(([np.inf], prev[:-1]))
        right = np.concatenate((prev[1:], [np.inf]))
        stacked = np.stack((left, prev, right))  # offsets -1, 0, +1
        best = np.argmin(stacked, axis=0)  # ties prefer the left-most, then straight
        cost[r] = e[r] + stacked[best, np.arange(cols)]
        back[r] = best - 1
    path = np.empty(rows, dtype=np.int64)
    path[-1] = int(np.argmin(cost[-1]))
    for r in range(rows - 1, 0, -1):
        path[r - 1] = path[r] + back[r, path[r]]
    return path


class _Matcher:
    """Overlap SSD of every source window against one masked target, via FFT correlation."""

    def __init__(self, source: np.ndarray, block: int) -> None:
        self.block = block
        self.shape = source.shape[:2]
        # Circular correlation at the source size is exact for the valid windows: the
        # wrap-around only touches outputs before index block - 1, which are cut off.
        self.f_src = sfft.rfft2(source, axes=(0, 1))  # [H, W//2+1, C]
        self.f_sq = sfft.rfft2((source**2).sum(axis=-1))  # [H, W//2+1]

    def errors(self, target: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """``[H - block + 1, W - block + 1]`` integer-valued SSD over the mask."""
        m = mask.astype(np.float64)[..., None]
        mt = m * target
        kernels = np.concatenate((m, mt), axis=-1)[::-1, ::-1]  # flip: correlation by convolution
        f_k = sfft.rfft2(kernels, s=self.shape, axes=(0, 1))
        spec = self.f_sq * f_k[..., 0] - 2.0 * (self.f_src * f_k[..., 1:]).sum(axis=-1)
        full = sfft.irfft2(spec, s=self.shape)
        b = self.block
        err = full[b - 1 :, b - 1 :] + float((mt * target).sum())
        return np.maximum(np.rint(err), 0.0)


def _positions(n_out: int, block: int, overlap: int, tileable: bool) -> tuple[list[int], int]:
    """Block corners along one axis and the canvas length."""
    step = block - overlap
    if tileable:
        n = max(2, math.ceil(n_out / step))
        return [round(j * n_out / n) for j in range(n)], n_out
    n = max(1, math.ceil((n_out - overlap) / step))
    return [j * step for j in range(n)], (n - 1) * step + block


def _overlaps(pos: list[int], k: int, block: int, length: int, tileable: bool) -> tuple[int, int]:
    """(before, after) overlap widths of block ``k`` with its already-placed neighbours."""
    before = pos[k - 1] + block - pos[k] if k > 0 else 0
    after = 0
    if tileable and k == len(pos) - 1:
        after = max(0, pos[k] + block - length)  # wraps onto block 0
    return before, after


def quilt_with_placements(
    source: np.ndarray,
    out_height: int,
    out_width: int,
    *,
    block: int = 48,
    overlap: int | None = None,
    tolerance: float = 0.1,
    seed: int = 0,
    tileable: bool = False,
) -> tuple[np.ndarray, list[Placement]]:
    """:func:`quilt`, also returning where each block came from (in raster order)."""
    src = np.asarray(source)
    if src.dtype != np.uint8:
        raise ValueError(f"expected a uint8 source, got {src.dtype}")
    gray = src.ndim == 2
    if gray:
        src = src[..., None]
    if src.ndim != 3:
        raise ValueError(f"expected a source [H, W] or [H, W, C], got shape {source.shape}")
    sh, sw, channels = src.shape
    if out_height < 1 or out_width < 1:
        raise ValueError(f"output size must be positive, got {out_height}x{out_width}")
    if not 2 <= block <= min(sh, sw):
        raise ValueError(f"block {block} must be in [2, {min(sh, sw)}] for a {sh}x{sw} source")
    overlap = block // 6 if overlap is None else int(overlap)
    if not 0 <= overlap < block:
        raise ValueError(f"overlap {overlap} must be in [0, {block - 1}]")
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance}")

    ys, canvas_h = _positions(out_height, block, overlap, tileable)
    xs, canvas_w = _positions(out_width, block, overlap, tileable)
    if tileable:
        for pos, length, axis in ((ys, canvas_h, "height"), (xs, canvas_w, "width")):
            steps = np.diff([*pos, length])
            if steps.min() < 1 or 2 * (block - steps.min()) >= block:
                raise ValueError(
                    f"tileable {axis} {length} is too small for block {block}, "
                    f"overlap {overlap}; use a smaller block"
                )

    source_f = src.astype(np.float64)
    matcher = _Matcher(source_f, block)
    rng = np.random.default_rng(seed)
    canvas = np.zeros((canvas_h, canvas_w, channels), dtype=np.float64)
    filled = np.zeros((canvas_h, canvas_w), dtype=bool)
    span = np.arange(block)
    n_wy, n_wx = sh - block + 1, sw - block + 1
    placements: list[Placement] = []

    for i, py in enumerate(ys):
        rows = (py + span) % canvas_h
        top, bottom = _overlaps(ys, i, block, canvas_h, tileable)
        for j, px in enumerate(xs):
            cols = (px + span) % canvas_w
            left, right = _overlaps(xs, j, block, canvas_w, tileable)
            index = np.ix_(rows, cols)
            target = canvas[index]
            mask = filled[index]
            if mask.any():
                err = matcher.errors(target, mask).ravel()
                choices = np.flatnonzero(err <= err.min() * (1.0 + tolerance))
                pick = int(rng.choice(choices))
                rms = math.sqrt(err[pick] / (mask.sum() * channels))
            else:
                pick = int(rng.integers(n_wy * n_wx))
                rms = float("nan")
            sy, sx = divmod(pick, n_wx)
            new = source_f[sy : sy + block, sx : sx + block]

            keep_new = np.ones((block, block), dtype=bool)
            if mask.any():
                diff = ((target - new) ** 2).sum(axis=-1)
                if left:
                    path = min_cut_path(diff[:, :left])
                    keep_new &= span[None, :] >= path[:, None]
                if right:
                    path = min_cut_path(diff[:, block - right :]) + block - right
                    keep_new &= span[None, :] <= path[:, None]
                if top:
                    path = min_cut_path(diff[:top, :].T)
                    keep_new &= span[:, None] >= path[None, :]
                if bottom:
                    path = min_cut_path(diff[block - bottom :, :].T) + block - bottom
                    keep_new &= span[:, None] <= path[None, :]
                keep_new |= ~mask  # never leave a hole
            canvas[index] = np.where(keep_new[..., None], new, target)
            filled[index] = True
            wraps = bool(right or bottom)
            placements.append(Placement(int(py), int(px), sy, sx, rms, wraps))

    out = canvas[:out_height, :out_width].astype(np.uint8)
    return (out[..., 0] if gray else out), placements


def quilt(
    source: np.ndarray,
    out_height: int,
    out_width: int,
    *,
    block: int = 48,
    overlap: int | None = None,
    tolerance: float = 0.1,
    seed: int = 0,
    tileable: bool = False,
) -> np.ndarray:
    """Synthesize a texture of any size from a sample by image quilting.

    Parameters
    ----------
    source : numpy.ndarray
        uint8 ``[H, W]`` (gray) or ``[H, W, C]`` sample; ``block`` must fit inside it.
    out_height, out_width : int
        Output size in pixels.
    block : int
        Side of the square blocks copied from the source.
    overlap : int, optional
        Overlap between neighbouring blocks; ``block // 6`` by default (the paper uses 1/6).
    tolerance : float
        Blocks whose overlap SSD is within ``(1 + tolerance)`` times the best are drawn from
        at random (0.1 in the paper); 0 keeps only the best matches.
    seed : int
        The same seed and arguments give the same texture.
    tileable : bool
        Best-effort wrap-around: the last row and column of blocks are matched and cut
        against the first ones too, so the output is meant to repeat. Not from the paper.

    Returns
    -------
    numpy.ndarray
        uint8 ``[out_height, out_width]`` for a gray source, else ``[out_height, out_width, C]``.
        Every pixel is a copy of a source pixel.

    Raises
    ------
    ValueError
        For a non-uint8 source, a block that does not fit, an overlap outside
        ``[0, block)``, a negative tolerance, or a tileable size too small for the block.
    """
    out, _ = quilt_with_placements(
        source,
        out_height,
        out_width,
        block=block,
        overlap=overlap,
        tolerance=tolerance,
        seed=seed,
        tileable=tileable,
    )
    return out
