"""Write tiny music files for tests: good and broken MIDI (raw bytes), MusicXML (raw text).

Raw bytes let a test build exactly the broken file it needs (a type 2 header, a huge delta
time, a cut-off track) without any writer fixing it up on the way.
"""

from __future__ import annotations

import struct
from pathlib import Path

from gamegan.music.score import Key, Note, Part, Score

__all__ = [
    "BROKEN_MIDI",
    "GOOD_MIDI",
    "melody_midi",
    "midi_bytes",
    "musicxml_text",
    "sample_score",
    "track_bytes",
    "write_bytes",
    "chorale_score",
    "write_chorale_folder",
    "write_music_folder",
]


def _varlen(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def track_bytes(events: list[tuple[int, bytes]], end_delta: int = 0) -> bytes:
    """An ``MTrk`` chunk from (delta ticks, raw event bytes); end-of-track is appended."""
    body = b"".join(_varlen(delta) + data for delta, data in events)
    body += _varlen(end_delta) + b"\xff\x2f\x00"
    return b"MTrk" + struct.pack(">I", len(body)) + body


def midi_bytes(tracks: list[bytes], midi_type: int = 1, ticks_per_beat: int = 96) -> bytes:
    """A whole standard MIDI file from ``MTrk`` chunks."""
    header = b"MThd" + struct.pack(">IHHH", 6, midi_type, len(tracks), ticks_per_beat)
    return header + b"".join(tracks)


def _notes(channel: int, pitches: list[int], ticks: int = 96) -> list[tuple[int, bytes]]:
    events = []
    for pitch in pitches:
        events.append((0, bytes([0x90 | channel, pitch, 100])))
        events.append((ticks, bytes([0x80 | channel, pitch, 0])))
    return events


def melody_midi(pitches: list[int]) -> bytes:
    """A type 0 file of quarter notes on channel 0 (different pitches give different bytes)."""
    return midi_bytes([track_bytes(_notes(0, pitches))], midi_type=0)


GOOD_MIDI = melody_midi([60, 62, 64, 65])

# name -> (bytes, words the skip reason must contain)
BROKEN_MIDI = {
    "truncated.mid": (GOOD_MIDI[:-9], "truncated"),
    "type2.mid": (
        midi_bytes([track_bytes(_notes(0, [60])), track_bytes(_notes(0, [62]))], midi_type=2),
        "type 2 MIDI (independent sequences) is not supported",
    ),
    "nonotes.mid": (
        midi_bytes([track_bytes([(0, b"\xff\x51\x03\x07\xa1\x20")])], midi_type=0),
        "no notes",
    ),
    "huge_delta.mid": (
        midi_bytes(
            [
                track_bytes(
                    [(0, b"\x90\x3c\x64"), (0x0FFFFFFF, b"\x80\x3c\x00")]  # the largest delta
                )
            ],
            midi_type=0,
            ticks_per_beat=1,
        ),
        "huge delta times",
    ),
    "drums.mid": (midi_bytes([track_bytes(_notes(9, [36, 38, 42]))], midi_type=0), "drums only"),
    "notmidi.mid": (b"RIFF\x00\x00\x00\x00WAVEfmt ", "not a MIDI file"),
}


def musicxml_text(pitches: tuple[str, ...] = ("C4", "E4", "G4", "C5"), fifths: int = 0) -> str:
    """A one-part MusicXML score of quarter notes in 4/4 (one bar per four notes)."""
    notes = []
    for name in pitches:
        step, octave = name[0], name[-1]
        alter = {"#": "<alter>1</alter>", "-": "<alter>-1</alter>"}.get(name[1:-1], "")
        notes.append(
            f"<note><pitch><step>{step}</step>{alter}<octave>{octave}</octave></pitch>"
            "<duration>1</duration><type>quarter</type></note>"
        )
    bars = []
    for i in range(0, len(notes), 4):
        attributes = ""
        if i == 0:
            attributes = (
                f"<attributes><divisions>1</divisions><key><fifths>{fifths}</fifths></key>"
                "<time><beats>4</beats><beat-type>4</beat-type></time>"
                "<clef><sign>G</sign><line>2</line></clef></attributes>"
            )
        bars.append(
            f'<measure number="{i // 4 + 1}">{attributes}{"".join(notes[i : i + 4])}</measure>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<score-partwise version="3.1"><part-list><score-part id="P1">'
        "<part-name>Flute</part-name></score-part></part-list>"
        f'<part id="P1">{"".join(bars)}</part></score-partwise>\n'
    )


def write_bytes(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data)
    else:
        path.write_bytes(data)
    return path


def write_music_folder(root: Path) -> dict[str, str]:
    """Two good files, every broken kind and a stray text file; returns name -> reason word."""
    write_bytes(root / "good.mid", GOOD_MIDI)
    write_bytes(root / "sub" / "melody.musicxml", musicxml_text())
    write_bytes(root / "notes.txt", "not music")
    expected = {}
    for name, (data, reason) in BROKEN_MIDI.items():
        write_bytes(root / "broken" / name, data)
        expected[str(root / "broken" / name)] = reason
    write_bytes(root / "broken" / "corrupt.xml", musicxml_text()[:150])
    expected[str(root / "broken" / "corrupt.xml")] = "music21 cannot parse it"
    return expected


def sample_score() -> Score:
    """Three parts (one drum kit) with chords, rests, a triplet and a sustained note."""
    piano = Part(
        notes=(
            Note(0.0, 60, 1.0, 90),
            Note(0.0, 64, 1.0, 90),
            Note(1.0, 67, 0.5, 70),
            Note(2.0, 60, 2.0, 127),
            Note(2.0 + 1 / 3, 72, 1 / 3, 60),
        ),
        name="Piano",
        program=0,
    )
    bass = Part(notes=(Note(0.0, 36, 4.0, 100), Note(4.0, 43, 1.5, 100)), name="Bass", program=33)
    drums = Part(
        notes=tuple(Note(i * 0.5, 42, 0.25, 80) for i in range(8)) + (Note(0.0, 36, 0.25, 120),),
        name="Drums",
        is_drum=True,
    )
    return Score(
        parts=(piano, bass, drums),
        tempo=96.0,
        time_signature=(3, 4),
        key=Key(9, "minor"),
        title="Test song",
    )


def chorale_score(seed: int, n_bars: int = 8, mode: str = "major") -> Score:
    """A four-part, 4/4 piece in C major (or A harmonic minor): diatonic random walks in
    quarters, eighths, halves."""
    import random

    rng = random.Random(seed)
    scale = [0, 2, 4, 5, 7, 9, 11] if mode == "major" else [-3, -1, 0, 2, 4, 5, 8]
    parts = []
    for name, low in (("Soprano", 60), ("Alto", 55), ("Tenor", 48), ("Bass", 40)):
        notes, t, degree = [], 0.0, rng.randrange(7)
        while t < n_bars * 4:
            length = rng.choice((0.5, 1.0, 1.0, 1.0, 2.0))
            length = min(length, n_bars * 4 - t)
            degree = max(0, min(13, degree + rng.choice((-2, -1, 0, 1, 1, 2))))
            pitch = low + 12 * (degree // 7) + scale[degree % 7]
            notes.append(Note(t, pitch, length, 80))
            t += length
        parts.append(Part(notes=tuple(notes), name=name, program=52))
    key = Key(0, "major") if mode == "major" else Key(9, "minor")
    return Score(parts=tuple(parts), tempo=90.0, time_signature=(4, 4), key=key)


def write_chorale_folder(
    root: Path, n: int = 6, n_bars: int = 8, modes: tuple[str, ...] = ("major",)
) -> Path:
    """``n`` chorale-like MIDI files written with gamegan's own writer, in ``modes`` in turn."""
    from gamegan.io.midi import write_midi

    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        write_midi(chorale_score(i, n_bars, modes[i % len(modes)]), root / f"piece{i}.mid")
    return root
