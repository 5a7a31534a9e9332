"""MIDI reading and writing: Score -> MIDI -> Score round trips and one clear error per bad file."""

from __future__ import annotations

import pytest

from gamegan.errors import DataError
from gamegan.io.midi import MidiError, read_midi, write_midi
from gamegan.music.score import Key, Note, Part, Score
from musicfiles import BROKEN_MIDI, midi_bytes, sample_score, track_bytes, write_bytes


def assert_same_score(got: Score, want: Score, tick: float) -> None:
    """Equal up to the file's time resolution (``tick`` quarter notes)."""
    assert got.tempo == pytest.approx(want.tempo, abs=1e-3)
    assert (got.time_signature, got.key, got.title) == (want.time_signature, want.key, want.title)
    assert len(got.parts) == len(want.parts)
    for got_part, want_part in zip(got.parts, want.parts, strict=True):
        assert (got_part.name, got_part.program, got_part.is_drum) == (
            want_part.name,
            want_part.program,
            want_part.is_drum,
        )
        assert len(got_part.notes) == len(want_part.notes)
        for a, b in zip(got_part.notes, sorted(want_part.notes), strict=True):
            assert (a.pitch, a.velocity) == (b.pitch, b.velocity)
            assert a.onset == pytest.approx(b.onset, abs=tick)
            assert a.duration == pytest.approx(b.duration, abs=tick)


@pytest.mark.parametrize("midi_type", [0, 1])
def test_round_trip(tmp_path, midi_type):
    score = sample_score()
    path = write_midi(score, tmp_path / "deep" / "folder" / "song.mid", midi_type=midi_type)
    assert path.is_file()
    assert [p.name for p in path.parent.iterdir()] == ["song.mid"]  # no temp file left behind
    got = read_midi(path)
    assert_same_score(got, score, tick=1 / 480)
    assert got.extra["source"] == str(path)
    assert "warnings" not in got.extra


def test_round_trip_is_exact_on_the_tick_grid(tmp_path):
    score = Score(
        parts=(Part(notes=(Note(0.25, 60, 0.75, 64), Note(1.0, 62, 3.0, 1)), name="Lead"),),
        tempo=150.0,
        time_signature=(6, 8),
        key=Key(10, "major"),
    )
    got = read_midi(write_midi(score, tmp_path / "a.mid", ticks_per_beat=96))
    assert got == score


def test_many_parts_share_channels_but_keep_their_tracks(tmp_path):
    parts = tuple(
        Part(notes=(Note(float(i), 40 + i, 1.0),), name=f"p{i}", program=i) for i in range(20)
    )
    parts += (Part(notes=(Note(0.0, 36, 1.0),), name="kit", is_drum=True),)
    score = Score(parts=parts)
    got = read_midi(write_midi(score, tmp_path / "big.mid"))
    assert got == score  # type 1: one track per part, even with channels reused


def test_write_clamps_velocity_and_keeps_tiny_notes(tmp_path):
    notes = (Note(0.0, 60, 0.0001, 0), Note(1.0, 62, 1.0, 300), Note(2.0, 200, 1.0))
    got = read_midi(write_midi(Score(parts=(Part(notes=notes),)), tmp_path / "c.mid"))
    assert [(n.pitch, n.velocity, n.duration) for n in got.parts[0].notes] == [
        (60, 1, pytest.approx(1 / 480, abs=1e-6)),
        (62, 127, 1.0),
    ]  # the note at pitch 200 has no MIDI number and is left out


@pytest.mark.parametrize("name", sorted(set(BROKEN_MIDI) - {"drums.mid"}))
def test_bad_files_give_one_clear_line(tmp_path, name):
    data, reason = BROKEN_MIDI[name]
    path = write_bytes(tmp_path / name, data)
    with pytest.raises(DataError) as info:
        read_midi(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert reason in message
    assert isinstance(info.value, MidiError) and reason in info.value.reason


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_midi(tmp_path / "nope.mid")


def test_note_pairing_fifo_and_unended_notes(tmp_path):
    events = [
        (0, b"\xc0\x18"),  # program 24 (nylon guitar)
        (0, b"\xff\x03\x04Solo"),  # track name
        (0, b"\x90\x3c\x50"),  # C4 on
        (96, b"\x90\x3c\x60"),  # C4 on again, overlapping
        (96, b"\x90\x3c\x00"),  # note-on velocity 0 ends the *first* C4
        (96, b"\x80\x3c\x00"),  # ends the second
        (0, b"\x90\x40\x70"),  # E4 never ended: stops at the track's last event
        (0, b"\x90\x43\x70"),  # G4 starts and ends at once: dropped
        (0, b"\x80\x43\x00"),
    ]
    path = write_bytes(tmp_path / "f.mid", midi_bytes([track_bytes(events, end_delta=192)]))
    (part,) = read_midi(path).parts
    assert (part.name, part.program, part.is_drum) == ("Solo", 24, False)
    assert part.notes == (
        Note(0.0, 60, 2.0, 0x50),
        Note(1.0, 60, 2.0, 0x60),
        Note(3.0, 64, 2.0, 0x70),
    )


def test_meta_events_and_absurd_tempo(tmp_path):
    conductor = track_bytes(
        [
            (0, b"\xff\x03\x05Title"),
            (0, b"\xff\x51\x03\x00\x00\x01"),  # 1 microsecond per beat: 60 million bpm
            (0, b"\xff\x58\x04\x06\x03\x18\x08"),  # 6/8
            (0, b"\xff\x59\x02\x03\x01"),  # 3 sharps, minor: F# minor
            (0, b"\xc1\x30"),  # a program change for channel 1, in the conductor track
        ]
    )
    strings = track_bytes([(0, b"\x91\x45\x40"), (96, b"\x81\x45\x40")])
    score = read_midi(write_bytes(tmp_path / "m.mid", midi_bytes([conductor, strings])))
    assert (score.title, score.time_signature, score.key) == ("Title", (6, 8), Key(6, "minor"))
    assert score.tempo == 1000.0
    assert "tempo" in score.extra["warnings"][0]
    assert score.parts[0].program == 0x30  # program changes hold across tracks
    assert score.parts[0].name == ""


@pytest.mark.parametrize(
    ("data", "key"),
    [(b"\xfe\x00", Key(10, "major")), (b"\x04\x01", Key(1, "minor")), (b"\x00\x00", Key(0))],
)
def test_key_signatures(tmp_path, data, key):
    events = [(0, b"\xff\x59\x02" + data), (0, b"\x90\x3c\x40"), (96, b"\x80\x3c\x40")]
    path = write_bytes(tmp_path / "k.mid", midi_bytes([track_bytes(events)], midi_type=0))
    assert read_midi(path).key == key


def test_write_rejects_bad_type(tmp_path):
    with pytest.raises(ValueError, match="midi_type"):
        write_midi(sample_score(), tmp_path / "x.mid", midi_type=2)


def test_a_loop_carries_markers_and_ends_at_the_loop_point(tmp_path):
    import mido

    melody = Part(tuple(Note(i * 1.0, 60 + i, 1.0, 80) for i in range(7)), program=19)
    loop = Score((melody,), tempo=100.0, loop_end=8.0)  # two bars; the last beat is a rest
    path = write_midi(loop, tmp_path / "loop.mid")
    midi = mido.MidiFile(path)
    markers = [(m.text, t) for m, t in _absolute(midi.tracks[0]) if m.type == "marker"]
    assert markers == [("loopStart", 0), ("loopEnd", 8 * midi.ticks_per_beat)]
    assert midi.length == pytest.approx(8 * 60 / 100)  # the file is the loop, rest included
    assert read_midi(path).loop_end == 8.0
    assert read_midi(write_midi(Score((melody,)), tmp_path / "plain.mid")).loop_end == 0.0


def _absolute(track):
    tick = 0
    for msg in track:
        tick += msg.time
        yield msg, tick
