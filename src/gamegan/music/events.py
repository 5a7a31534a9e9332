"""Monophonic melodies as parallel (pitch, duration) event streams: the chapter's note generator.

Each event is a pitch token (a MIDI number, ``rest`` or ``end``) and a duration token (quarter
notes). Gaps between notes become rests, and an ``end`` event of duration 0 closes every piece,
so a model trained on concatenated pieces learns where pieces stop and can be prompted with
``end`` to start one. The vocabularies are plain strings, kept with a model's weights as JSON,
so decoding never needs the training data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from gamegan.errors import DataError
from gamegan.music.score import Note, Part, Score

REST = "rest"
END = "end"
FORMAT = "gamegan.events/1"
SOPRANO_NAMES = ("s", "s.", "sop", "sop.")  # besides names starting with "sopran"


def _options(cfg: Any) -> tuple[bool, int]:
    """The codec's options from a model config (``transpose_to_c``, ``resolution``)."""
    return bool(getattr(cfg, "transpose_to_c", True)), int(getattr(cfg, "resolution", 24))


def _format_quarters(steps: int, resolution: int) -> str:
    """Grid steps as a readable quarter length: "0.5", "1.5", or "1/3" for triplets."""
    q = Fraction(steps, resolution)
    if 10**6 % q.denominator == 0:  # a finite decimal
        return str(float(q))
    return f"{q.numerator}/{q.denominator}"


def _parse_quarters(text: str, resolution: int) -> int:
    return round(Fraction(text) * resolution)


def _is_soprano(part: Part) -> bool:
    name = part.name.strip().lower()
    return name.startswith("sopran") or name in SOPRANO_NAMES


def _mean_pitch(part: Part) -> float:
    return sum(n.pitch for n in part.notes) / len(part.notes)


def _top_line(notes: tuple[Note, ...]) -> tuple[Note, ...]:
    """Reduce overlapping notes to the highest: a higher entry cuts the sounding note short,
    a lower note starting under a sounding one is dropped."""
    kept: list[Note] = []
    for note in sorted(notes, key=lambda n: (n.onset, -n.pitch)):
        if kept and note.onset < kept[-1].end - 1e-9:
            last = kept[-1]
            if note.pitch <= last.pitch:
                continue
            if note.onset - last.onset > 1e-9:
                kept[-1] = Note(last.onset, last.pitch, note.onset - last.onset, last.velocity)
            else:
                kept.pop()
        kept.append(note)
    return tuple(kept)


def _events(score: Score, resolution: int) -> list[tuple[int | None, int]]:
    """(MIDI pitch or None for a rest, duration in grid steps) for the one pitched part.

    Onsets and ends are rounded to the grid first, so float noise cannot split a token and the
    rests between notes add up exactly; notes rounding to nothing (grace notes) are dropped.
    """
    parts = score.pitched_parts()
    if len(parts) > 1:
        raise ValueError(
            f"EventCodec encodes one melody, got {len(parts)} pitched parts; prepare() it first"
        )
    events: list[tuple[int | None, int]] = []
    time = 0
    for note in parts[0].notes if parts else ():
        start = round(note.onset * resolution)
        stop = round(note.end * resolution)
        if stop <= start or start < time:  # nothing left, or overlapping (not prepared)
            continue
        if start > time:
            events.append((None, start - time))
        events.append((note.pitch, stop - start))
        time = stop
    return events


@dataclass(frozen=True)
class EventCodec:
    """Pitch and duration vocabularies fitted on melodies; encodes scores to [T, 2] tokens.

    Pitch tokens are the sorted MIDI numbers seen, then ``rest`` and ``end``; duration tokens
    are ``0.0`` (the end event's), then the sorted durations seen, on a grid of
    ``resolution`` steps per quarter note. Build one with :meth:`fit` or :meth:`from_dict`.
    """

    streams: ClassVar[tuple[str, ...]] = ("pitch", "duration")

    pitches: tuple[int, ...]  # MIDI numbers, sorted
    durations: tuple[int, ...]  # positive durations in grid steps, sorted
    resolution: int = 24  # grid steps per quarter note: 32nds, triplets and sextuplets fit
    _pitch_index: dict[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pitches", tuple(int(p) for p in self.pitches))
        object.__setattr__(self, "durations", tuple(int(d) for d in self.durations))
        if list(self.pitches) != sorted(set(self.pitches)) or not all(
            0 <= p <= 127 for p in self.pitches
        ):
            raise ValueError(f"pitches must be distinct sorted MIDI numbers, got {self.pitches}")
        if list(self.durations) != sorted(set(self.durations)) or not all(
            d > 0 for d in self.durations
        ):
            raise ValueError(f"durations must be distinct sorted steps > 0, got {self.durations}")
        if self.resolution < 1:
            raise ValueError(f"resolution must be >= 1, got {self.resolution}")
        object.__setattr__(self, "_pitch_index", {p: i for i, p in enumerate(self.pitches)})

    # token ids

    @property
    def rest_id(self) -> int:
        return len(self.pitches)

    @property
    def end_id(self) -> int:
        return len(self.pitches) + 1

    @property
    def vocab_sizes(self) -> tuple[int, int]:
        """(pitch tokens, duration tokens): the sizes of the network's one-hot inputs."""
        return len(self.pitches) + 2, len(self.durations) + 1

    @property
    def vocab(self) -> dict[str, list[str]]:
        """Readable tokens per stream, in id order."""
        return {
            "pitch": [str(p) for p in self.pitches] + [REST, END],
            "duration": ["0.0"] + [_format_quarters(d, self.resolution) for d in self.durations],
        }

    # building

    @classmethod
    def prepare(cls, score: Score, cfg: Any = None) -> Score | None:
        """The chapter's preprocessing: one soprano line in C major / A minor.

        Parameters
        ----------
        score
            Any score, e.g. a four-part chorale.
        cfg
            The model config; reads ``transpose_to_c`` (default True).

        Returns
        -------
        Score | None
            A one-part score: the part named soprano (``Soprano``, ``Sopran``, ``S.``), else the
            part with the highest mean pitch, with overlapping notes reduced to the top one.
            When ``transpose_to_c`` and the key is known, moved by the smallest shift onto
            C major or A minor (an unknown key stays as is). None when no notes remain.
        """
        transpose_to_c, _ = _options(cfg)
        if transpose_to_c and score.key is not None:
            target = 0 if score.key.mode == "major" else 9  # C major / A minor
            score = score.transposed(score.key.semitones_to(target))
        parts = score.pitched_parts()
        if not parts:
            return None
        named = [p for p in parts if _is_soprano(p)]
        part = named[0] if named else max(parts, key=_mean_pitch)
        notes = _top_line(part.notes)
        if not notes:
            return None
        return Score(
            parts=(Part(notes, part.name, part.program),),
            tempo=score.tempo,
            time_signature=score.time_signature,
            key=score.key,
            title=score.title,
            extra=dict(score.extra),
        )

    @classmethod
    def fit(cls, scores: list[Score], cfg: Any = None) -> EventCodec:
        """Vocabularies of the pitches and durations (notes and rests) in prepared ``scores``.

        Parameters
        ----------
        scores
            Melodies from :meth:`prepare`.
        cfg
            The model config; reads ``resolution`` (grid steps per quarter, default 24).

        Raises
        ------
        DataError
            When the scores hold no notes at all.
        """
        _, resolution = _options(cfg)
        pitches: set[int] = set()
        durations: set[int] = set()
        for score in scores:
            for pitch, steps in _events(score, resolution):
                if pitch is not None:
                    pitches.add(pitch)
                durations.add(steps)
        if not pitches:
            raise DataError("no notes to build the pitch and duration vocabularies from")
        return cls(tuple(sorted(pitches)), tuple(sorted(durations)), resolution)

    # representation

    def encode(self, score: Score) -> np.ndarray:
        """A prepared melody as events, rests filling the gaps, closed by the end event.

        Parameters
        ----------
        score
            A score with one pitched part (see :meth:`prepare`); a leading gap becomes a rest.

        Returns
        -------
        np.ndarray
            int64 [T, 2]: pitch ids and duration ids. Durations not in the vocabulary take the
            nearest one.

        Raises
        ------
        ValueError
            For a pitch outside the vocabulary, or a score with several pitched parts.
        """
        known = np.asarray(self.durations)
        rows = []
        for pitch, steps in _events(score, self.resolution):
            if pitch is None:
                pitch_id = self.rest_id
            elif pitch in self._pitch_index:
                pitch_id = self._pitch_index[pitch]
            else:
                raise ValueError(f"pitch {pitch} is not in the vocabulary {self.pitches}")
            rows.append((pitch_id, 1 + int(np.abs(known - steps).argmin())))
        rows.append(tuple(self.start_event()))
        return np.asarray(rows, dtype=np.int64)

    def decode(self, tokens: np.ndarray, *, tempo: float = 100.0, program: int = 0) -> list[Score]:
        """Events back to one-part scores, one per piece.

        Parameters
        ----------
        tokens
            [T, 2] pitch and duration ids (a CPU tensor works too).
        tempo
            Quarter notes per minute of the scores.
        program
            General MIDI program of the part.

        Returns
        -------
        list[Score]
            A score per stretch between end events; empty ones are dropped. A rest only
            advances time, the end event's duration is ignored, and a note or rest drawn with
            duration 0 (the end event's duration) is skipped.
        """
        tokens = np.asarray(tokens)
        if tokens.ndim != 2 or tokens.shape[1] != 2:
            raise ValueError(f"tokens must have shape [T, 2], got {list(tokens.shape)}")
        n_pitch, n_duration = self.vocab_sizes
        if tokens.size and (
            tokens.min() < 0 or tokens[:, 0].max() >= n_pitch or tokens[:, 1].max() >= n_duration
        ):
            raise ValueError(f"token ids outside the vocabulary sizes {self.vocab_sizes}")
        scores: list[Score] = []
        notes: list[Note] = []
        time = 0

        def close() -> None:
            if notes:
                part = Part(tuple(notes), name="Soprano", program=program)
                scores.append(Score(parts=(part,), tempo=tempo))

        for pitch_id, duration_id in tokens.tolist():
            if pitch_id == self.end_id:
                close()
                notes, time = [], 0
                continue
            if duration_id == 0:
                continue
            steps = self.durations[duration_id - 1]
            if pitch_id != self.rest_id:
                onset, duration = time / self.resolution, steps / self.resolution
                notes.append(Note(onset, self.pitches[pitch_id], duration))
            time += steps
        close()
        return scores

    def start_event(self) -> np.ndarray:
        """The end event, int64 [2]: it closes a piece and so also marks where one starts."""
        return np.asarray([self.end_id, 0], dtype=np.int64)

    # JSON form, stored with the weights

    def to_dict(self) -> dict:
        """A JSON-able dict: the readable vocabularies and the grid."""
        return {"format": FORMAT, "resolution": self.resolution, **self.vocab}

    @classmethod
    def from_dict(cls, data: dict) -> EventCodec:
        """Inverse of :meth:`to_dict`."""
        if data.get("format", FORMAT) != FORMAT:
            raise ValueError(f"not an event codec: format {data.get('format')!r}")
        resolution = int(data["resolution"])
        pitch, duration = list(data["pitch"]), list(data["duration"])
        if pitch[-2:] != [REST, END] or duration[:1] != ["0.0"]:
            raise ValueError("event vocabularies must end with rest, end and start with 0.0")
        return cls(
            tuple(int(p) for p in pitch[:-2]),
            tuple(_parse_quarters(d, resolution) for d in duration[1:]),
            resolution,
        )
