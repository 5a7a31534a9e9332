"""How well :func:`gamegan.music.voices.split_voices` finds the voices of real four-part music.

    python docs/music/voice_roundtrip.py [--pieces N]

Merges the soprano, alto, tenor and bass of each Bach chorale (music21's corpus, in C major /
A minor) into one part, as the chord LSTM writes them, splits them again and counts the notes
that come back in their own voice, and the share of time the split voices cross
(:func:`gamegan.metrics.music_stats.voice_crossing_rate`) beside the chorales' own.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np
from bundled_stats import corpora

from gamegan.metrics.music_stats import voice_crossing_rate
from gamegan.music.score import Part
from gamegan.music.voices import split_voices


def merged(score):
    notes = tuple(sorted((n for p in score.parts for n in p.notes), key=lambda n: n.onset))
    return replace(score, parts=(Part(notes=notes, name="piano"),))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pieces", type=int, default=0, help="first N chorales (0: all)")
    args = parser.parse_args()
    chorales = corpora()["four voices"]
    chorales = chorales[: args.pieces] if args.pieces else chorales
    own, crossing, real_crossing = [], [], []
    for score in chorales:
        voice_of = {(n.onset, n.pitch): i for i, p in enumerate(score.parts) for n in p.notes}
        split = split_voices(merged(score))
        hits = [voice_of.get((n.onset, n.pitch)) == i
                for i, p in enumerate(split.parts) for n in p.notes]  # fmt: skip
        own.append(np.mean(hits))
        crossing.append(voice_crossing_rate(split))
        real_crossing.append(voice_crossing_rate(score))
    print(f"{len(chorales)} chorales: {np.mean(own):.1%} of notes back in their own voice "
          f"(worst chorale {np.min(own):.1%}); voices crossed {np.nanmean(crossing):.1%} of the "
          f"time, the chorales themselves {np.nanmean(real_crossing):.1%}")  # fmt: skip


if __name__ == "__main__":
    main()
