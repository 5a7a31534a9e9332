"""MNIST from its official IDX files (http://yann.lecun.com/exdb/mnist/), or the classic
``mnist.pkl.gz`` of the Theano/deeplearning.net tutorials (read without running pickled code).
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np
import torch

from gamegan.data import safe_pickle
from gamegan.data.images import ImageData
from gamegan.errors import DataError

__all__ = ["CLASS_NAMES", "IDX_FILES", "PICKLE_FILES", "find_files", "load_mnist", "read_idx"]

CLASS_NAMES = [str(d) for d in range(10)]

# split -> (images file, labels file), as published; ".gz" and the dotted
# "train-images.idx3-ubyte" spelling (Kaggle and some mirrors) are accepted too.
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
PICKLE_FILES = ("mnist.pkl.gz", "mnist.pkl")
_PICKLE_SPLITS = {"train": 0, "valid": 1, "test": 2}
_SPLIT_ALIASES = {"val": "valid", "validation": "valid", "t10k": "test"}
_IMAGES_MAGIC, _LABELS_MAGIC = 2051, 2049


def _folders(data_dir: Path) -> list[Path]:
    # The download command's folder, a mnist/ subfolder, and torchvision's layout.
    return [data_dir, data_dir / "mnist", data_dir / "MNIST" / "raw"]


def _variants(name: str) -> list[str]:
    dotted = name.replace("-idx", ".idx", 1)
    return [name, name + ".gz", dotted, dotted + ".gz"]


def _find(folder: Path, name: str) -> Path | None:
    for candidate in _variants(name):
        if (folder / candidate).is_file():
            return folder / candidate
    return None


def find_files(data_dir: str | Path, split: str = "train") -> tuple[str, list[Path]] | None:
    """Locate the files :func:`load_mnist` would read.

    Parameters
    ----------
    data_dir : str or Path
        Folder to look in (also its ``mnist/`` and ``MNIST/raw/`` subfolders).
    split : str, optional
        ``"train"``, ``"test"`` or ``"valid"`` (pickle only).

    Returns
    -------
    tuple of (str, list of Path) or None
        ``("idx", [images, labels])`` or ``("pickle", [mnist.pkl.gz])``; None if absent.

    Raises
    ------
    DataError
        If only one of the two IDX files of the split is there, or the split is unknown.
    """
    split = _check_split(split)
    data_dir = Path(data_dir)
    if split in IDX_FILES:
        images_name, labels_name = IDX_FILES[split]
        for folder in _folders(data_dir):
            images, labels = _find(folder, images_name), _find(folder, labels_name)
            if images and labels:
                return "idx", [images, labels]
            if images or labels:
                found, missing = (images, labels_name) if images else (labels, images_name)
                raise DataError(
                    f"MNIST {split}: found {found} but not {missing}[.gz] in {folder}; "
                    f"both files are needed (gamegan data download mnist --dir {data_dir})"
                )
    for folder in _folders(data_dir):
        for name in PICKLE_FILES:
            if (folder / name).is_file():
                return "pickle", [folder / name]
    return None


def _check_split(split: str) -> str:
    split = _SPLIT_ALIASES.get(split.lower(), split.lower())
    if split not in _PICKLE_SPLITS:
        raise DataError(f"MNIST: unknown split {split!r}; choose train, test or valid")
    return split


def read_idx(path: str | Path, magic: int) -> np.ndarray:
    """Read one IDX file of unsigned bytes (gzipped or not), checking its header and size.

    Parameters
    ----------
    path : str or Path
        The file; a ``.gz`` suffix means gzip.
    magic : int
        Expected magic number: 2051 for images (3 dimensions), 2049 for labels (1).

    Returns
    -------
    np.ndarray
        ``uint8`` array of the dimensions in the header (read-only view of the file's bytes).

    Raises
    ------
    DataError
        Naming the file, if it cannot be read, has another magic number, or is truncated.
    """
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                data = f.read()
        else:
            data = path.read_bytes()
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"{path}: cannot read ({err}); download it again") from None
    n_dims = magic & 0xFF
    header = 4 + 4 * n_dims
    if len(data) < header:
        raise DataError(f"{path}: only {len(data)} bytes, too short for an IDX header")
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        kind = {_IMAGES_MAGIC: "images", _LABELS_MAGIC: "labels"}.get(magic, "data")
        raise DataError(f"{path}: not an IDX {kind} file (magic number {found}, expected {magic})")
    dims = struct.unpack(f">{n_dims}I", data[4:header])
    expected = header + math.prod(dims)
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "has trailing bytes"
        raise DataError(
            f"{path}: {what} ({len(data)} bytes, header {list(dims)} needs {expected}); "
            "download it again"
        )
    return np.frombuffer(data, np.uint8, offset=header).reshape(dims)


def _load_idx(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images = read_idx(images_path, _IMAGES_MAGIC)
    labels = read_idx(labels_path, _LABELS_MAGIC)
    if len(images) != len(labels):
        raise DataError(
            f"{images_path} holds {len(images)} images but {labels_path} holds "
            f"{len(labels)} labels; the two files are from different sets"
        )
    if len(labels) and labels.max() > 9:
        raise DataError(f"{labels_path}: label {labels.max()} is not a digit 0-9")
    return images, labels


def _load_pickle(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            sets = safe_pickle.load(f, encoding="latin1", name=str(path))
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"{path}: cannot read ({err}); download it again") from None
    try:
        x, y = sets[_PICKLE_SPLITS[split]]
        x, y = np.asarray(x), np.asarray(y)
        ok = x.ndim == 2 and x.shape[1] == 784 and y.shape == (len(x),)
    except (TypeError, ValueError, IndexError, KeyError):
        ok = False
    if not ok:
        raise DataError(
            f"{path}: expected a pickled (train, valid, test) tuple of (images [n, 784], "
            "labels [n]) pairs, as in the deeplearning.net tutorial file"
        )
    if x.dtype == np.uint8:
        pixels = x
    else:
        # The tutorial file stores pixel / 256 (max 0.99609375); other copies use / 255.
        x = x.astype(np.float32, copy=False)
        scaled = x * 256
        scale = 256 if np.abs(scaled - np.round(scaled)).max(initial=0) < 1e-3 else 255
        pixels = np.clip(np.round(x * scale), 0, 255).astype(np.uint8)
    return pixels.reshape(-1, 28, 28), y.astype(np.int64)


def load_mnist(data_dir: str | Path, split: str = "train") -> ImageData:
    """Load MNIST digits.

    Looks in ``data_dir`` (and its ``mnist/`` and ``MNIST/raw/`` subfolders) for the IDX
    files ``train-images-idx3-ubyte`` + ``train-labels-idx1-ubyte`` (``t10k-*`` for the
    test split; gzipped or not; ``train-images.idx3-ubyte`` spelling too), else for the
    tutorial pickle ``mnist.pkl.gz``, which splits the 60000 training digits into train
    (50000) and valid (10000).

    Parameters
    ----------
    data_dir : str or Path
        Folder holding the files.
    split : str, optional
        ``"train"``, ``"test"`` or ``"valid"`` (only in ``mnist.pkl.gz``).

    Returns
    -------
    ImageData
        ``uint8`` images ``[N, 1, 28, 28]``, labels 0-9, class names ``"0"``..``"9"``.

    Raises
    ------
    DataError
        If no files are found (the message lists the names and folders searched), or a file
        is truncated or of the wrong kind (the message names it).
    """
    data_dir = Path(data_dir)
    split = _check_split(split)
    found = find_files(data_dir, split)
    if found is None:
        folders = ", ".join(str(f) for f in _folders(data_dir))
        if split in IDX_FILES:
            images_name, labels_name = IDX_FILES[split]
            wanted = (
                f"{images_name}[.gz] and {labels_name}[.gz] "
                f"(or {PICKLE_FILES[0]}, which also has the valid split)"
            )
        else:
            wanted = f"{PICKLE_FILES[0]} (the valid split exists only in that file)"
        raise DataError(
            f"MNIST {split}: no data files found. Looked in {folders} for {wanted}. "
            f"Get them with: gamegan data download mnist --dir {data_dir}"
        )
    kind, paths = found
    if kind == "idx":
        images, labels = _load_idx(*paths)
        where = f"IDX files in {paths[0].parent}"
    else:
        images, labels = _load_pickle(paths[0], split)
        where = str(paths[0])
    return ImageData(
        images=torch.from_numpy(images.copy()).unsqueeze(1),  # [N, 1, H, W]
        labels=torch.from_numpy(labels.astype(np.int64)),
        class_names=list(CLASS_NAMES),
        source=f"MNIST {split} ({len(images)} images, {where})",
        skipped=[],
    )
