"""The key of a score, estimated from its notes: Krumhansl-Schmuckler key finding.

The duration-weighted pitch-class histogram is correlated with the 24 rotations of the
Krumhansl-Kessler (1982) major and minor key profiles; the best correlation names the key.
It is what music21's ``analyze('key')`` does by default, on gamegan's own score model, so
generated music (which carries no key signature) gets a key and a mode in microseconds.
"""

from __future__ import annotations

import numpy as np

from gamegan.music.score import MODES, PITCH_NAMES, Key, Score

__all__ = ["estimate_key", "mode_index", "parse_tonic"]

# Probe-tone ratings of the 12 pitch classes above the tonic (Krumhansl & Kessler 1982).
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])

_SPELLINGS = {name: i for i, name in enumerate(PITCH_NAMES)}
_SPELLINGS.update({"Db": 1, "D#": 3, "Eb": 3, "Gb": 6, "Ab": 8, "A#": 10, "Bb": 10, "Cb": 11})
_SPELLINGS.update({"E#": 5, "Fb": 4, "B#": 0, "C-": 11, "D-": 1, "G-": 6, "A-": 8})


def estimate_key(score: Score) -> Key | None:
    """The likeliest key of the score's pitched notes, or None when it has none."""
    weights = np.zeros(12)
    for part in score.pitched_parts():
        for note in part.notes:
            weights[note.pitch % 12] += note.duration
    if not weights.any() or np.ptp(weights) == 0:
        return None
    best, best_r = None, -np.inf
    for mode, profile in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE)):
        for tonic in range(12):
            r = np.corrcoef(weights, np.roll(profile, tonic))[0, 1]
            if r > best_r:
                best, best_r = Key(tonic, mode), r
    return best


def mode_index(score: Score) -> int:
    """The score's mode as an index into ``MODES``: its key's, else the one estimated from its
    notes, else major (0). What a model conditioned on the mode is told about a piece."""
    key = score.key or estimate_key(score)
    return MODES.index(key.mode) if key is not None else 0


def parse_tonic(name: str) -> int:
    """``C``, ``F#``, ``Bb``, ``e-`` ... as a pitch class; ValueError for anything else."""
    key = name.strip()
    key = key[:1].upper() + key[1:].replace("♯", "#").replace("♭", "b")
    if key not in _SPELLINGS:
        raise ValueError(f"{name!r} is not a key name (C, C#, Db, D, ..., Bb, B)")
    return _SPELLINGS[key]
