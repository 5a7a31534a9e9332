"""The result every image loader returns, and the size/channel conversions between data sets."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

__all__ = ["ImageData", "resize_to", "set_channels", "to_model_range"]

# ITU-R BT.601 luma, the weights Pillow's convert("L") uses too.
LUMA_WEIGHTS = (0.299, 0.587, 0.114)


@dataclass
class ImageData:
    """Images with optional labels, plus where they came from and what was left out.

    Attributes
    ----------
    images : torch.Tensor
        ``uint8`` ``[N, C, H, W]``, contiguous; for height data (:mod:`gamegan.data.heights`)
        ``float32`` already in [-1, 1], so that no level is lost (:func:`to_model_range`).
    labels : torch.Tensor or None
        ``int64`` ``[N]``, or None for unlabelled data.
    class_names : list of str or None
        Label number -> name.
    source : str
        Human description, e.g. ``"MNIST train (60000 images, IDX files in /d)"``.
    skipped : list of (str, str)
        ``(file, reason)`` for every file that was left out.
    conditions : torch.Tensor or None
        For image-to-image data (:mod:`gamegan.data.pairs`): what each image is made from,
        ``uint8`` ``[N, C', H, W]``; None otherwise.
    height_range : tuple of float or None
        For height data: the ``(lowest, highest)`` height, in the data's units, that -1 and
        1 stand for; None otherwise.
    """

    images: torch.Tensor
    labels: torch.Tensor | None
    class_names: list[str] | None
    source: str
    skipped: list[tuple[str, str]] = field(default_factory=list)
    conditions: torch.Tensor | None = None
    height_range: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        # Internal invariants: loaders build these, users do not.
        assert self.images.dtype in (torch.uint8, torch.float32), self.images.dtype
        assert self.images.ndim == 4, self.images.shape
        self.images = self.images.contiguous()
        if self.labels is not None:
            assert self.labels.shape == (len(self.images),), self.labels.shape
            self.labels = self.labels.to(torch.int64)
        if self.conditions is not None:
            assert self.conditions.dtype == torch.uint8, self.conditions.dtype
            assert self.conditions.shape[0] == len(self.images), self.conditions.shape
            assert self.conditions.shape[2:] == self.images.shape[2:], self.conditions.shape
            self.conditions = self.conditions.contiguous()

    def __len__(self) -> int:
        return len(self.images)

    @property
    def resolution(self) -> tuple[int, int]:
        """``(H, W)`` of the images."""
        return tuple(self.images.shape[2:])

    @property
    def channels(self) -> int:
        """``C`` of the images."""
        return self.images.shape[1]


def to_model_range(images: torch.Tensor) -> torch.Tensor:
    """Stored images as the networks see them: float in [-1, 1] (uint8 pixels scaled, height
    data, already float in that range, as it is)."""
    if images.dtype == torch.uint8:
        return images.float().div_(127.5).sub_(1.0)
    return images.float()


def resize_to(images: torch.Tensor, resolution: int, *, chunk: int = 4096) -> torch.Tensor:
    """Resize ``uint8`` images to ``resolution x resolution``.

    Non-square images are scaled so the shorter side fits, then centre-cropped. Shrinking
    uses antialiased bilinear filtering (close to area averaging), enlarging plain bilinear.

    Parameters
    ----------
    images : torch.Tensor
        ``uint8`` ``[N, C, H, W]``.
    resolution : int
        Output side length.
    chunk : int, optional
        Images converted to float at a time, to bound memory on 60000-image sets.

    Returns
    -------
    torch.Tensor
        ``uint8`` ``[N, C, resolution, resolution]``; the input itself if already that size.
    """
    n, c, h, w = images.shape
    if (h, w) == (resolution, resolution):
        return images
    scale = resolution / min(h, w)
    new_h, new_w = max(resolution, round(h * scale)), max(resolution, round(w * scale))
    top, left = (new_h - resolution) // 2, (new_w - resolution) // 2
    out = torch.empty((n, c, resolution, resolution), dtype=torch.uint8)
    for start in range(0, n, chunk):
        x = images[start : start + chunk].float()
        x = F.interpolate(
            x,
            size=(new_h, new_w),
            mode="bilinear",
            align_corners=False,
            antialias=scale < 1,
        )
        x = x[:, :, top : top + resolution, left : left + resolution]
        out[start : start + chunk] = x.round().clamp(0, 255).to(torch.uint8)
    return out


def set_channels(images: torch.Tensor, channels: int, *, chunk: int = 4096) -> torch.Tensor:
    """Convert ``uint8`` images between gray, gray + alpha, RGB and RGBA.

    Dropping alpha composites over black (``value * alpha / 255``), so transparent areas
    become black rather than showing whatever colour the transparent pixels happen to hold.
    RGB -> gray uses luminance ``0.299 R + 0.587 G + 0.114 B``; gray -> RGB repeats the
    plane; adding alpha adds an opaque (255) plane.

    Parameters
    ----------
    images : torch.Tensor
        ``uint8`` ``[N, C, H, W]`` with C = 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA).
    channels : int
        1, 3 or 4.
    chunk : int, optional
        Images converted at a time, to bound the float memory used.

    Returns
    -------
    torch.Tensor
        ``uint8`` ``[N, channels, H, W]``; the input itself if it already has that layout.
    """
    c = images.shape[1]
    if channels not in (1, 3, 4):
        raise ValueError(f"set_channels: channels must be 1, 3 or 4, got {channels}")
    if c not in (1, 2, 3, 4):
        raise ValueError(f"set_channels: images must have 1-4 channels, got {c}")
    if c == channels:
        return images
    if len(images) > chunk:
        starts = range(0, len(images), chunk)
        return torch.cat([set_channels(images[i : i + chunk], channels) for i in starts])

    has_alpha = c in (2, 4)
    color, alpha = (images[:, :-1], images[:, -1:]) if has_alpha else (images, None)
    if channels == 4:
        rgb = color.expand(-1, 3, -1, -1) if color.shape[1] == 1 else color
        if alpha is None:
            alpha = torch.full_like(images[:, :1], 255)
        return torch.cat([rgb, alpha], dim=1).contiguous()

    if alpha is not None:
        color = (color.float() * alpha.float() / 255).round().to(torch.uint8)
    if channels == 3:
        return color.expand(-1, 3, -1, -1).contiguous() if color.shape[1] == 1 else color
    if color.shape[1] == 1:
        return color.contiguous()
    weights = torch.tensor(LUMA_WEIGHTS).view(1, 3, 1, 1)
    gray = (color.float() * weights).sum(dim=1, keepdim=True)
    return gray.round().clamp(0, 255).to(torch.uint8)
