"""Issue 13's figures for the bundled music models beside the Bach chorales.

    python docs/music/bundled_stats.py [--pieces 20] [--bars 16]

Generates ``--pieces`` pieces of ``--bars`` bars from each bundled model (seeds 0, 1, ...) and
prints the statistics of :mod:`gamegan.metrics.music_stats` that the issue's targets name,
beside the frozen statistics of the chorales as the four-part GAN sees them (all four voices,
in C major / A minor): the tonic-relative pitch-class and note-length overlaps, the share of
minor pieces, the repeated-note ratio, the odd-length rate and the voices per piece.
"""

from __future__ import annotations

import argparse

from gamegan import generate as gen
from gamegan.metrics import music_stats as ms

ROWS = (
    ("tonic_pitch_class_overlap", "tonic-relative pitch-class overlap (target >= 0.93)", "{:.3f}"),
    ("note_length_overlap", "note-length overlap (target >= 0.92)", "{:.3f}"),
    ("minor_share", "share of minor pieces (target 0.3-0.55)", "{:.2f}"),
    ("repeated_note_ratio", "repeated-note ratio (target 0.10-0.20)", "{:.3f}"),
    ("odd_length_rate", "odd note lengths (target under 1%)", "{:.1%}"),
    ("n_voices", "voices (tracks) per piece", "{:.1f}"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pieces", type=int, default=20)
    parser.add_argument("--bars", type=int, default=16)
    args = parser.parse_args()
    corpus = ms.read_reference("bach:pianoroll_gan")
    columns = {}
    for model in ("chorale", "chorale-lstm", "chorale-vae"):
        pieces = [gen.music(model, n_bars=args.bars, seed=s)[0] for s in range(args.pieces)]
        columns[model] = {
            r["metric"]: r["generated"] for r in ms.compare(ms.describe(pieces), corpus)
        }
    reference = {r["metric"]: r["reference"] for r in ms.compare(corpus, corpus)}
    print("| figure | " + " | ".join(columns) + " | corpus |")
    print("| --- |" + " --- |" * (len(columns) + 1))
    for key, label, fmt in ROWS:
        values = [fmt.format(c[key]) for c in columns.values()]
        print(f"| {label} | " + " | ".join(values) + f" | {fmt.format(reference[key])} |")


if __name__ == "__main__":
    main()
