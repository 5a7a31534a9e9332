"""``gamegan data inspect``: what gamegan sees in a folder, an image or a data set."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from gamegan.errors import DataError

__all__ = ["inspect_path"]


def _counts(counter: Counter, limit: int = 12) -> str:
    items = counter.most_common()
    text = ", ".join(f"{key} ({n})" for key, n in items[:limit])
    return text + (f", ... {len(items) - limit} more" if len(items) > limit else "")


def _inspect_dataset(name: str, data_dir: Path) -> str:
    from gamegan.data.cifar100 import load_cifar100
    from gamegan.data.mnist import find_files, load_mnist

    if name == "mnist":
        title, splits = "MNIST", ["train", "test"]
        if (found := find_files(data_dir, "train")) and found[0] == "pickle":
            splits.append("valid")

        def load(split: str):
            return load_mnist(data_dir, split)
    else:
        title, splits = "CIFAR-100", ["train", "test"]

        def load(split: str):
            return load_cifar100(data_dir, split)

    lines = [f"{title} in {data_dir}"]
    errors = []
    for split in splits:
        try:
            data = load(split)
        except DataError as err:
            errors.append(err)
            lines.append(f"  {split}: not usable: {err}")
            continue
        _, c, h, w = data.images.shape
        lines.append(f"  {split}: {data.source}")
        lines.append(f"    {len(data)} images of {w}x{h} pixels, {c} channel(s)")
        counts = Counter(data.labels.tolist())
        lines.append(f"    {len(counts)} classes:")
        for label in sorted(counts):
            name = data.class_names[label]
            shown = f"{label:3d}" if name == str(label) else f"{label:3d} {name}"
            lines.append(f"      {shown}: {counts[label]}")
    if len(errors) == len(splits):
        raise errors[0]
    return "\n".join(lines)


def _inspect_files(path: Path, title: str) -> str:
    from gamegan.data.image_folder import SkipImage, read_image, scan_files

    files, skipped = scan_files(path)
    sizes, modes = Counter(), Counter()
    smallest = None
    for f in files:
        try:
            img, mode = read_image(f)
        except SkipImage as skip:
            skipped.append((str(f), skip.reason))
            continue
        w, h = img.size
        sizes[f"{w}x{h}"] += 1
        modes[mode] += 1
        smallest = min(smallest or min(w, h), min(w, h))
    n_ok = sum(sizes.values())
    lines = [f"{title}: {n_ok + len(skipped)} files, {n_ok} usable images"]
    if n_ok:
        lines.append(f"  sizes (W x H): {_counts(sizes)}")
        lines.append(f"  smallest side: {smallest} px (images under resolution / 2 are skipped)")
        lines.append(f"  modes: {_counts(modes)}")
    lines.append(f"  skipped: {len(skipped)}")
    base = path if path.is_dir() else path.parent
    for f, reason in sorted(skipped):
        shown = Path(f).relative_to(base) if Path(f).is_relative_to(base) else f
        lines.append(f"    {shown}: {reason}")
    return "\n".join(lines)


def inspect_path(path_or_name: str | Path, data_dir: str | Path | None = None) -> str:
    """Describe what gamegan would load from a folder, an image file or a data set.

    Parameters
    ----------
    path_or_name : str or Path
        An image folder, a single image, ``"mnist"``, ``"cifar100"``, a bundled texture
        name, or ``"texture:PATH"``.
    data_dir : str or Path or None, optional
        Where MNIST/CIFAR-100 files are (see :func:`gamegan.data.resolve_data_dir`).

    Returns
    -------
    str
        A multi-line report: image count, distinct sizes and Pillow modes with counts,
        every skipped file with its reason; for data sets, each split's size, source
        files and per-class counts.

    Raises
    ------
    DataError
        If the path does not exist, or no split of a data set can be loaded.
    """
    from gamegan.data import DATASETS, TEXTURE_PREFIX, resolve_data_dir
    from gamegan.data.textures import BUNDLED_TEXTURES, bundled_texture_path

    name = str(path_or_name).strip()
    key = name.lower().replace("-", "")
    if key in DATASETS:
        return _inspect_dataset(key, resolve_data_dir(data_dir))
    if key in BUNDLED_TEXTURES:
        path = bundled_texture_path(key)
        return _inspect_files(path, f"bundled texture {key} ({path})")
    if key.startswith(TEXTURE_PREFIX):
        name = name[len(TEXTURE_PREFIX) :]
    path = Path(name).expanduser()
    if not path.exists():
        raise DataError(
            f"{name}: not a known data set ({', '.join(DATASETS + BUNDLED_TEXTURES)}) "
            "and no such file or folder"
        )
    return _inspect_files(path, f"{path} ({'folder' if path.is_dir() else 'file'})")
