"""Inside the trained sentiment models (section 12.3.4, read with 12.3.2): what each model thinks after
every word of a review, and how far back its output depends on the words it read.

Both take a trained model of the chapter (Embedding -> recurrent layer -> Dense sigmoid) and reviews
as padded index sequences, as the model was trained on. Keras runs them with dropout off.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chapter12.errors import Chapter12Error


def _indices(x: Any, maxlen: int | None = None) -> np.ndarray:
    array = np.asarray(x)
    if array.ndim == 1:
        array = array[None]
    if array.ndim != 2 or not np.issubdtype(array.dtype, np.integer) or array.size == 0:
        raise Chapter12Error(
            f"reviews must be padded word indices, shape (m, maxlen) of whole numbers; got {array.shape}"
        )
    if maxlen is not None and array.shape[1] != maxlen:
        raise Chapter12Error(
            f"reviews have {array.shape[1]} positions but the model reads {maxlen}; pad them to {maxlen}"
        )
    return array.astype("int32")


def word_by_word(model: Any, review: Any) -> np.ndarray:
    """P(positive) after each word of one padded review: the model run on every prefix, padded the same way.

    Returns one probability per non-padding position, in reading order (the first is after the start
    marker alone, the last after the whole review).
    """
    review = _indices(review)[0]
    words = review[np.flatnonzero(review)[0] :] if review.any() else review[-1:]
    maxlen = len(review)
    prefixes = np.zeros((len(words), maxlen), dtype="int32")
    for i in range(len(words)):
        prefixes[i, maxlen - i - 1 :] = words[: i + 1]  # the first i + 1 indices, padded in front
    return np.asarray(model.predict(prefixes, verbose=0))[:, 0].astype(np.float64)


def embedding_gradient_norms(model: Any, x: Any) -> np.ndarray:
    """Size of d P(positive) / d (word vector at position t), per review and position: shape (m, maxlen).

    The model's first layer looks each index up in the embedding table; the gradient is taken with
    respect to those looked-up vectors, through the recurrent layer and the output unit (dropout off),
    and its Euclidean length is kept. Position maxlen - k is the word k steps before the end.
    """
    import keras
    import tensorflow as tf

    if keras.backend.backend() != "tensorflow":
        raise Chapter12Error(
            f"embedding_gradient_norms uses tf.GradientTape but Keras runs on {keras.backend.backend()!r}"
        )
    embedding, *rest = model.layers
    if not isinstance(embedding, keras.layers.Embedding) or not rest:
        raise Chapter12Error(
            "the model must start with an Embedding followed by the layers that read it (the book's models)"
        )
    x = _indices(x)
    vectors = tf.convert_to_tensor(embedding(x))
    with tf.GradientTape() as tape:
        tape.watch(vectors)
        h = vectors
        for layer in rest:
            h = layer(h, training=False)
        # Each review's output depends on its own vectors only, so the gradient of the sum is, review by
        # review, the gradient of that review's output.
        total = tf.reduce_sum(h)
    grad = tape.gradient(total, vectors).numpy().astype(np.float64)
    return np.sqrt((grad**2).sum(axis=-1))


def mean_by_steps_back(norms: Any, x: Any) -> tuple[np.ndarray, np.ndarray]:
    """Mean gradient size k = 1, 2, ..., maxlen steps before the end, over the reviews that have a word there.

    Returns (mean, count): mean[k - 1] is the average over reviews whose position maxlen - k holds a word
    (not padding), count[k - 1] how many such reviews there are (mean is NaN where none).
    """
    norms, x = np.asarray(norms, dtype=np.float64), _indices(x)
    if norms.shape != x.shape:
        raise Chapter12Error(f"norms {norms.shape} and reviews {x.shape} must have the same shape")
    real = x != 0
    count = real.sum(axis=0)[::-1]
    total = np.where(real, norms, 0.0).sum(axis=0)[::-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return mean, count


def steps_holding(share: float, mean: Any) -> int:
    """The smallest k such that the last k steps hold `share` of the gradient (over the steps with a mean)."""
    mean = np.nan_to_num(np.asarray(mean, dtype=np.float64), nan=0.0)
    if not 0 < share <= 1 or mean.sum() <= 0:
        raise Chapter12Error("share must be in (0, 1] and the gradient must not be all zero")
    return int(np.searchsorted(np.cumsum(mean) / mean.sum(), share) + 1)


def last_crossing(curve: Any) -> int | None:
    """The word after which a word-by-word curve last crossed 0.5 (its index), or None if it never did."""
    sides = np.asarray(curve) >= 0.5
    flips = np.flatnonzero(sides[1:] != sides[:-1])
    return int(flips[-1]) + 1 if len(flips) else None


def lead_by_length_verdict(gaps: list[float]) -> str:
    """The sentence on how the LSTM's lead (LSTM minus simple RNN accuracy, from the shortest length group to the
    longest) moves with review length: growing by more than 0.01 at each step, level within 0.02, or neither."""
    if len(gaps) > 1 and all(b - a > 0.01 for a, b in zip(gaps, gaps[1:])):
        return "It grows from shorter to longer reviews, as a memory advantage would predict."
    if len(gaps) > 1 and max(gaps) - min(gaps) <= 0.02:
        return "The groups lie within 0.02 of each other: length does not separate where the LSTM wins."
    return "It does not grow steadily with length, so length is no sign here of where the LSTM's memory pays."
