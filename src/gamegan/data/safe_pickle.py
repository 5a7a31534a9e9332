"""Load the pickled numpy arrays of classic data sets without running arbitrary code.

``pickle.load`` calls whatever a file names, so a doctored ``mnist.pkl.gz`` could run
``os.system``. This unpickler admits only what numpy arrays need to rebuild themselves.
"""

from __future__ import annotations

import codecs
import pickle
import zlib
from typing import IO, Any

import numpy as np

from gamegan.errors import DataError

__all__ = ["SafeUnpickler", "load"]

_NUMPY2 = int(np.__version__.split(".")[0]) >= 2

# (module, name) pairs that rebuild numpy arrays, dtypes and scalars.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    # Protocol 5 pickles of contiguous arrays rebuild from a raw buffer.
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


def _latin1_encode(text: str, encoding: str = "utf-8", errors: str = "strict") -> bytes:
    # Python 3 writes bytes into protocol 0-2 pickles as _codecs.encode(text, "latin1");
    # allow exactly that use, not arbitrary codecs.
    if codecs.lookup(encoding).name != "iso8859-1":
        raise pickle.UnpicklingError(f"refused _codecs.encode with encoding {encoding!r}")
    return text.encode("latin1", errors)


class SafeUnpickler(pickle.Unpickler):
    """An unpickler whose ``find_class`` admits only numpy array reconstruction.

    Parameters
    ----------
    file : binary file object
        The pickle stream.
    name : str
        How to name the file in error messages.
    encoding : str
        Passed to :class:`pickle.Unpickler`; ``"latin1"`` or ``"bytes"`` for Python 2 pickles.
    """

    def __init__(self, file: IO[bytes], *, name: str = "file", encoding: str = "latin1") -> None:
        super().__init__(file, encoding=encoding)
        self.name = name

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("_codecs", "encode"):
            return _latin1_encode
        if (module, name) == ("builtins", "bytes") or (module, name) == ("__builtin__", "bytes"):
            return bytes  # how Python 3 protocol 2 writes b""
        if (module, name) not in _ALLOWED:
            raise DataError(
                f"gamegan's safe unpickler refuses to load pickled object {module}.{name} "
                f"from {self.name}: only numpy arrays are allowed in data files"
            )
        if _NUMPY2 and module.startswith("numpy.core"):
            # Old pickles name numpy.core, which numpy 2 only keeps as a deprecated alias.
            module = "numpy._core" + module[len("numpy.core") :]
        return super().find_class(module, name)


def load(fileobj: IO[bytes], *, encoding: str = "latin1", name: str = "file") -> Any:
    """Unpickle numpy arrays (inside tuples, lists and dicts) and nothing else.

    Parameters
    ----------
    fileobj : binary file object
        Open pickle stream (e.g. from ``gzip.open`` or ``tarfile.extractfile``).
    encoding : str, optional
        ``"latin1"`` for Python 2 pickles of numpy arrays (mnist.pkl.gz); ``"bytes"`` to keep
        Python 2 strings as bytes (CIFAR-100's ``b"data"`` keys).
    name : str, optional
        The file's name, used in error messages.

    Returns
    -------
    object
        The unpickled object.

    Raises
    ------
    DataError
        If the pickle names any class or function other than numpy's array rebuilders, or
        is truncated or corrupt.
    """
    try:
        return SafeUnpickler(fileobj, name=name, encoding=encoding).load()
    except DataError:
        raise
    except (
        pickle.UnpicklingError,
        EOFError,
        OSError,
        ValueError,
        TypeError,
        LookupError,
        AttributeError,
        zlib.error,
    ) as err:
        raise DataError(f"{name}: not a readable pickle of numpy arrays ({err})") from None
