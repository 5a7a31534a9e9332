"""How well a piece closes into its own beginning: the harmony and voice leading at a loop's seam.

Background music loops. A loop sounds seamless when its last chord leads into its first the
way a cadence does: a dominant (V, or the leading-tone chord vii) resolving to the tonic (I),
or the tonic held over, and when every voice steps, not leaps, from its last note back to its
first. :func:`loop_closure` measures both; ``gamegan generate --loop`` draws a few pieces and
keeps the one that closes best (:func:`closure_score`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gamegan.music.keys import estimate_key
from gamegan.music.score import Note, Score

__all__ = ["LoopClosure", "chord_root", "closure_score", "loop_closure"]

# Triads and the dominant seventh by their intervals above the root; a chord's root is the
# template that holds most of its pitch classes (the bass note breaks ties).
_TEMPLATES = {"major": (0, 4, 7), "minor": (0, 3, 7), "diminished": (0, 3, 6), "7": (0, 4, 7, 10)}
# Scale degrees (semitones above the tonic) of the chords that lead into the tonic.
_DOMINANTS = (7, 11)  # V, vii


@dataclass(frozen=True)
class LoopClosure:
    """The seam of a loop: the last and first chords' degrees and the voices' leaps there."""

    last_degree: int | None  # root of the last chord, semitones above the tonic
    first_degree: int | None
    mean_leap: float  # semitones from each voice's last note to its first, averaged

    @property
    def cadence(self) -> str:
        """``authentic`` (V or vii into I), ``tonic`` (I into I), or ``open``."""
        if self.first_degree == 0 and self.last_degree in _DOMINANTS:
            return "authentic"
        if self.first_degree == 0 and self.last_degree == 0:
            return "tonic"
        return "open"


def chord_root(notes: list[Note]) -> int | None:
    """The root pitch class of the notes sounding together, or None for fewer than two
    pitch classes."""
    classes = {n.pitch % 12 for n in notes}
    if len(classes) < 2:
        return None
    bass = min(notes, key=lambda n: n.pitch).pitch % 12
    best = max(
        ((root, shape) for root in range(12) for shape in _TEMPLATES.values()),
        key=lambda rs: (len(classes & {(rs[0] + i) % 12 for i in rs[1]}), rs[0] == bass),
    )
    return best[0]


def loop_closure(score: Score) -> LoopClosure:
    """The seam of ``score`` played as a loop (it ends at ``score.loop_end`` or its last note)."""
    notes = [n for part in score.pitched_parts() for n in part.notes]
    if not notes:
        return LoopClosure(None, None, float("nan"))
    first_onset = min(n.onset for n in notes)
    last_onset = max(n.onset for n in notes)
    first = [n for n in notes if n.onset == first_onset]
    last = [n for n in notes if n.onset <= last_onset < n.end or n.onset == last_onset]
    key = estimate_key(score)
    tonic = 0 if key is None else key.tonic

    def degree(chord: list[Note]) -> int | None:
        root = chord_root(chord)
        return None if root is None else (root - tonic) % 12

    leaps = []
    for part in score.pitched_parts():
        end = max(part.notes, key=lambda n: (n.onset, n.pitch))
        start = min(part.notes, key=lambda n: (n.onset, -n.pitch))
        leaps.append(abs(end.pitch - start.pitch))
    return LoopClosure(degree(last), degree(first), sum(leaps) / len(leaps))


def closure_score(closure: LoopClosure) -> float:
    """Higher is a smoother seam: 2 for an authentic cadence, 1 for the tonic held over, less
    a sixth of the mean leap (an octave's leap costs as much as the cadence is worth)."""
    bonus = {"authentic": 2.0, "tonic": 1.0, "open": 0.0}[closure.cadence]
    leap = 12.0 if math.isnan(closure.mean_leap) else closure.mean_leap
    return bonus - leap / 6.0
