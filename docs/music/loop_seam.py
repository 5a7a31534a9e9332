"""How audible the seam of a generated loop is, folded against plainly cut.

    python docs/music/loop_seam.py [--model chorale] [--bars 8] [--seeds 0 1 2]

For each seed this makes the loop that ``gamegan generate MODEL --bars N --loop`` makes, renders
it once as gamegan does (release tail folded into the start) and once cut plainly at the loop
point, and prints :func:`gamegan.io.audio.loop_seam_jump` of both and of the OGG file: the step
from the last sample to the first over the 99th percentile of the steps inside (about 1 or
less: no click).
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import replace
from pathlib import Path

import soundfile

from gamegan import generate as gen
from gamegan.io import audio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="chorale")
    parser.add_argument("--bars", type=int, default=8)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    rate = 44100
    print("| seed | backend | cut plainly | folded (WAV) | folded (OGG) |")
    print("| --- | --- | --- | --- | --- |")
    for seed in args.seeds:
        (loop,) = gen.music(args.model, n_bars=args.bars, seed=seed, loop=True)
        frames = audio.synthesize(loop, sample_rate=rate)
        plain = audio.synthesize(replace(loop, loop_end=0.0), sample_rate=rate)[: len(frames)]
        with tempfile.TemporaryDirectory() as tmp:
            ogg = audio.write_audio(frames, Path(tmp) / "loop.ogg", rate)
            decoded, _ = soundfile.read(str(ogg), dtype="int16")
        print(
            f"| {seed} | {audio.available_backends()[0]} | {audio.loop_seam_jump(plain):.2f} | "
            f"{audio.loop_seam_jump(frames):.2f} | {audio.loop_seam_jump(decoded):.2f} |"
        )


if __name__ == "__main__":
    main()
