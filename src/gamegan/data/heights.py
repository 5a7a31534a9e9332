"""Elevation data at full precision: DEM rasters and heightmaps for the terrain model.

A heightmap is not a photo: its samples are heights (metres, feet, or 16-bit levels), often
more than 8 bits of them, sometimes with holes. This module reads them without passing
through 8 bits: 8- and 16-bit PNG, TIFF of any integer or float type (GeoTIFF's nodata value
respected), NumPy ``.npy`` / ``.npz`` and RAW (16-bit little-endian or 32-bit float, with
``raw_size``). Holes (NaN, infinities, the file's nodata value, and -32768 in 16-bit signed
rasters, SRTM's void) are filled from the nearest valid sample. Each file is normalised to
[-1, 1] by its own range, which training keeps so that generated heights come back in the
data's units.

The bundled elevation data comes with matplotlib: a digital elevation model of the Jacksboro
fault, Tennessee (344x403 samples, 3 arc-seconds, metres; USGS, public domain).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gamegan.data.images import ImageData
from gamegan.errors import DataError

__all__ = [
    "BUNDLED_HEIGHTS",
    "HEIGHT_EXTENSIONS",
    "HeightField",
    "load_height_crops",
    "read_heights",
    "read_height_fields",
]

HEIGHT_EXTENSIONS = frozenset({".png", ".tif", ".tiff", ".npy", ".npz", ".raw", ".r16", ".r32"})
# matplotlib's sample data: name -> (file, array in the .npz).
BUNDLED_HEIGHTS = {"jacksboro": ("jacksboro_fault_dem.npz", "elevation")}
# .npz arrays tried in this order when the file holds several.
NPZ_KEYS = ("elevation", "height", "heights", "heightmap", "dem", "z", "topo", "data")
MIN_SIDE = 8  # smaller rasters say nothing about terrain
INT16_VOID = -32768  # SRTM and many int16 DEMs mark missing samples so


@dataclass
class HeightField:
    """One raster of heights with its holes filled.

    Attributes
    ----------
    values : numpy.ndarray
        float64 ``[H, W]`` in the file's own units.
    path : str
        Where it came from.
    filled : int
        How many missing samples were filled from their nearest neighbours.
    """

    values: np.ndarray
    path: str
    filled: int = 0

    @property
    def range(self) -> tuple[float, float]:
        """``(lowest, highest)`` height."""
        return float(self.values.min()), float(self.values.max())

    def normalised(self) -> np.ndarray:
        """float32 ``[H, W]`` in [-1, 1]: the lowest sample -1, the highest 1."""
        lo, hi = self.range
        return ((self.values - lo) / (hi - lo) * 2.0 - 1.0).astype(np.float32)


def _bundled_path(name: str) -> tuple[Path, str]:
    import matplotlib

    file, key = BUNDLED_HEIGHTS[name]
    path = Path(matplotlib.get_data_path()) / "sample_data" / file
    if not path.is_file():
        raise DataError(f"matplotlib is installed but has no sample_data/{file}; reinstall it")
    return path, key


def _read_raster(
    path: Path, raw_size: tuple[int, int] | None, key: str | None
) -> tuple[np.ndarray, float | None]:
    """The file's samples as stored (any dtype), and its nodata value if it declares one."""
    suffix = path.suffix.lower()
    if suffix in (".raw", ".r16", ".r32"):
        return _read_raw(path, raw_size), None
    if suffix == ".npy":
        return np.load(path, allow_pickle=False), None
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            if key is not None:
                if key not in archive.files:
                    raise DataError(f"{path}: no array {key!r} (has {', '.join(archive.files)})")
                return archive[key], None
            arrays = {k: archive[k] for k in archive.files}
        grids = {k: a for k, a in arrays.items() if np.squeeze(a).ndim == 2}
        key = next((k for k in NPZ_KEYS if k in grids), None)
        if key is None and len(grids) == 1:
            key = next(iter(grids))
        if key is None:
            raise DataError(
                f"{path}: cannot tell which array holds the heights (2-D arrays: "
                f"{', '.join(grids) or 'none'}); name it one of {', '.join(NPZ_KEYS)}"
            )
        return grids[key], None
    if suffix in (".tif", ".tiff"):
        import tifffile

        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            tag = page.tags.get("GDAL_NODATA")
            nodata = float(str(tag.value).strip("\x00 ")) if tag is not None else None
            return page.asarray(), nodata
    return _read_png(path), None


def _read_png(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as img:
        img.load()
        mode = img.mode
        if mode in ("I;16", "I;16B", "I;16L"):
            return np.asarray(img).astype(np.uint16)
        if mode in ("I", "F", "L"):
            return np.asarray(img)
        if mode == "LA":
            return np.asarray(img.getchannel("L"))
        raise DataError(
            f"{path}: a {mode} image; heights need one channel (a grayscale PNG or TIFF, "
            "8 or 16 bits, or a float TIFF)"
        )


def _read_raw(path: Path, raw_size: tuple[int, int] | None) -> np.ndarray:
    if raw_size is None:
        raise DataError(f"{path}: a RAW heightmap has no header; give its size: --raw-size WxH")
    width, height = raw_size
    n_bytes = path.stat().st_size
    for dtype in ("<u2", "<f4"):
        if n_bytes == width * height * np.dtype(dtype).itemsize:
            return np.fromfile(path, dtype=dtype).reshape(height, width)
    raise DataError(
        f"{path}: {n_bytes} bytes is neither {width}x{height} 16-bit samples "
        f"({width * height * 2} bytes) nor 32-bit floats ({width * height * 4} bytes); "
        "check --raw-size"
    )


def _fill_holes(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Each missing sample takes the value of its nearest valid one."""
    from scipy.ndimage import distance_transform_edt

    _, (rows, cols) = distance_transform_edt(missing, return_indices=True)
    return values[rows, cols]


def read_heights(
    path: str | Path, raw_size: tuple[int, int] | None = None, *, key: str | None = None
) -> HeightField:
    """Read one height raster at full precision.

    Parameters
    ----------
    path : str or Path
        A PNG (8 or 16 bit gray), TIFF (any integer or float type), ``.npy``, ``.npz`` or RAW
        (``.raw``/``.r16``: 16-bit little-endian; ``.r32``, or a RAW of 4 bytes per
        sample: 32-bit float) file.
    raw_size : tuple of int, optional
        ``(width, height)`` of a RAW file.
    key : str, optional
        The array of a ``.npz`` (by default the first of :data:`NPZ_KEYS` present, or the
        only 2-D one).

    Returns
    -------
    HeightField
        float64 heights in the file's units, holes filled.

    Raises
    ------
    DataError
        For an unreadable, colour, non-2-D, all-missing, flat (one height) or tiny raster;
        the message names the file and what is wrong.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path} does not exist" if not path.exists() else f"{path}: not a file")
    try:
        raw, nodata = _read_raster(path, raw_size, key)
    except DataError:
        raise
    except (OSError, ValueError, EOFError, KeyError, IndexError) as err:
        raise DataError(f"{path}: not a readable height raster ({err})") from None
    raw = np.squeeze(np.asarray(raw))
    if raw.ndim != 2:
        raise DataError(f"{path}: heights must be one 2-D grid, got shape {raw.shape}")
    if raw.dtype.kind not in "uif":
        raise DataError(f"{path}: heights must be numbers, got {raw.dtype}")
    if min(raw.shape) < MIN_SIDE:
        h, w = raw.shape
        raise DataError(f"{path}: {w}x{h} samples is too small for terrain (at least {MIN_SIDE})")
    values = raw.astype(np.float64)
    missing = ~np.isfinite(values)
    if nodata is not None:
        missing |= values == nodata
    if raw.dtype == np.int16:
        missing |= raw == INT16_VOID
    if missing.all():
        raise DataError(f"{path}: every sample is missing (NaN or nodata): no heights to learn")
    filled = int(missing.sum())
    if filled:
        values = _fill_holes(values, missing)
    if values.max() == values.min():
        raise DataError(f"{path}: every sample has the height {values.min():g}: a flat raster")
    return HeightField(values=values, path=str(path), filled=filled)


def read_height_fields(
    source: str | Path, raw_size: tuple[int, int] | None = None
) -> tuple[list[HeightField], list[tuple[str, str]], str]:
    """The rasters of a source: a bundled name (``jacksboro``), a file or a folder of them.

    Returns
    -------
    tuple
        ``(fields, skipped, description)``; a folder's unreadable files are skipped with
        their reason, and an error is raised only when none is left.
    """
    name = str(source).lower()
    if name in BUNDLED_HEIGHTS:
        path, key = _bundled_path(name)
        return [read_heights(path, key=key)], [], f"bundled elevation data {name}"
    source = Path(source).expanduser()
    if source.is_file():
        return [read_heights(source, raw_size)], [], str(source)
    if not source.is_dir():
        raise DataError(f"{source} does not exist")
    fields, skipped = [], []
    for root, dirs, names in os.walk(source):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for n in sorted(names):
            f = Path(root) / n
            if n.startswith("."):
                continue
            if f.suffix.lower() not in HEIGHT_EXTENSIONS:
                skipped.append((str(f), "not a height raster"))
                continue
            try:
                fields.append(read_heights(f, raw_size))
            except DataError as err:
                skipped.append((str(f), str(err).removeprefix(f"{f}: ")))
    if not fields:
        shown = "; ".join(f"{Path(f).name}: {why}" for f, why in skipped[:3])
        raise DataError(
            f"{source}: no usable height rasters ({len(skipped)} files skipped"
            + (f": {shown})" if shown else ")")
        )
    return fields, skipped, str(source)


def height_range(fields: list[HeightField]) -> tuple[float, float]:
    """The range generated heights are mapped back to: the mean of the files' own ranges
    (each file is normalised by its own, so a model learns their shapes, not their levels)."""
    return (
        float(np.mean([f.range[0] for f in fields])),
        float(np.mean([f.range[1] for f in fields])),
    )


def parse_raw_size(text: str) -> tuple[int, int] | None:
    """``data.raw_size`` (``"1025x1025"``) as ``(width, height)``; ``""`` gives None."""
    if not text:
        return None
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        width = height = 0
    if width < 1 or height < 1:
        raise DataError(f"--raw-size {text!r}: give WIDTHxHEIGHT in samples, e.g. 1025x1025")
    return width, height


def largest_height_crop(source: str | Path, holdout: str = "", raw_size: str = "") -> int:
    """The side of the largest square crop that fits every raster (its kept half)."""
    from gamegan.data.textures import split_holdout

    fields, _, _ = read_height_fields(source, parse_raw_size(raw_size))
    grids = [f.values for f in fields]
    if holdout:
        grids = [split_holdout(grid, holdout)[0] for grid in grids]
    return min(min(grid.shape[-2:]) for grid in grids)


def load_height_crops(
    source: str | Path,
    resolution: int,
    n_crops: int = 4096,
    seed: int = 0,
    holdout: str = "",
    *,
    flips: bool = False,
    raw_size: str = "",
) -> ImageData:
    """Random square crops of height rasters, in [-1, 1] by each raster's own range.

    Like :func:`gamegan.data.textures.load_texture_crops` (the same crop positions for the
    same seed, ``holdout`` and ``flips``), but float32 and one channel: no level is lost.

    Returns
    -------
    ImageData
        float32 ``[n_crops, 1, resolution, resolution]`` with ``height_range`` set.
    """
    from gamegan.data.textures import cut_crops, kept_halves

    fields, skipped, what = read_height_fields(source, parse_raw_size(raw_size))
    grids = [torch.from_numpy(f.normalised())[None] for f in fields]
    for field, grid in zip(fields, grids, strict=True):
        h, w = grid.shape[-2:]
        if min(h, w) < resolution:
            raise DataError(
                f"{field.path}: the raster is {w}x{h}, smaller than the {resolution}x"
                f"{resolution} crops; use a resolution of at most {min(h, w)}"
            )
    if holdout:
        grids = kept_halves(grids, holdout, resolution, what)
    crops = cut_crops(grids, resolution, n_crops, seed, flips)
    filled = sum(f.filled for f in fields)
    lo, hi = height_range(fields)
    return ImageData(
        images=crops,
        labels=None,
        class_names=None,
        source=f"height crops from {what} ({n_crops} crops of {resolution}x{resolution} from "
        f"{len(fields)} rasters, heights {lo:g} to {hi:g}"
        f"{f', {filled} missing samples filled' if filled else ''}"
        f"{f', {holdout} half held out' if holdout else ''})",
        skipped=sorted(skipped),
        height_range=(lo, hi),
    )
