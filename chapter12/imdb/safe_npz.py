"""Read `.npz` files without ever running a pickle's code.

Keras's `imdb.npz` stores its ragged reviews as NumPy object arrays, which NumPy can only
save as pickle streams. `np.load(..., allow_pickle=True)` would run whatever a tampered file
asks for. Here numeric members are read with pickling switched off, and object members go
through an unpickler that may only rebuild NumPy arrays; lists and ints need no globals at all.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

import numpy as np

from chapter12.errors import Chapter12Error

# The only globals an object array of lists needs: both NumPy 1.x and 2.x spellings.
_ALLOWED_GLOBALS = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
    }
)


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle asked for something other than NumPy array reconstruction."""


class _ArrayOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise UnsafePickleError(f"{module}.{name}")


def _read_member(raw: bytes) -> np.ndarray:
    fp = io.BytesIO(raw)
    try:
        return np.lib.format.read_array(fp, allow_pickle=False)
    except ValueError:
        pass  # an object array: only a pickle can hold it
    fp.seek(0)
    version = np.lib.format.read_magic(fp)
    if version == (1, 0):
        np.lib.format.read_array_header_1_0(fp)
    elif version in ((2, 0), (3, 0)):
        # 3.0 differs from 2.0 only in the header's text encoding, not its length field.
        np.lib.format.read_array_header_2_0(fp)
    else:
        raise ValueError(f"unsupported .npy format version {version}")
    array = _ArrayOnlyUnpickler(fp).load()
    if not isinstance(array, np.ndarray):
        raise ValueError(f"pickle held a {type(array).__name__}, not an array")
    return array


def load_npz(path: str | Path, required: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Load the named arrays of an .npz file, refusing any pickle that is not plain array data."""
    path = Path(path)
    arrays: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            names = {n[: -len(".npy")] for n in archive.namelist() if n.endswith(".npy")}
            missing = [key for key in required if key not in names]
            if missing:
                raise Chapter12Error(
                    f"{path} lacks the arrays {', '.join(missing)} (it has: {', '.join(sorted(names)) or 'none'}); "
                    "it is not Keras's imdb.npz: get a fresh copy"
                )
            for key in required:
                arrays[key] = _read_member(archive.read(key + ".npy"))
    except UnsafePickleError as e:
        raise Chapter12Error(
            f"refusing to load {path}: it holds a pickle that calls {e}, which plain IMDB data never does; "
            "the file is damaged or unsafe: get a fresh copy of imdb.npz"
        ) from None
    except Chapter12Error:
        raise
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, pickle.UnpicklingError) as e:
        raise Chapter12Error(
            f"cannot read {path} as an .npz file ({type(e).__name__}: {e}); get a fresh copy of imdb.npz"
        ) from None
    return arrays
