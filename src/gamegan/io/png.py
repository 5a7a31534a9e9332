"""PNG reading and writing (8-bit and 16-bit) and image grids, without torchvision.

16-bit grayscale goes through Pillow's ``I;16`` mode, so heightmaps round trip exactly.
Pillow reads 16-bit *colour* PNGs as 8-bit, so only grayscale keeps 16 bits.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from gamegan.errors import DataError

__all__ = ["make_grid", "read_png", "side_by_side", "to_uint8", "write_png"]


def read_png(path: str | os.PathLike) -> np.ndarray:
    """Read a PNG file into an array.

    Parameters
    ----------
    path : str or PathLike
        The PNG file.

    Returns
    -------
    np.ndarray
        ``uint8`` ``[H, W]`` (gray), ``[H, W, 2]`` (gray + alpha), ``[H, W, 3]`` (RGB) or
        ``[H, W, 4]`` (RGBA); ``uint16`` ``[H, W]`` for 16-bit grayscale. Palette images are
        expanded to RGB (RGBA if they have transparency), 1-bit ones to 0/255 gray.

    Raises
    ------
    DataError
        If the file is missing or is not a readable PNG.
    """
    from PIL import Image

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such PNG file")
    try:
        with Image.open(path) as img:
            if img.format != "PNG":
                raise DataError(f"{path}: not a PNG file (Pillow reads it as {img.format})")
            img.load()
            mode = img.mode
            if mode in ("I;16", "I;16B", "I;16L"):
                return np.asarray(img).astype(np.uint16)
            if mode == "I":  # older Pillow opens 16-bit gray as 32-bit int
                return np.asarray(img).astype(np.uint16)
            if mode == "P":
                img = img.convert("RGBA" if "transparency" in img.info else "RGB")
            elif mode == "1":
                img = img.convert("L")
            elif mode not in ("L", "LA", "RGB", "RGBA"):
                img = img.convert("RGB")
            return np.array(img)
    except DataError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise DataError(f"{path}: cannot read PNG ({err})") from None


def write_png(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write an array as a PNG file, atomically (a hidden temp file, then rename).

    A temp file that a killed earlier write of the same ``path`` left behind is removed.

    Parameters
    ----------
    path : str or PathLike
        Destination file; its folder must exist.
    array : np.ndarray
        ``uint8`` ``[H, W]``, ``[H, W, 1]``, ``[H, W, 2]`` (gray + alpha), ``[H, W, 3]`` or
        ``[H, W, 4]``; or ``uint16`` ``[H, W]`` / ``[H, W, 1]``, written as a 16-bit
        grayscale PNG. :func:`read_png` gives the same array back.

    Raises
    ------
    ValueError
        For any other dtype or shape.
    """
    from PIL import Image

    array = np.asarray(array)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.dtype == np.uint16:
        if array.ndim != 2:
            raise ValueError(
                f"write_png: uint16 images must be grayscale [H, W], got shape {array.shape}"
            )
        # Little-endian uint16 is what Pillow maps to mode "I;16".
        img = Image.fromarray(np.ascontiguousarray(array, dtype="<u2"))
    elif array.dtype == np.uint8:
        if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (2, 3, 4))):
            raise ValueError(
                "write_png: uint8 images must be [H, W] or [H, W, C] with C in 1-4, "
                f"got shape {array.shape}"
            )
        img = Image.fromarray(np.ascontiguousarray(array))
    else:
        raise ValueError(
            f"write_png: unsupported dtype {array.dtype}; convert to uint8 (see to_uint8) "
            "or to uint16 for 16-bit grayscale"
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"write_png: empty image of shape {array.shape}")

    from gamegan.io.rundir import remove_stale_temp_of, replace_synced, temp_path

    path = Path(path)
    remove_stale_temp_of(path)
    tmp = temp_path(path)
    try:
        img.save(tmp, format="PNG")
        replace_synced(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """Turn generator output in ``[-1, 1]`` into ``uint8`` pixels.

    Parameters
    ----------
    x : torch.Tensor
        Float tensor of any shape (usually ``[N, C, H, W]``) with values in ``[-1, 1]``.
        Values outside are clamped; NaN becomes 0 (mid gray, 128 after mapping).

    Returns
    -------
    torch.Tensor
        ``uint8`` tensor of the same shape and device: ``round((x + 1) * 127.5)``.
    """
    x = torch.nan_to_num(x.detach().float(), nan=0.0)
    return ((x + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)


def make_grid(
    images: np.ndarray | torch.Tensor,
    n_rows: int,
    n_cols: int,
    padding: int = 2,
    pad_value: int = 0,
) -> np.ndarray:
    """Tile images into one picture, row by row, with padding around every cell.

    Parameters
    ----------
    images : np.ndarray or torch.Tensor
        A torch tensor ``[N, C, H, W]`` or a numpy array ``[N, H, W, C]`` / ``[N, H, W]``,
        ``uint8`` (or ``uint16``). ``N`` may be less than ``n_rows * n_cols``; the
        missing cells are filled with ``pad_value``.
    n_rows, n_cols : int
        Grid shape.
    padding : int, optional
        Pixels between cells and around the border.
    pad_value : int, optional
        Value of padding and empty cells.

    Returns
    -------
    np.ndarray
        ``[n_rows * (H + padding) + padding, n_cols * (W + padding) + padding, C]``, same
        dtype as the input; ready for :func:`write_png`.

    Raises
    ------
    ValueError
        If there are more images than cells, or the layout or dtype is not one of the above.
    """
    if isinstance(images, torch.Tensor):
        if images.ndim != 4:
            shape = tuple(images.shape)
            raise ValueError(f"make_grid: expected a [N, C, H, W] tensor, got {shape}")
        array = images.detach().cpu().permute(0, 2, 3, 1).numpy()  # [N, H, W, C]
    else:
        array = np.asarray(images)
        if array.ndim == 3:
            array = array[..., None]
        if array.ndim != 4:
            raise ValueError(f"make_grid: expected a [N, H, W, C] array, got {array.shape}")
    if array.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"make_grid: expected uint8 or uint16 images, got {array.dtype}")
    if n_rows < 1 or n_cols < 1 or padding < 0:
        raise ValueError(f"make_grid: bad grid {n_rows}x{n_cols} with padding {padding}")
    n, h, w, c = array.shape
    if n > n_rows * n_cols:
        raise ValueError(f"make_grid: {n} images do not fit a {n_rows}x{n_cols} grid")

    grid = np.full(
        (n_rows * (h + padding) + padding, n_cols * (w + padding) + padding, c),
        pad_value,
        dtype=array.dtype,
    )
    for i in range(n):
        row, col = divmod(i, n_cols)
        top = padding + row * (h + padding)
        left = padding + col * (w + padding)
        grid[top : top + h, left : left + w] = array[i]
    return grid


def side_by_side(rows, gap: int = 8) -> np.ndarray:
    """Rows of uint8 ``[H, W, C]`` pictures at 100%, left to right and top to bottom, ``gap``
    white pixels apart (a row is as tall as its first picture)."""
    width = max(sum(img.shape[1] for img in row) + gap * (len(row) - 1) for row in rows)
    height = sum(row[0].shape[0] for row in rows) + gap * (len(rows) - 1)
    canvas = np.full((height, width, rows[0][0].shape[2]), 255, dtype=np.uint8)
    y = 0
    for row in rows:
        x = 0
        for img in row:
            canvas[y : y + img.shape[0], x : x + img.shape[1]] = img
            x += img.shape[1] + gap
        y += row[0].shape[0] + gap
    return canvas
