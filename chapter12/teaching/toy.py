"""Tiny sequence tasks for section 12.3: name recognition, the two "April" sentences, random inputs.

Every task here is small enough to train in seconds on a laptop CPU. Words are one-hot
vectors over the task's own vocabulary, as in section 12.3.1, and each word carries a 0/1
label, so a task is many-to-many with T_x = T_y.

Batches follow Keras's layout: x is (m, T, V) and y is (m, T, 1), with m sentences of T
words each over a vocabulary of V words. ``chapter12.scratch.to_book_layout`` turns either
into the book's (n, m, T).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chapter12.checks import check_positive_int, check_seed
from chapter12.errors import Chapter12Error

TAGGER_KINDS = ("simple_rnn", "lstm")

# Section 12.3.1's sentence and more in the same form: five tokens, 1 marks a company or
# programming-language name. The names move around so that a model must learn which
# WORDS are names, not which positions.
NAME_SENTENCES: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("use netlify and hugo .", (0, 1, 0, 1, 0)),
    ("hugo and jekyll work .", (1, 0, 1, 0, 0)),
    ("we deploy with netlify .", (0, 0, 0, 1, 0)),
    ("try gatsby or jekyll .", (0, 1, 0, 1, 0)),
    ("netlify hosts hugo sites .", (1, 0, 1, 0, 0)),
    ("github and gatsby work .", (1, 0, 1, 0, 0)),
    ("use python and hugo .", (0, 1, 0, 1, 0)),
    ("we write python code .", (0, 0, 1, 0, 0)),
    ("use github or netlify .", (0, 1, 0, 1, 0)),
    ("jekyll sites use ruby .", (1, 0, 0, 1, 0)),
    ("ruby and python work .", (1, 0, 1, 0, 0)),
    ("we like sites and code", (0, 0, 0, 0, 0)),
)

# Section 12.3.1's two questions, cut to nine tokens each. 1 marks a word of a person's
# name, so "april" is 1 in the first and 0 in the second, and the first four words agree.
APRIL_SENTENCES: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("do you like april kepner in greys anatomy ?", (0, 0, 0, 1, 1, 0, 0, 0, 0)),
    ("do you like april in los angeles too ?", (0, 0, 0, 0, 0, 0, 0, 0, 0)),
)


@dataclass(frozen=True)
class TaggedSentences:
    """Sentences of equal length, their one-hot words x (m, T, V) and 0/1 labels y (m, T, 1)."""

    sentences: list[list[str]]
    vocabulary: list[str]
    x: np.ndarray
    y: np.ndarray

    def word_position(self, word: str, sentence: int = 0) -> int:
        """Index (from 0) of the first occurrence of word in one sentence."""
        if not 0 <= sentence < len(self.sentences):
            raise Chapter12Error(f"sentence must be between 0 and {len(self.sentences) - 1}, got {sentence}")
        if word not in self.sentences[sentence]:
            raise Chapter12Error(f"{word!r} is not in sentence {sentence}: {' '.join(self.sentences[sentence])!r}")
        return self.sentences[sentence].index(word)


def build_vocabulary(sentences: Sequence[Sequence[str]]) -> list[str]:
    """The distinct words of the sentences, in order of first appearance."""
    return list(dict.fromkeys(word for sentence in sentences for word in sentence))


def one_hot(words: Sequence[str], vocabulary: Sequence[str]) -> np.ndarray:
    """One row per word, all zeros but a 1 at the word's position in vocabulary: shape (T, V), float32."""
    position = {word: i for i, word in enumerate(vocabulary)}
    if len(position) != len(vocabulary):
        raise Chapter12Error("vocabulary lists a word twice; pass each word once (build_vocabulary does)")
    unknown = [word for word in words if word not in position]
    if unknown:
        raise Chapter12Error(f"words not in the vocabulary: {unknown}; add them to the vocabulary or drop them")
    encoded = np.zeros((len(words), len(vocabulary)), dtype=np.float32)
    encoded[np.arange(len(words)), [position[word] for word in words]] = 1.0
    return encoded


def tag_sentences(
    tagged: Sequence[tuple[str, Sequence[int]]],
    vocabulary: Sequence[str] | None = None,
) -> TaggedSentences:
    """Encode ("word word ...", (label, label, ...)) pairs; words split on spaces, all sentences equally long."""
    if len(tagged) == 0:
        raise Chapter12Error("no sentences given; pass pairs like ('use netlify and hugo .', (0, 1, 0, 1, 0))")
    sentences, labels = [], []
    for text, word_labels in tagged:
        words = str(text).split()
        if len(words) != len(word_labels):
            raise Chapter12Error(
                f"{text!r} has {len(words)} words but {len(word_labels)} labels; give one 0/1 label per word"
            )
        if any(label not in (0, 1) for label in word_labels):
            raise Chapter12Error(f"labels of {text!r} must all be 0 or 1, got {tuple(word_labels)}")
        sentences.append(words)
        labels.append(list(word_labels))
    lengths = {len(words) for words in sentences}
    if len(lengths) != 1 or 0 in lengths:
        raise Chapter12Error(
            f"sentences have {sorted(lengths)} words; give every sentence the same, non-zero number of words"
        )
    vocabulary = build_vocabulary(sentences) if vocabulary is None else list(vocabulary)
    x = np.stack([one_hot(words, vocabulary) for words in sentences])
    y = np.asarray(labels, dtype=np.float32)[:, :, None]
    return TaggedSentences(sentences=sentences, vocabulary=vocabulary, x=x, y=y)


def name_recognition_data() -> TaggedSentences:
    """The book's "use netlify and hugo ." (first) and eleven more five-word sentences with name labels."""
    return tag_sentences(NAME_SENTENCES)


def april_data() -> TaggedSentences:
    """The two "do you like april ..." sentences: "april" is a name only in the first."""
    return tag_sentences(APRIL_SENTENCES)


def random_sequences(
    n_sequences: int,
    steps: int,
    features: int,
    *,
    scale: float = 1.0,
    seed: int = 0,
) -> np.ndarray:
    """Independent normal inputs with standard deviation scale: shape (n_sequences, steps, features), float32."""
    check_positive_int("n_sequences", n_sequences)
    check_positive_int("steps", steps)
    check_positive_int("features", features)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
        raise Chapter12Error(f"scale must be a positive number, got {scale!r}")
    rng = np.random.default_rng(seed)
    return (scale * rng.standard_normal((n_sequences, steps, features))).astype(np.float32)


def build_tagger(
    vocab_size: int,
    *,
    units: int = 8,
    kind: str = "simple_rnn",
    bidirectional: bool = False,
    learning_rate: float = 0.05,
):
    """Recurrent layer (return_sequences=True) -> Dense(1, sigmoid) on every step, compiled with binary cross-entropy.

    Keras 3's Dense acts on the last axis, so it is applied to each a<t> separately with
    shared weights (W_ya, b_y), which is what TimeDistributed(Dense) did in older Keras.
    """
    import keras

    check_positive_int("vocab_size", vocab_size)
    check_positive_int("units", units)
    if kind not in TAGGER_KINDS:
        raise Chapter12Error(f"unknown tagger kind {kind!r}; choose from {', '.join(TAGGER_KINDS)}")
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)) or not learning_rate > 0:
        raise Chapter12Error(f"learning_rate must be a positive number, got {learning_rate!r}")
    cls = keras.layers.SimpleRNN if kind == "simple_rnn" else keras.layers.LSTM
    recurrent = cls(units, return_sequences=True)
    if bidirectional:
        recurrent = keras.layers.Bidirectional(recurrent)
    name = f"{'bidirectional_' if bidirectional else ''}{kind}_tagger"
    model = keras.Sequential(
        [keras.Input(shape=(None, vocab_size)), recurrent, keras.layers.Dense(1, activation="sigmoid")], name=name
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def train_tagger(
    data: TaggedSentences,
    *,
    units: int = 8,
    kind: str = "simple_rnn",
    bidirectional: bool = False,
    steps: int = 100,
    learning_rate: float = 0.05,
    seed: int = 0,
):
    """Build a tagger for data's vocabulary and take `steps` Adam steps, each on all sentences at once; returns the
    model."""
    import keras

    check_positive_int("steps", steps)
    keras.utils.set_random_seed(check_seed(seed))
    model = build_tagger(
        len(data.vocabulary), units=units, kind=kind, bidirectional=bidirectional, learning_rate=learning_rate
    )
    # One epoch over `steps` stacked copies, one copy per batch: the same full-batch steps as
    # `steps` epochs, without Keras's per-epoch overhead (seconds on a small CPU).
    model.fit(
        np.tile(data.x, (steps, 1, 1)),
        np.tile(data.y, (steps, 1, 1)),
        epochs=1,
        batch_size=len(data.x),
        shuffle=False,
        verbose=0,
    )
    return model
