"""How well the chorale GAN's phrases join: voice leaps at phrase joins and inside phrases.

    python docs/music/phrase_joins.py [--model chorale[=SNAPSHOT]] [--pieces 20] [--bars 16]

A GAN piece is phrase after phrase (4 bars each). Where each phrase is drawn on its own, each
voice jumps at the joins (bars 4, 8, 12) to wherever the new phrase happens to start; a model
that writes each phrase after the bars before it should leap there no more than at any other
bar line. Prints, for the generated pieces and for 16-bar stretches of the chorales (all four
voices in C major / A minor), the mean leap in semitones of a voice from its last note before a
bar line to its first note after it, at the joins and at the other bar lines.
"""

from __future__ import annotations

import argparse

import numpy as np

from gamegan import generate as gen
from gamegan.data.music import load_scores
from gamegan.music import pianoroll


def bar_line_leaps(score, n_bars: int, phrase_bars: int) -> tuple[list[float], list[float]]:
    """Voice leaps (semitones) across the bar lines 1..n_bars-1: at joins, and elsewhere."""
    joins, inside = [], []
    beats = score.bar_beats
    for part in score.pitched_parts():
        notes = sorted(part.notes)
        for bar in range(1, n_bars):
            line = bar * beats
            before = [n for n in notes if n.onset < line - 1e-9]
            after = [n for n in notes if n.onset >= line - 1e-9]
            if not before or not after:
                continue
            leap = abs(after[0].pitch - before[-1].pitch)
            (joins if bar % phrase_bars == 0 else inside).append(leap)
    return joins, inside


def corpus_stretches(n_bars: int) -> list:
    """16-bar stretches of the chorales' four voices, as the GAN's data sees them."""
    stretches = []
    for score in load_scores("bach", progress=False).scores:
        for roll in pianoroll.phrases(score, n_bars=n_bars, hop_bars=n_bars):
            stretches.append(pianoroll.decode(roll))
    return stretches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", default=None, metavar="NAME[=SNAPSHOT]")
    parser.add_argument("--pieces", type=int, default=20)
    parser.add_argument("--bars", type=int, default=16)
    parser.add_argument("--phrase-bars", type=int, default=4)
    args = parser.parse_args()
    rows = []
    for model in args.model or ["chorale"]:
        name, _, source = model.partition("=")
        seeds = range(args.pieces)
        pieces = [gen.music(source or name, n_bars=args.bars, seed=s)[0] for s in seeds]
        rows.append((name, pieces))
    rows.append(("chorales (corpus)", corpus_stretches(args.bars)))
    print("| pieces | leap at phrase joins | leap at other bar lines |")
    print("| --- | --- | --- |")
    for name, pieces in rows:
        joins, inside = [], []
        for piece in pieces:
            j, i = bar_line_leaps(piece, args.bars, args.phrase_bars)
            joins += j
            inside += i
        print(f"| {name} | {np.mean(joins):.2f} | {np.mean(inside):.2f} |")


if __name__ == "__main__":
    main()
