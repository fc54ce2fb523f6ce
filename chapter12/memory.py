"""How much memory one training cell needs, against how much this machine has: checked before any work starts.

The estimate is a sum of the terms that grow with the settings, each an upper bound fitted to the peak
resident memory of real cells (`benchmarks/bench_memory.py` prints one beside the other):

    BASE_BYTES                                              Python, TensorFlow and Keras loaded, a model compiled
  + reviews x RAW_WORDS x RAW_BYTES_PER_WORD                the reviews before padding, and load_data's steps on them
  + reviews x maxlen x PADDED_BYTES                         the padded int32 arrays and their copies
  + weights x 4 bytes x 4                                   the weights, their gradients and Adam's two moments
  + fit batch x maxlen x 4 bytes x (a x embedding_dim + b x units)      what backprop through time keeps
  + evaluation batch x maxlen x 4 bytes x (c x embedding_dim + d x units)  the validation and test passes

with (a, b) and (c, d) per model kind. It is not exact; it is meant never to say less than a cell takes,
and to refuse only what clearly cannot fit.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Iterable

from chapter12.book import BookConfig
from chapter12.checks import check_model_kind
from chapter12.errors import Chapter12Error

_BOOK = BookConfig()
# Python with TensorFlow and Keras imported takes 0.67 GiB; the smallest measured cell peaked at 0.82 GiB.
BASE_BYTES = 1 << 30
# The reviews as word ranks: int64, copied by each of load_data's steps (about 33 bytes a word measured
# on the bundled sample); IMDB's reviews are about 240 words long on average.
RAW_WORDS = 250
RAW_BYTES_PER_WORD = 40
# A padded word: 4 bytes (int32) in NumPy's array, again in the tensor Keras makes of it (measured: two
# copies), and room for a third copy and pad_ragged's int64 indices.
PADDED_BYTES = 16
# Weights, gradients, Adam's first and second moments: four float32 copies of every weight.
WEIGHT_COPIES = 4
# Floats kept per review and time step while one batch trains, per embedding dimension and per unit
# (the gates' inputs after dropout, their outputs and the states, for backprop through time). Measured
# per review and step: the LSTM's 6,000 bytes (these give 7,680), the simple RNN's 1,340 (2,304).
TRAIN_FLOATS = {"simple_rnn": (3, 3), "gru": (7, 9), "lstm": (9, 12), "bidirectional_lstm": (18, 24)}
# The same for a batch that is only evaluated (validation, test): the embedding's output and its copies
# (measured: about 1,500 bytes per review and step for either model; the LSTM's give 2,560).
EVAL_FLOATS = {"simple_rnn": (3, 1), "gru": (3, 3), "lstm": (3, 4), "bidirectional_lstm": (4, 8)}
# chapter12.train.EVALUATION_BATCH_SIZE (a test checks they agree): train.py imports Keras, this module must not.
EVALUATION_BATCH_SIZE = 1024
_GATES = {"simple_rnn": 1, "gru": 3, "lstm": 4, "bidirectional_lstm": 4}
_DIRECTIONS = {"bidirectional_lstm": 2}
_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")


def weight_count(model: str, *, num_words: int, units: int, embedding_dim: int = _BOOK.embedding_dim) -> int:
    """The number of weights of the chapter's model `model` (Embedding, recurrent layer, Dense(1))."""
    check_model_kind(model)
    directions = _DIRECTIONS.get(model, 1)
    # Each gate: a kernel on the input, a recurrent kernel and (at most) two biases; GRU's reset_after has two.
    recurrent = directions * _GATES[model] * (embedding_dim * units + units * units + 2 * units)
    return num_words * embedding_dim + recurrent + directions * units + 1


def cell_memory(
    model: str,
    *,
    maxlen: int,
    num_words: int,
    units: int,
    batch_size: int,
    n_train: int,
    n_test: int,
    embedding_dim: int = _BOOK.embedding_dim,
    validation_split: float = _BOOK.validation_split,
) -> int:
    """An upper-ish estimate, in bytes, of the peak memory of one training cell (see the module's docstring)."""
    check_model_kind(model)
    reviews = n_train + n_test
    n_fit = max(1, math.floor(n_train * (1.0 - validation_split)))
    n_val = max(1, n_train - n_fit)
    # Keras cuts a batch at the end of the data: a batch size above the data's is one batch of all of it.
    fit_batch = min(batch_size, n_fit)
    eval_batch = max(min(batch_size, n_val), min(EVALUATION_BATCH_SIZE, max(1, n_test)))
    (a, b), (c, d) = TRAIN_FLOATS[model], EVAL_FLOATS[model]
    return (
        BASE_BYTES
        + reviews * RAW_WORDS * RAW_BYTES_PER_WORD
        + reviews * maxlen * PADDED_BYTES
        + weight_count(model, num_words=num_words, units=units, embedding_dim=embedding_dim) * 4 * WEIGHT_COPIES
        + fit_batch * maxlen * 4 * (a * embedding_dim + b * units)
        + eval_batch * maxlen * 4 * (c * embedding_dim + d * units)
    )


def machine_memory() -> int | None:
    """Bytes of memory on this machine: the physical memory, or the cgroup's limit where smaller (None: unknown)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows) or no such name
        return None
    # cgroup v2, then v1: a container's limit ("max", or a huge number, when there is none).
    for limit in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            continue
        if text.isdigit() and 0 < int(text) < total:
            total = int(text)
    return total if total > 0 else None


def format_bytes(n: int) -> str:
    """A byte count in binary units: 1536 -> '1.5 KiB'."""
    power = 0
    while power < len(_UNITS) - 1 and n >= 1024 ** (power + 1):
        power += 1
    if power == 0:
        return f"{n} B"
    if n >= 1000 * 1024**power:  # only past the last unit; also keeps the division below a float
        return f"over 1000 {_UNITS[power]}"
    return f"{n / 1024**power:.1f} {_UNITS[power]}"


# The settings a cell's memory grows with, the flag that sets each, and the book's value.
_CULPRITS = (
    ("maxlen", "--maxlen", _BOOK.maxlen),
    ("units", "--units", _BOOK.units),
    ("num_words", "--num-words", _BOOK.num_words),
    ("batch_size", "--batch-size", _BOOK.batch_size),
)


def check_memory(
    cells: Iterable[dict[str, Any]], *, batch_size: int, n_train: int, n_test: int, available: int | None = None
) -> int:
    """The largest estimate over `cells` (dicts with model, maxlen, num_words, units); a Chapter12Error if it
    exceeds `available` bytes (default: this machine's memory)."""
    available = machine_memory() if available is None else available
    worst, need = None, 0
    for cell in cells:
        settings = {k: cell[k] for k in ("maxlen", "num_words", "units")}
        bytes_ = cell_memory(cell["model"], **settings, batch_size=batch_size, n_train=n_train, n_test=n_test)
        if worst is None or bytes_ > need:
            worst, need = {"model": cell["model"], **settings, "batch_size": batch_size}, bytes_
    if worst is None or available is None or need <= available:
        return need
    # The setting to name: the one whose return to the book's value saves the most.
    culprit, least = None, need
    for name, flag, book in _CULPRITS:
        if worst[name] > book:
            smaller = cell_memory(**{**worst, name: book}, n_train=n_train, n_test=n_test)
            if smaller < least:
                culprit, least = (name, flag), smaller
    others = ", ".join(
        f"{name.replace('_', ' ')} {worst[name]}" for name, _, _ in _CULPRITS if culprit is None or name != culprit[0]
    )
    about = format_bytes(need) if need >= 1000 * 1024 ** (len(_UNITS) - 1) else f"about {format_bytes(need)}"
    where = (
        f"({worst['model']}, {others}, {n_train:,} + {n_test:,} reviews; this machine has {format_bytes(available)})"
    )
    if culprit is None:
        raise Chapter12Error(f"one cell would need {about} of memory {where}; use a machine with more memory")
    raise Chapter12Error(
        f"{culprit[0].replace('_', ' ')} {worst[culprit[0]]} would need {about} "
        f"of memory for one cell {where}; choose a smaller {culprit[1]}"
    )
