"""Music data sets behind one call: ``load_scores("bach" | "corpus:QUERY" | PATH, ...)``.

Parsing MusicXML with music21 is slow (a tenth of a second to seconds per file), can hang on
odd files and can crash on hostile ones. So every file is parsed in a worker process under a
time limit; a file that times out or kills its worker is skipped with the reason, never the
whole load. Each result, failures included, is cached as one JSON file keyed by the file's
bytes, so the second load of a corpus takes seconds. music21 and mido are imported inside the
functions, so ``import gamegan.data.music`` stays cheap.

:mod:`~gamegan.data.music.sources` finds the files, :mod:`~gamegan.data.music.convert` reads
one, :mod:`~gamegan.data.music.workers` runs the readers and :mod:`~gamegan.data.music.cache`
keeps their answers.
"""

from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

from gamegan.data.music.cache import (
    PARSER_VERSION,
    cache_file,
    cache_key,
    read_cache,
    resolve_cache_dir,
    write_cache,
)
from gamegan.data.music.sources import (
    CORPUS_PREFIX,
    MIDI_EXTENSIONS,
    MUSIC_EXTENSIONS,
    SCORE_EXTENSIONS,
    resolve,
)
from gamegan.data.music.workers import parse_all
from gamegan.errors import ConfigError, DataError
from gamegan.music.score import Score, score_from_dict

__all__ = [
    "CORPUS_PREFIX",
    "MIDI_EXTENSIONS",
    "MUSIC_EXTENSIONS",
    "MusicData",
    "SCORE_EXTENSIONS",
    "load_scores",
    "resolve_cache_dir",
]

PROGRESS_MIN_FILES = 20  # fewer files parse too fast for a progress bar to help


@dataclass(frozen=True)
class MusicData:
    """Scores that were loaded, the files that were not (with why), and where they came from."""

    scores: list[Score]
    skipped: list[tuple[str, str]]  # (file, reason)
    source: str  # for logs, e.g. "music21 corpus 'bach': 433 files, 413 scores, 20 skipped"

    def __len__(self) -> int:
        return len(self.scores)


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
    items, description = resolve(source)
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
        cache_files[i] = cache_file(cache, cache_key(item, data))
        answers[i] = read_cache(cache_files[i])
    todo = [i for i, answer in enumerate(answers) if answer is None]
    if todo:
        jobs = [[str(items[i].path), items[i].number] for i in todo]
        bar = None
        if _show_progress(progress, len(todo)):
            from tqdm import tqdm

            bar = tqdm(total=len(todo), desc="parsing music", unit="file", file=sys.stderr)
        cache_failed = False
        fresh = parse_all(jobs, workers=workers or os.cpu_count() or 1, timeout=timeout)
        try:
            # Each answer is cached as it comes, so an interrupted load keeps what it did.
            for job, answer in fresh:
                i = todo[job]
                answers[i] = answer
                if answer.pop("cache", True) and cache_files[i] is not None:
                    entry = {"parser": PARSER_VERSION, "file": items[i].name, **answer}
                    cache_failed |= not write_cache(cache_files[i], entry)
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
