"""Paired images for image-to-image models (pix2pix): what G is given (A) beside what it
should make of it (B).

Two sources. A folder with ``A/`` and ``B/`` subfolders holds the pairs as files with the
same name (``A/wall01.png`` beside ``B/wall01.jpg``): a label map, sketch or heightmap and
the picture it belongs to. Or the pairs are made from pictures alone, A derived from each B
(``data.condition``): ``edges``, a sketch of the picture (dark lines on white where its
brightness changes), or ``gray``, its luminance, which a model learns to colour (a
heightmap or a gray render coloured like the photo).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch
import torch.nn.functional as F

from gamegan.config import CONDITIONS
from gamegan.data.image_folder import SkipImage, _resize_crop, read_image, scan_files, to_tensor
from gamegan.data.images import ImageData, set_channels
from gamegan.errors import DataError


def derive_condition(images: torch.Tensor, kind: str) -> torch.Tensor:
    """A, uint8 [N, 1, H, W], made from pictures B, uint8 [N, C, H, W].

    ``edges`` is the Sobel gradient magnitude of the luminance (the border pixels repeated, so
    a crop's border draws no line), scaled so that the 99th percentile of the whole set is
    full black, drawn dark on white. ``gray`` is the luminance.
    """
    if kind not in CONDITIONS:
        raise DataError(f"data.condition: unknown {kind!r}; choose one of {', '.join(CONDITIONS)}")
    gray = set_channels(images, 1) if images.shape[1] != 1 else images
    if kind == "gray":
        return gray.contiguous()
    out = torch.empty_like(gray)
    magnitudes = [_sobel(chunk.float()) for chunk in gray.split(512)]
    flat = torch.cat([m.flatten() for m in magnitudes])
    sample = flat[:: max(1, len(flat) // 1_000_000)]  # the percentile of a million samples
    scale = float(torch.quantile(sample, 0.99)) or 1.0
    start = 0
    for magnitude in magnitudes:
        ink = (magnitude / scale).clamp(0, 1)
        out[start : start + len(magnitude)] = ((1 - ink) * 255).round().to(torch.uint8)
        start += len(magnitude)
    return out


def _sobel(gray: torch.Tensor) -> torch.Tensor:
    """Gradient magnitude of float [N, 1, H, W], border pixels repeated."""
    kx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8
    kernels = torch.stack([kx, kx.T]).unsqueeze(1)  # [2, 1, 3, 3]
    padded = F.pad(gray, (1, 1, 1, 1), mode="replicate")
    return F.conv2d(padded, kernels).square().sum(1, keepdim=True).sqrt()


def with_derived_conditions(data: ImageData, kind: str) -> ImageData:
    """``data`` with A made from each picture by ``kind`` (see :func:`derive_condition`)."""
    return dataclasses.replace(
        data,
        conditions=derive_condition(data.images, kind),
        source=f"{data.source}; A: the pictures' {kind}",
    )


def is_pair_folder(path: str | Path) -> bool:
    """A folder with ``A/`` and ``B/`` subfolders."""
    path = Path(path)
    return path.is_dir() and (path / "A").is_dir() and (path / "B").is_dir()


def load_pair_folder(
    path: str | Path, resolution: int, channels: int, condition_channels: int
) -> ImageData:
    """Pairs from ``A/`` and ``B/`` files of the same name (any image extension), each resized
    as :func:`~gamegan.data.image_folder.load_image_folder` does; a file without a partner,
    or one that cannot be read, is skipped with its reason.

    Returns ImageData whose ``images`` are B ``[N, channels, R, R]`` and ``conditions`` A
    ``[N, condition_channels, R, R]``, both uint8.
    """
    path = Path(path)
    if not is_pair_folder(path):
        raise DataError(f"{path}: a paired data set is a folder with A/ and B/ subfolders")
    sides = {}
    skipped: list[tuple[str, str]] = []
    for side in ("A", "B"):
        files, not_images = scan_files(path / side)
        skipped += not_images
        sides[side] = {f.relative_to(path / side).with_suffix(""): f for f in files}
    a_files, b_files = sides["A"], sides["B"]
    for key in sorted(set(a_files) ^ set(b_files)):
        lone, other = (a_files, "B") if key in a_files else (b_files, "A")
        skipped.append((str(lone[key]), f"no file of the same name in {other}/"))
    conditions, images = [], []
    for key in sorted(set(a_files) & set(b_files)):
        try:
            a, _ = read_image(a_files[key])
            b, _ = read_image(b_files[key])
            if a.size != b.size:
                raise SkipImage(f"A is {a.size[0]}x{a.size[1]}, B {b.size[0]}x{b.size[1]}")
            a, b = _resize_crop(a, resolution), _resize_crop(b, resolution)
        except SkipImage as skip:
            skipped.append((str(b_files[key]), skip.reason))
            continue
        conditions.append(to_tensor(a, condition_channels))
        images.append(to_tensor(b, channels))
    if not images:
        raise DataError(f"{path}: no usable pairs ({len(skipped)} files skipped)")
    return ImageData(
        images=torch.stack(images),
        labels=None,
        class_names=None,
        source=f"paired folder {path} ({len(images)} pairs, {len(skipped)} files skipped)",
        skipped=sorted(skipped),
        conditions=torch.stack(conditions),
    )
