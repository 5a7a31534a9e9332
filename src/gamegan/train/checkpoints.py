"""What every trainer's snapshot and state files hold besides its own parts: the metadata
that rebuilds the model without the run, and its networks and optimizers by name."""

from __future__ import annotations

import torch

from gamegan import __version__
from gamegan.config import RunConfig, to_dict
from gamegan.io.checkpoint import (
    SNAPSHOT_FORMAT,
    STATE_FORMAT,
    load_module,
    load_optimizer,
    module_tensors,
    optimizer_tensors,
)


def snapshot_meta(cfg: RunConfig, kind: str, iteration: int, **extra) -> dict:
    """A snapshot's metadata: its family, model and parameters, the run's config."""
    return {
        "format": SNAPSHOT_FORMAT,
        "kind": kind,
        "model": cfg.model.name,
        "model_params": cfg.model.params,
        **extra,
        "config": to_dict(cfg),
        "iteration": iteration,
        "gamegan_version": __version__,
    }


def state_meta(cfg: RunConfig, kind: str, iteration: int, world_size: int, **extra) -> dict:
    """A training state's metadata; ``extra`` holds the trainer's data order, optimizers' JSON
    parts and whatever else it resumes from."""
    return {
        "format": STATE_FORMAT,
        "kind": kind,
        "model": cfg.model.name,
        "iteration": iteration,
        "world_size": world_size,
        **extra,
        "config": to_dict(cfg),
        "gamegan_version": __version__,
    }


def networks_state(
    modules: dict[str, torch.nn.Module], optimizers: dict[str, torch.optim.Optimizer]
) -> tuple[dict[str, torch.Tensor], dict[str, dict]]:
    """The tensors of named networks and optimizers, and the optimizers' JSON parts by name."""
    tensors: dict[str, torch.Tensor] = {}
    for name, module in modules.items():
        tensors.update(module_tensors(name, module))
    metas = {}
    for name, optimizer in optimizers.items():
        found, metas[name] = optimizer_tensors(name, optimizer)
        tensors.update(found)
    return tensors, metas


def load_networks(
    modules: dict[str, torch.nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    tensors: dict[str, torch.Tensor],
    meta: dict,
    source: str,
) -> None:
    """Restore :func:`networks_state`'s output (the optimizers' JSON parts under their names
    in ``meta``); a mismatch names the file."""
    for name, module in modules.items():
        load_module(name, module, tensors, source)
    for name, optimizer in optimizers.items():
        load_optimizer(name, optimizer, tensors, meta[name], source)
