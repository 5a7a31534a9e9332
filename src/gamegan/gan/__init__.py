"""Adversarial objectives. Importing this package registers every sibling in ``OBJECTIVES``."""

import importlib
import pkgutil

from gamegan.gan.base import OBJECTIVES, Objective, register

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["OBJECTIVES", "Objective", "register"]
