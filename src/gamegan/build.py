"""Config -> parts: the only place that turns registry names into objects."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from dataclasses import dataclass, replace
from typing import Any

from gamegan.config import RunConfig, coerce, to_dict
from gamegan.errors import ConfigError


@dataclass(frozen=True)
class Resolved:
    """A run config with its model and objective looked up and their params checked."""

    cfg: RunConfig  # with full model/loss params and n_critic filled in
    spec: Any  # gamegan.models.base.GANSpec
    model_cfg: Any  # the model's own frozen Config
    objective: Any  # a gamegan.gan.base.Objective instance; None for a sequence model


def build_dataclass(cls: type, params: dict, section: str) -> Any:
    """Check ``params`` against a dataclass's fields and types, naming a bad key."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in params.items():
        if key not in hints:
            raise ConfigError(
                f"--set {section}.{key}: unknown key; {section} has: {', '.join(names)}"
            )
        kwargs[key] = coerce(value, hints[key], f"--set {section}.{key}")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{section}: {err}") from None


def build_objective(cls: type, params: dict) -> Any:
    """The objective's ``__init__`` signature is its config schema."""
    signature = inspect.signature(cls.__init__)
    hints = typing.get_type_hints(cls.__init__)
    accepted = [n for n in signature.parameters if n != "self"]
    kwargs = {}
    for key, value in params.items():
        if key not in accepted:
            choices = ", ".join(accepted) or "no parameters"
            raise ConfigError(f"--set loss.{key}: unknown key; this loss takes: {choices}")
        kwargs[key] = coerce(value, hints.get(key, Any), f"--set loss.{key}")
    full = {
        n: p.default
        for n, p in signature.parameters.items()
        if n != "self" and p.default is not inspect.Parameter.empty
    }
    full.update(kwargs)
    try:
        return cls(**kwargs), full
    except (TypeError, ValueError) as err:
        raise ConfigError(f"loss: {err}") from None


SEQUENCE_LOSS = "likelihood"  # loss.name of the sequence models: cross-entropy (+ KL for a VAE)


def resolve(cfg: RunConfig) -> Resolved:
    """Look up model and objective by name and fill in every default, or raise ConfigError."""
    from gamegan.gan import OBJECTIVES
    from gamegan.models import MODELS

    spec = MODELS.get(cfg.model.name)
    model_cfg = build_dataclass(spec.config, cfg.model.params, "model")
    if spec.family.sequential:
        # A next-event model is trained by its own likelihood: no adversarial objective.
        if cfg.loss.name != SEQUENCE_LOSS or cfg.loss.params:
            raise ConfigError(
                f"model {cfg.model.name} trains with its own {SEQUENCE_LOSS} loss; "
                "drop --set loss.* (tune it with model.* keys instead)"
            )
        full = replace(
            cfg,
            model=replace(cfg.model, params=to_dict(model_cfg)),
            train=replace(cfg.train, n_critic=1),
        )
        return Resolved(full, spec, model_cfg, None)
    if cfg.loss.name == SEQUENCE_LOSS:
        raise ConfigError(
            f"loss {SEQUENCE_LOSS} is for the music sequence models; "
            f"model {cfg.model.name} is a GAN: pick a GAN loss with --set loss.name=..."
        )
    objective, loss_params = build_objective(OBJECTIVES.get(cfg.loss.name), cfg.loss.params)
    n_critic = cfg.train.n_critic or type(objective).n_critic
    full = replace(
        cfg,
        model=replace(cfg.model, params=to_dict(model_cfg)),
        loss=replace(cfg.loss, params=loss_params),
        train=replace(cfg.train, n_critic=n_critic),
    )
    return Resolved(full, spec, model_cfg, objective)
