"""Photo corner, a replaced bundled model and its new one side by side, at 100%.

    python docs/textures/bundled_picture.py PHOTO NEW_MODEL OLD_MODEL OUT.png

PHOTO is a bundled photo name (brick, grass, gravel); the models are anything ``gamegan
generate`` takes (a run folder, a snapshot file or a bundled name). Each panel is 384 px:
the photo's top-left corner, then a texture of each model with seed 1.
"""

import sys

import numpy as np

from gamegan import generate
from gamegan.data.textures import bundled_texture_path, read_textures
from gamegan.io.png import write_png

SIDE = 384

if __name__ == "__main__":
    name, new, old, out = sys.argv[1:5]
    photos, _, _ = read_textures(str(bundled_texture_path(name)), 1)
    corner = photos[0].reshape(photos[0].shape[-2:])[:SIDE, :SIDE].numpy().astype(np.uint8)

    def make(model: str) -> np.ndarray:
        made = generate.texture(model, width=SIDE, height=SIDE, seed=1)
        return generate.quantize(made).reshape(SIDE, SIDE)

    gap = np.full((SIDE, 8), 255, np.uint8)
    write_png(out, np.concatenate([corner, gap, make(old), gap, make(new)], axis=1))
    print("wrote", out)
