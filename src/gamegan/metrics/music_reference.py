"""Corpus statistics frozen in a JSON file, so evaluations need not parse the corpus.

``music_reference.json`` beside this module holds :func:`gamegan.metrics.music_stats.describe`
of each bundled corpus as each model sees it, keyed by ``SOURCE:MODEL``
(``gamegan.evaluate.music.freeze_music_reference`` writes it; ``docs/music/freeze_reference.py``
rewrites every entry).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gamegan.metrics.music_stats import describe
from gamegan.music.score import Score

__all__ = ["REFERENCE_PATH", "read_reference", "write_reference"]

REFERENCE_PATH = Path(__file__).with_name("music_reference.json")


def _to_json(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    return value


def _from_json(value: Any) -> Any:
    if value is None:
        return math.nan
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def _read_entries(path: Path) -> dict:
    from gamegan.errors import DataError

    if not path.exists():
        return {}
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise DataError(f"{path}: not a readable music reference file ({err})") from None
    if not isinstance(entries, dict):
        raise DataError(f"{path}: expected a JSON object of named references")
    return entries


def write_reference(
    name: str,
    scores: Sequence[Score],
    path: str | Path = REFERENCE_PATH,
    *,
    settings: dict | None = None,
) -> dict[str, Any]:
    """Freeze :func:`describe` of a corpus under ``name`` in a JSON file.

    Computing the statistics of a whole corpus means parsing it; freezing them once lets
    every evaluation compare against the corpus without loading it.

    Parameters
    ----------
    name : str
        Key of the entry (e.g. ``"bach_chorales"``); an entry of that name is replaced,
        other entries are kept.
    scores : sequence of Score
        The corpus.
    path : str or Path
        The JSON file (default :data:`REFERENCE_PATH`, next to this module); created if
        missing, rewritten atomically and pretty-printed. ``nan`` is stored as ``null``.
    settings : dict, optional
        How the pieces were made (e.g. the model's representation parameters), stored as
        ``"settings"`` so a reader can tell whether the entry fits its own settings.

    Returns
    -------
    dict
        The entry written: ``"date"`` (UTC, ISO 8601), ``"gamegan_version"`` and the
        :func:`describe` values (which include ``"n_pieces"``).

    Raises
    ------
    DataError
        If the file exists but is not a reference file.
    """
    from gamegan import __version__

    path = Path(path)
    entries = _read_entries(path)
    entry = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "gamegan_version": __version__,
        **describe(scores),
    }
    entries[name] = {key: _to_json(value) for key, value in entry.items()}
    if settings is not None:
        entry["settings"] = entries[name]["settings"] = json.loads(json.dumps(settings))
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(entries, indent=2, sort_keys=True, allow_nan=False) + "\n")
    os.replace(tmp, path)
    return entry


def read_reference(name: str, path: str | Path = REFERENCE_PATH) -> dict[str, Any] | None:
    """Read the statistics :func:`write_reference` froze under ``name``.

    Parameters
    ----------
    name : str
        Key of the entry.
    path : str or Path
        The JSON file (default :data:`REFERENCE_PATH`).

    Returns
    -------
    dict or None
        The entry, with ``null`` read back as ``nan`` (ready for :func:`compare`); ``None``
        if the file or the entry does not exist.

    Raises
    ------
    DataError
        If the file exists but is not a reference file.
    """
    entry = _read_entries(Path(path)).get(name)
    if entry is None:
        return None
    return {key: _from_json(value) for key, value in entry.items()}
