"""One music file to :class:`~gamegan.music.score.Score` objects: MIDI by our reader, the rest
by music21. Runs in a worker process (:mod:`gamegan.data.music.workers`)."""

from __future__ import annotations

from pathlib import Path

from gamegan.data.music.sources import Item
from gamegan.io.midi import MAX_TEMPO, MIN_TEMPO
from gamegan.music.score import Key, Note, Part, Score


class Skip(Exception):
    """A file that parsed but cannot be used (or did not parse); ``str()`` is the reason."""


def _qn(value) -> float:
    return round(float(value), 6)  # music21 times are floats or Fractions (triplets)


def _key_of(m21_score) -> Key | None:
    from music21 import key as m21key

    keys = list(m21_score.recurse().getElementsByClass(m21key.KeySignature))
    if not keys:
        return None
    for k in keys:
        if isinstance(k, m21key.Key) and k.mode in ("major", "minor"):
            return Key(k.tonic.pitchClass, k.mode)
    # Only a key signature (or a church mode): the notes decide between its major and minor.
    sharps = keys[0].sharps
    try:
        guess = m21_score.analyze("key")
        candidates = [guess, *getattr(guess, "alternateInterpretations", [])]
    except Exception:
        candidates = []
    for k in candidates:
        if k.sharps == sharps and k.mode in ("major", "minor"):
            return Key(k.tonic.pitchClass, k.mode)
    major = keys[0].asKey("major")
    return Key(major.tonic.pitchClass, "major")


def _part_of(m21_part) -> Part:
    from music21 import harmony, note

    instrument = m21_part.getInstrument(returnDefault=False)
    program = getattr(instrument, "midiProgram", None)
    is_drum = getattr(instrument, "midiChannel", None) == 9
    notes = []
    for el in m21_part.flatten().notes:
        if isinstance(el, harmony.Harmony):
            continue  # chord symbols and roman numerals annotate, they do not sound
        duration = _qn(el.duration.quarterLength)
        if duration <= 0 or el.duration.isGrace:
            continue
        onset = _qn(el.offset)
        velocity = el.volume.velocity if el.volume.velocity else 80
        if isinstance(el, note.Unpitched) or getattr(el, "isUnpitched", False):
            is_drum = True
            stored = getattr(el, "storedInstrument", None)
            pitches = [getattr(stored, "percMapPitch", None) or el.displayPitch().midi]
        else:
            pitches = [p.midi for p in el.pitches]
        for pitch in pitches:
            if 0 <= pitch <= 127:
                notes.append(Note(onset, int(pitch), duration, int(min(max(velocity, 1), 127))))
    name = m21_part.partName or getattr(instrument, "partName", None) or ""
    return Part(
        notes=tuple(notes),
        name=str(name),
        program=int(program) if program is not None else 0,
        is_drum=is_drum,
    )


def _score_of(m21_score, source: str) -> Score:
    from music21 import meter, tempo

    m21_score = m21_score.stripTies(inPlace=False)
    m21_parts = list(m21_score.parts) or [m21_score]  # a bare stream is one part
    parts = tuple(p for p in (_part_of(mp) for mp in m21_parts) if p.notes)
    bpm = 120.0
    for mark in m21_score.recurse().getElementsByClass(tempo.MetronomeMark):
        quarter_bpm = mark.getQuarterBPM()
        if quarter_bpm:
            bpm = min(max(float(quarter_bpm), MIN_TEMPO), MAX_TEMPO)
            break
    time_signature = (4, 4)
    for ts in m21_score.recurse().getElementsByClass(meter.TimeSignature):
        time_signature = (int(ts.numerator), int(ts.denominator))
        break
    title = ""
    if m21_score.metadata is not None:
        title = m21_score.metadata.bestTitle or ""
    extra = {"source": source}
    pickup = _pickup_of(m21_parts)
    if pickup is not None:
        extra["pickup"] = pickup
    return Score(
        parts=parts,
        tempo=round(bpm, 3),
        time_signature=time_signature,
        key=_key_of(m21_score) if parts else None,
        title=str(title),
        extra=extra,
    )


def _pickup_of(m21_parts) -> float | None:
    """Length of an incomplete first bar (an upbeat) in quarter notes; None if unknown.

    Our Score has no bar lines, and two of three chorales start on an upbeat: the piano-roll
    phrases need this to cut at real bar lines.
    """
    from music21 import stream

    for part in m21_parts:
        measures = list(part.getElementsByClass(stream.Measure))
        if measures:
            first = measures[0]
            if first.paddingLeft and first.paddingLeft > 0:
                return round(float(first.duration.quarterLength), 6)
            return 0.0
    return None


def _read_music21(item: Item) -> list[Score]:
    from music21 import converter, stream

    try:
        # forceSource: music21 would otherwise pickle every parse into its own scratch folder.
        kwargs = {"forceSource": True}
        if item.number is not None:
            kwargs["number"] = item.number
        parsed = converter.parse(item.path, **kwargs)
    except MemoryError:
        raise
    except Exception as err:
        raise Skip(f"music21 cannot parse it ({describe_error(err)})") from None
    if isinstance(parsed, stream.Opus):  # an ABC book: every tune is a score
        scores = []
        for n, m21_score in enumerate(parsed.scores, start=1):
            number = getattr(m21_score.metadata, "number", None) or n
            score = _score_of(m21_score, f"{item.name}#{number}")
            score.extra["work"] = str(number)
            scores.append(score)
        return scores
    return [_score_of(parsed, item.name)]


def parse_item(path: str, number: int | None) -> list[Score]:
    """Parse one file (in a worker process) into usable scores, or raise ``Skip``."""
    item = Item(Path(path), number)
    if item.reader == "midi":
        from gamegan.io.midi import MidiError, read_midi

        try:
            scores = [read_midi(item.path)]
        except MidiError as err:
            raise Skip(err.reason) from None
    else:
        scores = _read_music21(item)
    if not any(s.n_notes for s in scores):
        raise Skip("no notes")
    usable = [s for s in scores if s.pitched_parts()]
    if not usable:
        raise Skip("drums only")
    return usable


def describe_error(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    text = f"{type(err).__name__}: {text}" if text else type(err).__name__
    return text if len(text) <= 200 else text[:197] + "..."
