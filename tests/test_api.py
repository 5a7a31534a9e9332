"""gamegan.api: one import for notebooks and scripts, the same functions the CLI calls."""

import numpy as np

from gamegan import api, generate
from gamegan.music.score import Score


def test_texture_and_music_are_the_generate_functions():
    assert api.texture is generate.texture and api.music is generate.music
    assert {"texture", "music", "images"} <= set(api.__all__)
    wall = api.texture("brick", width=40, height=24, seed=3)
    assert wall.shape == (24, 40, 1) and wall.dtype == np.float32
    assert np.array_equal(wall, api.texture("brick", width=40, height=24, seed=3))
    (song,) = api.music("chorale", n_bars=2, seed=3)
    assert isinstance(song, Score)
