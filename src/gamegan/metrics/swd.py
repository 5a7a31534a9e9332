"""Sliced Wasserstein distance on Laplacian-pyramid patches, the ProGAN way.

Karras et al. 2018, "Progressive Growing of GANs", arXiv:1710.10196, section 5 and
appendix D: each image is split into a Laplacian pyramid; at every level, random 7x7
neighbourhoods are cut out, normalised per channel, and the two sets of descriptors are
compared with the sliced Wasserstein distance over random unit directions. A small distance
at a fine level means the textures and edges look alike; at the coarsest level, the layouts.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from gamegan.metrics import METRICS, as_image_list, as_nchw

__all__ = ["laplacian_pyramid", "level_sizes", "sliced_wasserstein", "sliced_wasserstein_images"]

# The 5-tap binomial filter ProGAN uses for its pyramid (separable [1, 4, 6, 4, 1] / 16).
_TAPS = (1.0, 4.0, 6.0, 4.0, 1.0)
_CHUNK = 256  # images per pyramid batch: bounds memory for 512x512 sets


def _blur(x: torch.Tensor) -> torch.Tensor:
    c = x.shape[1]
    k = torch.tensor(_TAPS, dtype=x.dtype, device=x.device) / 16
    x = F.pad(x, (2, 2, 2, 2), mode="reflect")  # scipy's "mirror", as ProGAN
    x = F.conv2d(x, k.view(1, 1, 1, 5).expand(c, 1, 1, 5), groups=c)
    return F.conv2d(x, k.view(1, 1, 5, 1).expand(c, 1, 5, 1), groups=c)


def _down(x: torch.Tensor) -> torch.Tensor:
    return _blur(x)[..., ::2, ::2]


def _up(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    n, c, h, w = x.shape
    up = x.new_zeros(n, c, 2 * h, 2 * w)
    up[..., ::2, ::2] = x * 4  # zeros between samples; x4 keeps the mean after blurring
    return _blur(up)[..., : size[0], : size[1]]


def level_sizes(
    height: int, width: int, *, min_resolution: int = 16, patch_size: int = 7
) -> list[tuple[int, int]]:
    """Sizes of the pyramid levels SWD uses for images of one size.

    Parameters
    ----------
    height, width : int
        Image size.
    min_resolution : int
        A level is used while its shorter side is at least this (16, as ProGAN).
    patch_size : int
        Side of the compared neighbourhoods.

    Returns
    -------
    list of (int, int)
        Finest first; each level is half the previous one, rounded up. An image whose shorter
        side is below ``min_resolution`` (but at least ``patch_size``) gets one level.

    Raises
    ------
    ValueError
        If a side is shorter than ``patch_size``.
    """
    if min(height, width) < patch_size:
        raise ValueError(
            f"images of {height}x{width} are smaller than the {patch_size}x{patch_size} patches"
        )
    sizes = [(height, width)]
    while (min(sizes[-1]) + 1) // 2 >= min_resolution:
        h, w = sizes[-1]
        sizes.append(((h + 1) // 2, (w + 1) // 2))
    return sizes


def laplacian_pyramid(images: torch.Tensor, n_levels: int) -> list[torch.Tensor]:
    """Laplacian pyramid of an image batch.

    Parameters
    ----------
    images : torch.Tensor
        float ``[N, C, H, W]`` with ``H, W >= 3``.
    n_levels : int
        Number of levels; 1 gives the images themselves.

    Returns
    -------
    list of torch.Tensor
        Band-pass levels, finest first, each half the size of the previous one (rounded up);
        the last level is the low-pass residual. Summing the levels back up (upsampling
        each coarser one) gives the images again.
    """
    levels, current = [], images
    for _ in range(n_levels - 1):
        down = _down(current)
        levels.append(current - _up(down, current.shape[-2:]))
        current = down
    levels.append(current)
    return levels


def _patches(level: torch.Tensor, n_patches: int, size: int, g: torch.Generator) -> torch.Tensor:
    n, c, h, w = level.shape
    ys = torch.randint(0, h - size + 1, (n, n_patches), generator=g)
    xs = torch.randint(0, w - size + 1, (n, n_patches), generator=g)
    d = torch.arange(size)
    rows = (ys[..., None] + d)[..., :, None]  # [n, P, size, 1]
    cols = (xs[..., None] + d)[..., None, :]  # [n, P, 1, size]
    which = torch.arange(n)[:, None, None, None]
    patches = level.permute(0, 2, 3, 1)[which, rows, cols]  # [n, P, size, size, C]
    return patches.permute(0, 1, 4, 2, 3).reshape(n * n_patches, c, size, size)


def _descriptors(
    images: torch.Tensor, sizes: list, n_patches: int, size: int, g: torch.Generator
) -> list[torch.Tensor]:
    per_level: list[list[torch.Tensor]] = [[] for _ in sizes]
    for chunk in images.split(_CHUNK):
        for i, level in enumerate(laplacian_pyramid(chunk, len(sizes))):
            per_level[i].append(_patches(level, n_patches, size, g))
    return [torch.cat(parts) for parts in per_level]  # [M, C, size, size] per level


def _generator(seed: int, stream: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed * 2 + stream)


def _stats(desc: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    mean = desc.mean(dim=(0, 2, 3), keepdim=True)
    std = desc.std(dim=(0, 2, 3), keepdim=True)
    return mean, std.clamp_min(1e-8)  # a constant channel becomes all zeros, not NaN


def _sort_rows(a: np.ndarray) -> None:
    # numpy's SIMD quicksort is several times faster than torch.sort on CPU and releases the
    # GIL, so rows are sorted in place by a few threads.
    n_threads = max(1, min(torch.get_num_threads(), 8))
    if n_threads == 1:
        a.sort(axis=1)
        return
    bounds = np.linspace(0, len(a), n_threads + 1).astype(int)
    with ThreadPoolExecutor(n_threads) as pool:
        list(
            pool.map(
                lambda ij: a[ij[0] : ij[1]].sort(axis=1), zip(bounds[:-1], bounds[1:], strict=True)
            )
        )


def _swd(a: torch.Tensor, b: torch.Tensor, n_projections: int, n_repeats: int, g) -> float:
    total = 0.0
    for _ in range(n_repeats):
        dirs = torch.randn(a.shape[1], n_projections, generator=g)
        dirs /= dirs.norm(dim=0, keepdim=True)
        proj_a = (a @ dirs).T.contiguous().numpy()  # [P, M]: one row per direction
        proj_b = (b @ dirs).T.contiguous().numpy()
        _sort_rows(proj_a)
        _sort_rows(proj_b)
        diff = torch.from_numpy(proj_a).sub_(torch.from_numpy(proj_b)).abs_()
        total += float(diff.mean(dtype=torch.float64))
    return total / n_repeats


@METRICS.register("swd")
def sliced_wasserstein(
    real: Any,
    fake: Any,
    *,
    seed: int = 0,
    n_patches: int = 128,
    n_projections: int = 128,
    n_repeats: int = 4,
    patch_size: int = 7,
    min_resolution: int = 16,
    use_real_stats: bool = False,
) -> dict[str, float]:
    """Sliced Wasserstein distance between two image sets, per pyramid level, x 1e3.

    Parameters
    ----------
    real, fake : numpy.ndarray or torch.Tensor
        Image batches ``[N, H, W, C]`` or ``[N, C, H, W]`` (uint8 or float; the pixel scale
        does not matter, descriptors are normalised), with equal C, H and W. The counts may
        differ: the larger descriptor set is then randomly cut to the smaller one's size.
    seed : int
        Seed of the patch positions, the subsampling and the projection directions; the
        result is a deterministic function of the inputs and the seed.
    n_patches : int
        Random neighbourhoods per image and level (ProGAN: 128).
    n_projections, n_repeats : int
        Random unit directions per repeat, and repeats averaged (ProGAN: 128 and 4).
    patch_size : int
        Neighbourhood side (ProGAN: 7).
    min_resolution : int
        Coarsest level kept (ProGAN: 16); see :func:`level_sizes`.
    use_real_stats : bool
        Normalise both sets with the real set's per-channel mean and std. By default each
        set is normalised by its own statistics, as in ProGAN, which makes the distance
        blind to a global change of brightness or contrast.

    Returns
    -------
    dict of str to float
        ``"swd/<H>"`` per level (``"swd/<H>x<W>"`` for non-square levels), finest first,
        and ``"swd/avg"``, their mean. Exactly 0 for identical sets (both draw the same
        patch positions); a small value for two samples of one distribution (the noise
        floor, which shrinks as the sets grow); larger the more they differ.

    Raises
    ------
    ValueError
        If the sets differ in channels or size, or the images are smaller than the patches.
    """
    x_real, x_fake = as_nchw(real), as_nchw(fake)
    if x_real.shape[1:] != x_fake.shape[1:]:
        raise ValueError(
            f"real images are {tuple(x_real.shape[1:])} (C, H, W) but fake ones "
            f"{tuple(x_fake.shape[1:])}"
        )
    h, w = x_real.shape[-2:]
    sizes = level_sizes(h, w, min_resolution=min_resolution, patch_size=patch_size)
    # Both sets draw patch positions from equal streams, so SWD(x, x) is exactly 0.
    desc_real = _descriptors(x_real, sizes, n_patches, patch_size, _generator(seed, 0))
    desc_fake = _descriptors(x_fake, sizes, n_patches, patch_size, _generator(seed, 0))
    g = _generator(seed, 1)  # subsampling and directions
    result = {}
    for (lh, lw), a, b in zip(sizes, desc_real, desc_fake, strict=True):
        mean_a, std_a = _stats(a)
        mean_b, std_b = (mean_a, std_a) if use_real_stats else _stats(b)
        a = ((a - mean_a) / std_a).flatten(1)
        b = ((b - mean_b) / std_b).flatten(1)
        m = min(len(a), len(b))
        if len(a) > m:
            a = a[torch.randperm(len(a), generator=g)[:m]]
        if len(b) > m:
            b = b[torch.randperm(len(b), generator=g)[:m]]
        key = f"swd/{lh}" if lh == lw else f"swd/{lh}x{lw}"
        result[key] = 1e3 * _swd(a, b, n_projections, n_repeats, g)
    result["swd/avg"] = float(np.mean(list(result.values())))
    return result


def _pooled_descriptors(
    pyramids: list[list[torch.Tensor]], n_descriptors: int, size: int, g: torch.Generator
) -> list[torch.Tensor]:
    """``n_descriptors`` neighbourhoods per level, uniform over the positions of all images."""
    per_level = []
    for levels in zip(*pyramids, strict=True):  # one pyramid level of every image
        n_positions = [(x.shape[-2] - size + 1) * (x.shape[-1] - size + 1) for x in levels]
        weights = torch.tensor(n_positions, dtype=torch.float64)
        which = torch.multinomial(weights, n_descriptors, replacement=True, generator=g)
        counts = torch.bincount(which, minlength=len(levels)).tolist()
        parts = [_patches(x, k, size, g) for x, k in zip(levels, counts, strict=True) if k]
        per_level.append(torch.cat(parts))  # [n_descriptors, C, size, size]
    return per_level


@METRICS.register("swd_images")
def sliced_wasserstein_images(
    real: Any,
    fake: Any,
    *,
    seed: int = 0,
    n_descriptors: int = 4096,
    n_projections: int = 512,
    n_seeds: int = 3,
    patch_size: int = 7,
    min_resolution: int = 16,
) -> dict[str, float]:
    """Sliced Wasserstein distance between two sets of whole images of any sizes, x 1e3.

    The held-out protocol of ``gamegan eval`` (docs/evaluation.md): for example three
    generated 512x256 textures against the held-out 512x256 half of the photo. Each image
    gets a Laplacian pyramid (:func:`laplacian_pyramid`); levels are matched by scale (level
    ``i`` is every image at ``2**-i`` of its size) down to the level where the image with the
    shortest side is ``min_resolution`` px (see :func:`level_sizes`). At every level,
    ``n_descriptors`` 7x7 neighbourhoods are drawn per set, uniformly over all positions of
    all its images (a larger image gives proportionally more). Both sets are normalised with
    the *real* set's per-channel mean and std, so a change of brightness or contrast counts.
    The distance uses ``n_projections`` random unit directions, and the result is the mean
    over the seeds ``seed .. seed + n_seeds - 1``.

    Parameters
    ----------
    real, fake : list or numpy.ndarray or torch.Tensor
        The reference set and the compared set: lists of single images ``[H, W]``,
        ``[H, W, C]`` or ``[C, H, W]`` of any sizes (uint8 or float; the pixel scale does not
        matter), or batches as :func:`~gamegan.metrics.as_nchw` takes them. All images need
        the same number of channels.
    seed : int
        First seed of the positions and directions; the result is a deterministic function
        of the inputs and the seed.
    n_descriptors : int
        Neighbourhoods per level and set.
    n_projections : int
        Random unit directions per seed.
    n_seeds : int
        Seeds averaged.
    patch_size : int
        Neighbourhood side.
    min_resolution : int
        Coarsest level, as the shorter side of the smallest image.

    Returns
    -------
    dict of str to float
        ``"swd/<i>"`` per level ``i`` (0 is the finest; the last is the low-pass residual),
        ``"swd/avg"``, the mean over all levels, and ``"swd/bandpass"``, the mean over the
        band-pass levels (all but the last; NaN when there is one level, for images whose
        shorter side is below ``2 * min_resolution``). Exactly 0 for identical sets (both draw
        the same positions).

    Raises
    ------
    ValueError
        If a set is empty, the channel counts differ, or an image is smaller than the patches.
    """
    reals, fakes = as_image_list(real), as_image_list(fake)
    if reals[0].shape[0] != fakes[0].shape[0]:
        raise ValueError(
            f"real images have {reals[0].shape[0]} channels but fake ones {fakes[0].shape[0]}"
        )
    smallest = min(reals + fakes, key=lambda x: min(x.shape[-2:]))
    n_levels = len(
        level_sizes(*smallest.shape[-2:], min_resolution=min_resolution, patch_size=patch_size)
    )
    pyramids_real = [laplacian_pyramid(x[None], n_levels) for x in reals]
    pyramids_fake = [laplacian_pyramid(x[None], n_levels) for x in fakes]
    totals = np.zeros(n_levels)
    for s in range(seed, seed + n_seeds):
        # Both sets draw positions from equal streams, so identical sets give exactly 0.
        desc_real = _pooled_descriptors(pyramids_real, n_descriptors, patch_size, _generator(s, 0))
        desc_fake = _pooled_descriptors(pyramids_fake, n_descriptors, patch_size, _generator(s, 0))
        g = _generator(s, 1)  # directions
        for i, (a, b) in enumerate(zip(desc_real, desc_fake, strict=True)):
            mean, std = _stats(a)
            a = ((a - mean) / std).flatten(1)
            b = ((b - mean) / std).flatten(1)
            totals[i] += 1e3 * _swd(a, b, n_projections, 1, g)
    values = totals / n_seeds
    result = {f"swd/{i}": float(v) for i, v in enumerate(values)}
    result["swd/avg"] = float(values.mean())
    result["swd/bandpass"] = float(values[:-1].mean()) if n_levels > 1 else float("nan")
    return result
