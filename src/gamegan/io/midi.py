"""Standard MIDI files <-> :class:`gamegan.music.score.Score`, through mido.

MIDI files from the wild are often broken: truncated downloads, type 2 sequences, absurd tempos,
notes that never end, or a single delta time that pushes the end of the song years away. Each
of these gives a :class:`MidiError` (a ``DataError``) with one line naming the file and the
reason, or, when the music itself is still usable, a note in ``score.extra["warnings"]``.
mido is imported inside the functions so ``import gamegan`` stays fast.
"""

from __future__ import annotations

import os
from collections import deque
from pathlib import Path

from gamegan.errors import DataError
from gamegan.music.score import Key, Note, Part, Score

__all__ = [
    "MAX_NOTES",
    "MAX_QUARTERS",
    "MAX_TEMPO",
    "MIN_TEMPO",
    "MidiError",
    "midi_file",
    "read_midi",
    "write_midi",
]

# Safety limits: a real piece is far below both; beyond them a file is broken or hostile and
# would only eat memory (a 100,000-quarter song lasts about 14 hours at 120 bpm).
MAX_QUARTERS = 100_000
MAX_NOTES = 2_000_000
LOOP_START_MARKER, LOOP_END_MARKER = "loopStart", "loopEnd"
MIN_TEMPO, MAX_TEMPO = 10.0, 1000.0  # bpm; outside this range a set_tempo is a corrupt value

DRUM_CHANNEL = 9  # channel 10 in General MIDI's 1-based numbering
PITCHED_CHANNELS = tuple(c for c in range(16) if c != DRUM_CHANNEL)

_TONICS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
# The spelling mido accepts for each tonic pitch class (flats for majors, as in common use).
_MAJOR_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_MINOR_NAMES = ("Cm", "C#m", "Dm", "Ebm", "Em", "Fm", "F#m", "Gm", "G#m", "Am", "Bbm", "Bm")


class MidiError(DataError):
    """A MIDI file that cannot be used; ``reason`` is the message without the file name."""

    def __init__(self, path: str | os.PathLike, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


# reading


def _load(path: Path):
    import mido

    if not path.is_file():
        raise MidiError(path, "no such file" if not path.exists() else "not a file")
    try:
        # clip=True clamps stray data bytes above 127 (a common glitch) instead of failing.
        midi = mido.MidiFile(path, clip=True)
    except MemoryError:
        raise
    except EOFError:
        raise MidiError(path, "truncated MIDI file (it ends in the middle of a chunk)") from None
    except Exception as err:  # mido raises OSError, ValueError, KeyError, ... for bad bytes
        text = str(err).splitlines()[0] if str(err) else type(err).__name__
        if "MThd not found" in text:
            raise MidiError(path, "not a MIDI file (no MThd header)") from None
        raise MidiError(path, f"corrupt MIDI file ({text})") from None
    if midi.type == 2:
        raise MidiError(path, "type 2 MIDI (independent sequences) is not supported")
    if midi.type not in (0, 1):
        raise MidiError(path, f"unknown MIDI file type {midi.type}")
    if midi.ticks_per_beat <= 0:
        # A negative division is SMPTE time (frames per second), which has no beats at all.
        raise MidiError(path, "SMPTE time division (no ticks per beat) is not supported")
    return midi


def _key_from_name(name: str) -> Key | None:
    minor = name.endswith("m")
    text = name[:-1] if minor else name
    if not text or text[0] not in _TONICS:
        return None
    tonic = _TONICS[text[0]] + text[1:].count("#") - text[1:].count("b")
    return Key(tonic, "minor" if minor else "major")


class _TrackReader:
    """Notes of one track by channel, with the FIFO pairing of note-ons and note-offs."""

    def __init__(self, path: Path, ticks_per_beat: int, n_notes: list[int]) -> None:
        self.path = path
        self.ticks_per_beat = ticks_per_beat
        self.max_ticks = MAX_QUARTERS * ticks_per_beat
        self.n_notes = n_notes  # shared counter over the whole file
        # channel -> (on tick, pitch, off tick, velocity)
        self.notes: dict[int, list[tuple[int, int, int, int]]] = {}
        self.sounding: dict[tuple[int, int], deque[tuple[int, int]]] = {}
        self.channels: list[int] = []  # in order of first appearance

    def see(self, channel: int) -> None:
        if channel not in self.notes:
            self.notes[channel] = []
            self.channels.append(channel)

    def note_on(self, tick: int, channel: int, pitch: int, velocity: int) -> None:
        self.see(channel)
        self.sounding.setdefault((channel, pitch), deque()).append((tick, velocity))

    def note_off(self, tick: int, channel: int, pitch: int) -> None:
        queue = self.sounding.get((channel, pitch))
        if queue:  # a note-off with nothing sounding is ignored
            start, velocity = queue.popleft()
            self._add(channel, start, pitch, tick, velocity)

    def finish(self, last_tick: int) -> None:
        # Notes that were never ended stop where the track stops.
        for (channel, pitch), queue in self.sounding.items():
            for start, velocity in queue:
                self._add(channel, start, pitch, last_tick, velocity)
        self.sounding.clear()

    def _add(self, channel: int, start: int, pitch: int, stop: int, velocity: int) -> None:
        if stop <= start:
            return  # zero-length notes carry nothing
        if stop > self.max_ticks:
            raise MidiError(
                self.path,
                f"notes extend past {MAX_QUARTERS:,} quarter notes (huge delta times?)",
            )
        self.n_notes[0] += 1
        if self.n_notes[0] > MAX_NOTES:
            raise MidiError(self.path, f"more than {MAX_NOTES:,} notes")
        self.notes[channel].append((start, pitch, stop, velocity))

    def parts(self, names: dict[int, str], programs: dict[int, int], default_name: str) -> list:
        parts = []
        scale = 1.0 / self.ticks_per_beat
        for channel in self.channels:
            events = self.notes[channel]
            if not events:
                continue
            notes = tuple(
                Note(round(on * scale, 6), pitch, round((off - on) * scale, 6), max(1, vel))
                for on, pitch, off, vel in events
            )
            parts.append(
                Part(
                    notes=notes,
                    name=names.get(channel, default_name),
                    program=programs.get(channel, 0),
                    is_drum=channel == DRUM_CHANNEL,
                )
            )
        return parts


def read_midi(path: str | os.PathLike) -> Score:
    """Read a type 0 or type 1 standard MIDI file.

    Type 1 files give one part per (track, channel) that holds notes, type 0 files one per
    channel; channel 10 (9 counting from 0) is drums. Tempo, time signature and key come from
    the first ``set_tempo``, ``time_signature`` and ``key_signature`` events.

    Parameters
    ----------
    path : str or PathLike
        The ``.mid``/``.midi``/``.kar`` file.

    Returns
    -------
    Score
        Times in quarter notes (ticks / ticks per beat, rounded to 1e-6). Overlapping notes of
        one pitch end first-in first-out; notes never ended stop at their track's last event;
        zero-length notes are dropped. ``extra["source"]`` is the path; ``extra["warnings"]``
        lists repairs (a clamped tempo), when there were any.

    Raises
    ------
    MidiError
        (a ``DataError``) if the file is missing, truncated, corrupt, type 2, holds no notes,
        holds more than :data:`MAX_NOTES` notes or notes past :data:`MAX_QUARTERS` quarters.
    """
    path = Path(path)
    midi = _load(path)
    tpb = midi.ticks_per_beat
    warnings: list[str] = []
    tempo = time_signature = key = None
    loop_end = 0.0
    title = ""
    n_notes = [0]
    tracks = []  # (reader, names, programs, track name) per track
    first_programs: dict[int, int] = {}
    for track in midi.tracks:
        reader = _TrackReader(path, tpb, n_notes)
        programs: dict[int, int] = {}
        names: dict[int, str] = {}
        track_name = ""
        prefix = None  # channel named by a channel_prefix meta event, until the next channel event
        tick = 0
        for msg in track:
            tick += msg.time
            kind = msg.type
            if kind == "note_on" and msg.velocity > 0:
                reader.note_on(tick, msg.channel, msg.note, msg.velocity)
            elif kind == "note_off" or kind == "note_on":
                reader.note_off(tick, msg.channel, msg.note)
            elif kind == "program_change":
                reader.see(msg.channel)
                programs.setdefault(msg.channel, msg.program)
                first_programs.setdefault(msg.channel, msg.program)
            elif kind == "channel_prefix":
                prefix = msg.channel
                reader.see(prefix)
            elif kind in ("track_name", "instrument_name"):
                if prefix is not None:
                    names.setdefault(prefix, msg.name)
                elif kind == "track_name" and not track_name:
                    track_name = msg.name
            elif kind == "set_tempo" and tempo is None:
                tempo = 60_000_000 / msg.tempo if msg.tempo > 0 else float("inf")
            elif kind == "time_signature" and time_signature is None:
                time_signature = (msg.numerator, msg.denominator)
            elif kind == "key_signature" and key is None:
                key = _key_from_name(msg.key)
            elif kind == "marker" and msg.text == LOOP_END_MARKER and not loop_end:
                loop_end = tick / tpb
            if not msg.is_meta and hasattr(msg, "channel"):
                prefix = None
        reader.finish(tick)
        tracks.append((reader, names, programs, track_name))

    parts: list[Part] = []
    for index, (reader, names, programs, track_name) in enumerate(tracks):
        # A program change holds for its channel across tracks (type 1 files often put them
        # all in the first track); the track's own change wins.
        programs = {**first_programs, **programs}
        track_parts = reader.parts(names, programs, track_name if midi.type == 1 else "")
        if midi.type == 0 or (index == 0 and not track_parts):
            title = title or track_name  # a song title, not a part name
        parts.extend(track_parts)
    if not parts:
        raise MidiError(path, "no notes")
    if tempo is None:
        tempo = 120.0
    elif not MIN_TEMPO <= tempo <= MAX_TEMPO:
        clamped = min(max(tempo, MIN_TEMPO), MAX_TEMPO)
        warnings.append(f"tempo {tempo:.4g} bpm is out of range; clamped to {clamped:g}")
        tempo = clamped
    extra: dict = {"source": str(path)}
    if warnings:
        extra["warnings"] = warnings
    return Score(
        parts=tuple(parts),
        tempo=round(tempo, 3),
        time_signature=time_signature or (4, 4),
        key=key,
        title=title,
        loop_end=loop_end,
        extra=extra,
    )


# writing


def _channels(parts: tuple[Part, ...]) -> list[int]:
    """Drums on channel 9; pitched parts take 0-8 and 10-15, reused in turn past 15 parts."""
    channels, n_pitched = [], 0
    for part in parts:
        if part.is_drum:
            channels.append(DRUM_CHANNEL)
        else:
            channels.append(PITCHED_CHANNELS[n_pitched % len(PITCHED_CHANNELS)])
            n_pitched += 1
    return channels


def _to_delta(events: list[tuple[int, int, object]]):
    """(tick, order, message) -> messages with delta times; note-offs sort before note-ons."""
    events.sort(key=lambda e: (e[0], e[1]))
    last, messages = 0, []
    for tick, _, msg in events:
        messages.append(msg.copy(time=tick - last))
        last = tick
    return messages


def _part_events(part: Part, channel: int, ticks_per_beat: int) -> list:
    import mido

    events = []
    for note in part.notes:
        if not 0 <= note.pitch <= 127:
            continue  # no MIDI number to write
        start = round(note.onset * ticks_per_beat)
        stop = max(round(note.end * ticks_per_beat), start + 1)  # never round a note away
        velocity = min(max(int(note.velocity), 1), 127)
        on = mido.Message("note_on", channel=channel, note=note.pitch, velocity=velocity)
        off = mido.Message("note_off", channel=channel, note=note.pitch, velocity=0)
        events.append((start, 2, on))
        events.append((stop, 1, off))
    return events


def write_midi(
    score: Score, path: str | os.PathLike, *, midi_type: int = 1, ticks_per_beat: int = 480
) -> Path:
    """Write a score as a standard MIDI file.

    Type 1 gets a conductor track (title, tempo, time signature, key) and one track per part;
    type 0 merges everything into one track and names each part with a ``channel_prefix`` +
    ``instrument_name`` pair, so :func:`read_midi` gets the names back. Each part plays on its
    own channel: drums on 9, pitched parts on the others, reused past 15 pitched parts (a type
    0 file then merges the parts that share a channel).

    Parameters
    ----------
    score : Score
        What to write; velocities are clamped to 1-127 and pitches outside 0-127 are left out.
    path : str or PathLike
        Output file; missing folders are created. Written to a temporary file in the same
        folder and renamed, so a crash never leaves half a file.
    midi_type : int, optional
        0 or 1.
    ticks_per_beat : int, optional
        Time resolution; times are rounded to ``1 / ticks_per_beat`` quarter notes.

    Returns
    -------
    Path
        ``path``.
    """
    midi = midi_file(score, midi_type=midi_type, ticks_per_beat=ticks_per_beat)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as file:
            midi.save(file=file)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def midi_file(score: Score, *, midi_type: int = 1, ticks_per_beat: int = 480):
    """The ``mido.MidiFile`` that :func:`write_midi` saves (same arguments), for callers that
    want the file in memory, such as a synthesizer that takes bytes."""
    import mido

    if midi_type not in (0, 1):
        raise ValueError(f"midi_type must be 0 or 1, got {midi_type}")
    if not 1 <= ticks_per_beat < 0x8000:
        raise ValueError(f"ticks_per_beat must be in 1..32767, got {ticks_per_beat}")

    conductor: list = []
    if score.title:
        conductor.append((0, 0, mido.MetaMessage("track_name", name=score.title)))
    tempo = min(max(float(score.tempo), MIN_TEMPO), MAX_TEMPO)
    conductor.append((0, 0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo))))
    numerator, denominator = score.time_signature
    if 1 <= numerator <= 255 and denominator in (1, 2, 4, 8, 16, 32, 64, 128):
        conductor.append(
            (0, 0, mido.MetaMessage("time_signature", numerator=numerator, denominator=denominator))
        )
    if score.key is not None:
        names = _MAJOR_NAMES if score.key.mode == "major" else _MINOR_NAMES
        conductor.append((0, 0, mido.MetaMessage("key_signature", key=names[score.key.tonic])))

    loop_tick = round(score.loop_end * ticks_per_beat) if score.loop_end > 0 else None
    if loop_tick is not None:
        # The markers game engines and trackers read (RPG Maker, FMOD, Wwise take these names).
        conductor.append((0, 0, mido.MetaMessage("marker", text=LOOP_START_MARKER)))
        conductor.append((loop_tick, 0, mido.MetaMessage("marker", text=LOOP_END_MARKER)))

    tracks: list[list] = [conductor]
    for part, channel in zip(score.parts, _channels(score.parts), strict=True):
        header = []
        if midi_type == 1:
            if part.name:
                header.append(mido.MetaMessage("track_name", name=part.name))
        else:
            header.append(mido.MetaMessage("channel_prefix", channel=channel))
            if part.name:
                header.append(mido.MetaMessage("instrument_name", name=part.name))
        program = min(max(int(part.program), 0), 127)
        header.append(mido.Message("program_change", channel=channel, program=program))
        events = [(0, 0, msg) for msg in header] + _part_events(part, channel, ticks_per_beat)
        if midi_type == 1:
            tracks.append(events)
        else:
            tracks[0].extend(events)

    midi = mido.MidiFile(type=midi_type, ticks_per_beat=ticks_per_beat)
    for events in tracks:
        track = mido.MidiTrack(_to_delta(events))
        # A loop's every track ends exactly at the loop point, so the file is the loop's length.
        end = 0 if loop_tick is None else max(0, loop_tick - sum(m.time for m in track))
        track.append(mido.MetaMessage("end_of_track", time=end))
        midi.tracks.append(track)
    return midi
