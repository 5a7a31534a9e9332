"""Random crops of texture photos, for texture GANs (PSGAN/SGAN) that learn local statistics.

Crops are cut at the photo's own scale (no resizing) so the texture's grain size is kept.
The bundled photos are the brick, grass and gravel images that ship with scikit-image.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch

from gamegan.config import HOLDOUT_SIDES
from gamegan.data import TEXTURE_PREFIX
from gamegan.data.image_folder import SkipImage, read_image, scan_files, to_tensor
from gamegan.data.images import ImageData
from gamegan.errors import ConfigError, DataError

__all__ = [
    "BUNDLED_TEXTURES",
    "bundled_texture_path",
    "load_texture_crops",
    "read_textures",
    "largest_crop",
    "split_holdout",
    "texture_source",
]

# Photos that ship with scikit-image, free to use: brick, grass and gravel (512x512 gray), a
# stained tissue section (512x512 RGB, "no known copyright restrictions") and the Hubble
# eXtreme Deep Field (1000x872 RGB, NASA, public domain).
BUNDLED_FILES = {
    "brick": "brick.png",
    "grass": "grass.png",
    "gravel": "gravel.png",
    "ihc": "ihc.png",
    "hubble": "hubble_deep_field.jpg",
}
BUNDLED_TEXTURES = tuple(BUNDLED_FILES)


def bundled_texture_path(name: str) -> Path:
    """Path of a texture photo bundled with scikit-image (``skimage/data/``).

    The package is located without importing it (importing skimage takes seconds).

    Parameters
    ----------
    name : str
        One of :data:`BUNDLED_TEXTURES` (case-insensitive).

    Returns
    -------
    Path
        The photo (see :data:`BUNDLED_FILES`).

    Raises
    ------
    DataError
        If the name is unknown, scikit-image is not installed, or the file is missing.
    """
    name = name.lower()
    if name not in BUNDLED_TEXTURES:
        raise DataError(
            f"unknown bundled texture {name!r}; choose one of {', '.join(BUNDLED_TEXTURES)}"
        )
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            f"the bundled texture {name!r} comes with scikit-image, which is not installed: "
            "pip install scikit-image, or use texture:PATH with your own photo"
        )
    for location in spec.submodule_search_locations:
        path = Path(location) / "data" / BUNDLED_FILES[name]
        if path.is_file():
            return path
    raise DataError(
        f"scikit-image is installed but has no data/{BUNDLED_FILES[name]} in "
        f"{', '.join(spec.submodule_search_locations)}; reinstall it, or use texture:PATH"
    )


def texture_source(source: str) -> str:
    """What :func:`read_textures` takes for a run's ``data.source``: ``texture:`` dropped."""
    return source[len(TEXTURE_PREFIX) :] if source.startswith(TEXTURE_PREFIX) else source


def _check_side(side: str) -> None:
    if side not in HOLDOUT_SIDES:
        raise ConfigError(f"--holdout must be one of {', '.join(HOLDOUT_SIDES)}, got {side!r}")


def split_holdout(photo: torch.Tensor, side: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Split a photo into the half a model trains on and the half held out for evaluation.

    Parameters
    ----------
    photo : torch.Tensor
        ``[C, H, W]`` (any dtype).
    side : str
        The held-out side: ``"left"``, ``"right"``, ``"top"`` or ``"bottom"``.

    Returns
    -------
    tuple of torch.Tensor
        ``(kept, held_out)``, views of ``photo`` that do not overlap and together cover it.
        The cut is at ``W // 2`` (left/right) or ``H // 2`` (top/bottom), so for an odd size
        the right (bottom) part is one pixel larger, whichever side is held out.

    Raises
    ------
    ConfigError
        If ``side`` is not one of the four sides.
    """
    _check_side(side)
    if side in ("left", "right"):
        cut = photo.shape[-1] // 2
        first, second = photo[..., :cut], photo[..., cut:]
    else:
        cut = photo.shape[-2] // 2
        first, second = photo[..., :cut, :], photo[..., cut:, :]
    return (second, first) if side in ("left", "top") else (first, second)


def kept_halves(photos: list[torch.Tensor], side: str, min_size: int, what: str) -> list:
    kept = []
    for photo in photos:
        half = split_holdout(photo, side)[0]
        h, w = half.shape[-2:]
        if min(h, w) < min_size:
            raise DataError(
                f"{what}: with --holdout {side}, training uses a {w}x{h} half of the "
                f"{photo.shape[-1]}x{photo.shape[-2]} photo, smaller than the "
                f"{min_size}x{min_size} crops; use a resolution of at most {min(h, w)}, "
                "a larger photo, or no --holdout"
            )
        kept.append(half)
    return kept


def largest_crop(source: str | Path, channels: int, holdout: str = "") -> int:
    """The side of the largest square crop that fits every photo (its kept half with holdout).

    Parameters
    ----------
    source : str or Path
        As for :func:`load_texture_crops`.
    channels : int
        1, 3 or 4.
    holdout : str, optional
        The held-out side, as for :func:`load_texture_crops`.

    Returns
    -------
    int
        The shortest side, in pixels, over the photos (or their training halves).

    Raises
    ------
    DataError
        If the source holds no usable image.
    """
    photos, _, _ = read_textures(source, channels)
    if holdout:
        photos = [split_holdout(photo, holdout)[0] for photo in photos]
    return min(min(photo.shape[-2:]) for photo in photos)


def load_texture_crops(
    source: str | Path,
    resolution: int,
    channels: int,
    n_crops: int = 4096,
    seed: int = 0,
    holdout: str = "",
    *,
    flips: bool = True,
) -> ImageData:
    """Cut random square crops, randomly flipped, from one or more texture images.

    Parameters
    ----------
    source : str or Path
        A bundled texture name (``"brick"``, ``"grass"``, ``"gravel"``), an image file or
        a folder of images (read like :func:`~gamegan.data.image_folder.load_image_folder`,
        but not resized).
    resolution : int
        Crop side length, in the photo's own pixels.
    channels : int
        1, 3 or 4.
    n_crops : int, optional
        Number of crops, spread evenly over the images.
    seed : int, optional
        Seed of the crop positions and flips; the same seed gives the same crops.
    holdout : str, optional
        ``"left"``, ``"right"``, ``"top"`` or ``"bottom"``: that half of every image (see
        :func:`split_holdout`) is kept out, and all crops come from the other half.
        ``""`` (the default) uses the whole images.
    flips : bool, optional
        Mirror each crop left-right and top-bottom at random. Turn off for textures whose
        slant, perspective or lighting has a direction that mirroring would change.

    Returns
    -------
    ImageData
        ``uint8`` ``[n_crops, channels, resolution, resolution]``, no labels.

    Raises
    ------
    DataError
        If the source does not exist or holds no usable image, or an image (or, with
        ``holdout``, its training half) is smaller than the crop (the message gives both
        sizes).
    ConfigError
        If ``holdout`` is not one of the four sides or empty.
    """
    if resolution < 1 or n_crops < 1:
        raise DataError(f"{source}: resolution and n_crops must be positive")
    textures, skipped, what = read_textures(source, channels, min_size=resolution)
    if holdout:
        textures = kept_halves(textures, holdout, resolution, what)

    n = len(textures)
    return ImageData(
        images=cut_crops(textures, resolution, n_crops, seed, flips),
        labels=None,
        class_names=None,
        source=f"texture crops from {what} ({n_crops} crops of {resolution}x{resolution} "
        f"from {n} images{f', {holdout} half held out' if holdout else ''})",
        skipped=sorted(skipped),
    )


def cut_crops(
    grids: list[torch.Tensor], resolution: int, n_crops: int, seed: int, flips: bool
) -> torch.Tensor:
    """``n_crops`` random square crops spread evenly over ``grids`` ([C, H, W] each, one
    dtype), at positions (and, with ``flips``, mirrorings) that ``seed`` decides."""
    g = torch.Generator().manual_seed(seed)
    n = len(grids)
    counts = [n_crops // n + (i < n_crops % n) for i in range(n)]
    channels, dtype = grids[0].shape[0], grids[0].dtype
    crops = torch.empty((n_crops, channels, resolution, resolution), dtype=dtype)
    k = 0
    for grid, count in zip(grids, counts, strict=True):
        _, h, w = grid.shape
        tops = torch.randint(0, h - resolution + 1, (count,), generator=g).tolist()
        lefts = torch.randint(0, w - resolution + 1, (count,), generator=g).tolist()
        mirrors = (torch.rand((count, 2), generator=g) < 0.5).tolist()  # drawn either way
        for top, left, (flip_x, flip_y) in zip(tops, lefts, mirrors, strict=True):
            crop = grid[:, top : top + resolution, left : left + resolution]
            if flips and flip_x:
                crop = crop.flip(2)
            if flips and flip_y:
                crop = crop.flip(1)
            crops[k] = crop
            k += 1
    return crops


def read_textures(
    source: str | Path, channels: int, min_size: int = 1
) -> tuple[list[torch.Tensor], list[tuple[str, str]], str]:
    """The texture photos of a source at their own size.

    Parameters
    ----------
    source : str or Path
        A bundled texture name, an image file or a folder of images.
    channels : int
        1, 3 or 4.
    min_size : int, optional
        The smallest side allowed (the crop size); a smaller photo is an error.

    Returns
    -------
    tuple
        ``(photos, skipped, description)``: uint8 ``[C, H, W]`` tensors, ``(file, reason)``
        pairs for files left out, and a description of the source.

    Raises
    ------
    DataError
        If the source holds no usable image or an image is smaller than ``min_size``.
    """
    if channels not in (1, 3, 4):
        raise DataError(f"{source}: channels must be 1, 3 or 4, got {channels}")
    if isinstance(source, str) and source.lower() in BUNDLED_TEXTURES:
        files, skipped = [bundled_texture_path(source)], []
        what = f"bundled texture {source.lower()}"
    else:
        files, skipped = scan_files(source)
        what = str(source)

    textures = []
    for f in files:
        try:
            img, _ = read_image(f)
        except SkipImage as skip:
            skipped.append((str(f), skip.reason))
            continue
        w, h = img.size
        if w < min_size or h < min_size:
            raise DataError(
                f"{f}: the image is {w}x{h}, smaller than the {min_size}x{min_size} crops; "
                f"use a resolution of at most {min(w, h)} or a larger image"
            )
        textures.append(to_tensor(img, channels))
    if not textures:
        reasons = "; ".join(f"{Path(f).name}: {r}" for f, r in skipped[:3])
        raise DataError(
            f"{source}: no usable images ({len(skipped)} files skipped"
            + (f": {reasons})" if reasons else ")")
        )
    return textures, skipped, what
