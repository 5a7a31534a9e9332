"""Image, texture and music models. Importing this package registers every sibling in ``MODELS``."""

import importlib
import pkgutil

from gamegan.models.base import MODELS, GANSpec, SequenceSpec

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["MODELS", "GANSpec", "SequenceSpec"]
