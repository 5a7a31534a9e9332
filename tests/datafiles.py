"""Write tiny data files in the official formats, for tests (no network, a few KB each).

Every writer returns the arrays a correct loader must give back, so tests can compare
exact pixels and labels.
"""

from __future__ import annotations

import gzip
import io
import pickle
import struct
import tarfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from gamegan.data.cifar100 import FINE_TO_COARSE

__all__ = [
    "write_cifar100_binary",
    "write_cifar100_python",
    "write_image_folder",
    "write_mnist_idx",
    "write_mnist_pkl",
    "write_png_bomb",
]

MNIST_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _digits(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    rng.shuffle(labels)
    return images, labels


def write_mnist_idx(
    directory: str | Path,
    n: int = 64,
    gz: bool = True,
    seed: int = 0,
    n_test: int = 20,
    dotted: bool = False,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Write MNIST IDX files: ``train-*`` with ``n`` digits and ``t10k-*`` with ``n_test``.

    Parameters
    ----------
    directory : str or Path
        Folder to write into (created if needed).
    n, n_test : int
        Train and test image counts. Labels cycle through 0-9, shuffled.
    gz : bool
        Gzip the files (``*.gz``, as published) or write them raw.
    seed : int
        Seed of the random pixels.
    dotted : bool
        Use the ``train-images.idx3-ubyte`` spelling found on some mirrors.

    Returns
    -------
    dict
        ``{"train": (images uint8 [n, 28, 28], labels uint8 [n]), "test": (...)}``.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    result = {}
    for split, count in (("train", n), ("test", n_test)):
        images, labels = _digits(rng, count)
        images_name, labels_name = MNIST_NAMES[split]
        for name, magic, array in ((images_name, 2051, images), (labels_name, 2049, labels)):
            header = struct.pack(f">{1 + array.ndim}I", magic, *array.shape)
            data = header + array.tobytes()
            if dotted:
                name = name.replace("-idx", ".idx", 1)
            if gz:
                (directory / f"{name}.gz").write_bytes(gzip.compress(data, mtime=0))
            else:
                (directory / name).write_bytes(data)
        result[split] = (images, labels)
    return result


def write_mnist_pkl(
    directory: str | Path, n: int = 50, seed: int = 0
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Write ``mnist.pkl.gz`` as in the deeplearning.net tutorial.

    A protocol-2 pickle of ``(train, valid, test)``, each ``(X float32 [m, 784], y int64
    [m])`` with ``X = pixel / 256`` like the original file. Train has ``n`` digits, valid
    and test ``n // 2``.

    Parameters
    ----------
    directory : str or Path
        Folder to write into (created if needed).
    n : int
        Train count.
    seed : int
        Seed of the random pixels.

    Returns
    -------
    dict
        ``{"train"|"valid"|"test": (pixels uint8 [m, 28, 28], labels int64 [m])}``.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    result, sets = {}, []
    for split, count in (("train", n), ("valid", n // 2), ("test", n // 2)):
        pixels, labels = _digits(rng, count)
        x = (pixels.reshape(count, 784).astype(np.float32) / 256).astype(np.float32)
        sets.append((x, labels.astype(np.int64)))
        result[split] = (pixels, labels.astype(np.int64))
    data = pickle.dumps(tuple(sets), protocol=2)
    (directory / "mnist.pkl.gz").write_bytes(gzip.compress(data, mtime=0))
    return result


def _cifar_records(
    n_per_class: int, classes: tuple[int, ...], seed: int
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    result = {}
    for split in ("train", "test"):
        fine = np.repeat(np.array(classes, dtype=np.uint8), n_per_class)
        rng.shuffle(fine)
        coarse = np.array([FINE_TO_COARSE[f] for f in fine], dtype=np.uint8)
        images = rng.integers(0, 256, size=(len(fine), 3, 32, 32), dtype=np.uint8)
        result[split] = (images, fine, coarse)
    return result


def _write_tar(archive: Path, members: dict[str, bytes]) -> None:
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def write_cifar100_binary(
    directory: str | Path,
    n_per_class: int = 4,
    classes: tuple[int, ...] = (33, 5),
    archive: bool = False,
    seed: int = 0,
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Write the CIFAR-100 binary distribution: ``cifar-100-binary/{train,test}.bin``.

    Each record is 1 coarse-label byte, 1 fine-label byte, then 3072 pixel bytes (R, G, B
    planes of 32x32, row-major). Records of the classes are shuffled together.

    Parameters
    ----------
    directory : str or Path
        Folder to write into (created if needed).
    n_per_class : int
        Records per class in each split.
    classes : tuple of int
        Fine labels to include (33 is "forest", 5 "bed").
    archive : bool
        Write ``cifar-100-binary.tar.gz`` (as downloaded) instead of the extracted folder.
    seed : int
        Seed of pixels and order.

    Returns
    -------
    dict
        ``{"train"|"test": (images uint8 [N, 3, 32, 32], fine uint8 [N], coarse uint8 [N])}``.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    result = _cifar_records(n_per_class, tuple(classes), seed)
    members = {}
    for split, (images, fine, coarse) in result.items():
        records = np.concatenate(
            [coarse[:, None], fine[:, None], images.reshape(len(fine), 3072)], axis=1
        )
        members[f"cifar-100-binary/{split}.bin"] = records.astype(np.uint8).tobytes()
    if archive:
        _write_tar(directory / "cifar-100-binary.tar.gz", members)
    else:
        for name, data in members.items():
            (directory / name).parent.mkdir(exist_ok=True)
            (directory / name).write_bytes(data)
    return result


def write_cifar100_python(
    directory: str | Path,
    n_per_class: int = 4,
    classes: tuple[int, ...] = (33, 5),
    archive: bool = False,
    seed: int = 0,
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Write the CIFAR-100 python distribution: ``cifar-100-python/{train,test}``.

    Each file is a protocol-2 pickle of a dict with bytes keys: ``b"data"`` (uint8
    [N, 3072]), ``b"fine_labels"``, ``b"coarse_labels"`` (lists of int), ``b"filenames"``
    and ``b"batch_label"``.

    Parameters
    ----------
    directory, n_per_class, classes, seed
        As in :func:`write_cifar100_binary`.
    archive : bool
        Write ``cifar-100-python.tar.gz`` instead of the extracted folder.

    Returns
    -------
    dict
        As :func:`write_cifar100_binary`.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    result = _cifar_records(n_per_class, tuple(classes), seed)
    members = {}
    for split, (images, fine, coarse) in result.items():
        batch = {
            b"batch_label": f"{split} batch".encode(),
            b"data": images.reshape(len(fine), 3072),
            b"fine_labels": [int(f) for f in fine],
            b"coarse_labels": [int(c) for c in coarse],
            b"filenames": [f"img_{i}.png".encode() for i in range(len(fine))],
        }
        members[f"cifar-100-python/{split}"] = pickle.dumps(batch, protocol=2)
    if archive:
        _write_tar(directory / "cifar-100-python.tar.gz", members)
    else:
        for name, data in members.items():
            (directory / name).parent.mkdir(exist_ok=True)
            (directory / name).write_bytes(data)
    return result


def write_png_bomb(path: str | Path, side: int = 9000) -> Path:
    """Write a valid 1-bit ``side x side`` all-black PNG: a few KB that decode to 81 MP.

    Written by hand (zlib of zero rows) so no big image is ever held in memory.

    Parameters
    ----------
    path : str or Path
        Destination file.
    side : int
        Width and height in pixels.

    Returns
    -------
    Path
        ``path``.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\x00" * (1 + (side + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit grayscale
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    Path(path).write_bytes(data)
    return Path(path)


def write_image_folder(directory: str | Path) -> dict[str, object]:
    """Write a folder mixing every supported kind of image with broken and odd files.

    Usable (all at least 16 px per side): ``exact.png`` (16x16 RGB), ``rgb.png`` (24x20
    RGB), ``gray.jpg`` (20x20 L), ``deep16.png`` (16x16 16-bit gray), ``palette.png``
    (16x16 P), ``alpha.webp`` (16x16 RGBA, lossless), ``anim.gif`` (2 frames),
    ``sub/picture.bmp`` (18x18 RGB), ``sub/deeper/scan.tiff`` (16x16 CMYK).
    Skipped: ``corrupt.png`` (random bytes), ``truncated.jpg`` and ``truncated.png`` (cut
    short), ``tiny.png`` (1x1), ``notes.txt``. Ignored silently: ``.hidden.png``,
    ``.cache/x.png``.

    Parameters
    ----------
    directory : str or Path
        Folder to write into (created if needed).

    Returns
    -------
    dict
        ``"usable"``: relative paths of the usable images; ``"skipped"``: relative path ->
        a phrase its skip reason contains; ``"ignored"``: hidden files; ``"arrays"``:
        relative path -> the pixel array written (for the lossless files).
    """
    d = Path(directory)
    (d / "sub" / "deeper").mkdir(parents=True, exist_ok=True)
    (d / ".cache").mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    arrays: dict[str, np.ndarray] = {}

    def rgb(h: int, w: int) -> np.ndarray:
        return rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)

    arrays["exact.png"] = rgb(16, 16)
    Image.fromarray(arrays["exact.png"]).save(d / "exact.png")
    Image.fromarray(rgb(20, 24)).save(d / "rgb.png")
    Image.fromarray(rng.integers(0, 256, size=(20, 20), dtype=np.uint8)).save(d / "gray.jpg")
    arrays["deep16.png"] = (np.arange(256, dtype=np.uint16).reshape(16, 16) * 257).astype(np.uint16)
    Image.fromarray(arrays["deep16.png"]).save(d / "deep16.png")
    palette = Image.fromarray(rng.integers(0, 8, size=(16, 16), dtype=np.uint8))
    palette = palette.convert("P")
    palette.putpalette([v for i in range(8) for v in (i * 30, 255 - i * 30, i * 10)])
    palette.save(d / "palette.png")
    arrays["palette.png"] = np.array(palette.convert("RGB"))
    rgba = np.concatenate([rgb(16, 16), rng.integers(0, 256, (16, 16, 1), dtype=np.uint8)], 2)
    arrays["alpha.webp"] = rgba
    Image.fromarray(rgba).save(d / "alpha.webp", lossless=True, exact=True)
    frames = [Image.fromarray(rgb(16, 16)).convert("P") for _ in range(2)]
    frames[0].save(d / "anim.gif", save_all=True, append_images=frames[1:])
    arrays["anim.gif"] = np.array(frames[0].convert("RGB"))
    Image.fromarray(rgb(18, 18)).save(d / "sub" / "picture.bmp")
    Image.fromarray(rgb(16, 16)).convert("CMYK").save(d / "sub" / "deeper" / "scan.tiff")

    (d / "corrupt.png").write_bytes(rng.integers(0, 256, 500, dtype=np.uint8).tobytes())
    buffer = io.BytesIO()
    Image.fromarray(rgb(64, 64)).save(buffer, "JPEG", quality=95)
    (d / "truncated.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    buffer = io.BytesIO()
    Image.fromarray(rgb(64, 64)).save(buffer, "PNG")
    (d / "truncated.png").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    Image.fromarray(rgb(1, 1)).save(d / "tiny.png")
    (d / "notes.txt").write_text("not a picture\n")
    Image.fromarray(rgb(16, 16)).save(d / ".hidden.png")
    Image.fromarray(rgb(16, 16)).save(d / ".cache" / "x.png")

    return {
        "usable": [
            "alpha.webp",
            "anim.gif",
            "deep16.png",
            "exact.png",
            "gray.jpg",
            "palette.png",
            "rgb.png",
            "sub/deeper/scan.tiff",
            "sub/picture.bmp",
        ],
        "skipped": {
            "corrupt.png": "cannot identify",
            "truncated.jpg": "truncated",
            "truncated.png": "truncated",
            "tiny.png": "too small",
            "notes.txt": "not an image file",
        },
        "ignored": [".hidden.png", ".cache/x.png"],
        "arrays": arrays,
    }
