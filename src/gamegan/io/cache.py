"""Where gamegan keeps what it computes once and reuses: parsed music, trained helper networks."""

from __future__ import annotations

import os
from pathlib import Path


def cache_folder(explicit: str | os.PathLike | None = None, sub: str = "") -> Path:
    """``explicit`` if given (and not empty), else ``$GAMEGAN_CACHE/SUB`` if that variable is
    set, else ``~/.cache/gamegan/SUB``."""
    if explicit is not None and str(explicit) != "":
        return Path(explicit).expanduser()
    env = os.environ.get("GAMEGAN_CACHE")
    root = Path(env).expanduser() if env else Path.home() / ".cache" / "gamegan"
    return root / sub if sub else root
