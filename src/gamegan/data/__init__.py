"""Image data sets behind one call: ``load_images("mnist" | "cifar100" | "brick" | PATH, ...)``.

Submodules are imported inside the functions, so ``import gamegan.data`` stays cheap
(no Pillow, no scikit-image).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from gamegan.errors import ConfigError, DataError

if TYPE_CHECKING:
    from gamegan.data.images import ImageData

__all__ = ["DATASETS", "TEXTURE_PREFIX", "load_images", "resolve_data_dir"]

DATASETS = ("mnist", "cifar100")
TEXTURE_PREFIX = "texture:"


def resolve_data_dir(data_dir: str | Path | None = None) -> Path:
    """Folder where downloaded data sets live.

    Parameters
    ----------
    data_dir : str or Path or None
        Explicit folder (``--data-dir``); wins over everything else.

    Returns
    -------
    Path
        ``data_dir`` if given, else ``$GAMEGAN_DATA`` if set, else ``./data``.
    """
    if data_dir is not None and str(data_dir) != "":
        return Path(data_dir).expanduser()
    env = os.environ.get("GAMEGAN_DATA")
    if env:
        return Path(env).expanduser()
    return Path.cwd() / "data"


def _as_list(items: Iterable[int | str] | int | str) -> list[int | str]:
    return [items] if isinstance(items, (int, str)) else list(items)


def _select_digits(data: ImageData, classes: list[int | str]) -> ImageData:
    import torch

    wanted = set()
    for item in classes:
        if str(item).strip() not in data.class_names:
            raise DataError(f"MNIST: unknown class {item!r}; the classes are the digits 0-9")
        wanted.add(data.class_names.index(str(item).strip()))
    keep = torch.isin(data.labels, torch.tensor(sorted(wanted)))
    source = data.source.replace(f"({len(data)} images", f"({int(keep.sum())} images", 1)
    return dataclasses.replace(
        data, images=data.images[keep], labels=data.labels[keep], source=source
    )


def load_images(
    source: str,
    *,
    data_dir: str | Path | None = None,
    resolution: int,
    channels: int,
    classes: Iterable[int | str] = (),
    coarse_classes: Iterable[int | str] = (),
    split: str = "train",
    n_crops: int = 4096,
    seed: int = 0,
    holdout: str = "",
    flips: bool = True,
) -> ImageData:
    """Load any supported image source at the asked resolution and channel count.

    Parameters
    ----------
    source : str
        ``"mnist"``, ``"cifar100"``, a bundled texture (``"brick"``, ``"grass"``,
        ``"gravel"``: random crops), ``"texture:PATH"`` (crops from your own photo or
        folder), or a path to an image folder or a single image. Names are
        case-insensitive and win over a same-named folder in the working directory.
    data_dir : str or Path or None, optional
        Where MNIST/CIFAR-100 files are; see :func:`resolve_data_dir`.
    resolution : int
        Output side length (the crop size for textures).
    channels : int
        1, 3 or 4 (alpha is kept from image folders and textures, opaque otherwise).
    classes : iterable of int or str, optional
        CIFAR-100 fine classes (``33`` or ``"forest"``) or MNIST digits to keep.
    coarse_classes : iterable of int or str, optional
        CIFAR-100 superclasses to keep (united with ``classes``).
    split : str, optional
        ``"train"`` or ``"test"`` (MNIST also ``"valid"`` from ``mnist.pkl.gz``).
    n_crops : int, optional
        Number of texture crops.
    seed : int, optional
        Seed of the texture crops.
    holdout : str, optional
        Texture sources only: the side of each photo (``"left"``, ``"right"``, ``"top"``,
        ``"bottom"``) kept out of the crops, for a held-out evaluation; ``""`` for none.
    flips : bool, optional
        Texture sources only: mirror crops at random (off for textures whose slant or
        lighting has a direction).

    Returns
    -------
    ImageData
        ``uint8`` ``[N, channels, resolution, resolution]``; data sets are resized
        (antialiased) and converted (gray <-> RGB) as needed.

    Raises
    ------
    DataError
        If the source is unknown, missing or unusable (the message says what to do).
    ConfigError
        If resolution or channels are out of range, classes are given for a source
        without labels, or ``holdout`` is given for a source that is not a texture.
    """
    from gamegan.data.images import resize_to, set_channels

    if resolution < 1:
        raise ConfigError(f"resolution must be a positive number of pixels, got {resolution}")
    if channels not in (1, 3, 4):
        raise ConfigError(f"channels must be 1, 3 or 4, got {channels}")
    classes, coarse_classes = _as_list(classes), _as_list(coarse_classes)
    name = str(source).strip()
    key = name.lower()
    from gamegan.data.textures import BUNDLED_TEXTURES

    is_texture = key in BUNDLED_TEXTURES or key.startswith(TEXTURE_PREFIX)
    if holdout and not is_texture:
        raise ConfigError(
            f"--holdout {holdout}: only texture photos are split into a training and a held-out "
            f"half; --data {name} is not a texture source (brick, grass, gravel, texture:PATH, "
            "or a photo for a texture preset)"
        )
    if key == "mnist":
        from gamegan.data.mnist import load_mnist

        if coarse_classes:
            raise ConfigError("coarse classes exist only for cifar100, not mnist")
        data = load_mnist(resolve_data_dir(data_dir), split)
        if classes:
            data = _select_digits(data, classes)
    elif key in ("cifar100", "cifar-100"):
        from gamegan.data.cifar100 import load_cifar100

        data = load_cifar100(resolve_data_dir(data_dir), split, classes, coarse_classes)
    else:
        if classes or coarse_classes:
            raise ConfigError(
                f"--data {name}: classes can only be chosen for mnist and cifar100 (labelled)"
            )
        from gamegan.data.textures import load_texture_crops

        if key in BUNDLED_TEXTURES:
            return load_texture_crops(
                key, resolution, channels, n_crops, seed, holdout, flips=flips
            )
        if key.startswith(TEXTURE_PREFIX):
            path = Path(name[len(TEXTURE_PREFIX) :]).expanduser()
            return load_texture_crops(
                path, resolution, channels, n_crops, seed, holdout, flips=flips
            )
        path = Path(name).expanduser()
        if not path.exists():
            raise DataError(
                f"--data {name}: not a known data set "
                f"({', '.join(DATASETS + BUNDLED_TEXTURES)}) and no such file or folder"
            )
        from gamegan.data.image_folder import load_image_folder

        return load_image_folder(path, resolution, channels)

    # Fewer channels first and more channels last, so resizing touches the fewest planes.
    images = data.images
    if channels < images.shape[1]:
        images = set_channels(images, channels)
    images = resize_to(images, resolution)
    images = set_channels(images, channels)
    return dataclasses.replace(data, images=images)
