"""The models the page offers: the bundled ones present in this install, then the user's runs."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from gamegan import generate as gen
from gamegan.errors import CheckpointError, GameganError
from gamegan.io.rundir import slug

log = logging.getLogger("gamegan.app")


@dataclass
class Model:
    """A loaded generator the page offers, under a key the app chose.

    ``lock`` serializes calls on one model: texture generation switches the generator's padding
    mode, so two requests on one model must not interleave.
    """

    key: str
    label: str
    name: str  # for file names
    loaded: gen.LoadedGenerator
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def family(self):
        return self.loaded.family


def load_models(run_dirs: Iterable[str | os.PathLike] = ()) -> dict[str, Model]:
    """The bundled models present in this install, then the given runs, loaded and checked.

    Parameters
    ----------
    run_dirs : iterable of path
        Run folders (best, else newest snapshot) or snapshot files, as given on the command line.

    Returns
    -------
    dict
        Key -> :class:`Model`, in the order the page lists them.

    Raises
    ------
    CheckpointError
        If a run is missing, has no snapshot, or its snapshot is unreadable: the command line
        fails before a server starts.
    """
    models: dict[str, Model] = {}
    for name in gen.PRETRAINED:
        try:
            path = gen.pretrained_path(name)
        except CheckpointError:
            continue  # not shipped (or not trained yet): not listed
        try:
            loaded = gen.load_generator(path)
        except GameganError as err:
            log.warning("skipping the bundled model %s: %s", name, err)
            continue
        models[name] = Model(name, f"{name} (bundled)", name, loaded)
    names = {m.name for m in models.values()}
    for i, run in enumerate(run_dirs):
        path = Path(run).expanduser()
        if not path.exists():
            raise CheckpointError(f"{run}: no such run folder or snapshot file")
        try:
            loaded = gen.load_generator(path)
        except GameganError:
            raise
        except Exception as err:  # a damaged file can trip the reader in other ways
            raise CheckpointError(f"{run}: cannot load its snapshot ({err})") from None
        name = slug(path.stem if path.is_file() else path.resolve().name, "model")
        base, n = name, 2
        while name in names:
            name, n = f"{base}-{n}", n + 1
        names.add(name)
        models[f"run{i}"] = Model(f"run{i}", name, name, loaded)
    return models
