"""Quality metrics: pure functions of image sets (or features), registered by name.

Importing this package registers every sibling module in ``METRICS`` (as ``gamegan.gan``
does for objectives). The siblings need only torch and numpy at import time, so
``import gamegan.metrics`` pulls in neither matplotlib nor Pillow.

>>> from gamegan import metrics  # doctest: +SKIP
>>> metrics.compute("swd", real=x_real, fake=x_fake, seed=0)  # doctest: +SKIP
{'swd/28': 12.3, 'swd/avg': 12.3}
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gamegan.registry import Registry

__all__ = ["METRICS", "as_image_list", "as_nchw", "compute", "names", "report"]

METRICS: Registry = Registry("metric")


def as_nchw(images: Any) -> torch.Tensor:
    """Image batch -> float32 ``[N, C, H, W]`` tensor with the same pixel values.

    Parameters
    ----------
    images : numpy.ndarray or torch.Tensor
        ``[N, H, W, C]`` (what :func:`gamegan.generate.images` returns), ``[N, C, H, W]``
        (what the data loaders return) or ``[N, H, W]`` (gray). The layout is told apart
        by where the channel axis (of size 1, 3 or 4) is; a batch whose height and width
        are themselves 1, 3 or 4 is read as ``[N, C, H, W]``.

    Returns
    -------
    torch.Tensor
        float32 ``[N, C, H, W]`` on the CPU; values are not rescaled (uint8 stays 0-255).

    Raises
    ------
    ValueError
        If the array is not 3- or 4-dimensional or holds no image.
    """
    x = torch.as_tensor(np.asarray(images) if not torch.is_tensor(images) else images)
    x = x.detach().cpu()
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4:
        raise ValueError(
            f"expected images [N, H, W, C] or [N, C, H, W], got shape {tuple(x.shape)}"
        )
    if x.shape[1] not in (1, 3, 4) and x.shape[-1] in (1, 3, 4):
        x = x.permute(0, 3, 1, 2)
    if x.shape[0] == 0:
        raise ValueError("expected at least one image, got an empty batch")
    return x.to(torch.float32).contiguous()


def as_image_list(images: Any) -> list[torch.Tensor]:
    """Images that may differ in size -> a list of float32 ``[C, H, W]`` tensors.

    Parameters
    ----------
    images : list or numpy.ndarray or torch.Tensor
        A list (or tuple) of single images, each ``[H, W]`` (gray), ``[H, W, C]`` or
        ``[C, H, W]`` and of any size; or one batch as :func:`as_nchw` takes it.

    Returns
    -------
    list of torch.Tensor
        float32 ``[C, H, W]`` on the CPU, values not rescaled, all with the same ``C``.

    Raises
    ------
    ValueError
        If there is no image, an image is not 2- or 3-dimensional, or the channel counts
        differ.
    """
    if isinstance(images, (list, tuple)):
        out = []
        for image in images:
            # np.array copies: a read-only array (PIL's, memory-mapped) cannot back a tensor.
            x = image if torch.is_tensor(image) else torch.from_numpy(np.array(image))
            if x.ndim not in (2, 3):
                raise ValueError(
                    f"expected single images [H, W], [H, W, C] or [C, H, W] in the list, "
                    f"got shape {tuple(x.shape)}"
                )
            out.append(as_nchw(x[None])[0])
    else:
        out = list(as_nchw(images))
    if not out:
        raise ValueError("expected at least one image, got none")
    channels = {x.shape[0] for x in out}
    if len(channels) > 1:
        raise ValueError(f"the images differ in channel count: {sorted(channels)}")
    return out


def names() -> list[str]:
    """Names of the registered metrics.

    Returns
    -------
    list of str
        Sorted names, as :func:`compute` takes them.
    """
    return METRICS.names()


def compute(name: str, **kwargs: Any) -> dict[str, float]:
    """Run a registered metric.

    Parameters
    ----------
    name : str
        A name from :func:`names` (``"swd"``, ``"color"``, ``"tiling"``, ``"frechet"``,
        ``"classifier"``).
    **kwargs
        The metric function's own arguments.

    Returns
    -------
    dict of str to float
        Hierarchical keys (``"swd/avg"``) to plain floats.

    Raises
    ------
    ConfigError
        If no metric has that name (the message lists them).
    """
    result = METRICS.get(name)(**kwargs)
    return {key: float(value) for key, value in result.items()}


def report(path: str | Path, record: dict[str, Any]) -> None:
    """Append one JSON line to a ``metrics.jsonl`` file.

    Parameters
    ----------
    path : str or Path
        The file (created if missing; earlier lines are kept).
    record : dict
        JSON-able values; NaN and infinity are written as ``null``.
    """

    def clean(value: Any) -> Any:
        if isinstance(value, float) and not np.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value

    with open(path, "a") as f:
        f.write(json.dumps(clean(record)) + "\n")


for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
