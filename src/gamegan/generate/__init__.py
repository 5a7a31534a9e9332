"""Inference from snapshots: the API that the CLI, the app, evaluation and export share.

One module per thing made: :mod:`~gamegan.generate.snapshots` loads a run folder, snapshot
file or bundled name into a :class:`LoadedGenerator`; :mod:`~gamegan.generate.pictures`,
:mod:`~gamegan.generate.textures` and :mod:`~gamegan.generate.pieces` make images, textures
of any size and music from it.
"""

from gamegan.generate.pictures import decode, encode, images
from gamegan.generate.pieces import (
    MAX_BARS,
    MAX_STEPS,
    MAX_TEMPO,
    MIN_TEMPO,
    music,
    write_music_audio,
    write_music_files,
)
from gamegan.generate.snapshots import (
    PRETRAINED,
    LoadedGenerator,
    load_discriminator,
    load_generator,
    pretrained_path,
    resolve_snapshot,
    run_snapshot,
)
from gamegan.generate.textures import (
    MAX_TEXTURE_SIDE,
    MAX_VARIATIONS,
    MIN_TEXTURE_SIDE,
    NORMAL_CONVENTIONS,
    height_range_of,
    parse_size,
    quantize,
    texture,
    truncate,
    variations,
    write_terrain_files,
    write_texture_files,
)
from gamegan.generate.translations import translate

__all__ = [
    "MAX_BARS",
    "MAX_STEPS",
    "MAX_TEMPO",
    "MAX_TEXTURE_SIDE",
    "MIN_TEMPO",
    "MAX_VARIATIONS",
    "MIN_TEXTURE_SIDE",
    "NORMAL_CONVENTIONS",
    "PRETRAINED",
    "LoadedGenerator",
    "decode",
    "encode",
    "images",
    "load_discriminator",
    "load_generator",
    "music",
    "parse_size",
    "pretrained_path",
    "quantize",
    "resolve_snapshot",
    "run_snapshot",
    "texture",
    "truncate",
    "translate",
    "write_music_audio",
    "write_music_files",
    "variations",
    "height_range_of",
    "write_terrain_files",
    "write_texture_files",
]
