"""CIFAR-100 (https://www.cs.toronto.edu/~kriz/cifar.html) with class-subset selection.

Reads the binary distribution (preferred: plain bytes, no pickle), extracted or straight
from its ``.tar.gz``; the python distribution is read too, through the safe unpickler.
"""

from __future__ import annotations

import difflib
import tarfile
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import torch

from gamegan.data import safe_pickle
from gamegan.data.images import ImageData
from gamegan.errors import DataError

__all__ = [
    "COARSE_NAMES",
    "FINE_NAMES",
    "FINE_TO_COARSE",
    "RECORD_BYTES",
    "find_source",
    "load_cifar100",
    "select_labels",
]

# Label number -> name, in the order of the data set's meta files.
FINE_NAMES = [
    "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle",
    "bicycle", "bottle", "bowl", "boy", "bridge", "bus", "butterfly", "camel",
    "can", "castle", "caterpillar", "cattle", "chair", "chimpanzee", "clock",
    "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur",
    "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster",
    "house", "kangaroo", "keyboard", "lamp", "lawn_mower", "leopard", "lion",
    "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain", "mouse",
    "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear",
    "pickup_truck", "pine_tree", "plain", "plate", "poppy", "porcupine",
    "possum", "rabbit", "raccoon", "ray", "road", "rocket", "rose",
    "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake",
    "spider", "squirrel", "streetcar", "sunflower", "sweet_pepper", "table",
    "tank", "telephone", "television", "tiger", "tractor", "train", "trout",
    "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman",
    "worm",
]  # fmt: skip
COARSE_NAMES = [
    "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables",
    "household_electrical_devices", "household_furniture", "insects", "large_carnivores",
    "large_man-made_outdoor_things", "large_natural_outdoor_scenes",
    "large_omnivores_and_herbivores", "medium_mammals", "non-insect_invertebrates", "people",
    "reptiles", "small_mammals", "trees", "vehicles_1", "vehicles_2",
]  # fmt: skip
# Fine label -> its coarse label (five fine classes per superclass).
FINE_TO_COARSE = [
    4, 1, 14, 8, 0, 6, 7, 7, 18, 3, 3, 14, 9, 18, 7, 11, 3, 9, 7, 11,
    6, 11, 5, 10, 7, 6, 13, 15, 3, 15, 0, 11, 1, 10, 12, 14, 16, 9, 11, 5,
    5, 19, 8, 8, 15, 13, 14, 17, 18, 10, 16, 4, 17, 4, 2, 0, 17, 4, 18, 17,
    10, 3, 2, 12, 12, 16, 12, 1, 9, 19, 2, 10, 0, 1, 16, 12, 9, 13, 15, 13,
    16, 19, 2, 4, 6, 19, 5, 5, 8, 19, 18, 1, 2, 15, 6, 0, 17, 8, 14, 13,
]  # fmt: skip

RECORD_BYTES = 2 + 3 * 32 * 32  # coarse label, fine label, R, G, B planes (row-major)
_SPLITS = ("train", "test")
_BINARY_DIR, _PYTHON_DIR = "cifar-100-binary", "cifar-100-python"
_BINARY_ARCHIVE, _PYTHON_ARCHIVE = _BINARY_DIR + ".tar.gz", _PYTHON_DIR + ".tar.gz"


def _folders(data_dir: Path) -> list[Path]:
    return [data_dir, data_dir / "cifar100", data_dir / "cifar-100"]


def find_source(data_dir: str | Path, split: str = "train") -> tuple[str, Path] | None:
    """Locate what :func:`load_cifar100` would read, in order of preference.

    Parameters
    ----------
    data_dir : str or Path
        Folder to look in (also its ``cifar100/`` and ``cifar-100/`` subfolders).
    split : str, optional
        ``"train"`` or ``"test"``.

    Returns
    -------
    tuple of (str, Path) or None
        ``(kind, path)`` with kind ``"binary"`` (``cifar-100-binary/train.bin``),
        ``"binary-archive"``, ``"python"`` (``cifar-100-python/train``) or
        ``"python-archive"``; None when nothing is there.
    """
    data_dir = Path(data_dir)
    for folder in _folders(data_dir):
        candidates = [
            ("binary", folder / _BINARY_DIR / f"{split}.bin"),
            ("binary", folder / f"{split}.bin"),
            ("binary-archive", folder / _BINARY_ARCHIVE),
            ("python", folder / _PYTHON_DIR / split),
            ("python-archive", folder / _PYTHON_ARCHIVE),
        ]
        for kind, path in candidates:
            if path.is_file():
                return kind, path
    return None


def _normalize(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def _resolve(items: Iterable[int | str], names: Sequence[str], what: str) -> set[int]:
    lookup = {_normalize(n): i for i, n in enumerate(names)}
    labels = set()
    for item in items:
        if isinstance(item, str) and item.strip().isdigit():
            item = int(item)
        if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            if not 0 <= item < len(names):
                raise DataError(f"CIFAR-100: {what} {item} is out of range 0-{len(names) - 1}")
            labels.add(int(item))
        elif isinstance(item, str) and _normalize(item) in lookup:
            labels.add(lookup[_normalize(item)])
        else:
            close = difflib.get_close_matches(_normalize(str(item)), list(lookup), n=5, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise DataError(
                f"CIFAR-100: unknown {what} {item!r}{hint} "
                f"(numbers 0-{len(names) - 1} or names such as {names[0]}, {names[1]})"
            )
    return labels


def select_labels(
    classes: Iterable[int | str] = (), coarse_classes: Iterable[int | str] = ()
) -> set[int] | None:
    """Fine labels chosen by fine and/or coarse classes (a union), or None for all.

    Parameters
    ----------
    classes : iterable of int or str
        Fine label numbers or names (``33`` or ``"forest"``; case and ``_``/space ignored).
    coarse_classes : iterable of int or str
        Coarse label numbers or names (``"trees"`` selects its five fine classes).

    Returns
    -------
    set of int or None
        The selected fine labels; None when both are empty.

    Raises
    ------
    DataError
        For an unknown name (with close matches) or a number out of range.
    """
    if isinstance(classes, (str, int)):
        classes = [classes]
    if isinstance(coarse_classes, (str, int)):
        coarse_classes = [coarse_classes]
    fine = _resolve(classes, FINE_NAMES, "class")
    coarse = _resolve(coarse_classes, COARSE_NAMES, "coarse class")
    if not fine and not coarse:
        return None
    return fine | {f for f, c in enumerate(FINE_TO_COARSE) if c in coarse}


def _parse_binary(data: bytes, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if len(data) == 0 or len(data) % RECORD_BYTES:
        raise DataError(
            f"{name}: {len(data)} bytes is not a whole number of CIFAR-100 records "
            f"({RECORD_BYTES} bytes each); the file is truncated or not CIFAR-100 binary"
        )
    records = np.frombuffer(data, np.uint8).reshape(-1, RECORD_BYTES)
    coarse, fine = records[:, 0], records[:, 1]
    if fine.max() >= len(FINE_NAMES) or coarse.max() >= len(COARSE_NAMES):
        raise DataError(f"{name}: label bytes out of range; not CIFAR-100 binary (CIFAR-10?)")
    return records[:, 2:], fine, coarse


def _parse_python(fileobj, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    batch = safe_pickle.load(fileobj, encoding="bytes", name=name)
    if isinstance(batch, dict):
        batch = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    try:
        pixels = np.asarray(batch["data"], dtype=np.uint8)
        fine = np.asarray(batch["fine_labels"], dtype=np.int64)
        coarse = np.asarray(batch["coarse_labels"], dtype=np.int64)
        ok = pixels.ndim == 2 and pixels.shape[1] == RECORD_BYTES - 2
        ok = ok and fine.shape == coarse.shape == (len(pixels),)
    except (TypeError, KeyError, ValueError):
        ok = False
    if not ok:
        raise DataError(
            f"{name}: expected a pickled dict with data [N, 3072], fine_labels and "
            "coarse_labels, as in cifar-100-python"
        )
    return pixels, fine, coarse


def _read(kind: str, path: Path, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    try:
        if kind == "binary":
            return _parse_binary(path.read_bytes(), str(path))
        if kind == "python":
            with open(path, "rb") as f:
                return _parse_python(f, str(path))
        is_binary = kind == "binary-archive"
        member = f"{_BINARY_DIR}/{split}.bin" if is_binary else f"{_PYTHON_DIR}/{split}"
        with tarfile.open(path, "r:*") as tar:
            try:
                f = tar.extractfile(member)
            except KeyError:
                f = None
            if f is None:
                raise DataError(f"{path}: archive has no member {member}")
            name = f"{path}:{member}"
            if is_binary:
                return _parse_binary(f.read(), name)
            return _parse_python(f, name)
    except (OSError, EOFError, tarfile.TarError, zlib.error) as err:
        raise DataError(f"{path}: cannot read ({err}); download it again") from None


def load_cifar100(
    data_dir: str | Path,
    split: str = "train",
    classes: Iterable[int | str] = (),
    coarse_classes: Iterable[int | str] = (),
) -> ImageData:
    """Load CIFAR-100 images, optionally only some classes.

    Looks in ``data_dir`` (and its ``cifar100/``, ``cifar-100/`` subfolders) for, in this
    order: ``cifar-100-binary/{split}.bin``, ``cifar-100-binary.tar.gz`` (read without
    extracting), ``cifar-100-python/{split}``, ``cifar-100-python.tar.gz``.

    Parameters
    ----------
    data_dir : str or Path
        Folder holding the files.
    split : str, optional
        ``"train"`` (50000 images) or ``"test"`` (10000).
    classes : iterable of int or str, optional
        Fine classes to keep, by number or name (``33`` or ``"forest"``).
    coarse_classes : iterable of int or str, optional
        Superclasses to keep (``"trees"``); combined with ``classes`` as a union. Both
        empty keeps everything.

    Returns
    -------
    ImageData
        ``uint8`` images ``[N, 3, 32, 32]``; labels are the original fine label numbers
        (0-99) and ``class_names`` all 100 fine names, so label 33 stays "forest".

    Raises
    ------
    DataError
        If no files are found, a file is truncated or of the wrong kind (named in the
        message), a class name is unknown (close matches suggested), or the selection is
        empty.
    """
    data_dir = Path(data_dir)
    split = split.lower()
    if split not in _SPLITS:
        raise DataError(f"CIFAR-100: unknown split {split!r}; choose train or test")
    wanted = select_labels(classes, coarse_classes)
    found = find_source(data_dir, split)
    if found is None:
        folders = ", ".join(str(f) for f in _folders(data_dir))
        raise DataError(
            f"CIFAR-100 {split}: no data files found. Looked in {folders} for "
            f"{_BINARY_DIR}/{split}.bin, {_BINARY_ARCHIVE}, {_PYTHON_DIR}/{split} or "
            f"{_PYTHON_ARCHIVE}. Get them with: gamegan data download cifar100 --dir {data_dir}"
        )
    kind, path = found
    pixels, fine, _ = _read(kind, path, split)
    if wanted is not None:
        keep = np.isin(fine, sorted(wanted))
        pixels, fine = pixels[keep], fine[keep]
        if len(fine) == 0:
            names = ", ".join(FINE_NAMES[i] for i in sorted(wanted))
            raise DataError(f"{path}: no {split} images of the selected classes ({names})")
    chosen = "" if wanted is None else f", {len(wanted)} of 100 classes"
    return ImageData(
        images=torch.from_numpy(pixels.reshape(-1, 3, 32, 32).copy()),  # R, G, B planes
        labels=torch.from_numpy(fine.astype(np.int64)),
        class_names=list(FINE_NAMES),
        source=f"CIFAR-100 {split} ({len(fine)} images{chosen}, {kind} {path})",
        skipped=[],
    )
