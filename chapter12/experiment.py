"""Train one model with one seed and measure it: the chapter's experiment as a function."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import keras
import numpy as np

from chapter12.config import BookConfig, check_model_kind
from chapter12.imdb import ImdbData, pad_data, prepare_data  # noqa: F401 (re-exported)
from chapter12.errors import Chapter12Error
from chapter12.models import build_model


# The final test evaluation computes no gradient, so its batch size changes only the speed, not
# the numbers (up to float rounding in the mean loss). The validation pass inside fit keeps Keras's
# default: a larger validation batch changed the training runs' random draws (measured: seed 0
# ended at 0.8331 instead of 0.8123), and a seed must give the same run as the book's code.
EVALUATION_BATCH_SIZE = 1024


def validation_split_sizes(n: int, validation_split: float) -> tuple[int, int]:
    """Training and validation sizes as Keras's `validation_split` cuts them (the LAST fraction validates)."""
    split_at = int(math.floor(n * (1.0 - validation_split)))
    return split_at, n - split_at


class EpochTimer(keras.callbacks.Callback):
    """A Keras callback that records the wall-clock seconds of every epoch (validation included)."""

    def __init__(self) -> None:
        super().__init__()
        self.epoch_seconds: list[float] = []
        self._start = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds.append(time.perf_counter() - self._start)


@dataclass
class RunResult:
    """What one (model, seed) run produced: curves, test scores, times and sizes."""

    model: str
    seed: int
    history: dict[str, list[float]]
    test_loss: float
    test_accuracy: float
    epoch_seconds: list[float]
    n_train: int
    n_val: int
    n_test: int
    config: dict[str, Any]
    backend: str
    data_source: str
    keras_model: Any = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the trained Keras model left out)."""
        d = asdict(self)
        d.pop("keras_model")
        return d


def train_and_evaluate(
    kind: str,
    data: ImdbData,
    *,
    config: BookConfig | None = None,
    seed: int = 0,
    verbose: int = 2,
) -> RunResult:
    """Train model `kind` on data.x_train (the last validation_split validates) and evaluate once on the test set."""
    config = config or BookConfig()
    check_model_kind(kind)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise Chapter12Error(f"seed must be a whole number, got {seed!r}")
    if verbose not in (0, 1, 2):
        raise Chapter12Error(f"verbose must be 0, 1 or 2, got {verbose!r}")
    n_train, n_val = validation_split_sizes(len(data.x_train), config.validation_split)
    if n_train < 1 or n_val < 1:
        raise Chapter12Error(
            f"validation_split={config.validation_split} leaves {n_train} training and {n_val} validation reviews; "
            "use more data or another split"
        )

    keras.utils.set_random_seed(int(seed))
    model = build_model(kind, config, maxlen=config.maxlen)
    timer = EpochTimer()
    # The same cut as fit(validation_split=...): the last fraction of the training data, unshuffled.
    history = model.fit(
        data.x_train[:n_train],
        data.y_train[:n_train],
        batch_size=config.batch_size,
        epochs=config.epochs,
        validation_data=(data.x_train[n_train:], data.y_train[n_train:]),
        callbacks=[timer],
        verbose=verbose,
    )
    test_loss, test_accuracy = model.evaluate(data.x_test, data.y_test, batch_size=EVALUATION_BATCH_SIZE, verbose=0)
    return RunResult(
        model=kind,
        seed=int(seed),
        history={k: [float(v) for v in values] for k, values in history.history.items()},
        test_loss=float(test_loss),
        test_accuracy=float(test_accuracy),
        epoch_seconds=list(timer.epoch_seconds),
        n_train=n_train,
        n_val=n_val,
        n_test=len(data.x_test),
        config=config.to_dict(),
        backend=keras.backend.backend(),
        data_source=data.source.describe(),
        keras_model=model,
    )
