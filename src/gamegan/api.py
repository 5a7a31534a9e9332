"""The Python API in one import, for notebooks and scripts.

>>> from gamegan.api import train, resume, images, texture, music  # doctest: +SKIP
>>> run = train("dcgan-mnist", data_dir="~/mnist", iterations=500)  # doctest: +SKIP
>>> resume(run.run_dir, iterations=1000)  # doctest: +SKIP
>>> pictures = images(run.run_dir, n=16, seed=0)  # uint8 [16, 28, 28, 1]  # doctest: +SKIP
>>> wall = texture("brick", width=1024, height=512)  # float32 [512, 1024, 1]  # doctest: +SKIP
>>> (song,) = music("chorale", n_bars=16, seed=3)  # a gamegan.music.Score  # doctest: +SKIP
>>> wall = translate("runs/00008-pix2pix-sketch", "sketch.png")  # uint8  # doctest: +SKIP
>>> write_midi(song, "song.mid")  # from gamegan.io.midi  # doctest: +SKIP

``images``, ``texture``, ``music`` and ``translate`` are :mod:`gamegan.generate`'s own
functions (the ones the CLI and the web app call), so they take a run folder, a snapshot
file, a bundled model name or a :class:`~gamegan.generate.LoadedGenerator` (load once with
``load_generator`` to generate many times).
"""

from gamegan.generate import (
    decode,
    encode,
    images,
    load_generator,
    music,
    texture,
    translate,
    variations,
)
from gamegan.presets import PRESETS, build_config
from gamegan.train.run import TrainResult, resume, train

__all__ = [
    "PRESETS",
    "TrainResult",
    "build_config",
    "decode",
    "encode",
    "images",
    "load_generator",
    "music",
    "resume",
    "texture",
    "variations",
    "train",
    "translate",
]
