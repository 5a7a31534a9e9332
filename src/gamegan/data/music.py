"""Music data sets behind one call: ``load_scores("bach" | "corpus:QUERY" | PATH, ...)``.

Parsing MusicXML with music21 is slow (a tenth of a second to seconds per file), can hang on
odd files and can crash on hostile ones. So every file is parsed in a worker process under a
time limit; a file that times out or kills its worker is skipped with the reason, never the
whole load. Each result, failures included, is cached as one JSON file keyed by the file's
bytes, so the second load of a corpus takes seconds. music21 and mido are imported inside the
functions, so ``import gamegan.data.music`` stays cheap.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import multiprocessing
import os
import signal
import sys
import time
import warnings
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gamegan.errors import ConfigError, DataError
from gamegan.io.midi import MAX_TEMPO, MIN_TEMPO
from gamegan.music.score import Key, Note, Part, Score, score_from_dict, score_to_dict

__all__ = [
    "CORPUS_PREFIX",
    "MIDI_EXTENSIONS",
    "MUSIC_EXTENSIONS",
    "MusicData",
    "SCORE_EXTENSIONS",
    "load_scores",
    "resolve_cache_dir",
]

CORPUS_PREFIX = "corpus:"
MIDI_EXTENSIONS = (".mid", ".midi", ".kar")
SCORE_EXTENSIONS = (".xml", ".musicxml", ".mxl", ".krn", ".abc")  # read by music21
MUSIC_EXTENSIONS = MIDI_EXTENSIONS + SCORE_EXTENSIONS
# Bump when the conversion changes, so stale cache entries are not reused.
PARSER_VERSION = "music-2"  # bump when parsing changes: old cache entries are ignored
PROGRESS_MIN_FILES = 20  # fewer files parse too fast for a progress bar to help
_EXAMPLE_COMPOSERS = ("mozart", "beethoven", "haydn", "chopin", "palestrina")


@dataclass(frozen=True)
class MusicData:
    """Scores that were loaded, the files that were not (with why), and where they came from."""

    scores: list[Score]
    skipped: list[tuple[str, str]]  # (file, reason)
    source: str  # for logs, e.g. "music21 corpus 'bach': 433 files, 413 scores, 20 skipped"

    def __len__(self) -> int:
        return len(self.scores)


class _Skip(Exception):
    """A file that parsed but cannot be used (or did not parse); ``str()`` is the reason."""


@dataclass(frozen=True)
class _Item:
    """One thing to parse: a file, or one work of a multi-work file (an ABC book)."""

    path: Path
    number: int | None = None

    @property
    def name(self) -> str:
        return str(self.path) if self.number is None else f"{self.path}#{self.number}"

    @property
    def reader(self) -> str:
        return "midi" if self.path.suffix.lower() in MIDI_EXTENSIONS else "music21"


def resolve_cache_dir(cache_dir: str | Path | None = None) -> Path:
    """Folder of the parse cache.

    Parameters
    ----------
    cache_dir : str or Path or None
        Explicit folder; wins over everything else.

    Returns
    -------
    Path
        ``cache_dir`` if given, else ``$GAMEGAN_CACHE/music`` if set, else
        ``~/.cache/gamegan/music``.
    """
    if cache_dir is not None and str(cache_dir) != "":
        return Path(cache_dir).expanduser()
    env = os.environ.get("GAMEGAN_CACHE")
    if env:
        return Path(env).expanduser() / "music"
    return Path.home() / ".cache" / "gamegan" / "music"


# sources


def _corpus_root() -> Path:
    from music21 import common

    return Path(common.getCorpusFilePath())


def _composers() -> list[str]:
    """Top folders of music21's corpus: the names ``getComposer`` is meant for."""
    root = _corpus_root()
    return sorted(
        p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))
    )


def _scan_folder(path: Path) -> list[_Item]:
    if path.is_file():
        if path.suffix.lower() not in MUSIC_EXTENSIONS:
            raise DataError(
                f"{path}: not a MIDI or MusicXML file (accepted: {', '.join(MUSIC_EXTENSIONS)})"
            )
        return [_Item(path)]
    found, n_other = [], 0
    for root, dirs, names in os.walk(path):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if name.startswith("."):
                continue
            if Path(name).suffix.lower() in MUSIC_EXTENSIONS:
                found.append(_Item(Path(root) / name))
            else:
                n_other += 1
    if not found:
        other = f" ({n_other} other files)" if n_other else ""
        raise DataError(
            f"{path}: no music files{other}; accepted extensions: {', '.join(MUSIC_EXTENSIONS)}"
        )
    return sorted(found, key=lambda item: str(item.path))


def _resolve(source: str) -> tuple[list[_Item], str]:
    """The sorted items of a source string, and a description of it for logs."""
    name = str(source).strip()
    if not name:
        raise DataError("the music source is empty: give a folder, a file, bach or corpus:QUERY")
    if name.lower().startswith(CORPUS_PREFIX):
        from music21 import corpus

        query = name[len(CORPUS_PREFIX) :].strip()
        if not query:
            raise DataError(f"{name}: give a search after 'corpus:', e.g. corpus:mozart")
        root = _corpus_root()
        items = sorted(
            {
                _Item(root / e.sourcePath, _work_number(e.number))  # absolute paths stay
                for e in corpus.search(query)
            },
            key=lambda item: (str(item.path), item.number or 0),
        )
        if not items:
            raise DataError(f"{name}: the music21 corpus has no work matching {query!r}")
        return items, f"music21 corpus search {query!r}"
    path = Path(name).expanduser()
    is_name = os.sep not in name and "/" not in name and not path.suffix
    if is_name:
        composers = {c.lower(): c for c in _composers()}
        if name.lower() in composers:
            from music21 import corpus

            composer = composers[name.lower()]
            found = [_Item(Path(p)) for p in corpus.getComposer(composer)]
            # A composer's folder also holds files that are not scores (bach: 20 RomanText
            # harmonic analyses); they are not the user's to fix, so leave them out quietly.
            items = sorted(
                (i for i in found if i.path.suffix.lower() in MUSIC_EXTENSIONS),
                key=lambda item: str(item.path),
            )
            others = len(found) - len(items)
            note = f", {others} non-score files left out" if others else ""
            return items, f"music21 corpus {composer!r} ({len(items)} score files{note})"
    if path.exists():
        kind = "folder" if path.is_dir() else "file"
        return _scan_folder(path), f"{kind} {path}"
    if not is_name:
        raise DataError(f"{path}: no such file or folder")
    examples = ", ".join(c for c in _EXAMPLE_COMPOSERS if c in _composers_or_empty())
    raise DataError(
        f"--data {name}: unknown music source and no such file or folder; use a folder or "
        f"file of MIDI/MusicXML, bach, another music21 corpus composer such as {examples}, "
        f"or corpus:QUERY"
    )


def _composers_or_empty() -> list[str]:
    try:
        return _composers()
    except Exception:  # no corpus installed: the message still lists the other choices
        return list(_EXAMPLE_COMPOSERS)


def _work_number(number) -> int | None:
    # music21 keeps an ABC book's X: field as text; numbers sort and cache better.
    if number is None:
        return None
    try:
        return int(number)
    except (TypeError, ValueError):
        return None


# music21 -> Score


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


def _read_music21(item: _Item) -> list[Score]:
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
        raise _Skip(f"music21 cannot parse it ({_describe(err)})") from None
    if isinstance(parsed, stream.Opus):  # an ABC book: every tune is a score
        scores = []
        for n, m21_score in enumerate(parsed.scores, start=1):
            number = getattr(m21_score.metadata, "number", None) or n
            score = _score_of(m21_score, f"{item.name}#{number}")
            score.extra["work"] = str(number)
            scores.append(score)
        return scores
    return [_score_of(parsed, item.name)]


def _parse_item(path: str, number: int | None) -> list[Score]:
    """Parse one file (in a worker process) into usable scores, or raise ``_Skip``."""
    item = _Item(Path(path), number)
    if item.reader == "midi":
        from gamegan.io.midi import MidiError, read_midi

        try:
            scores = [read_midi(item.path)]
        except MidiError as err:
            raise _Skip(err.reason) from None
    else:
        scores = _read_music21(item)
    if not any(s.n_notes for s in scores):
        raise _Skip("no notes")
    usable = [s for s in scores if s.pitched_parts()]
    if not usable:
        raise _Skip("drums only")
    return usable


def _describe(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    text = f"{type(err).__name__}: {text}" if text else type(err).__name__
    return text if len(text) <= 200 else text[:197] + "..."


# worker processes


def _run_job(job: list) -> bytes:
    path, number = job
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores = _parse_item(path, number)
        answer = {"scores": [score_to_dict(s) for s in scores]}
    except _Skip as skip:
        answer = {"skip": str(skip), "cache": True}
    except MemoryError:
        answer = {"skip": "ran out of memory", "cache": False}
    except Exception as err:  # a parser bug on an odd file is that file's problem only
        answer = {"skip": f"parser failed ({_describe(err)})", "cache": True}
    return json.dumps(answer).encode()


def _worker(conn) -> None:
    """Parse files sent as JSON until told to stop; answers go back as JSON (no pickle)."""
    import faulthandler

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    # Silence the worker at the file-descriptor level: music21 prints warnings and C code may
    # print too, which would tear the parent's progress bar; a crash is reported by exit code.
    faulthandler.disable()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    while True:
        try:
            job = json.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        if job is None:
            return
        conn.send_bytes(_run_job(job))


def _context():
    methods = multiprocessing.get_all_start_methods()
    # fork starts a worker in milliseconds and shares the parent's imports; spawn elsewhere.
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


class _Slot:
    """One worker process and the job it is running."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.process = None
        self.conn = None
        self.job: int | None = None
        self.started = 0.0

    def start(self, index: int, job: list) -> None:
        if self.process is None:
            parent_conn, child_conn = self.ctx.Pipe()
            self.process = self.ctx.Process(target=_worker, args=(child_conn,), daemon=True)
            self.process.start()
            child_conn.close()  # so the parent sees EOF when the worker dies
            self.conn = parent_conn
        self.job, self.started = index, time.monotonic()
        self.conn.send_bytes(json.dumps(job).encode())

    def stop(self, kill: bool = False) -> None:
        if self.process is None:
            return
        if not kill and self.job is None:
            with contextlib.suppress(OSError, ValueError):
                self.conn.send_bytes(b"null")
            self.process.join(timeout=1.0)
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5.0)
        self.conn.close()
        self.process = self.conn = None
        self.job = None

    def exit_reason(self) -> str:
        self.process.join(timeout=1.0)
        code = self.process.exitcode
        if code is not None and code < 0:
            try:
                return f"the parser crashed ({signal.Signals(-code).name})"
            except ValueError:
                return f"the parser crashed (signal {-code})"
        return f"the parser crashed (exit code {code})"


def _parse_all(jobs: list[list], *, workers: int, timeout: float) -> Iterator[tuple[int, dict]]:
    """Run the jobs in worker processes; yield ``(job index, decoded JSON answer)`` as they end.

    A worker past ``timeout`` on one job is killed (the only way to stop a parser stuck in C
    code or a loop) and replaced; so is one that dies. Either way only that job is lost.
    Closing the generator early (Ctrl-C, an error) kills the workers.
    """
    from multiprocessing.connection import wait

    ctx = _context()
    pending = deque(range(len(jobs)))
    slots = [_Slot(ctx) for _ in range(max(1, min(workers, len(jobs))))]
    try:
        while pending or any(s.job is not None for s in slots):
            for slot in slots:
                if slot.job is None and pending:
                    index = pending.popleft()
                    try:
                        slot.start(index, jobs[index])
                    except (OSError, ValueError):  # the idle worker died: start a fresh one
                        slot.stop(kill=True)
                        slot.start(index, jobs[index])
            busy = [s for s in slots if s.job is not None]
            deadline = min(s.started for s in busy) + timeout
            waitables = [s.conn for s in busy] + [s.process.sentinel for s in busy]
            ready = set(wait(waitables, timeout=max(0.0, deadline - time.monotonic())))
            for slot in busy:
                index = slot.job
                if slot.conn in ready or slot.process.sentinel in ready:
                    try:
                        answer = json.loads(slot.conn.recv_bytes())
                        slot.job = None
                    except (EOFError, OSError):
                        answer = {"skip": slot.exit_reason(), "cache": False}
                        slot.stop(kill=True)
                    if slot.process is not None and not slot.process.is_alive():
                        slot.stop(kill=True)
                elif time.monotonic() - slot.started >= timeout:
                    answer = {"skip": f"took longer than {timeout:g} s", "cache": False}
                    slot.stop(kill=True)
                else:
                    continue
                yield index, answer
    finally:
        for slot in slots:
            slot.stop(kill=slot.job is not None)


# cache


@functools.cache
def _library_version(library: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(library)
    except metadata.PackageNotFoundError:
        return "?"


def _settings(item: _Item) -> dict:
    """What, besides the file's bytes, decides a parse result (a new music21 may parse anew)."""
    library = "mido" if item.reader == "midi" else "music21"
    return {
        "parser": PARSER_VERSION,
        "reader": item.reader,
        library: _library_version(library),
        "number": item.number,
    }


def _cache_key(item: _Item, data: bytes) -> str:
    digest = hashlib.sha256(data)
    digest.update(json.dumps(_settings(item), sort_keys=True).encode())
    return digest.hexdigest()


def _cache_file(cache_dir: Path, key: str) -> Path:
    return cache_dir / key[:2] / f"{key}.json"  # 256 subfolders keep folders small


def _read_cache(path: Path) -> dict | None:
    try:
        entry = json.loads(path.read_text())
    except (OSError, ValueError):
        return None  # missing or half-written by a killed run: parse again
    if not isinstance(entry, dict) or entry.get("parser") != PARSER_VERSION:
        return None
    if "scores" not in entry and "skip" not in entry:
        return None
    return entry


def _write_cache(path: Path, entry: dict) -> bool:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(entry))
        os.replace(tmp, path)
        return True
    except OSError:
        tmp.unlink(missing_ok=True)
        return False


# the public loader


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"


def _show_progress(progress: bool | None, n_jobs: int) -> bool:
    if n_jobs <= PROGRESS_MIN_FILES:
        return False
    if progress is None:
        return sys.stderr.isatty()
    return bool(progress)


def load_scores(
    source: str,
    *,
    limit: int | None = None,
    workers: int = 0,
    timeout: float = 60.0,
    cache_dir: str | Path | None = None,
    progress: bool | None = None,
) -> MusicData:
    """Load scores from the music21 corpus or from your MIDI/MusicXML files.

    Parameters
    ----------
    source : str
        ``"bach"`` (the 433 chorale files bundled with music21; 20 of them are RomanText
        analyses, not scores, and are skipped), another music21 corpus composer or collection
        (``"mozart"``, ``"beethoven"``, ...), ``"corpus:QUERY"`` for the works a
        ``music21.corpus.search`` finds, or a path to a file or folder (searched recursively)
        of ``.mid``/``.midi``/``.kar`` (read with :func:`gamegan.io.midi.read_midi`) and
        ``.xml``/``.musicxml``/``.mxl``/``.krn``/``.abc`` (read with music21). A name wins
        over a same-named folder; write ``./bach`` for the folder.
    limit : int or None, optional
        Keep only the first ``limit`` files (in sorted order).
    workers : int, optional
        Parser processes; 0 means one per CPU.
    timeout : float, optional
        Seconds one file may take; a slower file is skipped (and parsed again next time).
    cache_dir : str or Path or None, optional
        Parse cache; see :func:`resolve_cache_dir`. One JSON file per input file, keyed by
        its bytes and the parser version; failures are cached too, timeouts and crashes not.
    progress : bool or None, optional
        Show a progress bar on stderr when more than 20 files need parsing; ``None`` shows
        it only when stderr is a terminal.

    Returns
    -------
    MusicData
        Usable scores (at least one pitched part with notes) in sorted file order, the
        skipped files with their reasons ("no notes", "drums only", "took longer than 60 s",
        a parse error), and a description of the source.

    Raises
    ------
    DataError
        If the source is unknown, an empty folder, or no file in it is usable.
    ConfigError
        If ``limit``, ``workers`` or ``timeout`` is out of range.
    """
    if limit is not None and limit < 1:
        raise ConfigError(f"limit must be at least 1 file, got {limit}")
    if workers < 0:
        raise ConfigError(f"workers must be 0 (one per CPU) or more, got {workers}")
    if not timeout > 0:
        raise ConfigError(f"timeout must be a positive number of seconds, got {timeout}")
    items, description = _resolve(source)
    items = items[:limit]
    n_files = len(items)
    # Corpus folders also hold formats that are not scores (bach has 20 RomanText analyses).
    skipped_early = [
        (i.name, f"not a score format we read ({i.path.suffix or 'no extension'})")
        for i in items
        if i.path.suffix.lower() not in MUSIC_EXTENSIONS
    ]
    items = [i for i in items if i.path.suffix.lower() in MUSIC_EXTENSIONS]
    cache = resolve_cache_dir(cache_dir)

    # Cached answers first; only the rest goes to the workers.
    answers: list[dict | None] = [None] * len(items)
    cache_files: list[Path | None] = [None] * len(items)
    for i, item in enumerate(items):
        try:
            data = item.path.read_bytes()
        except OSError as err:
            answers[i] = {"skip": f"cannot read it ({err.strerror or err})"}
            continue
        cache_files[i] = _cache_file(cache, _cache_key(item, data))
        answers[i] = _read_cache(cache_files[i])
    todo = [i for i, answer in enumerate(answers) if answer is None]
    if todo:
        jobs = [[str(items[i].path), items[i].number] for i in todo]
        bar = None
        if _show_progress(progress, len(todo)):
            from tqdm import tqdm

            bar = tqdm(total=len(todo), desc="parsing music", unit="file", file=sys.stderr)
        cache_failed = False
        fresh = _parse_all(jobs, workers=workers or os.cpu_count() or 1, timeout=timeout)
        try:
            # Each answer is cached as it comes, so an interrupted load keeps what it did.
            for job, answer in fresh:
                i = todo[job]
                answers[i] = answer
                if answer.pop("cache", True) and cache_files[i] is not None:
                    entry = {"parser": PARSER_VERSION, "file": items[i].name, **answer}
                    cache_failed |= not _write_cache(cache_files[i], entry)
                if bar is not None:
                    bar.update(1)
        finally:
            fresh.close()
            if bar is not None:
                bar.close()
        if cache_failed:
            warnings.warn(f"could not write the music parse cache in {cache}", stacklevel=2)

    scores: list[Score] = []
    skipped = list(skipped_early)
    for item, answer in zip(items, answers, strict=True):
        if "skip" in answer:
            skipped.append((item.name, answer["skip"]))
            continue
        for data in answer["scores"]:
            score = score_from_dict(data)
            # The same bytes may sit at another path: name this one (and the tune in a book).
            work = score.extra.get("work")
            score.extra["source"] = item.name if work is None else f"{item.name}#{work}"
            scores.append(score)
    skipped.sort()
    if not scores:
        reasons = "; ".join(f"{Path(n).name}: {r}" for n, r in skipped[:3])
        raise DataError(
            f"{description}: none of the {_files(n_files)} is usable ({reasons}"
            f"{'; ...' if len(skipped) > 3 else ''})"
        )
    summary = f"{description}: {_files(n_files)}, {len(scores)} scores, {len(skipped)} skipped"
    return MusicData(scores=scores, skipped=skipped, source=summary)
