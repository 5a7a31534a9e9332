"""Issue 13's figures for the bundled music models beside the Bach chorales.

    python docs/music/bundled_stats.py [--pieces 20] [--bars 16] [--model NAME[=SNAPSHOT]]...

Generates ``--pieces`` pieces of ``--bars`` bars from each bundled model (seeds 0, 1, ...) and
prints the statistics of :mod:`gamegan.metrics.music_stats` that the issue's targets name,
beside the frozen statistics of the chorales: the tonic-relative pitch-class and note-length
overlaps, the share of minor pieces, the repeated-note ratio, the odd-length rate and the
voices per piece. The four-part models are compared with all four voices of the chorales (in C
major / A minor), the VAE, which writes the soprano line by the chapter's design, with the
soprano lines. ``--model chorale=runs/00001-chorale-gan`` measures a candidate under a
bundled model's name (its corpus column) before it replaces the bundled snapshot.
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


# The corpus each bundled model is measured against: all four voices, or the soprano lines.
REFERENCES = {
    "chorale": ("bach:pianoroll_gan", "four voices"),
    "chorale-lstm": ("bach:pianoroll_gan", "four voices"),
    "chorale-vae": ("bach:lstm_vae", "soprano lines"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pieces", type=int, default=20)
    parser.add_argument("--bars", type=int, default=16)
    parser.add_argument("--model", action="append", default=None, metavar="NAME[=SNAPSHOT]")
    args = parser.parse_args()
    chosen = dict(m.partition("=")[::2] for m in args.model or REFERENCES)
    columns, corpora = {}, {}
    for model, source in chosen.items():
        reference_name, corpus_name = REFERENCES[model]
        corpus = ms.read_reference(reference_name)
        source = source or model
        pieces = [gen.music(source, n_bars=args.bars, seed=s)[0] for s in range(args.pieces)]
        generated = ms.compare(ms.describe(pieces), corpus)
        columns[model] = {r["metric"]: r["generated"] for r in generated}
        corpora[corpus_name] = {r["metric"]: r["reference"] for r in ms.compare(corpus, corpus)}
    names = list(columns) + [f"corpus ({name})" for name in corpora]
    print("| figure | " + " | ".join(names) + " |")
    print("| --- |" + " --- |" * len(names))
    for key, label, fmt in ROWS:
        values = [fmt.format(c[key]) for c in [*columns.values(), *corpora.values()]]
        print(f"| {label} | " + " | ".join(values) + " |")


if __name__ == "__main__":
    main()
