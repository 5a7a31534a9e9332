"""The music issue's figures for the bundled music models beside the Bach chorales.

    python docs/music/bundled_stats.py [--pieces 100] [--bars 16] [--model NAME[=SNAPSHOT]]...

Generates ``--pieces`` pieces of ``--bars`` bars from each bundled model (seeds 0, 1, ...) and
prints the statistics of :mod:`gamegan.metrics.music_stats` that the targets name: the
tonic-relative pitch-class and note-length overlaps, the share of minor pieces, the
repeated-note ratio, the odd-length rate and the voices per piece.

The corpus is the whole chorales of music21's corpus (a piece is compared with pieces, not
with 4-bar phrases, whose keys are estimated over a shorter span): their four voices in C major
/ A minor for the four-part models, their soprano lines for the VAE, which writes the melody by
the chapter's design. Beside each corpus, its own sampling noise: ``--pieces`` chorales drawn
at random, against the whole corpus (the median and range over ``--subsets`` draws), the
figure a perfect model would score with that many pieces. ``--model chorale=runs/...``
measures a candidate under a bundled model's name before it replaces the bundled snapshot.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

from gamegan import generate as gen
from gamegan.data.music import load_scores
from gamegan.metrics import music_stats as ms
from gamegan.music.events import EventCodec
from gamegan.music.pianoroll import TONICS, VOICES, _pick_parts

ROWS = (
    ("tonic_pitch_class_overlap", "tonic-relative pitch-class overlap (target >= 0.93)", "{:.3f}"),
    ("note_length_overlap", "note-length overlap (target >= 0.92)", "{:.3f}"),
    ("minor_share", "share of minor pieces (target 0.3-0.55)", "{:.2f}"),
    ("repeated_note_ratio", "repeated-note ratio (target 0.10-0.20)", "{:.3f}"),
    ("odd_length_rate", "odd note lengths (target under 1%)", "{:.1%}"),
    ("n_voices", "voices (tracks) per piece", "{:.1f}"),
    ("voice_crossing_rate", "time with voices crossed (not a target)", "{:.1%}"),
)
# The corpus each bundled model is measured against.
CORPUS = {"chorale": "four voices", "chorale-lstm": "four voices", "chorale-vae": "soprano lines"}


def four_voices(score):
    """A chorale's soprano, alto, tenor and bass in C major / A minor, or None."""
    parts = _pick_parts(score.pitched_parts(), 4, VOICES)
    if parts is None:
        return None
    score = replace(score, parts=parts)
    if score.key is None:
        return score
    return score.transposed(score.key.semitones_to(TONICS[score.key.mode]))


def corpora() -> dict[str, list]:
    scores = load_scores("bach", progress=False).scores
    return {
        "four voices": [s for s in map(four_voices, scores) if s is not None],
        "soprano lines": [s for s in (EventCodec.prepare(s) for s in scores) if s is not None],
    }


def figures(pieces, reference: dict) -> dict[str, float]:
    values = {r["metric"]: r["generated"] for r in ms.compare(ms.describe(pieces), reference)}
    crossing = np.array([ms.voice_crossing_rate(piece) for piece in pieces])
    finite = crossing[np.isfinite(crossing)]
    values["voice_crossing_rate"] = float(finite.mean()) if len(finite) else float("nan")
    return values


def cell(fmt: str, value: float) -> str:
    return "-" if not np.isfinite(value) else fmt.format(value)


def baseline(pieces: list, reference: dict, n: int, draws: int) -> dict[str, str]:
    """``n`` corpus pieces drawn at random against the whole corpus: median (range)."""
    rng = np.random.default_rng(0)
    runs = [figures([pieces[i] for i in rng.choice(len(pieces), n, replace=False)], reference)
            for _ in range(draws)]  # fmt: skip
    cells = {}
    for key, _, fmt in ROWS:
        values = np.array([run[key] for run in runs])
        if not np.isfinite(values).all():
            cells[key] = "-"
            continue
        low, mid, high = (fmt.format(v) for v in np.percentile(values, [0, 50, 100]))
        cells[key] = f"{mid} ({low}-{high})"
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pieces", type=int, default=100)
    parser.add_argument("--bars", type=int, default=16)
    parser.add_argument("--subsets", type=int, default=10)
    parser.add_argument("--model", action="append", default=None, metavar="NAME[=SNAPSHOT]")
    args = parser.parse_args()
    chosen = dict(m.partition("=")[::2] for m in args.model or CORPUS)
    corpus = corpora()
    references = {name: ms.describe(pieces) for name, pieces in corpus.items()}
    columns = {}
    for model, source in chosen.items():
        seeds = range(args.pieces)
        pieces = [gen.music(source or model, n_bars=args.bars, seed=s)[0] for s in seeds]
        values = figures(pieces, references[CORPUS[model]])
        columns[model] = {key: cell(fmt, values[key]) for key, _, fmt in ROWS}
    for name in sorted({CORPUS[model] for model in chosen}):
        reference, pieces = references[name], corpus[name]
        columns[f"{args.pieces} chorales ({name})"] = baseline(
            pieces, reference, args.pieces, args.subsets
        )
    print("| figure | " + " | ".join(columns) + " |")
    print("| --- |" + " --- |" * len(columns))
    for key, label, _ in ROWS:
        print(f"| {label} | " + " | ".join(c[key] for c in columns.values()) + " |")


if __name__ == "__main__":
    main()
