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
    device: str = "cpu",
) -> np.ndarray:
    """Generate ``n`` images; image ``i`` depends only on ``seed + i``.

    Parameters
    ----------
    run_or_snapshot : path or LoadedGenerator
        What to sample from.
    n : int
        Number of images.
    seed : int
        First seed; seeds ``seed .. seed + n - 1`` give one image each, so a seed always
        gives the same image whatever ``n`` is.
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
    out = []
    with torch.no_grad():
        for chunk in z.split(64):
            out.append(to_uint8(G(chunk).float()).cpu())
    return torch.cat(out).permute(0, 2, 3, 1).numpy()


# textures


