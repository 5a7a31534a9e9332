"""Snapshots and training states as safetensors files, written atomically, never pickled.

A file holds flat ``name -> tensor`` pairs plus string metadata. gamegan stores each metadata
value as text (JSON for anything that is not already a string), with ``format`` naming what
the file is (``gamegan.snapshot/1`` or ``gamegan.state/1``).
"""

from __future__ import annotations

import errno
import json
import os
import struct
from pathlib import Path
from typing import Any

import torch

from gamegan.errors import CheckpointError

SNAPSHOT_FORMAT = "gamegan.snapshot/1"
STATE_FORMAT = "gamegan.state/1"


def save_tensors(path: str | Path, tensors: dict[str, torch.Tensor], metadata: dict) -> Path:
    """Write tensors and metadata to ``path`` atomically (a hidden temp file, then rename).

    A full disk raises :class:`CheckpointError` and leaves ``path`` and older files as they
    were, so the previous good state stays loadable.

    Parameters
    ----------
    path : str or Path
        Destination ``.safetensors`` file.
    tensors : dict of str to Tensor
        Flat tensors; they are moved to the CPU and made contiguous.
    metadata : dict
        Values that are not strings are stored as JSON text.

    Returns
    -------
    Path
        The written file.
    """
    from safetensors.torch import save_file

    from gamegan.io.rundir import replace_synced, temp_path

    path = Path(path)
    cpu = {k: v.detach().to("cpu").contiguous().clone() for k, v in tensors.items()}
    meta = {k: v if isinstance(v, str) else json.dumps(v) for k, v in metadata.items()}
    tmp = temp_path(path)
    try:
        save_file(cpu, str(tmp), metadata=meta)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # safetensors creates 0600 files; use the usual mode
        replace_synced(tmp, path)
    except Exception as err:
        tmp.unlink(missing_ok=True)
        if is_disk_full(err):
            raise CheckpointError(
                f"{path}: no space left on the device; the file was not written and older "
                "checkpoints are intact. Free some space and resume"
            ) from None
        raise
    return path


def is_disk_full(err: BaseException) -> bool:
    """True for ENOSPC, and for safetensors' own error, which carries only a message."""
    if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return "No space left" in str(err)


def check_safetensors(path: str | Path) -> None:
    """Refuse anything that is not a readable safetensors file, pickles first of all."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        f = open(path, "rb")
    except PermissionError:
        raise CheckpointError(f"{path}: permission denied") from None
    with f:
        head = f.read(8)
        size = path.stat().st_size
        # A safetensors file starts with its header's length, whose first byte may be anything
        # (0x80 included): only a file that fails as safetensors is checked for a pickle.
        problem = None
        if len(head) < 8:
            problem = "too short"
        else:
            (n,) = struct.unpack("<Q", head)
            if n <= 0 or 8 + n > size:
                problem = "bad header length"
            else:
                try:
                    json.loads(f.read(n))
                except (UnicodeDecodeError, ValueError, RecursionError):
                    # RecursionError: a header of deeply nested arrays, made to crash a reader.
                    problem = "header is not JSON"
        if problem is None:
            return
        if head[:1] == b"\x80" or head[:2] == b"PK":
            raise CheckpointError(
                f"{path}: looks like a pickle or torch.save file; gamegan only loads "
                "safetensors checkpoints and never unpickles"
            )
        raise CheckpointError(f"{path}: not a safetensors file ({problem})")


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The metadata of a gamegan checkpoint, JSON values decoded."""
    from safetensors import safe_open

    check_safetensors(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            raw = f.metadata() or {}
    except Exception as err:  # safetensors raises its own error types
        raise CheckpointError(f"{path}: unreadable safetensors file ({err})") from None
    return {k: _decode(v) for k, v in raw.items()}


def load_tensors(
    path: str | Path, *, expected_format: str | None = None
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Load a checkpoint's tensors (on the CPU) and decoded metadata.

    Parameters
    ----------
    path : str or Path
        A ``.safetensors`` file written by :func:`save_tensors`.
    expected_format : str, optional
        ``SNAPSHOT_FORMAT`` or ``STATE_FORMAT``; another kind of file is an error.

    Returns
    -------
    tuple
        ``(tensors, metadata)``.
    """
    from safetensors.torch import load_file

    metadata = read_metadata(path)
    found = metadata.get("format")
    if expected_format is not None and found != expected_format:
        what = found or "not a gamegan checkpoint"
        raise CheckpointError(f"{path}: expected a {expected_format} file, found {what}")
    try:
        tensors = load_file(str(path), device="cpu")
    except Exception as err:
        raise CheckpointError(f"{path}: unreadable safetensors file ({err})") from None
    return tensors, metadata


def _decode(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


# module and optimizer state <-> flat tensors


def module_tensors(prefix: str, module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Parameters and buffers under ``prefix.``, from the unwrapped module (no DDP prefix)."""
    module = getattr(module, "module", module)
    return {f"{prefix}.{k}": v for k, v in module.state_dict().items()}


def load_module(prefix: str, module: torch.nn.Module, tensors: dict, source: str) -> None:
    """Load ``prefix.*`` tensors into ``module``; a mismatch names the file."""
    module = getattr(module, "module", module)
    sub = {k[len(prefix) + 1 :]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
    try:
        module.load_state_dict(sub, strict=True)
    except RuntimeError as err:
        first = str(err).strip().splitlines()[0]
        raise CheckpointError(f"{source}: weights do not fit this model ({first})") from None


def optimizer_tensors(
    prefix: str, optimizer: torch.optim.Optimizer
) -> tuple[dict[str, torch.Tensor], dict]:
    """Flatten ``optimizer.state_dict()``: tensors by dotted name, the rest as JSON."""
    state = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for index, entry in state["state"].items():
        for key, value in entry.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{prefix}.state.{index}.{key}"] = value
            else:
                scalars.setdefault(str(index), {})[key] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def load_optimizer(
    prefix: str, optimizer: torch.optim.Optimizer, tensors: dict, meta: dict, source: str
) -> None:
    """Rebuild an optimizer's state dict from :func:`optimizer_tensors` output."""
    state: dict[int, dict[str, Any]] = {}
    start = prefix + ".state."
    for name, value in tensors.items():
        if name.startswith(start):
            index, key = name[len(start) :].split(".", 1)
            state.setdefault(int(index), {})[key] = value
    for index, entry in meta.get("scalars", {}).items():
        state.setdefault(int(index), {}).update(entry)
    try:
        optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    except (ValueError, KeyError) as err:
        raise CheckpointError(f"{source}: optimizer state does not fit ({err})") from None
    # Files hold contiguous tensors; give each state tensor its parameter's memory layout
    # (channels_last models), so the resumed updates run the same kernels as before.
    for group in optimizer.param_groups:
        for p in group["params"]:
            entry = optimizer.state.get(p, {})
            for key, value in entry.items():
                if torch.is_tensor(value) and value.shape == p.shape:
                    if value.stride() != p.stride():
                        entry[key] = torch.empty_like(p, dtype=value.dtype).copy_(value)
