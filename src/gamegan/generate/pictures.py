"""Images from an image GAN's snapshot, at the size it was trained for."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from gamegan.errors import ConfigError
from gamegan.generate.snapshots import LoadedGenerator, _loaded
from gamegan.io.png import to_uint8
from gamegan.runtime import make_generator


def images(
    run_or_snapshot: str | Path | LoadedGenerator,
    *,
    n: int = 25,
    seed: int = 0,
    label: int | str | None = None,
    codes: dict[str, float] | None = None,
    device: str = "cpu",
) -> np.ndarray:
    """Generate ``n`` images; image ``i`` depends only on ``seed + i`` (and its class).

    Parameters
    ----------
    run_or_snapshot : path or LoadedGenerator
        What to sample from.
    n : int
        Number of images.
    seed : int
        First seed; seeds ``seed .. seed + n - 1`` give one image each, so a seed always
        gives the same image whatever ``n`` is.
    label : int or str, optional
        A conditional model's class, by name or index; without it each image's class is
        drawn from its seed as often as the training data held it. An unconditional model
        refuses it.
    codes : dict, optional
        An InfoGAN's latent codes to set, by name: ``{"category": 3}`` (an index),
        ``{"c1": 1.5}`` (trained in [-1, 1]; further out exaggerates); the rest are drawn
        from the seed. A model without codes refuses them.
    device : str
        Where to run the generator.

    Returns
    -------
    numpy.ndarray
        uint8 array ``[n, H, W, C]``.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    loaded = _loaded(run_or_snapshot, device)
    if loaded.family.makes == "music":
        raise ConfigError(f"{loaded.path}: a {loaded.kind} model makes music, not images")
    G = loaded.G
    dev = next(G.parameters()).device
    z = torch.cat([G.sample_z(1, make_generator(seed + i), "cpu") for i in range(n)]).to(dev)
    if codes:
        codes = loaded.checked_codes(codes)
        z = G.with_codes(z, codes)
    labels = None
    if label is not None or loaded.class_names:
        if label is not None:
            labels = [loaded.class_index(label)] * n
        else:
            labels = [loaded.class_for_seed(seed + i) for i in range(n)]
        labels = torch.tensor(labels, dtype=torch.int64, device=dev)
    out = []
    with torch.no_grad():
        for start in range(0, n, 64):
            told = {} if labels is None else {"labels": labels[start : start + 64]}
            out.append(to_uint8(G(z[start : start + 64], **told).float()).cpu())
    return torch.cat(out).permute(0, 2, 3, 1).numpy()


# textures
