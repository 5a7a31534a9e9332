"""Images made from input images by an image-to-image model (pix2pix), at the input's size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from gamegan.errors import ConfigError, DataError
from gamegan.generate.snapshots import LoadedGenerator, _loaded, load_reverse_generator
from gamegan.generate.textures import _periodic_resize
from gamegan.io.png import to_uint8


def read_input(path: str | Path, channels: int) -> np.ndarray:
    """An input image file as uint8 [H, W, channels] (gray, RGB or RGBA as the model takes)."""
    from gamegan.data.image_folder import SkipImage, read_image, to_tensor

    try:
        img, _ = read_image(path)
    except SkipImage as skip:
        raise DataError(f"--input {path}: {skip.reason}") from None
    return to_tensor(img, channels).permute(1, 2, 0).numpy()


def translate(
    run_or_snapshot: str | Path | LoadedGenerator,
    image: np.ndarray | str | Path,
    *,
    tileable: bool | None = None,
    reverse: bool = False,
    device: str = "cpu",
) -> np.ndarray:
    """What an image-to-image model makes of ``image``, at the same size.

    Parameters
    ----------
    run_or_snapshot : path or LoadedGenerator
        A pix2pix or CycleGAN run or snapshot.
    image : numpy.ndarray or path
        The input: uint8 ``[H, W]`` or ``[H, W, C]``, or an image file; converted to the
        channels the model takes (a sketch, label map or heightmap like its training inputs).
    tileable : bool, optional
        Treat the input as a tile: the network pads circularly, so the output tiles exactly.
        Sides that are not a multiple of the model's ``2**depth`` are resampled to the next
        multiple and back, wrapping at the borders. ``False`` pads with zeros and mirrors the
        input out to the next multiple. Default: as the model was trained.
    reverse : bool
        A two-way model (CycleGAN) the other way: B to A.
    device : str
        Where to run the generator.

    Returns
    -------
    numpy.ndarray
        uint8 ``[H, W, C]``.
    """
    loaded = _loaded(run_or_snapshot, device)
    if loaded.family.makes != "translations":
        raise ConfigError(
            f"{loaded.path}: a {loaded.kind} model makes {loaded.family.makes} from noise, not "
            "images from an input image (--input is for pix2pix runs)"
        )
    G = load_reverse_generator(loaded) if reverse else loaded.G
    cfg = G.cfg
    if not isinstance(image, np.ndarray):
        image = read_input(image, cfg.condition_channels)
    image = _with_channels(image, cfg.condition_channels)
    h, w = image.shape[:2]
    if min(h, w) < 1:
        raise DataError("the input image is empty")
    tileable = cfg.tileable if tileable is None else tileable
    m = G.multiple
    height, width = -(-h // m) * m, -(-w // m) * m
    x = image.astype(np.float32) / 127.5 - 1.0
    if tileable:
        x = _periodic_resize(x, height, width) if (height, width) != (h, w) else x
    else:
        x = np.pad(x, ((0, height - h), (0, width - w), (0, 0)), mode="symmetric")
    dev = next(G.parameters()).device
    G.set_tileable(tileable)
    try:
        with torch.no_grad():
            condition = torch.from_numpy(np.ascontiguousarray(x)).permute(2, 0, 1)[None].to(dev)
            out = G(G.sample_z(1, device=dev), condition=condition)[0].float().cpu()
    finally:
        G.set_tileable(cfg.tileable)
    out = out.permute(1, 2, 0).numpy()
    if tileable and (height, width) != (h, w):
        out = _periodic_resize(out, h, w)
    out = np.ascontiguousarray(out[:h, :w])
    pixels = to_uint8(torch.from_numpy(out).permute(2, 0, 1)[None])[0]  # [C, h, w]
    return pixels.permute(1, 2, 0).numpy()


def _with_channels(image: np.ndarray, channels: int) -> np.ndarray:
    """uint8 [H, W] or [H, W, C] as [H, W, channels] (gray by luminance, gray to colour by
    repeating, alpha composited over black)."""
    from gamegan.data.images import set_channels

    if image.dtype != np.uint8:
        raise DataError(f"the input image must be uint8, got {image.dtype}")
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3 or image.shape[2] not in (1, 2, 3, 4):
        raise DataError(f"the input image must be [H, W] or [H, W, C], got {image.shape}")
    tensor = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None]
    return set_channels(tensor, channels)[0].permute(1, 2, 0).numpy()
