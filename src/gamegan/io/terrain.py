"""Terrain outputs that engines import: 16-bit heightmaps (PNG and RAW) and normal maps.

Unity and Unreal terrains read a heightmap as RAW 16-bit little-endian samples, row by row,
with a side of 2^n + 1 (513, 1025, 2049, ...); both also take 16-bit grayscale PNG.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gamegan.errors import DataError

TERRAIN_SIZES = (129, 257, 513, 1025, 2049, 4097)


def luminance(image: np.ndarray) -> np.ndarray:
    """Gray values of ``image`` ([H, W] or [H, W, C], any float or int range kept as given).

    Parameters
    ----------
    image : numpy.ndarray
        Gray ``[H, W]``, ``[H, W, 1]``, RGB ``[H, W, 3]`` or RGBA (alpha ignored).

    Returns
    -------
    numpy.ndarray
        float32 ``[H, W]`` (Rec. 601 weights for colour).
    """
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 2:
        return image
    if image.shape[-1] == 1:
        return image[..., 0]
    return image[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def to_uint16(height: np.ndarray) -> np.ndarray:
    """Heights in [0, 1] as uint16 samples (values outside are clipped).

    Parameters
    ----------
    height : numpy.ndarray
        Float heights.

    Returns
    -------
    numpy.ndarray
        uint16, 0 for 0.0 and 65535 for 1.0.
    """
    return np.round(np.clip(height, 0.0, 1.0) * 65535.0).astype(np.uint16)


def write_raw(path: str | Path, samples: np.ndarray) -> Path:
    """Write uint16 samples as RAW 16-bit little-endian, row-major, atomically.

    Parameters
    ----------
    path : str or Path
        Destination, usually ``*.raw`` (Unity: "Import Raw", byte order Windows/little).
    samples : numpy.ndarray
        uint16 ``[H, W]``.

    Returns
    -------
    Path
        The written file.
    """
    samples = np.asarray(samples)
    if samples.dtype != np.uint16 or samples.ndim != 2:
        raise ValueError(
            f"write_raw needs a uint16 [H, W] array, got {samples.dtype} {samples.shape}"
        )
    return _write_atomically(path, lambda tmp: samples.astype("<u2").tofile(tmp))


def write_npy(path: str | Path, heights: np.ndarray) -> Path:
    """Write heights as a NumPy ``.npy`` file (no pickles), atomically."""

    def save(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            np.save(f, np.asarray(heights), allow_pickle=False)

    return _write_atomically(path, save)


def _write_atomically(path: str | Path, write) -> Path:
    """``write(tmp)`` then rename to ``path``: a full disk leaves no half-written file."""
    from gamegan.io.rundir import remove_stale_temp_of, replace_synced, temp_path

    path = Path(path)
    remove_stale_temp_of(path)
    tmp = temp_path(path)
    try:
        write(tmp)
        replace_synced(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def read_raw(path: str | Path, width: int, height: int | None = None) -> np.ndarray:
    """Read a RAW 16-bit little-endian heightmap.

    Parameters
    ----------
    path : str or Path
        The file.
    width : int
        Samples per row.
    height : int, optional
        Rows; by default the file size decides (square files need only ``width``).

    Returns
    -------
    numpy.ndarray
        uint16 ``[height, width]``.
    """
    data = np.fromfile(path, dtype="<u2")
    height = data.size // width if height is None else height
    if data.size != width * height:
        raise DataError(
            f"{path}: {data.size} samples do not make a {width}x{height} 16-bit heightmap"
        )
    return data.reshape(height, width).astype(np.uint16)


def add_wrap_edge(image: np.ndarray) -> np.ndarray:
    """Repeat the first row and column at the end: a 2^n tile becomes a 2^n + 1 terrain.

    Neighbouring terrain tiles share their border samples, so a seamless 1024 tile with its
    first row and column repeated is a 1025 terrain whose edges match its copies exactly.

    Parameters
    ----------
    image : numpy.ndarray
        ``[H, W]`` or ``[H, W, C]``.

    Returns
    -------
    numpy.ndarray
        ``[H + 1, W + 1, ...]``.
    """
    image = np.concatenate([image, image[:1]], axis=0)
    return np.concatenate([image, image[:, :1]], axis=1)


def normal_map(
    height: np.ndarray, *, strength: float = 4.0, wrap: bool = True, directx: bool = False
) -> np.ndarray:
    """Tangent-space normal map of a heightmap, as 8-bit RGB.

    Parameters
    ----------
    height : numpy.ndarray
        Float heights ``[H, W]`` in [0, 1].
    strength : float
        How many pixels tall a height of 1.0 stands (larger gives steeper normals).
    wrap : bool
        Take differences across the borders (for seamless tiles) instead of one-sided ones.
    directx : bool
        Flip green for the DirectX (Y-down) convention Unreal uses; the default is OpenGL's
        Y-up, which Unity and Godot expect.

    Returns
    -------
    numpy.ndarray
        uint8 ``[H, W, 3]``; a flat surface is (128, 128, 255).
    """
    h = np.asarray(height, dtype=np.float32) * strength
    if wrap:
        dx = (np.roll(h, -1, axis=1) - np.roll(h, 1, axis=1)) / 2.0
        dy = (np.roll(h, -1, axis=0) - np.roll(h, 1, axis=0)) / 2.0
    else:
        dy, dx = np.gradient(h)
    # Surface z = h(x, y_up) with y_up = -y_image: n ~ (-dh/dx, dh/dy_image, 1).
    n = np.stack([-dx, -dy if directx else dy, np.ones_like(h)], axis=-1)
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    return np.round((n + 1.0) * 127.5).clip(0, 255).astype(np.uint8)


# The shaded reliefs' vertical exaggeration: the whole height range stands this many pixels
# tall, which shows a DEM's valleys at any size (a normal map's strength is the user's).
RELIEF_STRENGTH = 40.0


def shaded_relief(
    height: np.ndarray, *, strength: float = RELIEF_STRENGTH, wrap: bool = True
) -> np.ndarray:
    """A picture of a heightmap: heights coloured (matplotlib's ``gist_earth``, low blue-green
    to high white) and lit from the upper left through its normal map.

    Parameters
    ----------
    height : numpy.ndarray
        Float heights ``[H, W]`` in [0, 1].
    strength : float
        The relief, as for :func:`normal_map`.
    wrap : bool
        Normals across the borders (a tileable heightmap's relief then tiles too).

    Returns
    -------
    numpy.ndarray
        uint8 ``[H, W, 3]``.
    """
    from matplotlib import colormaps

    from gamegan.io.materials import lit_preview

    unit = np.clip(np.asarray(height, dtype=np.float32), 0.0, 1.0)
    colours = colormaps["gist_earth"](0.15 + 0.75 * unit)[..., :3]
    normals = normal_map(unit, strength=strength, wrap=wrap)
    return lit_preview(colours, normals, np.ones_like(unit), ambient=0.45)
