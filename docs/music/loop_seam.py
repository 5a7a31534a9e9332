"""How seamless generated loops are: the audio at the seam, and the harmony across it.

    python docs/music/loop_seam.py [--model chorale] [--bars 8] [--seeds 0 1 2 3 4]
        [--closure-seeds 20]

Audio: for each seed this makes the loop that ``gamegan generate MODEL --bars N --loop``
makes, renders it as gamegan does (release tail folded into the start) and once cut plainly at
the loop point, and prints :func:`gamegan.io.audio.loop_seam_jump` of both and of the OGG
file: the step from the last sample to the first over the 99th percentile of the steps inside
(about 1 or less: no click).

Harmony: over ``--closure-seeds`` seeds, how the last chord leads into the first
(:func:`gamegan.music.loops.loop_closure`: authentic V/vii -> I, tonic I -> I, or open) and
the voices' mean leap across the seam, for the plain pieces and for the ``--loop`` ones.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from dataclasses import replace
from pathlib import Path

import soundfile

from gamegan import generate as gen
from gamegan.io import audio
from gamegan.music.loops import loop_closure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="chorale")
    parser.add_argument("--bars", type=int, default=8)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--closure-seeds", type=int, default=20)
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

    print(f"\n| {args.model}, {args.closure_seeds} seeds | authentic | tonic | open | mean leap |")
    print("| --- | --- | --- | --- | --- |")
    for label, loop in (("plain", False), ("--loop", True)):
        closures = [
            loop_closure(gen.music(args.model, n_bars=args.bars, seed=s, loop=loop)[0])
            for s in range(args.closure_seeds)
        ]
        counts = Counter(c.cadence for c in closures)
        leap = sum(c.mean_leap for c in closures) / len(closures)
        print(
            f"| {label} | {counts['authentic']} | {counts['tonic']} | {counts['open']} | "
            f"{leap:.1f} semitones |"
        )


if __name__ == "__main__":
    main()
