"""Voices out of chords: one part of stacked notes split into parts a DAW shows as tracks.

A chord model (``lstm_lm`` with ``ChordCodec``) writes every note into one part. A game
composer wants the soprano, alto, tenor and bass on their own tracks, so each can get its own
instrument and mix. :func:`split_voices` assigns notes to voices by voice leading: at each onset
the new notes, from the highest down, go to voices in top-down order, choosing the assignment
with the least total leap, where taking a voice that still holds a note costs a little
(:data:`BUSY_COST`) and leaving a note above a higher voice that keeps sounding, or below a
lower one, costs a lot (:data:`CROSSING_COST`). So a voice that holds a note through a chord
change keeps it and the others move on around it, and a passing note in the alto's range goes
to the alto, not to a free bass far below. A note given to a busy voice ends the note that
voice was holding: a chord event lasts as long as its longest note (the codec keeps one
duration per event), so an inner voice's eighth note under a held soprano would otherwise ring
on under the voice's next note.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations, groupby

from gamegan.music.score import Note, Part, Score

__all__ = ["SATB", "split_voices"]

SATB = ("Soprano", "Alto", "Tenor", "Bass")
# Costs in semitones of leap: taking a voice that holds a note (and ending that note) costs
# as much as an octave's leap, crossing a voice that keeps sounding two octaves. With the
# bundled chorale-lstm the voices cross 0.3% of the time, the chorales 2.5% (the earlier rule,
# free voices first, 13.9%; gamegan.metrics.music_stats.voice_crossing_rate).
BUSY_COST = 12.0
CROSSING_COST = 24.0
_EPS = 1e-9


def split_voices(score: Score, max_voices: int = 4) -> Score:
    """The score's single pitched part split into up to ``max_voices`` parts, highest first.

    The number of voices is the most notes that sound at once, capped at ``max_voices``; four
    voices are named Soprano, Alto, Tenor and Bass. Where more notes sound than there are
    voices, the extra ones join the voice nearest in pitch (as a chord in that track). A score
    with other than one pitched part, or with no overlapping notes, is returned unchanged.
    """
    if max_voices < 1:
        raise ValueError(f"split_voices: max_voices must be at least 1, got {max_voices}")
    pitched = score.pitched_parts()
    if len(pitched) != 1 or len(score.parts) != 1:
        return score
    (part,) = pitched
    n_voices = min(_most_sounding(part.notes), max_voices)
    if n_voices < 2:
        return score
    voices: list[list[Note]] = [[] for _ in range(n_voices)]
    for onset, group in groupby(sorted(part.notes, key=lambda n: n.onset), key=lambda n: n.onset):
        new = sorted(group, key=lambda n: -n.pitch)
        for voice, note in _assign(new, voices, onset):
            held = voices[voice][-1] if voices[voice] else None
            if held is not None and held.onset < onset - _EPS and held.end > onset + _EPS:
                voices[voice][-1] = replace(held, duration=onset - held.onset)  # one at a time
            voices[voice].append(note)
    names = SATB if n_voices == 4 else tuple(f"voice {i + 1}" for i in range(n_voices))
    parts = tuple(
        Part(tuple(notes), name=name, program=part.program)
        for notes, name in zip(voices, names, strict=True)
        if notes
    )
    return replace(score, parts=parts)


def _most_sounding(notes: tuple[Note, ...]) -> int:
    """The largest number of notes sounding at one instant."""
    events = sorted([(n.onset, 1) for n in notes] + [(n.end, -1) for n in notes])
    most = count = 0
    for _, change in events:  # at one instant, ends (-1) sort before starts (+1)
        count += change
        most = max(most, count)
    return most


def _assign(new: list[Note], voices: list[list[Note]], onset: float) -> list[tuple[int, Note]]:
    """Voices for the notes starting together (highest first), keeping their order top-down."""
    n_voices = len(voices)
    if len(new) > n_voices:  # more notes than voices: the lowest extras join neighbours
        fitted = _assign(new[:n_voices], voices, onset)
        extra = [
            (min(fitted, key=lambda vn, note=note: abs(vn[1].pitch - note.pitch))[0], note)
            for note in new[n_voices:]
        ]
        return fitted + extra
    sounding = {
        v: voice[-1].pitch
        for v, voice in enumerate(voices)
        if voice and voice[-1].end > onset + _EPS
    }
    best, best_cost = None, float("inf")
    for chosen in combinations(range(n_voices), len(new)):
        cost = 0.0
        for v, note in zip(chosen, new, strict=True):
            cost += _leap(voices[v], note) + (BUSY_COST if v in sounding else 0.0)
            crossed = sum(
                (u < v and note.pitch > pitch) or (u > v and note.pitch < pitch)
                for u, pitch in sounding.items()
                if u not in chosen
            )
            cost += CROSSING_COST * crossed
        if cost < best_cost:
            best, best_cost = chosen, cost
    return list(zip(best, new, strict=True))


def _leap(voice: list[Note], note: Note) -> float:
    """How far a voice would move to the note; an unused voice costs nothing."""
    return 0.0 if not voice else abs(voice[-1].pitch - note.pitch)
