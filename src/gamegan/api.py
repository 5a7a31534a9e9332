"""The Python API in one import, for notebooks and scripts.

>>> from gamegan.api import train, resume, images  # doctest: +SKIP
>>> run = train("dcgan-mnist", data_dir="~/mnist", iterations=500)  # doctest: +SKIP
>>> resume(run.run_dir, iterations=1000)  # doctest: +SKIP
>>> pictures = images(run.run_dir, n=16, seed=0)  # uint8 [16, 28, 28, 1]  # doctest: +SKIP
"""

from gamegan.generate import images, load_generator
from gamegan.presets import PRESETS, build_config
from gamegan.train.run import TrainResult, resume, train

__all__ = ["PRESETS", "TrainResult", "build_config", "images", "load_generator", "resume", "train"]
