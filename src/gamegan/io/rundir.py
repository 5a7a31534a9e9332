"""Numbered, self-describing run folders: ``runs/00007-dcgan-mnist/``.

A run folder holds ``config.json`` (enough to re-run it), ``log.txt``, ``stats.jsonl``,
``samples/``, ``snapshot-NNNNNN.safetensors`` (inference weights) and
``state-NNNNNN.safetensors`` (everything needed to resume), NNNNNN being the iteration.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from gamegan.errors import CheckpointError, ConfigError

_NUMBERED = re.compile(r"^(\d{5})-")
_STATE = re.compile(r"^state-(\d+)\.safetensors$")
_SNAPSHOT = re.compile(r"^snapshot-(\d+)\.safetensors$")
# Temp files of our own atomic writes: ``.NAME.gamegan.tmp`` (and ``NAME.tmp`` of older
# versions); a kill during a write leaves one behind, nothing else matches.
_TEMP = re.compile(r"^(\..+\.gamegan\.tmp|.+\.(safetensors|json)\.tmp)$")
LOCK_NAME = ".lock"

# The run folder this process last locked: the CLI's last-resort handler writes a crash's
# traceback there (see gamegan.cli.main). Kept after the lock is released, since a crash
# unwinds through the release.
last_locked_run_dir: Path | None = None


def next_run_dir(runs_root: str | Path, desc: str) -> Path:
    """The path of the next numbered run under ``runs_root`` (not created)."""
    root = Path(runs_root)
    numbers = [-1]
    if root.is_dir():
        for child in root.iterdir():
            match = _NUMBERED.match(child.name)
            if match:
                numbers.append(int(match.group(1)))
    return root / f"{max(numbers) + 1:05d}-{slug(desc, 'run')}"


def slug(text: str, default: str) -> str:
    """``text`` as part of a file name: each run of characters other than letters, digits,
    ``_``, ``.`` and ``-`` becomes one ``-``; ``default`` when nothing is left."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.") or default


def create_run_dir(path: str | Path) -> Path:
    """Create a fresh run folder; an existing non-empty folder is never overwritten."""
    path = Path(path)
    if path.exists() and (not path.is_dir() or not _is_blank(path)):
        raise ConfigError(
            f"--out {path}: already exists and is not empty; "
            f"resume it with `gamegan train --resume {path}` or choose another folder"
        )
    (path / "samples").mkdir(parents=True, exist_ok=True)
    return path


def _is_blank(path: Path) -> bool:
    """Empty, or what a run killed before writing config.json leaves (samples/, the lock)."""
    for child in path.iterdir():
        if child.name == LOCK_NAME or (child.name == "samples" and not any(child.iterdir())):
            continue
        return False
    return True


def temp_path(path: str | Path) -> Path:
    """The hidden temp file an atomic write of ``path`` goes through, in the same folder."""
    path = Path(path)
    return path.with_name(f".{path.name}.gamegan.tmp")


def replace_synced(tmp: str | Path, path: str | Path) -> None:
    """Rename a fully written temp file over ``path``, durably.

    The temp file's data is flushed to the disk (``fsync``) before the rename, so a crash of
    the machine can never leave ``path`` naming a file whose blocks were not written yet; on
    POSIX the folder is flushed after it, so that the rename itself survives a power cut.
    """
    fd = os.open(tmp, os.O_RDWR if sys.platform == "win32" else os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    if sys.platform != "win32":
        try:
            dir_fd = os.open(Path(path).parent, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dir_fd)
        except OSError:  # some file systems do not sync folders; the rename is still atomic
            pass
        finally:
            os.close(dir_fd)


def remove_stale_temp_files(run_dir: str | Path) -> list[Path]:
    """Delete temp files that a killed write left in a run folder; returns what was removed.

    Only called by the process that holds the run's lock, so no write is in progress.
    """
    removed = []
    for child in Path(run_dir).iterdir():
        if _TEMP.match(child.name) and child.is_file():
            child.unlink(missing_ok=True)
            removed.append(child)
    return removed


def remove_stale_temp_of(path: str | Path) -> None:
    """Delete the temp files a killed write of ``path`` left (``NAME.tmp`` of older versions)."""
    path = Path(path)
    for stale in (temp_path(path), path.with_name(path.name + ".tmp")):
        if stale.is_file():
            stale.unlink(missing_ok=True)


class RunLock:
    """An OS lock on ``RUN_DIR/.lock``: one process at a time trains in a run folder.

    The operating system drops the lock when the process ends, however it ends (a kill
    included), so a stale lock file never blocks a later resume.
    """

    def __init__(self, run_dir: str | Path) -> None:
        self.path = Path(run_dir) / LOCK_NAME
        self._file = open(self.path, "a+")
        try:
            _lock(self._file)
        except OSError:
            try:
                self._file.seek(0)
                holder = self._file.read().strip()
            except OSError:  # Windows: the holder's locked byte cannot be read
                holder = ""
            self._file.close()
            who = f" (process {holder})" if holder.isdigit() else ""
            raise ConfigError(
                f"{run_dir}: another gamegan process{who} is training in this folder; "
                "wait for it to finish or stop it first"
            ) from None
        self._file.seek(0)
        self._file.truncate()
        self._file.write(str(os.getpid()))
        self._file.flush()
        global last_locked_run_dir
        last_locked_run_dir = Path(run_dir)

    def release(self) -> None:
        if not self._file.closed:
            self._file.close()  # closing the file releases the lock


def _lock(file) -> None:
    if sys.platform == "win32":
        import msvcrt

        file.seek(0)
        msvcrt.locking(file.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def write_json(path: str | Path, data: Any) -> None:
    """Write JSON atomically."""
    path = Path(path)
    tmp = temp_path(path)
    try:
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        replace_synced(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_config_json(run_dir: str | Path) -> dict:
    """``RUN_DIR/config.json``, with a clear error when the folder is not a run."""
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise CheckpointError(f"{run_dir}: not a gamegan run folder (no config.json)")
    try:
        return json.loads(path.read_text())
    except ValueError as err:
        raise CheckpointError(f"{path}: not valid JSON ({err})") from None


def numbered_files(run_dir: str | Path, kind: str) -> list[tuple[int, Path]]:
    """``(iteration, path)`` of a run's ``state`` or ``snapshot`` files, oldest first."""
    pattern = {"state": _STATE, "snapshot": _SNAPSHOT}[kind]
    found = []
    run_dir = Path(run_dir)
    if run_dir.is_dir():
        for child in run_dir.iterdir():
            match = pattern.match(child.name)
            if match:
                found.append((int(match.group(1)), child))
    return sorted(found)


def latest_file(run_dir: str | Path, kind: str) -> Path:
    """The newest ``state`` or ``snapshot`` file of a run."""
    files = numbered_files(run_dir, kind)
    if not files:
        raise CheckpointError(f"{run_dir}: has no {kind}-*.safetensors file yet")
    return files[-1][1]


# The weights with the best validation score of a run (train.val_every), beside the numbered
# snapshots; generation and evaluation of the run folder take it when it is there.
BEST_SNAPSHOT = "snapshot-best.safetensors"


def checkpoint_name(kind: str, iteration: int) -> str:
    return f"{kind}-{iteration:06d}.safetensors"


def prune_states(run_dir: str | Path, keep: int) -> None:
    """Delete all but the newest ``keep`` training states (snapshots are kept)."""
    for _, path in numbered_files(run_dir, "state")[:-keep]:
        path.unlink(missing_ok=True)
