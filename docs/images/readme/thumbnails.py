"""Make the README's small pictures from the main job's outputs in out/.

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
            thumb = Image.fromarray(image).resize((SIDE, SIDE), Image.Resampling.LANCZOS)
            write_png(here / f"{name}{suffix}.png", np.asarray(thumb))
            print("wrote", here / f"{name}{suffix}.png")
