"""Freeze the Bach chorales' music statistics for `gamegan eval` (one entry per music model).

    python docs/music/freeze_reference.py

Writes src/gamegan/metrics/music_reference.json: the statistics of the bundled chorales as each
music preset sees them (the VAE's soprano lines, the LSTM's merged parts, the GAN's phrases),
so evaluating a Bach-trained run needs no corpus parse. Re-run it when a representation changes.
"""

from gamegan.build import resolve
from gamegan.evaluate import freeze_music_reference
from gamegan.presets import build_config

if __name__ == "__main__":
    for preset in ("note-vae", "note-lstm", "chorale-gan"):
        entry = freeze_music_reference(resolve(build_config(preset)), log=print)
        print(f"  {entry['n_pieces']} pieces, {entry['n_notes']} notes")
