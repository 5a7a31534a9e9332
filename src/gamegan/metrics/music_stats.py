"""Objective statistics of scores, for judging generated music against a corpus.

The statistics are those of MuseGAN (Dong et al. 2018, arXiv:1709.06298, section 5: empty
bars EB, used pitch classes UPC, qualified notes QN, tonal distance TD) and muspy (Dong et
al. 2020, arXiv:2008.01951: pitch range, polyphony, scale consistency, histograms), plus a
repeated-note ratio that flags a model collapsed onto one note. None of them says whether
music is good; each says whether generated pieces look like the corpus in one respect, so a
statistic is read next to the same statistic of the corpus (:func:`describe`,
:func:`compare`, and the frozen corpus values of
:func:`gamegan.metrics.music_reference.read_reference`).

Conventions shared by every function here:

- Only pitched parts count (:meth:`Score.pitched_parts`: not drums, at least one note);
  :func:`empty_bar_rate` alone also counts a non-drum part without notes, as an empty track.
- Times are in quarter notes. Bars are cut every ``score.bar_beats`` from time 0 (a pickup
  is not special) up to ``score.n_bars``, so silence after the last note is invisible.
- A note *sounds* in a bar when its span ``[onset, onset + duration)`` overlaps the bar; a
  note held over a bar line sounds in both bars. A note of zero duration sounds at its onset.
- A statistic that has nothing to measure (an empty score, one part for tonal distance) is
  ``nan``, never an exception or a runtime warning; aggregates skip such ``nan`` values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations
from typing import Any

import numpy as np

from gamegan.metrics import METRICS
from gamegan.music.score import Note, Part, Score

__all__ = [
    "HISTOGRAMS",
    "MAJOR_SCALE",
    "NOTE_LENGTH_BINS",
    "NOTE_LENGTH_EDGES",
    "SCALARS",
    "compare",
    "describe",
    "empty_bar_rate",
    "histogram_overlap",
    "in_scale_rate",
    "minor_share",
    "music_stats",
    "n_voices",
    "note_length_histogram",
    "odd_length_rate",
    "part_empty_bar_rates",
    "pitch_class_histogram",
    "pitch_range",
    "polyphony",
    "qualified_note_rate",
    "repeated_note_ratio",
    "tonal_distance",
    "used_pitch_classes_per_bar",
    "voice_crossing_rate",
]


# Scalar statistics in the order tables show them; each is a function of this module.
SCALARS = (
    "pitch_range",
    "used_pitch_classes_per_bar",
    "empty_bar_rate",
    "qualified_note_rate",
    "polyphony",
    "in_scale_rate",
    "repeated_note_ratio",
    "tonal_distance",
    "minor_share",
    "odd_length_rate",
    "n_voices",
)
# Histogram statistics and the name of the row that compares two of them.
HISTOGRAMS = {
    "pitch_class_histogram": "pitch_class_overlap",
    "tonic_pitch_class_histogram": "tonic_pitch_class_overlap",
    "note_length_histogram": "note_length_overlap",
}

MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)  # pitch classes of C major; natural minors share them

# Note lengths in quarter notes: a 32nd note or shorter, 16th, 8th, dotted 8th, quarter,
# dotted quarter, half, dotted half, whole or longer. A duration goes to the bin whose length
# is nearest on a log scale, so the edges are geometric means of neighbours (a triplet 8th,
# 1/3, falls in "1/4"; a triplet quarter, 2/3, in "3/4").
NOTE_LENGTH_BINS = ("<=1/8", "1/4", "1/2", "3/4", "1", "3/2", "2", "3", ">=4")
_NOTE_LENGTHS = np.array([0.125, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0])
NOTE_LENGTH_EDGES = tuple(np.sqrt(_NOTE_LENGTHS[:-1] * _NOTE_LENGTHS[1:]).tolist())
ODD_LENGTH_TOLERANCE = 1e-3  # quarter notes: a MIDI tick at 480 per quarter is 2e-3

_EPS = 1e-6  # quarter notes: below any real rhythm, above float error of music21 offsets

# Harte, Sandler & Gasser 2006, "Detecting harmonic change in musical audio": a pitch class
# is a point on three circles (fifths, minor thirds, major thirds) of radii 1, 1 and 0.5.
_PC = np.arange(12)
_TONAL_MATRIX = np.stack(
    [
        np.sin(_PC * 7 * np.pi / 6),
        np.cos(_PC * 7 * np.pi / 6),
        np.sin(_PC * 3 * np.pi / 2),
        np.cos(_PC * 3 * np.pi / 2),
        0.5 * np.sin(_PC * 2 * np.pi / 3),
        0.5 * np.cos(_PC * 2 * np.pi / 3),
    ]
)  # [6, 12]


# helpers


def _notes(score: Score) -> list[Note]:
    return [note for part in score.pitched_parts() for note in part.notes]


def _mean(values: Sequence[float]) -> float:
    """Mean of the non-nan values; nan (silently) when there are none."""
    kept = [v for v in values if not math.isnan(v)]
    return float(sum(kept) / len(kept)) if kept else math.nan


def _normalized(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    if total <= 0:
        return np.full(counts.shape, np.nan)
    return counts / total


def _bars_of(note: Note, bar_beats: float, n_bars: int) -> range:
    """Return the bars a note sounds in (at least the bar of its onset)."""
    first = math.floor(note.onset / bar_beats + _EPS)
    last = max(first + 1, math.ceil(note.end / bar_beats - _EPS))
    return range(max(first, 0), min(last, n_bars))


def _pitch_class_counts(score: Score) -> np.ndarray:
    counts = np.zeros(12)
    for note in _notes(score):
        counts[note.pitch % 12] += 1
    return counts


def _tonic_relative(counts: np.ndarray, score: Score) -> np.ndarray:
    """Pitch-class counts rotated so that index 0 is the piece's tonic (its estimated key's;
    minor keys by their own tonic, so A minor's A is 0), as Yang and Lerch (2018) compare
    pieces in different keys."""
    from gamegan.music.keys import estimate_key

    key = estimate_key(score) if counts.any() else None
    return counts if key is None else np.roll(counts, -key.tonic)


def _note_length_counts(score: Score) -> np.ndarray:
    durations = [note.duration for note in _notes(score)]
    bins = np.searchsorted(NOTE_LENGTH_EDGES, durations, side="right")
    return np.bincount(bins, minlength=len(NOTE_LENGTH_BINS)).astype(np.float64)


# per-score statistics


def pitch_class_histogram(score: Score) -> np.ndarray:
    """Share of notes on each pitch class.

    Every note counts once whatever its length (muspy's ``pitch_class_entropy`` counts the
    same way), so a held whole note weighs as much as a passing 16th: the histogram follows
    what a model *emits*, token by token.

    Parameters
    ----------
    score : Score
        Notes of its pitched parts count; octaves are folded (C4 and C5 are both C).

    Returns
    -------
    numpy.ndarray
        float64 ``[12]`` indexed by pitch class (0 = C, 1 = C#, ..., 11 = B), summing to 1.
        All ``nan`` for a score without notes.
    """
    return _normalized(_pitch_class_counts(score))


def used_pitch_classes_per_bar(score: Score) -> float:
    """Mean number of distinct pitch classes sounding in a bar (MuseGAN's UPC).

    All pitched parts are pooled, so this measures the harmony of the texture per bar (a
    four-voice chorale uses about 4 to 6), not each track on its own as MuseGAN does.

    Parameters
    ----------
    score : Score
        A note held over a bar line counts in every bar it sounds in.

    Returns
    -------
    float
        Mean over the bars in which at least one note sounds (empty bars are measured by
        :func:`empty_bar_rate` instead); between 1 and 12. ``nan`` for a score without notes.
    """
    n_bars = score.n_bars
    used = [set() for _ in range(n_bars)]
    for note in _notes(score):
        for bar in _bars_of(note, score.bar_beats, n_bars):
            used[bar].add(note.pitch % 12)
    return _mean([float(len(pcs)) for pcs in used if pcs])


def pitch_range(score: Score) -> float:
    """Highest minus lowest MIDI pitch, over all pitched parts.

    Parameters
    ----------
    score : Score
        Any score.

    Returns
    -------
    float
        In semitones; 0 when every note has one pitch, 12 for a scale from C4 to C5.
        ``nan`` for a score without notes (muspy returns 0 there, which reads as a collapse).
    """
    pitches = [note.pitch for note in _notes(score)]
    return float(max(pitches) - min(pitches)) if pitches else math.nan


def part_empty_bar_rates(score: Score) -> np.ndarray:
    """Share of bars in which each non-drum part is silent (MuseGAN's EB, per track).

    Parameters
    ----------
    score : Score
        Bars run from 0 to ``score.n_bars`` (the end of the last note of any part).

    Returns
    -------
    numpy.ndarray
        float64 ``[n_parts]``, one rate in [0, 1] per non-drum part in score order. A part
        without any note counts (rate 1.0): a generator that silences a track should show it.
        Empty (shape ``[0]``) when the score has no non-drum part or no bar.
    """
    n_bars = score.n_bars
    parts = [part for part in score.parts if not part.is_drum]
    if n_bars == 0 or not parts:
        return np.zeros(0)
    rates = []
    for part in parts:
        sounding = np.zeros(n_bars, dtype=bool)
        for note in part.notes:
            sounding[list(_bars_of(note, score.bar_beats, n_bars))] = True
        rates.append(1.0 - sounding.mean())
    return np.asarray(rates)


def empty_bar_rate(score: Score) -> float:
    """Mean over non-drum parts of the share of bars in which the part is silent.

    Parameters
    ----------
    score : Score
        See :func:`part_empty_bar_rates` for which parts and bars count.

    Returns
    -------
    float
        In [0, 1]: 0 when every part sounds in every bar; a score of 4 bars whose only part
        rests through bar 2 gives 0.25. ``nan`` for a score without notes.
    """
    rates = part_empty_bar_rates(score)
    return float(rates.mean()) if len(rates) else math.nan


def qualified_note_rate(score: Score, min_beats: float = 0.125) -> float:
    """Share of notes lasting at least ``min_beats`` quarter notes (MuseGAN's QN).

    MuseGAN counts a note as qualified when it lasts at least 3 time steps at 24 steps per
    beat, a 32nd note: shorter notes are mostly fragments of a noisy piano roll.

    Parameters
    ----------
    score : Score
        Notes of its pitched parts count.
    min_beats : float
        Shortest qualified duration in quarter notes (0.125 = a 32nd note).

    Returns
    -------
    float
        In [0, 1]; 1 when no note is shorter than ``min_beats``. ``nan`` for a score
        without notes.
    """
    notes = _notes(score)
    if not notes:
        return math.nan
    return sum(note.duration >= min_beats - _EPS for note in notes) / len(notes)


def polyphony(score: Score, resolution: int = 4) -> float:
    """Mean number of distinct pitches sounding at once, where anything sounds (muspy's).

    The score is read as a piano roll of all pitched parts merged: a note covers the steps
    from its onset to its end, both rounded to the grid, and at least one step; two parts on
    one pitch (a unison) count once.

    Parameters
    ----------
    score : Score
        Any score.
    resolution : int
        Time steps per quarter note (4 = 16th notes).

    Returns
    -------
    float
        At least 1: 1.0 for a melody, 3.0 for a held triad, about 4 for a four-voice chorale.
        ``nan`` for a score without notes.
    """
    notes = _notes(score)
    if not notes:
        return math.nan
    n_steps = max(round(note.end * resolution) for note in notes) + 1
    roll = np.zeros((n_steps, 128), dtype=bool)  # [T, pitch]
    for note in notes:
        start = max(0, round(note.onset * resolution))
        stop = max(start + 1, round(note.end * resolution))
        roll[start:stop, note.pitch] = True
    counts = roll.sum(axis=1)
    return float(counts[counts > 0].mean())


def in_scale_rate(score: Score) -> float:
    """Share of notes in the best-fitting major scale (muspy's ``scale_consistency``).

    Every one of the 12 major scales is tried and the largest share kept. muspy also tries
    the natural minor scales, but each one holds the pitch classes of its relative major, so
    the answer is the same. Notes count once each, as in :func:`pitch_class_histogram`.

    Parameters
    ----------
    score : Score
        Notes of its pitched parts count.

    Returns
    -------
    float
        In [7/12, 1]: 1.0 for any diatonic melody; chromatic notes lower it. ``nan`` for a
        score without notes.
    """
    counts = _pitch_class_counts(score)
    total = counts.sum()
    if total == 0:
        return math.nan
    in_scale = [sum(counts[(root + pc) % 12] for pc in MAJOR_SCALE) for root in range(12)]
    return float(max(in_scale) / total)


def note_length_histogram(score: Score) -> np.ndarray:
    """Share of notes in each length bin of :data:`NOTE_LENGTH_BINS`.

    Parameters
    ----------
    score : Score
        Notes of its pitched parts count, once each. A duration goes to the bin whose
        length (1/8, 1/4, 1/2, 3/4, 1, 3/2, 2, 3, 4 quarter notes) is nearest on a log scale;
        zero-length notes go to the first bin and anything from about 3.5 up to the last.

    Returns
    -------
    numpy.ndarray
        float64 ``[9]`` summing to 1; all ``nan`` for a score without notes.
    """
    return _normalized(_note_length_counts(score))


def _melody(part: Part) -> list[int]:
    """Read a part as a monophonic line: its highest pitch at each distinct onset."""
    top: dict[int, int] = {}
    for note in part.notes:
        key = round(note.onset / _EPS)
        top[key] = max(top.get(key, note.pitch), note.pitch)
    return [top[key] for key in sorted(top)]


def repeated_note_ratio(score: Score) -> float:
    """Share of consecutive notes that repeat the previous pitch: the one-note collapse alarm.

    Each pitched part is read as a line (the top note of every onset, so a chord counts as
    its highest note); rests between two notes do not break the pair. A collapsed model
    that plays one pitch over and over gives 1.0, Bach's chorale voices about 0.1-0.2.

    Parameters
    ----------
    score : Score
        Any score.

    Returns
    -------
    float
        Mean over the parts with at least two onsets of that part's share, in [0, 1].
        ``nan`` when no part has two onsets (an empty score, a single note).
    """
    ratios = []
    for part in score.pitched_parts():
        line = np.asarray(_melody(part))
        if len(line) >= 2:
            ratios.append(float(np.mean(line[1:] == line[:-1])))
    return _mean(ratios)


def _bar_chroma(part: Part, bar_beats: float, n_bars: int) -> np.ndarray:
    """Duration each pitch class sounds in each bar, ``[n_bars, 12]`` in quarter notes."""
    chroma = np.zeros((n_bars, 12))
    for note in part.notes:
        for bar in _bars_of(note, bar_beats, n_bars):
            start, stop = bar * bar_beats, (bar + 1) * bar_beats
            chroma[bar, note.pitch % 12] += max(0.0, min(note.end, stop) - max(note.onset, start))
    return chroma


def tonal_distance(score: Score) -> float:
    """Mean harmonic distance between pitched parts, bar by bar (MuseGAN's TD).

    For each bar and part, the chroma (how long each pitch class sounds in the bar,
    normalized to sum 1) is mapped to the 6-D tonal centroid of Harte et al. 2006 (circles
    of fifths, minor thirds and major thirds of radii 1, 1, 0.5); the distance of two parts
    in a bar is the Euclidean distance of their centroids. Small distances mean the parts
    agree harmonically.

    Parameters
    ----------
    score : Score
        Needs at least two pitched parts. Zero-length notes carry no weight.

    Returns
    -------
    float
        Mean over part pairs of the pair's mean over the bars where both parts sound; pairs
        that never sound together are skipped. 0 for two parts with the same chroma in every
        bar (a unison or octave doubling), larger for clashing parts (a tritone apart gives
        2 sqrt(2) for single pitches). ``nan`` for fewer than two pitched parts or when no
        pair ever sounds together.
    """
    parts = score.pitched_parts()
    if len(parts) < 2:
        return math.nan
    n_bars = score.n_bars
    centroids, sounding = [], []
    for part in parts:
        chroma = _bar_chroma(part, score.bar_beats, n_bars)
        totals = chroma.sum(axis=1, keepdims=True)
        has_sound = totals[:, 0] > 0
        chroma = np.divide(chroma, totals, out=np.zeros_like(chroma), where=totals > 0)
        centroids.append(chroma @ _TONAL_MATRIX.T)  # [n_bars, 6]
        sounding.append(has_sound)
    distances = []
    for i, j in combinations(range(len(parts)), 2):
        both = sounding[i] & sounding[j]
        if both.any():
            gaps = np.linalg.norm(centroids[i][both] - centroids[j][both], axis=1)
            distances.append(float(gaps.mean()))
    return _mean(distances)


def histogram_overlap(p: Any, q: Any) -> float:
    """Overlap of two normalized histograms: ``sum(min(p, q))``.

    Parameters
    ----------
    p, q : array_like
        Histograms of one shape, each summing to 1 (as :func:`pitch_class_histogram` gives).

    Returns
    -------
    float
        1 for identical histograms, 0 when they share no bin (it equals 1 minus the
        total-variation distance). ``nan`` when either holds ``nan`` (a histogram of nothing).

    Raises
    ------
    ValueError
        If the shapes differ.
    """
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    if p.shape != q.shape:
        raise ValueError(f"histograms of different shapes: {p.shape} and {q.shape}")
    if np.isnan(p).any() or np.isnan(q).any():
        return math.nan
    return float(np.minimum(p, q).sum())


def minor_share(score: Score) -> float:
    """1.0 when the notes are in a minor key, 0.0 in a major one (by
    :func:`gamegan.music.keys.estimate_key`); averaged over pieces, the share of minor pieces.
    ``nan`` without a key (no notes)."""
    from gamegan.music.keys import estimate_key

    key = estimate_key(score)
    return math.nan if key is None else float(key.mode == "minor")


def odd_length_rate(score: Score) -> float:
    """Share of notes whose length is none of the notated ones from 1/8 to 4 quarter notes
    (1/8, 1/4, 1/2, 3/4, 1, 3/2, 2, 3, 4): what a score shows as ties across odd fractions.
    ``nan`` without notes."""
    durations = np.array([note.duration for note in _notes(score)])
    if not len(durations):
        return math.nan
    near = np.abs(durations[:, None] - _NOTE_LENGTHS[None, :]).min(axis=1) < ODD_LENGTH_TOLERANCE
    return float(1.0 - near.mean())


def n_voices(score: Score) -> float:
    """Pitched parts with notes: the tracks a MIDI file of the score has (``nan`` for none)."""
    parts = len(score.pitched_parts())
    return float(parts) if parts else math.nan


def voice_crossing_rate(score: Score, resolution: int = 4) -> float:
    """Share of the time two or more parts sound at which a part sounds above one listed
    before it (the alto above the soprano, the bass above the tenor): how often voices cross.

    Each part's highest sounding pitch is read on a grid of ``resolution`` steps per quarter
    note; unisons do not count. The Bach chorales cross 2-3% of the time; a chord model's
    notes split into voices badly cross far more. ``nan`` with fewer than two parts or no
    instant where two sound.
    """
    parts = [part for part in score.pitched_parts() if part.notes]
    if len(parts) < 2:
        return math.nan
    n_steps = max(round(note.end * resolution) for part in parts for note in part.notes) + 1
    top = np.full((len(parts), n_steps), -1)  # [part, step] highest pitch sounding, -1 none
    for i, part in enumerate(parts):
        for note in part.notes:
            start = max(0, round(note.onset * resolution))
            stop = max(start + 1, round(note.end * resolution))
            top[i, start:stop] = np.maximum(top[i, start:stop], note.pitch)
    sounding = top >= 0
    crossed = np.zeros(n_steps, dtype=bool)
    for upper, lower in combinations(range(len(parts)), 2):
        crossed |= sounding[upper] & sounding[lower] & (top[lower] > top[upper])
    several = sounding.sum(axis=0) >= 2
    return float(crossed[several].mean()) if several.any() else math.nan


# corpus-level summaries

_SCALAR_FUNCTIONS = {
    "pitch_range": pitch_range,
    "used_pitch_classes_per_bar": used_pitch_classes_per_bar,
    "empty_bar_rate": empty_bar_rate,
    "qualified_note_rate": qualified_note_rate,
    "polyphony": polyphony,
    "in_scale_rate": in_scale_rate,
    "repeated_note_ratio": repeated_note_ratio,
    "tonal_distance": tonal_distance,
    "minor_share": minor_share,
    "odd_length_rate": odd_length_rate,
    "n_voices": n_voices,
}
assert tuple(_SCALAR_FUNCTIONS) == SCALARS  # one list of statistics, in table order


def describe(scores: Score | Sequence[Score]) -> dict[str, float | list[float]]:
    """Every statistic of this module over a set of pieces.

    Parameters
    ----------
    scores : sequence of Score
        The pieces (a single :class:`Score` is taken as a set of one).

    Returns
    -------
    dict
        - each name in :data:`SCALARS`: the mean over pieces of that statistic, skipping
          pieces where it is ``nan`` (``nan`` if all are);
        - ``"pitch_class_histogram"`` and ``"note_length_histogram"``: lists of floats,
          pooled over all notes of all pieces and then normalized, so long pieces weigh
          more (all ``nan`` without notes);
        - ``"n_pieces"``, ``"n_notes"`` (notes of pitched parts, all pieces together) and
          ``"mean_n_bars"`` (``nan`` for no piece).
        Values are plain Python floats, ready for JSON.
    """
    if isinstance(scores, Score):
        scores = [scores]
    scores = list(scores)
    summary: dict[str, float | list[float]] = {
        name: _mean([_SCALAR_FUNCTIONS[name](score) for score in scores]) for name in SCALARS
    }
    pitch_classes, lengths = np.zeros(12), np.zeros(len(NOTE_LENGTH_BINS))
    above_tonic = np.zeros(12)
    for score in scores:
        counts = _pitch_class_counts(score)
        pitch_classes += counts
        above_tonic += _tonic_relative(counts, score)
        lengths += _note_length_counts(score)
    summary["pitch_class_histogram"] = _normalized(pitch_classes).tolist()
    summary["tonic_pitch_class_histogram"] = _normalized(above_tonic).tolist()
    summary["note_length_histogram"] = _normalized(lengths).tolist()
    summary["n_pieces"] = float(len(scores))
    summary["n_notes"] = float(pitch_classes.sum())
    summary["mean_n_bars"] = _mean([float(score.n_bars) for score in scores])
    return summary


def _value(stats: dict, key: str) -> float:
    value = stats.get(key)
    return math.nan if value is None else float(value)


def compare(generated: dict, reference: dict) -> list[dict[str, Any]]:
    """Rows of a "metric | generated | corpus" table from two :func:`describe` results.

    Parameters
    ----------
    generated, reference : dict
        :func:`describe` outputs (or :func:`read_reference`'s); missing keys read as ``nan``.

    Returns
    -------
    list of dict
        ``{"metric", "generated", "reference"}`` rows: one per name in :data:`SCALARS`, then
        ``"pitch_class_overlap"`` and ``"note_length_overlap"`` (the
        :func:`histogram_overlap` of the two histograms as ``generated``, 1.0 as
        ``reference``), then ``"n_pieces"``, ``"n_notes"`` and ``"mean_n_bars"``.
    """
    rows = [
        {"metric": name, "generated": _value(generated, name), "reference": _value(reference, name)}
        for name in SCALARS
    ]
    for hist, row in HISTOGRAMS.items():
        p = generated.get(hist) or [math.nan]
        q = reference.get(hist) or [math.nan]
        p = [math.nan if v is None else v for v in p]
        q = [math.nan if v is None else v for v in q]
        overlap = histogram_overlap(p, q) if len(p) == len(q) else math.nan
        rows.append({"metric": row, "generated": overlap, "reference": 1.0})
    rows.extend(
        {"metric": name, "generated": _value(generated, name), "reference": _value(reference, name)}
        for name in ("n_pieces", "n_notes", "mean_n_bars")
    )
    return rows


@METRICS.register("music_stats")
def music_stats(real: Sequence[Score], fake: Sequence[Score]) -> dict[str, float]:
    """Scalar statistics of ``fake`` and how its histograms overlap those of ``real``.

    The registry form of :func:`describe` and :func:`compare`, for ``gamegan eval``: called
    once with generated pieces and once with held-out real ones as ``fake``, it gives the
    "generated" and "corpus" columns of one table.

    Parameters
    ----------
    real : sequence of Score
        The reference pieces; only their histograms are used.
    fake : sequence of Score
        The pieces judged.

    Returns
    -------
    dict of str to float
        ``"music_stats/<name>"`` for each name in :data:`SCALARS` (``fake``'s value, not a
        distance), plus ``"music_stats/pitch_class_overlap"`` and
        ``"music_stats/note_length_overlap"`` (1 = same histogram as ``real``).
    """
    rows = compare(describe(fake), describe(real))
    keep = set(SCALARS) | set(HISTOGRAMS.values())
    return {f"music_stats/{r['metric']}": r["generated"] for r in rows if r["metric"] in keep}
