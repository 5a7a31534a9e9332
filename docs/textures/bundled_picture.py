"""Photo corner, a bundled model (and the model it replaced) side by side, at 100%.

    python docs/textures/bundled_picture.py [--seed N] PHOTO NEW_MODEL [OLD_MODEL] OUT.png

PHOTO is a bundled photo name (brick, grass, gravel, ihc, hubble); the models are anything
``gamegan generate`` takes (a run folder, a snapshot file or a bundled name). Each panel is
384 px: the photo's top-left corner, then a texture of each model with seed N (default 1;
the replaced model first).
"""

import sys

import numpy as np

from gamegan import generate
from gamegan.data.textures import bundled_texture_path, read_textures
from gamegan.io.png import write_png

SIDE = 384

if __name__ == "__main__":
    args = sys.argv[1:]
    seed = 1
    if args[:1] == ["--seed"]:
        seed, args = int(args[1]), args[2:]
    name, *models, out = args
    if not 1 <= len(models) <= 2:
        sys.exit(__doc__)

    def make(model: str) -> np.ndarray:
        made = generate.texture(model, width=SIDE, height=SIDE, seed=seed)
        return generate.quantize(made).reshape(SIDE, SIDE, -1)

    made = [make(model) for model in reversed(models)]  # the replaced model first
    channels = made[0].shape[-1]
    photos, _, _ = read_textures(str(bundled_texture_path(name)), channels)
    corner = photos[0].permute(1, 2, 0)[:SIDE, :SIDE].numpy().astype(np.uint8)
    gap = np.full((SIDE, 8, channels), 255, np.uint8)
    panels = [corner]
    for picture in made:
        panels += [gap, picture]
    picture = np.concatenate(panels, axis=1)
    write_png(out, picture[..., 0] if channels == 1 else picture)
    print("wrote", out)
