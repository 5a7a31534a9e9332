"""The parse cache: one JSON file per music file, keyed by its bytes and the parser's version,
so the second load of a corpus takes seconds."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

from gamegan.data.music.sources import Item
from gamegan.io.cache import cache_folder

PARSER_VERSION = "music-2"  # bump when parsing changes: old cache entries are ignored


def resolve_cache_dir(cache_dir: str | Path | None = None) -> Path:
    """Folder of the parse cache: ``cache_dir`` if given, else ``music/`` in gamegan's cache
    folder (:func:`gamegan.io.cache.cache_folder`)."""
    return cache_folder(cache_dir, "music")


@functools.cache
def _library_version(library: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(library)
    except metadata.PackageNotFoundError:
        return "?"


def settings(item: Item) -> dict:
    """What, besides the file's bytes, decides a parse result (a new music21 may parse anew)."""
    library = "mido" if item.reader == "midi" else "music21"
    return {
        "parser": PARSER_VERSION,
        "reader": item.reader,
        library: _library_version(library),
        "number": item.number,
    }


def cache_key(item: Item, data: bytes) -> str:
    digest = hashlib.sha256(data)
    digest.update(json.dumps(settings(item), sort_keys=True).encode())
    return digest.hexdigest()


def cache_file(cache_dir: Path, key: str) -> Path:
    return cache_dir / key[:2] / f"{key}.json"  # 256 subfolders keep folders small


def read_cache(path: Path) -> dict | None:
    try:
        entry = json.loads(path.read_text())
    except (OSError, ValueError):
        return None  # missing or half-written by a killed run: parse again
    if not isinstance(entry, dict) or entry.get("parser") != PARSER_VERSION:
        return None
    if "scores" not in entry and "skip" not in entry:
        return None
    return entry


def write_cache(path: Path, entry: dict) -> bool:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(entry))
        os.replace(tmp, path)
        return True
    except OSError:
        tmp.unlink(missing_ok=True)
        return False
