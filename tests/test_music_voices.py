"""gamegan.music.voices: chords split into voices by voice leading."""

from __future__ import annotations

import pytest

from gamegan.music.score import Note, Part, Score
from gamegan.music.voices import split_voices


def merged(*voices) -> Score:
    return Score((Part(tuple(n for v in voices for n in v), program=19),))


def line(pitches, durations=None, start=0.0) -> list[Note]:
    durations = durations or [1.0] * len(pitches)
    onsets = [start + sum(durations[:i]) for i in range(len(pitches))]
    return [Note(o, p, d) for o, p, d in zip(onsets, pitches, durations, strict=True)]


def test_four_voices_come_back_with_their_names():
    soprano, alto = line([72, 74, 76, 77]), line([67, 67, 67, 69])
    tenor, bass = line([64, 65, 64, 65]), line([48, 43, 48, 41])
    split = split_voices(merged(soprano, alto, tenor, bass))
    assert [p.name for p in split.parts] == ["Soprano", "Alto", "Tenor", "Bass"]
    assert [list(p.notes) for p in split.parts] == [soprano, alto, tenor, bass]
    assert {p.program for p in split.parts} == {19}


def test_a_held_note_keeps_its_voice_while_the_others_move():
    soprano = line([72], [4.0])  # a whole note over moving lower voices
    alto, bass = line([67, 65, 64, 62]), line([48, 50, 52, 53])
    split = split_voices(merged(soprano, alto, bass))
    assert [list(p.notes) for p in split.parts] == [soprano, alto, bass]
    assert [p.name for p in split.parts] == ["voice 1", "voice 2", "voice 3"]


def test_more_notes_than_voices_join_the_nearest_voice():
    chord = [Note(0.0, p, 1.0) for p in (72, 67, 64, 60, 48)]  # five at once, four voices
    split = split_voices(merged(chord))
    assert sum(len(p.notes) for p in split.parts) == 5 and len(split.parts) == 4
    assert [n.pitch for n in split.parts[-1].notes] == [48, 60]  # the bass takes the low C


def test_a_moving_inner_voice_ends_the_note_its_chord_held():
    """The chord codec gives every note of a chord the longest note's length: an alto eighth
    under held quarters comes back a quarter. Its next note, with every voice busy, ends it."""
    chord = [Note(0.0, p, 1.0) for p in (72, 67, 60, 48)]  # the alto's 67 is really an eighth
    passing = Note(0.5, 65, 0.5)
    split = split_voices(merged(chord, [passing], [Note(1.0, p, 1.0) for p in (72, 64, 60, 48)]))
    alto = list(split.parts[1].notes)
    assert alto == [Note(0.0, 67, 0.5), passing, Note(1.0, 64, 1.0)]
    assert [len(p.notes) for p in split.parts] == [2, 3, 2, 2]  # the others keep their notes
    for part in split.parts:
        notes = list(part.notes)
        assert all(a.end <= b.onset for a, b in zip(notes, notes[1:], strict=False))


def test_a_passing_note_goes_to_the_voice_in_its_range_not_a_free_one_far_away():
    """A free bass far below must not take the alto's passing note above the held tenor:
    voices do not cross a voice that keeps sounding."""
    chord = [Note(0.0, 76, 1.0), Note(0.0, 67, 1.0), Note(0.0, 60, 1.0), Note(0.0, 55, 0.5)]
    passing = Note(0.5, 69, 0.5)
    split = split_voices(merged(chord, [passing]))
    assert [n.pitch for n in split.parts[1].notes] == [67, 69]  # the alto moves
    assert [n.pitch for n in split.parts[3].notes] == [55]  # the bass rests
    assert split.parts[1].notes[0].end == 0.5


def test_what_is_left_alone():
    melody = merged(line([60, 62, 64]))
    assert split_voices(melody) == melody  # nothing overlaps
    two_parts = Score((Part(tuple(line([60]))), Part(tuple(line([48])))))
    assert split_voices(two_parts) == two_parts
    with pytest.raises(ValueError, match="max_voices"):
        split_voices(melody, max_voices=0)


def test_the_chord_model_writes_a_track_per_voice():
    from gamegan import generate as gen

    (piece,) = gen.music("chorale-lstm", n_bars=4, seed=3)
    assert [p.name for p in piece.parts] == ["Soprano", "Alto", "Tenor", "Bass"]
    means = [sum(n.pitch for n in p.notes) / len(p.notes) for p in piece.parts]
    assert means == sorted(means, reverse=True)
