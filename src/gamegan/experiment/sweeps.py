"""The sweeps: named settings of one knob, each a tuple of ``--set`` overrides."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gamegan.config import OPTIMIZERS
from gamegan.errors import ConfigError
from gamegan.nn.layers import ACTIVATIONS


@dataclass(frozen=True)
class Setting:
    """One point of a sweep: a folder name and the ``--set`` overrides that make it."""

    name: str
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sweep:
    """A named list of settings, all trained from the same preset."""

    name: str
    description: str
    settings: tuple[Setting, ...]


# The optimizers of section 1.5, each at a learning rate that suits it. SGD, SGD+Nesterov,
# AdaGrad, AdaDelta and RMSprop use the Keras 2 defaults (the chapter's framework; for AdaGrad
# and AdaDelta also PyTorch's rates): lr 0.01, 0.01, 0.01, 1.0 (rho 0.95) and 1e-3 (rho 0.9).
# The Adam family (Adam, AdaMax, Nadam, AMSGrad) all use the DCGAN paper's Adam(2e-4, beta1=0.5),
# which is what the chapter's DCGAN and gamegan's presets use: Keras' Adam default (1e-3,
# beta1=0.9) makes DCGAN training oscillate (Radford et al. 2016, arXiv:1511.06434, section 4),
# and one lr and one beta pair for all four leaves only their update rule different.
_ADAM_FAMILY = ("optim.lr=2e-4", "optim.beta1=0.5", "optim.beta2=0.999")
OPTIMIZER_OVERRIDES: dict[str, tuple[str, ...]] = {
    "sgd": ("optim.lr=0.01", "optim.momentum=0.0"),
    "sgd-nesterov": ("optim.lr=0.01", "optim.momentum=0.9"),
    "adagrad": ("optim.lr=0.01",),
    "adadelta": ("optim.lr=1.0", "optim.rho=0.95"),
    "rmsprop": ("optim.lr=1e-3", "optim.rho=0.9", "optim.momentum=0.0"),
    "adam": _ADAM_FAMILY,
    "adamax": _ADAM_FAMILY,
    "nadam": _ADAM_FAMILY,
    "amsgrad": _ADAM_FAMILY,
}
assert set(OPTIMIZER_OVERRIDES) == set(OPTIMIZERS)

SWEEPS: dict[str, Sweep] = {
    "optimizers": Sweep(
        "optimizers",
        "the nine optimizers of the chapter, each at its usual learning rate (both G and D)",
        tuple(
            Setting(name, (f"optim.name={name}", *OPTIMIZER_OVERRIDES[name])) for name in OPTIMIZERS
        ),
    ),
    "critics": Sweep(
        "critics",
        "critic (D) steps per generator step; meant for a WGAN preset",
        tuple(Setting(f"n_critic-{n}", (f"train.n_critic={n}",)) for n in (1, 2, 5, 10)),
    ),
    "bn-momentum": Sweep(
        "bn-momentum",
        "BatchNorm momentum in Keras' convention (running = m * running + (1 - m) * batch)",
        tuple(
            Setting(f"bn_momentum-{m}", (f"model.bn_momentum={m}",)) for m in (0.5, 0.8, 0.9, 0.99)
        ),
    ),
    "activations": Sweep(
        "activations",
        "one activation for both G and D, and the preset's own pair as 'chapter'",
        (
            Setting("chapter", ()),
            *(
                Setting(name, (f"model.g_activation={name}", f"model.d_activation={name}"))
                for name in ACTIVATIONS
            ),
        ),
    ),
}


def get_sweep(name: str) -> Sweep:
    """The built-in sweep ``name``; unknown names list the choices.

    Parameters
    ----------
    name : str
        ``optimizers``, ``critics``, ``bn-momentum`` or ``activations``.

    Returns
    -------
    Sweep
        Its settings.

    Raises
    ------
    ConfigError
        If there is no such sweep.
    """
    try:
        return SWEEPS[name]
    except KeyError:
        raise ConfigError(f"unknown sweep {name!r}; choose one of: {', '.join(SWEEPS)}") from None


def select_settings(sweep: Sweep, only: str | Iterable[str] | None) -> tuple[Setting, ...]:
    if only is None:
        return sweep.settings
    names = only.split(",") if isinstance(only, str) else list(only)
    names = [n.strip() for n in names if n.strip()]
    known = {s.name: s for s in sweep.settings}
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise ConfigError(
            f"--only {','.join(unknown) or '(empty)'}: not a setting of sweep {sweep.name!r}; "
            f"choose from {', '.join(known)}"
        )
    return tuple(s for s in sweep.settings if s.name in names)


def override_keys(overrides: Iterable[str]) -> set[str]:
    """The config keys a list of overrides sets; ``optim.x`` counts as both optimizers'."""
    keys = set()
    for item in overrides:
        key = item.split("=", 1)[0].strip()
        if key.startswith("optim."):
            name = key[len("optim.") :]
            keys |= {f"optim_d.{name}", f"optim_g.{name}"}
        else:
            keys.add(key)
    return keys
