"""Every rank's random streams inside a training state, so a resume continues them exactly.

A state stores each stream as ``rng.rank{R}.{name}``; under torchrun every rank's streams are
gathered to rank 0, which writes the file, and each rank takes its own back on resume.
"""

from __future__ import annotations

import torch

from gamegan.runtime import Distributed

PREFIX = "rng.rank{rank}."


def global_states(device: torch.device) -> dict[str, torch.Tensor]:
    """torch's global CPU stream, and the CUDA one when training on a GPU."""
    states = {"global_cpu": torch.get_rng_state()}
    if device.type == "cuda":
        states["global_cuda"] = torch.cuda.get_rng_state(device).cpu()
    return states


def gather(states: dict[str, torch.Tensor], dist_info: Distributed) -> dict[str, torch.Tensor]:
    """All ranks' ``states`` as state tensors. Collective under torchrun: call on every rank."""
    per_rank = [{k: v.cpu() for k, v in states.items()}]
    if dist_info.enabled:
        import torch.distributed as dist

        gathered: list = [None] * dist_info.world_size
        dist.all_gather_object(gathered, per_rank[0])
        per_rank = gathered
    return {
        PREFIX.format(rank=rank) + name: value
        for rank, rank_states in enumerate(per_rank)
        for name, value in rank_states.items()
    }


def own(tensors: dict[str, torch.Tensor], dist_info: Distributed) -> dict[str, torch.Tensor]:
    """This rank's streams from a state (empty when the state has none for this rank)."""
    prefix = PREFIX.format(rank=dist_info.rank)
    return {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}


def restore_global(states: dict[str, torch.Tensor], device: torch.device) -> None:
    """Put back what :func:`global_states` took."""
    if "global_cpu" in states:
        torch.set_rng_state(states["global_cpu"])
    if device.type == "cuda" and "global_cuda" in states:
        torch.cuda.set_rng_state(states["global_cuda"], device)
