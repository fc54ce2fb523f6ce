"""From a source to arrays: `load_imdb` (what keras.datasets.imdb.load_data returns), and the
padded arrays the chapter trains on (`load_padded`, `prepare_data`). One route for every source:
source.raw() -> keras_steps -> (pad)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, Union

import numpy as np

from chapter12.book import BookConfig
from chapter12.imdb.keras_steps import keras_steps, keras_transform, pad, pad_ragged
from chapter12.imdb.ragged import RawImdb
from chapter12.imdb.sources import DataSource, resolve_source

SourceLike = Union[str, os.PathLike, DataSource, None]


def load_raw(source: SourceLike = None, vocabulary: str | None = None) -> RawImdb:
    """The reviews of a source as word ranks, in imdb.npz's order."""
    return resolve_source(source, vocabulary).raw()


def get_word_index(source: SourceLike = None, vocabulary: str | None = None) -> dict[str, int]:
    """The word -> rank dictionary of a source (rank 1 = most frequent), as Keras's get_word_index."""
    return resolve_source(source, vocabulary).word_index()


def load_imdb(
    num_words: int | None = BookConfig.num_words,
    skip_top: int = 0,
    maxlen: int | None = None,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
    source: SourceLike = None,
    vocabulary: str | None = None,
):
    """Load IMDB as `keras.datasets.imdb.load_data` does: `(x_train, y_train), (x_test, y_test)`.

    `source` is "keras" (the download), "sample", or the path of imdb.npz, aclImdb_v1.tar.gz or an
    aclImdb/ folder (default: $CHAPTER12_DATA, else "keras"). `vocabulary` picks how the Stanford
    reviews become words: "keras" (default; exactly Keras's imdb.npz) or "clean".
    """
    return keras_transform(
        load_raw(source, vocabulary),
        num_words=num_words,
        skip_top=skip_top,
        maxlen=maxlen,
        seed=seed,
        start_char=start_char,
        oov_char=oov_char,
        index_from=index_from,
    )


def load_padded(
    num_words: int = BookConfig.num_words,
    maxlen: int = BookConfig.maxlen,
    source: SourceLike = None,
    seed: int = 113,
    vocabulary: str | None = None,
):
    """`pad(load_imdb(...))` for both splits in one step, without Python lists: `(x_train, y_train), (x_test,
    y_test)`."""
    (x_train, y_train), (x_test, y_test) = keras_steps(
        load_raw(source, vocabulary),
        num_words=num_words,
        skip_top=0,
        maxlen=None,
        seed=seed,
        start_char=1,
        oov_char=2,
        index_from=3,
    )
    return (pad_ragged(x_train, maxlen), y_train), (pad_ragged(x_test, maxlen), y_test)


@dataclass
class ImdbData:
    """Padded reviews ready for training, and where they came from."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: DataSource

    def describe(self) -> str:
        """One line: sizes and source."""
        return f"{len(self.x_train):,} training and {len(self.x_test):,} test reviews from the {self.source.describe()}"


def prepare_data(
    config: BookConfig | None = None,
    source: SourceLike = None,
    quick: bool = False,
    vocabulary: str | None = None,
) -> ImdbData:
    """Load IMDB with the book's vocabulary size and pad every review to the book's length."""
    config = config or BookConfig()
    src = resolve_source("sample" if quick else source, vocabulary)
    (x_train, y_train), (x_test, y_test) = load_padded(num_words=config.num_words, maxlen=config.maxlen, source=src)
    return ImdbData(x_train, y_train, x_test, y_test, src)


def pad_data(loaded, config: BookConfig, source: DataSource) -> ImdbData:
    """Pad the `(x_train, y_train), (x_test, y_test)` of load_imdb to config.maxlen."""
    (x_train, y_train), (x_test, y_test) = loaded
    return ImdbData(pad(x_train, maxlen=config.maxlen), y_train, pad(x_test, maxlen=config.maxlen), y_test, source)


def decode_review(
    sequence: Iterable[int],
    word_index: dict[str, int] | None = None,
    *,
    source=None,
    vocabulary: str | None = None,
    index_from: int = 3,
    start_char: int | None = 1,
    oov_char: int | None = 2,
) -> str:
    """Turn a sequence of indices back into words; padding, start and unknown words show as [PAD], [START], [OOV]."""
    if word_index is None:
        word_index = resolve_source(source, vocabulary=vocabulary).word_index()
    words = {rank + index_from: w for w, rank in word_index.items()}
    special = {0: "[PAD]"}
    if start_char is not None:
        special[start_char] = "[START]"
    if oov_char is not None:
        special[oov_char] = "[OOV]"
    return " ".join(special.get(int(i)) or words.get(int(i), "[?]") for i in sequence)
