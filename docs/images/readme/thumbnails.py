"""Make the README's small pictures from the main job's outputs in out/.

Textures, heightmaps and normal maps: a 256 px corner at full resolution; tiled previews: the
512 px around the point where the four copies meet, at full resolution.

python docs/images/readme/thumbnails.py out/   # after the README's main-job command
"""

import sys
from pathlib import Path

import numpy as np
from PIL import Image

from gamegan.io.png import read_png, write_png

SIDE = 256

if __name__ == "__main__":
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "out")
    here = Path(__file__).parent
    for name in ("brick", "grass"):
        for suffix in ("", "-tiled", "-height", "-normal"):
            image = read_png(source / f"{name}{suffix}.png")
            if image.dtype == np.uint16:  # 16-bit heightmap: show its top byte
                image = (image >> 8).astype(np.uint8)
            if suffix == "-tiled":  # the 2x2 preview around the point where the seams cross
                h, w = image.shape[:2]
                image = image[h // 2 - SIDE : h // 2 + SIDE, w // 2 - SIDE : w // 2 + SIDE]
                thumb = Image.fromarray(image)
            else:  # a corner at full resolution
                thumb = Image.fromarray(image[:SIDE, :SIDE])
            write_png(here / f"{name}{suffix}.png", np.asarray(thumb))
            print("wrote", here / f"{name}{suffix}.png")
