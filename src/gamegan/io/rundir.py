"""Numbered, self-describing run folders: ``runs/00007-dcgan-mnist/``.

A run folder holds ``config.json`` (enough to re-run it), ``log.txt``, ``stats.jsonl``,
``samples/``, ``snapshot-NNNNNN.safetensors`` (inference weights) and
``state-NNNNNN.safetensors`` (everything needed to resume), NNNNNN being the iteration.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from gamegan.errors import CheckpointError, ConfigError

_NUMBERED = re.compile(r"^(\d{5})-")
_STATE = re.compile(r"^state-(\d+)\.safetensors$")
_SNAPSHOT = re.compile(r"^snapshot-(\d+)\.safetensors$")


def next_run_dir(runs_root: str | Path, desc: str) -> Path:
    """The path of the next numbered run under ``runs_root`` (not created)."""
    root = Path(runs_root)
    numbers = [-1]
    if root.is_dir():
        for child in root.iterdir():
            match = _NUMBERED.match(child.name)
            if match:
                numbers.append(int(match.group(1)))
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", desc).strip("-") or "run"
    return root / f"{max(numbers) + 1:05d}-{safe}"


def create_run_dir(path: str | Path) -> Path:
    """Create a fresh run folder; an existing non-empty folder is never overwritten."""
    path = Path(path)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ConfigError(
            f"--out {path}: already exists and is not empty; "
            f"resume it with `gamegan train --resume {path}` or choose another folder"
        )
    (path / "samples").mkdir(parents=True, exist_ok=True)
    return path


def write_json(path: str | Path, data: Any) -> None:
    """Write JSON atomically."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


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


def checkpoint_name(kind: str, iteration: int) -> str:
    return f"{kind}-{iteration:06d}.safetensors"


def prune_states(run_dir: str | Path, keep: int) -> None:
    """Delete all but the newest ``keep`` training states (snapshots are kept)."""
    for _, path in numbered_files(run_dir, "state")[:-keep]:
        path.unlink(missing_ok=True)
