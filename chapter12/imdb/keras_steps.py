"""The steps of `keras.datasets.imdb.load_data`, in its order, on any source's word ranks.

Keras's function reads ranked reviews from imdb.npz and then: shuffles train and test with one
`np.random.RandomState(seed)` (train first), puts `start_char` in front of every review, adds
`index_from` to every rank, drops reviews of `maxlen` indices or more, and turns indices outside
[skip_top, num_words) into `oov_char` (or drops them). Here the same steps run on flat arrays,
and `pad_ragged` pads them as `keras.utils.pad_sequences` would, without building Python lists.
"""

from __future__ import annotations

import numpy as np

from chapter12.book import BookConfig
from chapter12.checks import check_positive_int, check_seed
from chapter12.errors import Chapter12Error
from chapter12.imdb.ragged import Ragged, RawImdb


def shuffle_orders(n_train: int, n_test: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The permutations load_data applies: one RandomState, the training reviews shuffled first."""
    rng = np.random.RandomState(check_seed(seed))
    train = np.arange(n_train)
    rng.shuffle(train)
    test = np.arange(n_test)
    rng.shuffle(test)
    return train, test


def keras_steps(
    raw: RawImdb,
    *,
    num_words: int | None,
    skip_top: int,
    maxlen: int | None,
    seed: int,
    start_char: int | None,
    oov_char: int | None,
    index_from: int,
) -> tuple[tuple[Ragged, np.ndarray], tuple[Ragged, np.ndarray]]:
    """load_data's steps on flat arrays: `(x_train, y_train), (x_test, y_test)` with Ragged reviews."""
    order_train, order_test = shuffle_orders(len(raw.x_train), len(raw.x_test), seed)
    x_train, y_train = raw.x_train.take(order_train), raw.y_train[order_train]
    x_test, y_test = raw.x_test.take(order_test), raw.y_test[order_test]

    if start_char is not None:
        x_train, x_test = (_prepend(_shift(x, index_from), start_char) for x in (x_train, x_test))
    elif index_from:
        x_train, x_test = (_shift(x, index_from) for x in (x_train, x_test))

    if maxlen:
        # Keras keeps only reviews strictly shorter than maxlen (start marker included).
        keep_train = np.flatnonzero(x_train.lengths < maxlen)
        keep_test = np.flatnonzero(x_test.lengths < maxlen)
        x_train, y_train = x_train.take(keep_train), y_train[keep_train]
        x_test, y_test = x_test.take(keep_test), y_test[keep_test]
        if not len(x_train) or not len(x_test):
            raise Chapter12Error(
                f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was kept. Increase maxlen."
            )

    if not num_words:
        # As Keras: the largest index seen (which the strict `<` below then treats as out of vocabulary).
        num_words = max(int(x.values.max()) for x in (x_train, x_test) if x.values.size)
    if oov_char is not None:
        x_train, x_test = (_replace_rare(x, skip_top, num_words, oov_char) for x in (x_train, x_test))
    else:
        x_train, x_test = (_drop_rare(x, skip_top, num_words) for x in (x_train, x_test))

    # Keras concatenates the labels of both splits and cuts them again, which unifies their dtype.
    labels = np.concatenate([y_train, y_test])
    return (x_train, labels[: len(x_train)]), (x_test, labels[len(x_train) :])


def keras_transform(raw: RawImdb, **settings):
    """`keras_steps`, returned as load_data returns it: object arrays of Python lists."""
    (x_train, y_train), (x_test, y_test) = keras_steps(raw, **settings)
    return (object_array(x_train), y_train), (object_array(x_test), y_test)


def unshuffle(x_train: Ragged, y_train, x_test: Ragged, y_test, seed: int) -> RawImdb:
    """Undo load_data's shuffle: the reviews back in imdb.npz's own order."""
    order_train, order_test = shuffle_orders(len(x_train), len(x_test), seed)
    back_train, back_test = np.argsort(order_train), np.argsort(order_test)
    return RawImdb(
        x_train.take(back_train), np.asarray(y_train)[back_train], x_test.take(back_test), np.asarray(y_test)[back_test]
    )


def pad_ragged(x: Ragged, maxlen: int, padding: str = "pre", truncating: str = "pre", value: int = 0) -> np.ndarray:
    """What `pad(x.to_lists(), ...)` returns, computed on the flat arrays without building Python lists."""
    check_positive_int("maxlen", maxlen)
    lengths = x.lengths
    kept = np.minimum(lengths, maxlen)
    src_start = x.offsets[:-1] + (lengths - kept if truncating == "pre" else 0)
    dest_start = maxlen - kept if padding == "pre" else np.zeros_like(kept)
    rows = np.repeat(np.arange(len(x)), kept)
    within = np.arange(int(kept.sum())) - np.repeat(np.cumsum(kept) - kept, kept)
    out = np.full((len(x), maxlen), value, dtype=np.int32)
    out[rows, dest_start[rows] + within] = x.values[src_start[rows] + within]
    return out


def pad(
    sequences, maxlen: int = BookConfig.maxlen, padding: str = "pre", truncating: str = "pre", value: int = 0
) -> np.ndarray:
    """`keras.utils.pad_sequences` with the book's maxlen: zeros in front, and KEEPS THE LAST maxlen words."""
    check_positive_int("maxlen", maxlen)
    for name, choice in (("padding", padding), ("truncating", truncating)):
        if choice not in ("pre", "post"):
            raise Chapter12Error(f"{name} must be 'pre' or 'post', got {choice!r}")
    from keras.utils import pad_sequences

    return pad_sequences(sequences, maxlen=maxlen, padding=padding, truncating=truncating, value=value)


def object_array(x: Ragged) -> np.ndarray:
    """The reviews as load_data returns them: built as Keras builds them, so results compare equal element by
    element."""
    return np.array(x.to_lists(), dtype="object")


def _shift(x: Ragged, index_from: int | None) -> Ragged:
    return Ragged(x.values + index_from, x.offsets) if index_from else x


def _prepend(x: Ragged, marker: int) -> Ragged:
    values = np.insert(x.values, x.offsets[:-1], marker)
    return Ragged(values, x.offsets + np.arange(len(x.offsets)))


def _replace_rare(x: Ragged, skip_top: int, num_words: int, oov_char: int) -> Ragged:
    keep = (x.values >= skip_top) & (x.values < num_words)
    return Ragged(np.where(keep, x.values, oov_char), x.offsets)


def _drop_rare(x: Ragged, skip_top: int, num_words: int) -> Ragged:
    keep = (x.values >= skip_top) & (x.values < num_words)
    kept_before = np.concatenate([[0], np.cumsum(keep)])
    return Ragged(x.values[keep], kept_before[x.offsets])
