"""gamegan.music.keys: Krumhansl-Schmuckler key finding and key names."""

from __future__ import annotations

import pytest

from gamegan.music.keys import estimate_key, parse_tonic
from gamegan.music.score import Key, Note, Part, Score


def melody(pitches, lengths=None) -> Score:
    lengths = lengths or [1.0] * len(pitches)
    onsets = [sum(lengths[:i]) for i in range(len(pitches))]
    notes = (Note(o, p, d) for o, p, d in zip(onsets, pitches, lengths, strict=True))
    return Score((Part(tuple(notes)),))


def test_scales_and_cadences_get_their_keys():
    c_major = [60, 62, 64, 65, 67, 69, 71, 72, 67, 64, 60]
    assert estimate_key(melody(c_major, [2, 1, 1, 1, 2, 1, 1, 2, 1, 1, 3])) == Key(0, "major")
    a_minor = [57, 59, 60, 62, 64, 65, 68, 69, 64, 60, 57]  # harmonic minor, G#
    assert estimate_key(melody(a_minor, [2, 1, 1, 1, 2, 1, 1, 2, 1, 1, 3])) == Key(9, "minor")
    # Transposing the notes moves the key with them.
    e_flat = melody([p + 3 for p in c_major], [2, 1, 1, 1, 2, 1, 1, 2, 1, 1, 3])
    assert estimate_key(e_flat) == Key(3, "major")


def test_no_key_without_notes_or_with_all_twelve_equally():
    assert estimate_key(Score()) is None
    assert estimate_key(melody(list(range(60, 72)))) is None


@pytest.mark.parametrize(
    "name, tonic", [("C", 0), ("c", 0), ("F#", 6), ("Gb", 6), ("Bb", 10), ("B-", 10), ("E♭", 3)]
)
def test_key_names(name, tonic):
    assert parse_tonic(name) == tonic


def test_bad_key_names():
    for name in ("H", "", "C##", "major"):
        with pytest.raises(ValueError, match="not a key name"):
            parse_tonic(name)
