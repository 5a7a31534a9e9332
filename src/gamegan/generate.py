"""Inference from snapshots: the API that the CLI (and later the app and export) share.

A snapshot file carries the model's name and parameters in its metadata, so loading it needs
no run folder and no pickled code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gamegan.errors import CheckpointError
from gamegan.io.checkpoint import SNAPSHOT_FORMAT, load_module, load_tensors
from gamegan.io.png import to_uint8
from gamegan.io.rundir import latest_file
from gamegan.runtime import make_generator, pick_device


@dataclass
class LoadedGenerator:
    """A generator rebuilt from a snapshot, in eval mode, with its metadata."""

    G: torch.nn.Module
    metadata: dict[str, Any]
    path: Path

    @property
    def z_dim(self) -> int:
        return int(self.G.z_dim)


def resolve_snapshot(run_or_snapshot: str | Path) -> Path:
    """A snapshot file, or the newest snapshot of a run folder."""
    path = Path(run_or_snapshot)
    if path.is_dir():
        return latest_file(path, "snapshot")
    if not path.exists():
        raise CheckpointError(f"{path}: no such run folder or snapshot file")
    return path


def load_generator(run_or_snapshot: str | Path, *, device: str = "cpu") -> LoadedGenerator:
    """Rebuild the generator of a run folder or snapshot file.

    Parameters
    ----------
    run_or_snapshot : path
        A run folder (its newest snapshot is used) or a ``snapshot-*.safetensors`` file.
    device : str
        ``cpu``, ``cuda`` or ``auto``.

    Returns
    -------
    LoadedGenerator
        The generator in eval mode, its metadata and the file it came from.
    """
    from gamegan.train.build import build_dataclass

    path = resolve_snapshot(run_or_snapshot)
    tensors, meta = load_tensors(path, expected_format=SNAPSHOT_FORMAT)
    from gamegan.models import MODELS

    if meta.get("model") not in MODELS:
        raise CheckpointError(f"{path}: unknown model {meta.get('model')!r} in its metadata")
    spec = MODELS.get(meta["model"])
    model_cfg = build_dataclass(spec.config, meta.get("model_params", {}), "model")
    G = spec.generator(model_cfg)
    load_module("G", G, tensors, str(path))
    G = G.to(pick_device(device)).eval().requires_grad_(False)
    return LoadedGenerator(G, meta, path)


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
    loaded = (
        run_or_snapshot
        if isinstance(run_or_snapshot, LoadedGenerator)
        else load_generator(run_or_snapshot, device=device)
    )
    G = loaded.G
    dev = next(G.parameters()).device
    z = torch.cat([G.sample_z(1, make_generator(seed + i), "cpu") for i in range(n)]).to(dev)
    out = []
    with torch.no_grad():
        for chunk in z.split(64):
            out.append(to_uint8(G(chunk).float()).cpu())
    return torch.cat(out).permute(0, 2, 3, 1).numpy()
