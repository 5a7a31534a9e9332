"""Your own pictures: a folder (searched recursively) or one image file.

Real folders hold odd files: thumbnails, corrupt downloads, 16-bit scans, palette GIFs,
huge photos. Each unusable file is skipped and reported with its reason instead of
stopping the run, and every decode is complete so a truncated file cannot slip through.
"""

from __future__ import annotations

import errno
import math
import os
import struct
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from gamegan.data.images import ImageData, set_channels
from gamegan.errors import DataError

__all__ = [
    "IMAGE_EXTENSIONS",
    "MAX_PIXELS",
    "SkipImage",
    "load_image_folder",
    "read_image",
    "scan_files",
    "to_tensor",
]

IMAGE_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".bmp", ".tif", ".tiff", ".webp", ".gif"}
)
# Larger images are refused as possible decompression bombs (a tiny file that would
# expand to gigabytes); 64 MP is already more than most camera photos.
MAX_PIXELS = 64_000_000


class SkipImage(Exception):
    """A file that cannot be used; ``reason`` says why, for the skipped-files report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def scan_files(path: str | Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """List the image files under a folder (recursively), or the file itself.

    Hidden files and folders (names starting with ".") are ignored silently; files with
    other extensions are returned as skipped with reason "not an image file".

    Parameters
    ----------
    path : str or Path
        A folder or a single file.

    Returns
    -------
    files : list of Path
        Candidate image files, sorted.
    skipped : list of (str, str)
        ``(file, reason)`` for the non-image files.

    Raises
    ------
    DataError
        If ``path`` does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path} does not exist")
    if path.is_file():
        found = [path]
    else:
        found = []
        for root, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            found.extend(Path(root) / n for n in sorted(names) if not n.startswith("."))
    files, skipped = [], []
    for f in found:
        if f.suffix.lower() in IMAGE_EXTENSIONS:
            files.append(f)
        else:
            skipped.append((str(f), "not an image file"))
    return files, skipped


@contextmanager
def _bomb_guard() -> Iterator[None]:
    # Pillow warns above MAX_IMAGE_PIXELS and raises above twice that; refuse both, and
    # leave the global as we found it.
    old = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS = old


def _deep_to_8bit(img: Image.Image) -> Image.Image:
    # 16-bit modes keep their top byte (>> 8); 32-bit int and float images are scaled by
    # their own range, since their nominal range says nothing about the content.
    a = np.asarray(img)
    if img.mode.startswith("I;16"):
        a8 = (a.astype(np.uint32) >> 8).astype(np.uint8)
    else:
        a = a.astype(np.float64)
        lo, hi = float(a.min(initial=0)), float(a.max(initial=0))
        if lo >= 0 and hi <= 1 and img.mode == "F":
            a8 = np.round(a * 255)
        elif lo >= 0 and hi <= 255:
            a8 = a
        elif lo >= 0 and hi <= 65535 and img.mode == "I":
            a8 = np.floor(a / 256)
        else:
            a8 = np.round((a - lo) / max(hi - lo, 1e-12) * 255)
        a8 = np.clip(a8, 0, 255).astype(np.uint8)
    return Image.fromarray(a8)


def _to_standard_mode(img: Image.Image) -> Image.Image:
    mode = img.mode
    if mode in ("L", "LA", "RGB", "RGBA"):
        return img.copy()
    if mode == "1":
        return img.convert("L")
    if mode in ("P", "PA"):
        return img.convert("RGBA" if mode == "PA" or "transparency" in img.info else "RGB")
    if mode.startswith("I;16") or mode in ("I", "F"):
        return _deep_to_8bit(img)
    if mode == "La":
        return img.convert("LA")
    if mode == "RGBa":
        return img.convert("RGBA")
    return img.convert("RGB")  # CMYK, YCbCr, LAB, HSV, RGBX


def read_image(path: str | Path) -> tuple[Image.Image, str]:
    """Fully decode one image file into an 8-bit L, LA, RGB or RGBA Pillow image.

    EXIF orientation is applied. 1-bit becomes L (0/255); palette becomes RGB, or RGBA if
    it has transparency; CMYK and other colour spaces become RGB; 16-bit gray keeps its top
    byte (``>> 8``); 32-bit int and float gray are scaled by their range. GIFs give their
    first frame. Images over :data:`MAX_PIXELS` are refused as possible decompression bombs.

    Parameters
    ----------
    path : str or Path
        The image file.

    Returns
    -------
    image : PIL.Image.Image
        Loaded image in mode L, LA, RGB or RGBA.
    mode : str
        The file's own Pillow mode (e.g. ``"I;16"``, ``"P"``), for reports.

    Raises
    ------
    SkipImage
        With a one-line reason, if the file is unidentifiable, corrupt, truncated or too big.
    """
    try:
        with _bomb_guard(), Image.open(path) as img:
            mode = img.mode
            img.load()  # decode everything now: truncation shows up here, not later
            try:
                img = ImageOps.exif_transpose(img)
            except (OSError, ValueError, KeyError, TypeError, SyntaxError):
                pass  # broken EXIF: keep the pixels as stored
            return _to_standard_mode(img), mode
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise SkipImage(f"possible decompression bomb: {err}") from None
    except UnidentifiedImageError:
        raise SkipImage("not a readable image (Pillow cannot identify it)") from None
    except PermissionError:
        raise SkipImage("permission denied") from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise SkipImage("a symbolic link that points to itself (link loop)") from None
        raise SkipImage(f"corrupt or truncated ({err})") from None
    except (SyntaxError, ValueError, EOFError, struct.error, zlib.error) as err:
        raise SkipImage(f"corrupt or truncated ({err})") from None
    except MemoryError:
        raise SkipImage("too large to decode in memory") from None


def _resize_crop(img: Image.Image, resolution: int) -> Image.Image:
    # Shorter side to `resolution` (Lanczos; large reductions go through reduce() first),
    # then the centre square.
    w, h = img.size
    scale = resolution / min(w, h)
    size = (max(resolution, round(w * scale)), max(resolution, round(h * scale)))
    if size != (w, h):
        img = img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    left, top = (size[0] - resolution) // 2, (size[1] - resolution) // 2
    if size != (resolution, resolution):
        img = img.crop((left, top, left + resolution, top + resolution))
    return img


def to_tensor(img: Image.Image, channels: int) -> torch.Tensor:
    """Convert an L/LA/RGB/RGBA Pillow image to ``uint8`` ``[channels, H, W]``.

    Parameters
    ----------
    img : PIL.Image.Image
        As returned by :func:`read_image`.
    channels : int
        1, 3 or 4; see :func:`gamegan.data.images.set_channels` for the conversions.

    Returns
    -------
    torch.Tensor
        ``uint8`` ``[channels, H, W]``.
    """
    a = np.asarray(img)
    if a.ndim == 2:
        a = a[:, :, None]
    x = torch.from_numpy(a.copy()).permute(2, 0, 1)  # [C, H, W]
    return set_channels(x[None], channels)[0].contiguous()


def _summary(skipped: list[tuple[str, str]], n: int = 3) -> str:
    shown = "; ".join(f"{Path(f).name}: {reason}" for f, reason in skipped[:n])
    more = f"; and {len(skipped) - n} more" if len(skipped) > n else ""
    return shown + more


def load_image_folder(path: str | Path, resolution: int, channels: int) -> ImageData:
    """Load every usable image under a folder (or one image file), as square crops.

    Each image's shorter side is scaled to ``resolution`` (Lanczos), then the centre square
    is cut out. Transparent images are composited over black for 1 or 3 channels and keep
    their alpha for 4.

    Parameters
    ----------
    path : str or Path
        Folder (searched recursively; hidden files ignored) or a single image file. Formats:
        PNG, JPEG, BMP, TIFF, WebP, GIF (first frame).
    resolution : int
        Output side length in pixels.
    channels : int
        1 (gray), 3 (RGB) or 4 (RGBA).

    Returns
    -------
    ImageData
        ``uint8`` images ``[N, channels, resolution, resolution]``; labelled by class when every
        image sits in a subfolder of ``path`` and there are two or more subfolders (the
        subfolder names, sorted, are the classes: ``sprites/knight/*.png``,
        ``sprites/slime/*.png``, ...), otherwise no labels; ``skipped``
        lists every file left out with its reason (not an image file, cannot identify,
        corrupt or truncated, decompression bomb, smaller than ``resolution / 2``).

    Raises
    ------
    DataError
        If ``path`` does not exist, or no usable image is found (the message names the
        folder, how many files were skipped and the first reasons).
    """
    if channels not in (1, 3, 4):
        raise DataError(f"{path}: channels must be 1, 3 or 4, got {channels}")
    if resolution < 1:
        raise DataError(f"{path}: resolution must be positive, got {resolution}")
    path = Path(path)
    files, skipped = scan_files(path)
    min_side = math.ceil(resolution / 2)
    tensors, folders = [], []
    for f in files:
        try:
            img, _ = read_image(f)
            w, h = img.size
            if w < min_side or h < min_side:
                raise SkipImage(
                    f"too small ({w}x{h}; at least {min_side}x{min_side} needed "
                    f"for resolution {resolution})"
                )
            img = _resize_crop(img, resolution)
        except SkipImage as skip:
            skipped.append((str(f), skip.reason))
            continue
        tensors.append(to_tensor(img, channels))
        folders.append(f.relative_to(path).parts[0] if path.is_dir() and f.parent != path else None)
    if not tensors:
        raise DataError(
            f"{path}: no usable images ({len(skipped)} files skipped"
            + (f": {_summary(skipped)})" if skipped else ")")
        )
    skipped.sort()
    labels = class_names = None
    classes = ""
    if None not in folders and len(set(folders)) >= 2:
        class_names = sorted(set(folders))
        labels = torch.tensor([class_names.index(folder) for folder in folders])
        counts = torch.bincount(labels, minlength=len(class_names)).tolist()
        shown = ", ".join(f"{name} {n}" for name, n in zip(class_names[:8], counts, strict=False))
        shown += ", ..." if len(class_names) > 8 else ""
        classes = f"; {len(class_names)} classes by subfolder: {shown}"
    return ImageData(
        images=torch.stack(tensors),
        labels=labels,
        class_names=class_names,
        source=f"image folder {path} ({len(tensors)} images, {len(skipped)} files skipped"
        f"{classes})",
        skipped=skipped,
    )
