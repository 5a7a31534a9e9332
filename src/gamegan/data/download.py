"""Download MNIST and CIFAR-100 from their official hosts, verified by MD5.

Offline machines are common (clusters, air-gapped labs), so an unreachable host fails at
once with the exact URLs to fetch by hand and the folder to put them in.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

from gamegan.errors import DataError

__all__ = ["CIFAR100_SOURCES", "MNIST_MIRRORS", "MNIST_SOURCES", "download", "official_sources"]

MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
# filename -> (URLs to try in order, MD5)
MNIST_SOURCES = {
    name: (tuple(mirror + name for mirror in MNIST_MIRRORS), md5) for name, md5 in MNIST_MD5.items()
}
# Kept as the archive: gamegan.data.cifar100 reads it without extracting.
CIFAR100_SOURCES = {
    "cifar-100-binary.tar.gz": (
        ("https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",),
        "03b5dce01913d631647c71ecec9e9cb8",
    ),
}
_CHUNK = 1 << 20

Progress = Callable[[str, int, "int | None"], None]


class _Unreachable(Exception):
    def __init__(self, url: str, reason: object, *, is_http: bool = False) -> None:
        super().__init__(f"{urllib.parse.urlsplit(url).hostname or url} ({reason})")
        self.is_http = is_http  # the host answered, but with an error status


def official_sources(name: str) -> dict[str, tuple[tuple[str, ...], str]]:
    """The files of a data set: ``{filename: (urls, md5)}``.

    Parameters
    ----------
    name : str
        ``"mnist"`` or ``"cifar100"``.

    Returns
    -------
    dict
        Filename -> (URLs to try in order, MD5 hex digest).

    Raises
    ------
    DataError
        For any other name.
    """
    key = name.lower().replace("-", "")
    if key == "mnist":
        return dict(MNIST_SOURCES)
    if key == "cifar100":
        return dict(CIFAR100_SOURCES)
    raise DataError(f"cannot download {name!r}: choose mnist or cifar100")


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch(url: str, part: Path, timeout: float, progress: Progress | None) -> str:
    """Stream ``url`` into ``part``; return its MD5. Network failures become _Unreachable."""
    request = urllib.request.Request(url, headers={"User-Agent": "gamegan"})
    digest = hashlib.md5()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, open(part, "wb") as f:
            total = response.headers.get("Content-Length")
            total = int(total) if total and total.isdigit() else None
            done = 0
            while chunk := response.read(_CHUNK):
                f.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(part.name[: -len(".part")], done, total)
    except urllib.error.HTTPError as err:
        raise _Unreachable(url, f"HTTP {err.code} {err.reason}", is_http=True) from None
    except urllib.error.URLError as err:
        raise _Unreachable(url, err.reason) from None
    except TimeoutError:  # socket.timeout is an alias
        raise _Unreachable(url, f"no answer within {timeout:g} s") from None
    except (http.client.HTTPException, ConnectionError) as err:
        raise _Unreachable(url, f"connection lost: {err!r}") from None
    return digest.hexdigest()


def download(
    name: str,
    dest_dir: str | Path,
    *,
    timeout: float = 15.0,
    sources: dict[str, tuple[str | Sequence[str], str]] | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    """Download a data set's official files into a folder, verifying each MD5.

    Each file is streamed to ``FILE.part``, checked, then renamed, so an interrupted
    download never leaves a file that looks complete. Files already present with the right
    checksum are not downloaded again.

    Parameters
    ----------
    name : str
        ``"mnist"`` (four IDX ``.gz`` files) or ``"cifar100"`` (``cifar-100-binary.tar.gz``,
        kept as the archive).
    dest_dir : str or Path
        Folder to write into (created if needed); pass the same folder as ``data_dir``
        when loading.
    timeout : float, optional
        Seconds to wait for a connection or for data before giving up.
    sources : dict, optional
        ``{filename: (url or urls, md5)}`` to use instead of the official table (tests,
        local mirrors).
    progress : callable, optional
        Called as ``progress(filename, bytes_done, bytes_total_or_None)`` while streaming.

    Returns
    -------
    list of Path
        The data set's files in ``dest_dir``, in table order.

    Raises
    ------
    DataError
        If no host can be reached (the message lists the URLs to download by hand and the
        folder to put them in), or a download does not match its checksum (the partial
        file is deleted).
    """
    table = official_sources(name) if sources is None else sources
    entries = [
        (fname, [urls] if isinstance(urls, str) else list(urls), md5.lower())
        for fname, (urls, md5) in table.items()
    ]
    dest = Path(dest_dir).expanduser()
    dest.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, (fname, urls, md5) in enumerate(entries):
        target = dest / fname
        if target.is_file() and _md5(target) == md5:
            paths.append(target)
            continue
        part = target.with_name(fname + ".part")
        unreachable: list[_Unreachable] = []
        mismatch = None
        for url in urls:
            try:
                got = _fetch(url, part, timeout, progress)
            except _Unreachable as err:
                part.unlink(missing_ok=True)
                unreachable.append(err)
                continue
            if got != md5:
                part.unlink(missing_ok=True)
                mismatch = f"{url} gave a file with MD5 {got}, expected {md5}"
                continue
            os.replace(part, target)
            break
        else:
            if mismatch is not None:
                raise DataError(
                    f"{fname}: checksum mismatch: {mismatch}; the partial file was deleted. "
                    f"Try again, or download it by hand into {dest}"
                )
            hosts = " or ".join(str(err) for err in unreachable)
            what = (
                f"could not download {fname} from"
                if any(err.is_http for err in unreachable)
                else "cannot reach"
            )
            later = [u[0] for f, u, _ in entries[index + 1 :] if not (dest / f).is_file()]
            raise DataError(
                f"{what} {hosts}. Download these files by hand and put them in "
                f"{dest}: {' '.join([urls[0], *later])}"
            )
        paths.append(target)
    return paths
