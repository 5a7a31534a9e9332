"""Where music comes from: a music21 corpus composer or search, a file, or a folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gamegan.errors import DataError

CORPUS_PREFIX = "corpus:"
MIDI_EXTENSIONS = (".mid", ".midi", ".kar")
SCORE_EXTENSIONS = (".xml", ".musicxml", ".mxl", ".krn", ".abc")  # read by music21
MUSIC_EXTENSIONS = MIDI_EXTENSIONS + SCORE_EXTENSIONS
_EXAMPLE_COMPOSERS = ("mozart", "beethoven", "haydn", "chopin", "palestrina")


@dataclass(frozen=True)
class Item:
    """One thing to parse: a file, or one work of a multi-work file (an ABC book)."""

    path: Path
    number: int | None = None

    @property
    def name(self) -> str:
        return str(self.path) if self.number is None else f"{self.path}#{self.number}"

    @property
    def reader(self) -> str:
        return "midi" if self.path.suffix.lower() in MIDI_EXTENSIONS else "music21"


def _corpus_root() -> Path:
    from music21 import common

    return Path(common.getCorpusFilePath())


def _composers() -> list[str]:
    """Top folders of music21's corpus: the names ``getComposer`` is meant for."""
    root = _corpus_root()
    return sorted(
        p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))
    )


def _scan_folder(path: Path) -> list[Item]:
    if path.is_file():
        if path.suffix.lower() not in MUSIC_EXTENSIONS:
            raise DataError(
                f"{path}: not a MIDI or MusicXML file (accepted: {', '.join(MUSIC_EXTENSIONS)})"
            )
        return [Item(path)]
    found, n_other = [], 0
    for root, dirs, names in os.walk(path):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if name.startswith("."):
                continue
            if Path(name).suffix.lower() in MUSIC_EXTENSIONS:
                found.append(Item(Path(root) / name))
            else:
                n_other += 1
    if not found:
        other = f" ({n_other} other files)" if n_other else ""
        raise DataError(
            f"{path}: no music files{other}; accepted extensions: {', '.join(MUSIC_EXTENSIONS)}"
        )
    return sorted(found, key=lambda item: str(item.path))


def resolve(source: str) -> tuple[list[Item], str]:
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
                Item(root / e.sourcePath, _work_number(e.number))  # absolute paths stay
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
            found = [Item(Path(p)) for p in corpus.getComposer(composer)]
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
