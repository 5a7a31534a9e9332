"""Scores as parallel token streams: one event (a note or chord) per row.

The chapter's piano composer turned each note into its pitch name and each chord into its
pitch classes ("0.4.7"), dropped every duration and rest (notes came back 0.5 beats apart)
and kept the vocabulary only in the training script. :class:`ChordCodec` keeps what it lost:

- ``element``: the MIDI numbers sounding together, dotted and ascending ("60", "48.55.64"),
  so chords keep their octaves; ``"end"`` closes a piece.
- ``duration``: how long the event sounds, in quarter notes ("0.5", "0.3333").
- ``step``: quarter notes from this event's onset to the next one's. A step longer than the
  duration is a rest; a shorter one lets the event ring under the next.

Times are quantized to ``1 / resolution`` of a quarter note (12: sixteenths and eighth-note
triplets are exact). The vocabularies are JSON (:meth:`ChordCodec.to_dict`) so a snapshot
carries them with its weights.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Protocol

import numpy as np

from gamegan.music.score import Note, Part, Score

END = "end"  # element of the piece-closing event
ZERO = "0"  # duration and step of the end event (no real event has a zero duration or step)
MAX_INNER_SEARCH = 10  # a rarer chord with more inner notes is searched greedily, not fully


class CodecOptions(Protocol):
    """What :meth:`ChordCodec.prepare` and :meth:`ChordCodec.fit` read from a model config."""

    transpose_to_c: bool
    min_count: int
    resolution: int


def _chord_text(pitches: Iterable[int]) -> str:
    return ".".join(str(p) for p in sorted(pitches))


def _chord_pitches(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def _quarters_text(ticks: int, resolution: int) -> str:
    """Ticks as a short quarter-note string: 6 -> "0.5", 4 -> "0.3333", 24 -> "2"."""
    return f"{ticks / resolution:.4f}".rstrip("0").rstrip(".")


def _events(score: Score, resolution: int) -> list[tuple[tuple[int, ...], int, int]]:
    """(pitches, duration ticks, step ticks) per event, before any vocabulary lookup.

    Notes sharing a quantized onset merge into one event lasting as long as the longest.
    The last event's step is its own duration: the piece ends when it stops.
    """
    by_onset: dict[int, tuple[set[int], int]] = {}
    for part in score.pitched_parts():
        for note in part.notes:
            onset = round(note.onset * resolution)
            duration = max(1, round(note.duration * resolution))  # a grace note keeps a tick
            pitches, longest = by_onset.get(onset, (set(), 0))
            pitches.add(note.pitch)
            by_onset[onset] = (pitches, max(longest, duration))
    onsets = sorted(by_onset)
    events = []
    for i, onset in enumerate(onsets):
        pitches, duration = by_onset[onset]
        step = onsets[i + 1] - onset if i + 1 < len(onsets) else duration
        events.append((tuple(sorted(pitches)), duration, step))
    return events


class ChordCodec:
    """Notes and chords with octaves, durations and onset steps, one event per token row.

    Notes sharing an onset (after quantization) form one chord event. Its duration is the
    longest of theirs: on a piano that is the pedal holding the shorter notes, and it keeps
    the melody's long notes whole (the shortest would cut them into note-plus-rest).
    A piece's leading silence is not kept: decoded pieces start at time 0. Velocities are
    not modelled; decoded notes have the default velocity.
    """

    streams: tuple[str, ...] = ("element", "duration", "step")

    def __init__(
        self,
        elements: Sequence[str],
        durations: Sequence[str],
        steps: Sequence[str],
        resolution: int = 12,
    ) -> None:
        if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 1:
            raise ValueError(f"resolution must be an integer >= 1, got {resolution!r}")
        self.resolution = resolution
        self._vocab = {"element": list(elements), "duration": list(durations), "step": list(steps)}
        for stream, first in zip(self.streams, (END, ZERO, ZERO), strict=True):
            words = self._vocab[stream]
            if not words or words[0] != first:
                raise ValueError(f"{stream} vocabulary must start with {first!r}")
            if len(set(words)) != len(words):
                raise ValueError(f"{stream} vocabulary has repeated entries")
        self._index = {s: {w: i for i, w in enumerate(ws)} for s, ws in self._vocab.items()}
        self._pitches = [() if w == END else _chord_pitches(w) for w in self._vocab["element"]]
        self._duration_ticks = np.array([self._ticks(w) for w in durations], dtype=np.int64)
        self._step_ticks = np.array([self._ticks(w) for w in steps], dtype=np.int64)
        self._single = np.array(sorted(p[0] for p in self._pitches if len(p) == 1), dtype=np.int64)
        self._element_cache: dict[tuple[int, ...], int] = {}

    def _ticks(self, text: str) -> int:
        return round(float(text) * self.resolution)

    # fitting

    @classmethod
    def prepare(cls, score: Score, cfg: CodecOptions) -> Score | None:
        """One piano part (program 0) holding every pitched note; None when there are none.

        With ``cfg.transpose_to_c`` a major piece moves to C major and a minor one to A minor
        (by at most a tritone), so one vocabulary serves every key; a score without a key
        stays as it is.
        """
        if cfg.transpose_to_c and score.key is not None:
            target = 0 if score.key.mode == "major" else 9
            score = score.transposed(score.key.semitones_to(target))
        notes = tuple(n for part in score.pitched_parts() for n in part.notes)
        if not notes:
            return None
        piano = Part(notes=notes, name="piano", program=0, is_drum=False)
        return replace(score, parts=(piano,))

    @classmethod
    def fit(cls, scores: list[Score], cfg: CodecOptions) -> ChordCodec:
        """Vocabularies of the prepared ``scores``: values seen ``cfg.min_count`` times or more.

        Every pitch met anywhere stays as a single note (the last resort of a rare chord);
        a chord, duration or step seen fewer times is left out, and :meth:`encode` maps it
        to its closest kept value (see :meth:`element_index`).
        """
        if not scores:
            raise ValueError("ChordCodec.fit needs at least one score")
        resolution = cfg.resolution
        chords: Counter[tuple[int, ...]] = Counter()
        durations: Counter[int] = Counter()
        steps: Counter[int] = Counter()
        pitches: set[int] = set()
        for score in scores:
            for chord, duration, step in _events(score, resolution):
                chords[chord] += 1
                durations[duration] += 1
                steps[step] += 1
                pitches.update(chord)
        kept = {c for c, n in chords.items() if n >= cfg.min_count and len(c) > 1}
        kept |= {(p,) for p in pitches}
        elements = [END] + [_chord_text(c) for c in sorted(kept, key=lambda c: (len(c), c))]

        def times(counts: Counter[int]) -> list[str]:
            values = sorted(v for v, n in counts.items() if n >= cfg.min_count) or sorted(counts)
            return [ZERO] + [_quarters_text(v, resolution) for v in values]

        return cls(elements, times(durations), times(steps), resolution)

    # encoding

    def element_index(self, pitches: Sequence[int]) -> int:
        """The element id of a chord, or of the closest chord in the vocabulary.

        A chord that is not kept loses inner notes, fewest first, keeping its bass and top
        (the outer voices carry the harmony's shape); among equally small removals the notes
        that double another's pitch class go first, then the lower ones. If even bass plus
        top is unknown it becomes its top note (the melody); a pitch never seen becomes the
        nearest seen pitch.
        """
        chord = tuple(sorted(set(pitches)))
        if not chord:
            raise ValueError("an event needs at least one pitch")
        cached = self._element_cache.get(chord)
        if cached is not None:
            return cached
        index = self._index["element"].get(_chord_text(chord))
        if index is None and len(chord) > 2:
            index = self._reduce(chord)
        if index is None:
            index = self._single_index(chord[-1])
        self._element_cache[chord] = index
        return index

    def _reduce(self, chord: tuple[int, ...]) -> int | None:
        bass, inner, top = chord[0], list(chord[1:-1]), chord[-1]
        lookup = self._index["element"]
        classes = Counter(p % 12 for p in chord)

        def order(note: int) -> tuple[int, int]:
            return (0 if classes[note % 12] > 1 else 1, note)  # doublings first, then low notes

        inner.sort(key=order)
        if len(inner) > MAX_INNER_SEARCH:  # greedy: drop in that order, one at a time
            for k in range(1, len(inner) + 1):
                index = lookup.get(_chord_text([bass, *inner[k:], top]))
                if index is not None:
                    return index
            return None
        for n_drop in range(1, len(inner) + 1):
            for dropped in itertools.combinations(inner, n_drop):
                rest = [p for p in inner if p not in dropped]
                index = lookup.get(_chord_text([bass, *rest, top]))
                if index is not None:
                    return index
        return None

    def _single_index(self, pitch: int) -> int:
        if not len(self._single):
            raise ValueError("the element vocabulary holds no single notes")
        nearest = int(self._single[np.argmin(np.abs(self._single - pitch))])
        return self._index["element"][str(nearest)]

    @staticmethod
    def _nearest(table: np.ndarray, ticks: int) -> int:
        """Index of the closest nonzero value (index 0 is the end event's zero)."""
        distance = np.abs(table[1:] - ticks)
        return 1 + int(np.argmin(distance)) if len(distance) else 0

    def encode(self, score: Score) -> np.ndarray:
        """Token rows [T, 3] (element, duration, step) of one score, closed by the end event."""
        rows = [
            (
                self.element_index(pitches),
                self._nearest(self._duration_ticks, duration),
                self._nearest(self._step_ticks, step),
            )
            for pitches, duration, step in _events(score, self.resolution)
        ]
        rows.append(tuple(self.start_event()))
        return np.asarray(rows, dtype=np.int64).reshape(-1, len(self.streams))

    def decode(self, tokens: np.ndarray, *, tempo: float = 100.0, program: int = 0) -> list[Score]:
        """Scores from token rows [T, 3]: one per run between end events, empty runs dropped.

        Each event's notes start at the running time and last ``duration``; the time then
        moves on by ``step``. Sampled rows can mix streams oddly: a zero duration becomes
        the step (or one quarter note), and a note struck again while it still sounds is
        cut there (a piano key cannot sound twice).
        """
        tokens = np.asarray(tokens)
        if tokens.ndim != 2 or tokens.shape[1] != len(self.streams):
            raise ValueError(f"tokens must have shape [T, {len(self.streams)}], got {tokens.shape}")
        for column, (stream, size) in enumerate(zip(self.streams, self.vocab_sizes, strict=True)):
            values = tokens[:, column]
            if len(values) and (values.min() < 0 or values.max() >= size):
                raise ValueError(f"{stream} tokens must be in [0, {size}), got {values.tolist()}")
        scores: list[Score] = []
        notes: list[Note] = []
        sounding: dict[int, int] = {}  # pitch -> index in notes of its latest note
        time = 0
        for element, duration_id, step_id in tokens.tolist():
            if element == 0:
                if notes:
                    scores.append(self._score(notes, tempo, program))
                notes, sounding, time = [], {}, 0
                continue
            step = int(self._step_ticks[step_id])
            duration = int(self._duration_ticks[duration_id]) or step or self.resolution
            onset = time / self.resolution
            for pitch in self._pitches[element]:
                previous = sounding.get(pitch)
                if previous is not None and notes[previous].end > onset:
                    cut = onset - notes[previous].onset
                    notes[previous] = replace(notes[previous], duration=cut)
                sounding[pitch] = len(notes)
                notes.append(Note(onset, pitch, duration / self.resolution))
            time += step
        if notes:
            scores.append(self._score(notes, tempo, program))
        return scores

    @staticmethod
    def _score(notes: list[Note], tempo: float, program: int) -> Score:
        notes = [n for n in notes if n.duration > 0]  # a note cut at its own onset vanishes
        return Score(parts=(Part(notes=tuple(notes), name="piano", program=program),), tempo=tempo)

    # vocabulary

    def start_event(self) -> np.ndarray:
        """The end event [3]: a piece boundary, so the prompt for a piece from scratch."""
        return np.zeros(len(self.streams), dtype=np.int64)

    @property
    def vocab_sizes(self) -> tuple[int, int, int]:
        return tuple(len(self._vocab[s]) for s in self.streams)  # type: ignore[return-value]

    @property
    def vocab(self) -> dict[str, list[str]]:
        return {s: list(self._vocab[s]) for s in self.streams}

    def to_dict(self) -> dict:
        """JSON-able form stored in the snapshot next to the weights."""
        return {"codec": "chord", "resolution": self.resolution, "vocab": self.vocab}

    @classmethod
    def from_dict(cls, data: dict) -> ChordCodec:
        """Inverse of :meth:`to_dict`."""
        if data.get("codec") != "chord":
            raise ValueError(f"not a ChordCodec dict: codec={data.get('codec')!r}")
        vocab = data["vocab"]
        return cls(vocab["element"], vocab["duration"], vocab["step"], int(data["resolution"]))
