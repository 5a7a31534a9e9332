"""One small score model that every music input, representation and output goes through.

Times are in quarter notes (beats of a x/4 bar), so a score's rhythm does not depend on its
tempo. Notes are plain values; parts hold them sorted by onset. The model is deliberately
muspy-like and immutable: representations ``encode`` a :class:`Score` and ``decode`` one back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

PITCH_NAMES = ("C", "C#", "D", "E-", "E", "F", "F#", "G", "G#", "A", "B-", "B")
MODES = ("major", "minor")


@dataclass(frozen=True, order=True)
class Note:
    """A sounding note: onset and duration in quarter notes, MIDI pitch and velocity."""

    onset: float
    pitch: int
    duration: float
    velocity: int = 80

    @property
    def end(self) -> float:
        return self.onset + self.duration


@dataclass(frozen=True)
class Part:
    """One voice or instrument: a General MIDI program (0-127) and its notes by onset."""

    notes: tuple[Note, ...] = ()
    name: str = ""
    program: int = 0  # General MIDI program, 0 = acoustic grand piano
    is_drum: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "notes", tuple(sorted(self.notes)))

    @property
    def end(self) -> float:
        return max((n.end for n in self.notes), default=0.0)


@dataclass(frozen=True)
class Key:
    """A key: tonic pitch class (0 = C) and mode (``major`` or ``minor``)."""

    tonic: int = 0
    mode: str = "major"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"key mode must be one of {MODES}, got {self.mode!r}")
        object.__setattr__(self, "tonic", int(self.tonic) % 12)

    @property
    def name(self) -> str:
        return f"{PITCH_NAMES[self.tonic]} {self.mode}"

    def semitones_to(self, tonic: int) -> int:
        """The smallest shift (-5..6) that moves this key's tonic onto ``tonic``."""
        shift = (tonic - self.tonic) % 12
        return shift - 12 if shift > 6 else shift


@dataclass(frozen=True)
class Score:
    """Parts plus the global facts a MIDI file or MusicXML score carries."""

    parts: tuple[Part, ...] = ()
    tempo: float = 120.0  # quarter notes per minute
    time_signature: tuple[int, int] = (4, 4)
    key: Key | None = None
    title: str = ""
    # A seamless loop: the music repeats from 0 after this many quarter notes (0: no loop).
    loop_end: float = 0.0
    extra: dict = field(default_factory=dict, compare=False)  # provenance (file, corpus path)

    @property
    def end(self) -> float:
        """Where the last note stops, in quarter notes."""
        return max((p.end for p in self.parts), default=0.0)

    @property
    def bar_beats(self) -> float:
        """Quarter notes per bar (a 6/8 bar is 3.0)."""
        numerator, denominator = self.time_signature
        return numerator * 4.0 / denominator

    @property
    def n_bars(self) -> int:
        return math.ceil(self.end / self.bar_beats - 1e-9) if self.end > 0 else 0

    @property
    def seconds(self) -> float:
        return self.end * 60.0 / self.tempo

    @property
    def n_notes(self) -> int:
        return sum(len(p.notes) for p in self.parts)

    def pitched_parts(self) -> tuple[Part, ...]:
        """Parts that hold notes and are not drums: what every representation models."""
        return tuple(p for p in self.parts if p.notes and not p.is_drum)

    def transposed(self, semitones: int) -> Score:
        """Every pitched note moved by ``semitones`` (drums stay); notes leaving 0-127 drop."""
        parts = []
        for part in self.parts:
            if part.is_drum or semitones == 0:
                parts.append(part)
                continue
            notes = tuple(
                replace(n, pitch=n.pitch + semitones)
                for n in part.notes
                if 0 <= n.pitch + semitones <= 127
            )
            parts.append(replace(part, notes=notes))
        key = None if self.key is None else Key(self.key.tonic + semitones, self.key.mode)
        return replace(self, parts=tuple(parts), key=key)

    def sliced(self, start: float, stop: float) -> Score:
        """Notes with onsets in [start, stop), shifted to start at 0 and cut at ``stop``."""
        parts = []
        for part in self.parts:
            notes = tuple(
                replace(n, onset=n.onset - start, duration=min(n.end, stop) - n.onset)
                for n in part.notes
                if start <= n.onset < stop
            )
            parts.append(replace(part, notes=notes))
        return replace(self, parts=tuple(parts))


def concatenate(scores: Sequence[Score]) -> Score:
    """Pieces one after another: pitched part ``i`` of each piece joins part ``i``.

    Tempo, time signature, key and the parts' names and programs come from the first piece;
    each piece starts where the previous one's last note ends. No pieces give an empty score.
    """
    if not scores:
        return Score()
    joined: dict[int, tuple[Part, list[Note]]] = {}
    offset = 0.0
    for score in scores:
        for i, part in enumerate(score.pitched_parts()):
            shifted = (replace(n, onset=n.onset + offset) for n in part.notes)
            joined.setdefault(i, (part, []))[1].extend(shifted)
        offset += score.end
    parts = tuple(replace(part, notes=tuple(notes)) for part, notes in joined.values())
    return replace(scores[0], parts=parts)


# JSON form: what the parse cache stores (compact lists, not one dict per note)


def score_to_dict(score: Score) -> dict:
    """A JSON-able dict; notes are ``[onset, pitch, duration, velocity]`` lists."""
    return {
        "title": score.title,
        "tempo": score.tempo,
        "time_signature": list(score.time_signature),
        "key": None if score.key is None else [score.key.tonic, score.key.mode],
        "loop_end": score.loop_end,
        "extra": score.extra,
        "parts": [
            {
                "name": p.name,
                "program": p.program,
                "is_drum": p.is_drum,
                "notes": [[n.onset, n.pitch, n.duration, n.velocity] for n in p.notes],
            }
            for p in score.parts
        ],
    }


def score_from_dict(data: dict) -> Score:
    """Inverse of :func:`score_to_dict`."""
    parts = tuple(
        Part(
            notes=tuple(Note(float(o), int(p), float(d), int(v)) for o, p, d, v in part["notes"]),
            name=part["name"],
            program=int(part["program"]),
            is_drum=bool(part["is_drum"]),
        )
        for part in data["parts"]
    )
    key = data.get("key")
    return Score(
        parts=parts,
        tempo=float(data["tempo"]),
        time_signature=tuple(data["time_signature"]),
        key=None if key is None else Key(int(key[0]), key[1]),
        title=data.get("title", ""),
        loop_end=float(data.get("loop_end", 0.0)),
        extra=dict(data.get("extra") or {}),
    )
