"""Images from an image GAN's snapshot, at the size it was trained for."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from gamegan.errors import ConfigError
from gamegan.generate.snapshots import LoadedGenerator, _loaded, load_encoder
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


def encode(
    run_or_snapshot: str | Path | LoadedGenerator, pictures: np.ndarray, *, device: str = "cpu"
) -> np.ndarray:
    """An adversarial autoencoder's codes (their means) for ``pictures``, uint8 [N, H, W, C]
    at the model's size; :func:`decode` turns codes back into pictures.

    Returns float32 [N, z_dim].
    """
    loaded = _loaded(run_or_snapshot, device)
    E = load_encoder(loaded)
    cfg = E.cfg
    if pictures.ndim != 4 or tuple(pictures.shape[1:]) != (*cfg.image_shape[1:], cfg.channels):
        shape = (cfg.resolution, cfg.resolution, cfg.channels)
        raise ConfigError(f"encode takes uint8 [N, {', '.join(map(str, shape))}] pictures")
    dev = next(E.parameters()).device
    x = torch.from_numpy(np.ascontiguousarray(pictures)).permute(0, 3, 1, 2).to(dev)
    with torch.no_grad():
        return E.encode(x.float() / 127.5 - 1.0).float().cpu().numpy()


def decode(
    run_or_snapshot: str | Path | LoadedGenerator, codes: np.ndarray, *, device: str = "cpu"
) -> np.ndarray:
    """Pictures uint8 [N, H, W, C] from codes [N, z_dim] (any image GAN's latents, too)."""
    loaded = _loaded(run_or_snapshot, device)
    G = loaded.G
    z = torch.as_tensor(np.asarray(codes, np.float32)).to(next(G.parameters()).device)
    with torch.no_grad():
        return to_uint8(G(z).float()).cpu().permute(0, 2, 3, 1).numpy()
