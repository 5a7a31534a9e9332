"""Typed, frozen run configuration: defaults live here, presets and flags override them.

A run is described by one :class:`RunConfig`. It is written to ``RUN_DIR/config.json`` and is
enough to re-run or resume. Model and loss parameters stay generic dicts at this layer
(``ModelConfig(name, params)``); ``gamegan.build`` checks them against the registered
model's ``Config`` dataclass or the objective's constructor signature.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field, fields, replace
from typing import Any

from gamegan.errors import ConfigError

OPTIMIZERS = (
    "sgd",
    "sgd-nesterov",
    "adagrad",
    "adadelta",
    "rmsprop",
    "adam",
    "adamax",
    "nadam",
    "amsgrad",
)
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("fp32", "bf16", "auto")
CONDITIONS = ("edges", "gray")  # data.condition: an image-to-image model's input made from B
HOLDOUT_SIDES = ("left", "right", "top", "bottom")  # data.holdout: the side of each photo held out


@dataclass(frozen=True)
class DataConfig:
    """Where training images come from (``--data``) and which part of them to use."""

    source: str = "mnist"  # mnist | cifar100 | brick | grass | gravel | texture:PATH | PATH
    data_dir: str | None = None  # folder holding MNIST/CIFAR files; default $GAMEGAN_DATA or ./data
    classes: tuple = ()  # fine classes by number or name, e.g. ("forest",) or (33,)
    coarse_classes: tuple = ()
    split: str = "train"
    n_crops: int = 4096  # texture sources: how many random crops make an epoch
    max_files: int = 0  # music sources: use only the first N files (0 = all)
    parse_timeout: float = 60.0  # music sources: seconds one file may take to parse
    val_fraction: float = 0.2  # sequence models: share of pieces held out for validation
    # Texture sources: the side of each photo held out for `gamegan eval` ("left", "right",
    # "top", "bottom"; "" = none); training crops come from the other half.
    holdout: str = ""
    flips: bool = True  # texture sources: mirror crops at random (off keeps slant and lighting)
    # Image-to-image models: make each picture's input from it ("edges": a sketch, "gray": its
    # luminance); "" reads pairs from a folder with A/ and B/ subfolders.
    condition: str = ""
    # Two-way image-to-image models (CycleGAN): the second domain, read like --data (a photo,
    # a bundled texture or a folder); --data is the first.
    domain_b: str = ""
    # Texture models: read --data as elevation data (DEM rasters, 16-bit heightmaps, .npy,
    # RAW) at full precision, one channel, each file normalised by its own range (the terrain
    # preset); raw_size is a RAW file's WIDTHxHEIGHT.
    heights: bool = False
    raw_size: str = ""


@dataclass(frozen=True)
class ModelConfig:
    """A registered model name and its parameters (checked against the model's Config)."""

    name: str = "dcgan"
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class LossConfig:
    """A registered objective name and its constructor arguments."""

    name: str = "vanilla"
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class OptimConfig:
    """One optimizer; ``eps=None`` keeps PyTorch's default for that optimizer."""

    name: str = "adam"
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    momentum: float = 0.0  # sgd, sgd-nesterov (0 means 0.9 there) and rmsprop
    rho: float = 0.9  # rmsprop and adadelta decay; Keras' default (PyTorch's rmsprop uses 0.99)
    eps: float | None = None
    weight_decay: float = 0.0


@dataclass(frozen=True)
class TrainConfig:
    """The training loop. An iteration is the chapter's: n_critic D steps, then one G step."""

    iterations: int = 4000
    batch_size: int = 32  # global: split across processes under torchrun
    n_critic: int | None = None  # None: the objective's default (1, or 5 for the WGANs)
    sample_every: int = 50  # iterations between 5x5 sample grids; 0 = never
    log_every: int = 10  # iterations between stats.jsonl lines and progress updates
    checkpoint_every: int = 500  # iterations between snapshot+state saves; 0 = only at the end
    keep_states: int = 3  # newest training states kept on disk (snapshots are all kept)
    seed: int = 0
    ema_decay: float = 0.0  # EMA of G's weights per iteration; 0 = off
    spectrum_weight: float = 0.0  # image GANs: G also matches the crops' mean power spectrum
    # ... at periods of at least this many pixels only (0 = every frequency): arrangement,
    # leaving the fine grain to the discriminator
    spectrum_min_period: float = 0.0
    # texture GANs: G also matches the crops' multi-scale 7x7 patch distribution (sliced
    # Wasserstein distance on a Laplacian pyramid, gamegan.gan.patch_match); 0 = off
    patch_weight: float = 0.0
    # texture GANs: G's neighbour differences also pulled even across the positions of its
    # upsampling grid, folded modulo grid_period px, down to the training crops' own
    # unevenness (gamegan.gan.grid); 0 = off
    grid_weight: float = 0.0
    grid_period: int = 8
    # the objective's penalty (R1, gradient penalty) on every this many D steps only, scaled up
    # as many times (StyleGAN2's lazy regularisation): a quarter less work per step at 16
    penalty_every: int = 1
    device: str = "auto"
    precision: str = "fp32"  # bf16: autocast to bfloat16; auto: bf16 where the hardware has it
    threads: int = 0  # torch CPU threads; 0 = torch's default
    tensorboard: bool = True
    metrics_every: int = 0  # iterations between `gamegan eval` runs during training; 0 = never
    metrics_count: int = 500  # images (or, for music, pieces / 10) per evaluation in training
    # iterations between validation scores (sequence models: loss on held-back pieces;
    # texture models: SWD against training crops); the best snapshot is kept; 0 = never
    val_every: int = 0
    plateau_patience: int = 0  # halve the learning rate after this many validations without
    # improvement (the chapter's ReduceLROnPlateau); 0 = never


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a run."""

    preset: str = ""
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim_d: OptimConfig = field(default_factory=OptimConfig)
    optim_g: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


# serialization


def to_dict(cfg: Any) -> dict:
    """Plain JSON-able dict of a config dataclass (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(cfg)))


def from_dict(cls: type, data: dict, *, where: str = "") -> Any:
    """Rebuild a config dataclass from :func:`to_dict` output, rejecting unknown keys."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where or cls.__name__}: expected an object, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"{where or cls.__name__}: unknown key(s) {', '.join(unknown)}")
    kwargs = {}
    for name, value in data.items():
        key = f"{where}.{name}" if where else name
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            kwargs[name] = from_dict(hint, value, where=key)
        else:
            kwargs[name] = coerce(value, hint, key)
    return cls(**kwargs)


def coerce(value: Any, hint: Any, key: str) -> Any:
    """Check ``value`` against a field's type hint; ints are accepted for floats."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        errors = []
        for option in typing.get_args(hint):
            try:
                return coerce(value, option, key)
            except ConfigError as err:
                errors.append(str(err))
        raise ConfigError(f"{key}: {value!r} does not fit {_type_name(hint)}")
    if hint is type(None):
        if value is None:
            return None
        raise ConfigError(f"{key}: expected None, got {value!r}")
    if hint is Any:
        return value
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{key}: expected true/false, got {value!r}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ConfigError(f"{key}: expected an integer, got {value!r}")
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"{key}: expected a number, got {value!r}")
    if hint is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{key}: expected a string, got {value!r}")
    if hint is tuple or origin is tuple:
        if isinstance(value, (list, tuple)):
            return tuple(value)
        raise ConfigError(f"{key}: expected a list, got {value!r}")
    if hint is dict or origin is dict:
        if isinstance(value, dict):
            return dict(value)
        raise ConfigError(f"{key}: expected an object, got {value!r}")
    return value


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


# overrides: --set section.key=value


def parse_value(text: str) -> Any:
    """Parse a ``--set`` value: Python/JSON literals, else the bare string."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        return text.strip()


def apply_overrides(cfg: RunConfig, overrides: list[str] | tuple[str, ...]) -> RunConfig:
    """Apply ``section.key=value`` strings, e.g. ``optim.lr=1e-4`` or ``model.z_dim=64``.

    ``optim.*`` sets both optimizers; ``model.*`` and ``loss.*`` keys other than ``name`` go
    into the generic ``params`` dict and are checked against the model or objective later.
    """
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. optim.lr=1e-4")
        key, text = item.split("=", 1)
        key = key.strip()
        value = parse_value(text)
        cfg = set_value(cfg, key, value)
    return cfg


def set_value(cfg: RunConfig, key: str, value: Any) -> RunConfig:
    """Return ``cfg`` with the dotted ``key`` set to ``value`` (type-checked)."""
    parts = key.split(".")
    if len(parts) != 2 or not all(parts):
        raise ConfigError(
            f"--set {key}: expected SECTION.KEY with SECTION one of "
            "data, model, loss, optim, optim_d, optim_g, train"
        )
    section, name = parts
    if section in ("model", "loss"):
        sub = getattr(cfg, section)
        if name == "name":
            return replace(cfg, **{section: replace(sub, name=coerce(value, str, key))})
        if isinstance(value, list):
            value = tuple(value)
        return replace(cfg, **{section: replace(sub, params={**sub.params, name: value})})
    if section == "optim":
        cfg = set_value(cfg, f"optim_d.{name}", value)
        return set_value(cfg, f"optim_g.{name}", value)
    if section not in ("data", "optim_d", "optim_g", "train"):
        raise ConfigError(
            f"--set {key}: unknown section {section!r}; choose one of "
            "data, model, loss, optim, optim_d, optim_g, train"
        )
    sub = getattr(cfg, section)
    hints = typing.get_type_hints(type(sub))
    if name not in hints:
        choices = ", ".join(f.name for f in fields(sub))
        raise ConfigError(f"--set {key}: unknown key {name!r}; {section} has: {choices}")
    return replace(cfg, **{section: replace(sub, **{name: coerce(value, hints[name], key)})})


# validation


def validate(cfg: RunConfig) -> RunConfig:
    """Generic range checks, worded for the user; model/loss params are checked at build."""
    t = cfg.train
    _check(t.iterations >= 0, "--iterations must be 0 or more")
    _check(t.batch_size >= 1, "--batch-size must be at least 1")
    _check(t.n_critic is None or t.n_critic >= 1, "train.n_critic must be at least 1")
    _check(t.sample_every >= 0, "--sample-every must be 0 (never) or more")
    _check(t.log_every >= 1, "train.log_every must be at least 1")
    _check(t.checkpoint_every >= 0, "--checkpoint-every must be 0 (only at the end) or more")
    _check(t.keep_states >= 1, "train.keep_states must be at least 1")
    _check(0.0 <= t.ema_decay < 1.0, "train.ema_decay must be in [0, 1)")
    _check(t.spectrum_weight >= 0.0, "train.spectrum_weight must be >= 0")
    _check(t.patch_weight >= 0.0, "train.patch_weight must be >= 0")
    _check(t.grid_weight >= 0.0, "train.grid_weight must be >= 0")
    _check(
        isinstance(t.grid_period, int) and t.grid_period >= 2,
        "train.grid_period must be a whole number of at least 2 pixels",
    )
    _check(
        t.spectrum_min_period == 0 or t.spectrum_min_period >= 2,
        "train.spectrum_min_period must be 0 (every frequency) or at least 2 pixels",
    )
    _check(
        isinstance(t.penalty_every, int) and t.penalty_every >= 1,
        "train.penalty_every must be a whole number of at least 1 (1: every D step)",
    )
    _check(t.threads >= 0, "train.threads must be 0 (torch default) or more")
    _check(
        t.device in DEVICES or t.device.startswith("cuda:"),
        f"--device must be one of {', '.join(DEVICES)} (or cuda:N), got {t.device!r}",
    )
    _check(
        t.precision in PRECISIONS,
        f"train.precision must be one of {', '.join(PRECISIONS)}, got {t.precision!r}",
    )
    for label, opt in (("optim_d", cfg.optim_d), ("optim_g", cfg.optim_g)):
        _check(
            opt.name in OPTIMIZERS,
            f"{label}.name: unknown optimizer {opt.name!r}; choose one of {', '.join(OPTIMIZERS)}",
        )
        _check(opt.lr > 0, f"{label}.lr must be positive, got {opt.lr}")
        _check(0.0 <= opt.beta1 < 1.0, f"{label}.beta1 must be in [0, 1)")
        _check(0.0 <= opt.beta2 < 1.0, f"{label}.beta2 must be in [0, 1)")
        _check(0.0 <= opt.momentum < 1.0, f"{label}.momentum must be in [0, 1)")
        _check(0.0 <= opt.rho < 1.0, f"{label}.rho must be in [0, 1)")
        _check(opt.eps is None or opt.eps > 0, f"{label}.eps must be positive")
        _check(opt.weight_decay >= 0, f"{label}.weight_decay must be 0 or more")
    _check(bool(cfg.data.source), "--data is required for this preset (a folder or image)")
    _check(cfg.data.n_crops >= 1, "data.n_crops must be at least 1")
    _check(cfg.data.max_files >= 0, "data.max_files must be 0 (all) or more")
    _check(cfg.data.parse_timeout > 0, "data.parse_timeout must be positive")
    _check(0.0 <= cfg.data.val_fraction < 1.0, "data.val_fraction must be in [0, 1)")
    holdout = cfg.data.holdout
    _check(
        holdout in ("", *HOLDOUT_SIDES),
        f"--holdout must be one of {', '.join(HOLDOUT_SIDES)} (the side of each photo kept "
        f"out of training), got {holdout!r}",
    )
    _check(
        not holdout or cfg.data.source.strip().lower() not in ("mnist", "cifar100", "cifar-100"),
        f"--holdout splits texture photos; --data {cfg.data.source} is a data set of separate "
        "images (use a photo: brick, grass, gravel, texture:PATH)",
    )
    _check(
        cfg.data.condition in ("", *CONDITIONS),
        f"data.condition must be one of {', '.join(CONDITIONS)} (or empty: pairs from A/ and "
        f"B/ folders), got {cfg.data.condition!r}",
    )
    _check(t.val_every >= 0, "train.val_every must be 0 (never) or more")
    _check(t.metrics_every >= 0, "--metrics-every must be 0 (never) or more")
    _check(t.metrics_count >= 20, "train.metrics_count must be at least 20")
    _check(t.plateau_patience >= 0, "train.plateau_patience must be 0 (never) or more")
    return cfg


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)
