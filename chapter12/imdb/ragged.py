"""Reviews of different lengths, stored flat: the one in-memory form every source produces."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from chapter12.errors import Chapter12Error
from chapter12.files import atomic_write


@dataclass(frozen=True)
class Ragged:
    """Variable-length integer sequences stored flat: sequence i is values[offsets[i]:offsets[i+1]]."""

    values: np.ndarray
    offsets: np.ndarray

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @classmethod
    def from_sequences(cls, sequences: Iterable[Sequence[int]]) -> "Ragged":
        """Pack a list of integer sequences."""
        sequences = list(sequences)
        lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
        offsets = np.zeros(len(sequences) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        values = np.fromiter(itertools.chain.from_iterable(sequences), dtype=np.int64, count=int(offsets[-1]))
        return cls(values, offsets)

    def take(self, indices: np.ndarray) -> "Ragged":
        """The sequences at `indices`, in that order."""
        lengths = self.lengths[indices]
        offsets = np.zeros(len(indices) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        # For every output position, where it sits in the source array.
        starts = np.repeat(self.offsets[:-1][indices] - offsets[:-1], lengths)
        return Ragged(self.values[starts + np.arange(offsets[-1])], offsets)

    def to_lists(self) -> list[list[int]]:
        """One Python list of ints per sequence, as Keras returns them."""
        flat = self.values.tolist()
        bounds = self.offsets.tolist()
        return [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


@dataclass(frozen=True)
class RawImdb:
    """Reviews as word ranks (1 = most frequent in training), in the order of Keras's imdb.npz,
    before any of load_data's steps (shuffle, start marker, offset, cuts)."""

    x_train: Ragged
    y_train: np.ndarray
    x_test: Ragged
    y_test: np.ndarray


# The file form of RawImdb (the cache and the bundled sample): plain arrays, no pickles.
RAGGED_KEYS = ("train_values", "train_offsets", "y_train", "test_values", "test_offsets", "y_test")


def read_raw_npz(path) -> RawImdb:
    """Read reviews written by `save_raw_npz` (pickles off)."""
    with np.load(path, allow_pickle=False) as f:
        missing = [k for k in RAGGED_KEYS if k not in f.files]
        if missing:
            raise Chapter12Error(f"{path} lacks {', '.join(missing)}; it is not a chapter12 data file")
        a = {k: f[k] for k in RAGGED_KEYS}
    for split in ("train", "test"):
        if a[f"{split}_offsets"][-1] != len(a[f"{split}_values"]):
            raise Chapter12Error(f"{path}: the {split} offsets do not match its values; it is damaged")
    return RawImdb(
        Ragged(a["train_values"].astype(np.int64), a["train_offsets"]),
        a["y_train"].astype(np.int64),
        Ragged(a["test_values"].astype(np.int64), a["test_offsets"]),
        a["y_test"].astype(np.int64),
    )


def save_raw_npz(path, raw: RawImdb, extra: dict[str, np.ndarray] | None = None, compress: bool = False) -> None:
    """Write raw reviews (plus extra arrays) to `path` atomically, as plain arrays without pickles."""
    arrays = {
        "train_values": raw.x_train.values.astype(np.int32),
        "train_offsets": raw.x_train.offsets.astype(np.int64),
        "y_train": raw.y_train.astype(np.int8),
        "test_values": raw.x_test.values.astype(np.int32),
        "test_offsets": raw.x_test.offsets.astype(np.int64),
        "y_test": raw.y_test.astype(np.int8),
        **(extra or {}),
    }
    atomic_write(path, lambda f: (np.savez_compressed if compress else np.savez)(f, **arrays))
