"""The chapter's optimizers (section 1.5), by name, from one :class:`OptimConfig`."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from gamegan.config import OptimConfig


def build_optimizer(
    cfg: OptimConfig, params: Iterable[torch.nn.Parameter]
) -> torch.optim.Optimizer:
    """Make the optimizer ``cfg.name`` names; ``eps=None`` keeps PyTorch's default."""
    extra = {} if cfg.eps is None else {"eps": cfg.eps}
    betas = (cfg.beta1, cfg.beta2)
    wd = cfg.weight_decay
    name = cfg.name
    if name in ("sgd", "sgd-nesterov"):
        nesterov = name == "sgd-nesterov"
        # Nesterov needs momentum; 0.9 is the usual value when none is given.
        momentum = cfg.momentum or (0.9 if nesterov else 0.0)
        return torch.optim.SGD(
            params, lr=cfg.lr, momentum=momentum, nesterov=nesterov, weight_decay=wd
        )
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=cfg.lr, weight_decay=wd, **extra)
    if name == "adadelta":
        return torch.optim.Adadelta(params, lr=cfg.lr, rho=cfg.rho, weight_decay=wd, **extra)
    if name == "rmsprop":
        return torch.optim.RMSprop(
            params, lr=cfg.lr, alpha=cfg.rho, momentum=cfg.momentum, weight_decay=wd, **extra
        )
    if name in ("adam", "amsgrad"):
        return torch.optim.Adam(
            params, lr=cfg.lr, betas=betas, amsgrad=name == "amsgrad", weight_decay=wd, **extra
        )
    if name == "adamax":
        return torch.optim.Adamax(params, lr=cfg.lr, betas=betas, weight_decay=wd, **extra)
    if name == "nadam":
        return torch.optim.NAdam(params, lr=cfg.lr, betas=betas, weight_decay=wd, **extra)
    raise ValueError(f"unknown optimizer {name!r}")  # config.validate rejects it first
