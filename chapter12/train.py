"""The one training loop: train one model with one seed and measure it, the chapter's experiment as a function.

The accuracy runs (`train_and_evaluate`) and the timed runs (`chapter12.timing`) both go through `fit`.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import keras

from chapter12.book import BookConfig
from chapter12.checks import check_model_kind, check_seed, check_verbose
from chapter12.errors import Chapter12Error
from chapter12.imdb import ImdbData
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


@dataclass
class Fitted:
    """A model after `fit`: its history, the seconds of every epoch and the split sizes."""

    model: Any
    history: dict[str, list[float]]
    epoch_seconds: list[float]
    n_train: int
    n_val: int


def _split(data: ImdbData, config: BookConfig) -> tuple[int, int]:
    n_train, n_val = validation_split_sizes(len(data.x_train), config.validation_split)
    if n_train < 1 or n_val < 1:
        raise Chapter12Error(
            f"validation_split={config.validation_split} leaves {n_train} training and {n_val} validation reviews; "
            "use more data or another split"
        )
    return n_train, n_val


def fit(
    kind: str,
    data: ImdbData,
    config: BookConfig,
    *,
    seed: int,
    validate: bool = True,
    verbose: int = 0,
    mask_zero: bool = False,
    jit_compile: bool | str = "auto",
) -> Fitted:
    """Seed Keras, build model `kind` from config and train it on data.x_train, timing every epoch.

    The last validation_split of the training reviews is cut off, as fit(validation_split=...) cuts it;
    with validate=True it is evaluated after every epoch, with validate=False (timing) it is left out.
    mask_zero=True (not the book's) builds the embedding so that the recurrent layer skips padding;
    jit_compile=True compiles the training step with XLA (see build_model).
    """
    check_model_kind(kind)
    seed = check_seed(seed)
    check_verbose(verbose)
    _split(data, config)  # checked before the model is built
    keras.utils.set_random_seed(seed)
    model = build_model(kind, config, maxlen=config.maxlen, mask_zero=mask_zero, jit_compile=jit_compile)
    return fit_model(model, data, config, validate=validate, verbose=verbose)


def fit_model(
    model, data: ImdbData, config: BookConfig, *, validate: bool = True, verbose: int = 0, callbacks=()
) -> Fitted:
    """Train a built and compiled model as `fit` trains the book's: the last validation_split of the training
    reviews held out (and evaluated after every epoch when validate=True), every epoch timed; callbacks are
    added to the timer. For models `fit` does not build (a frozen embedding, probes during training)."""
    check_verbose(verbose)
    n_train, n_val = _split(data, config)
    timer = EpochTimer()
    validation = (data.x_train[n_train:], data.y_train[n_train:]) if validate else None
    history = model.fit(
        data.x_train[:n_train],
        data.y_train[:n_train],
        batch_size=config.batch_size,
        epochs=config.epochs,
        validation_data=validation,
        callbacks=[timer, *callbacks],
        verbose=verbose,
    )
    return Fitted(
        model=model,
        history={k: [float(v) for v in values] for k, values in history.history.items()},
        epoch_seconds=list(timer.epoch_seconds),
        n_train=n_train,
        n_val=n_val,
    )


def evaluate(model, data: ImdbData) -> tuple[float, float]:
    """Test loss and accuracy of a trained model, on the test reviews, once."""
    test_loss, test_accuracy = model.evaluate(data.x_test, data.y_test, batch_size=EVALUATION_BATCH_SIZE, verbose=0)
    return float(test_loss), float(test_accuracy)


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
    fitted = fit(kind, data, config, seed=seed, validate=True, verbose=verbose)
    test_loss, test_accuracy = evaluate(fitted.model, data)
    return RunResult(
        model=kind,
        seed=int(seed),
        history=fitted.history,
        test_loss=test_loss,
        test_accuracy=test_accuracy,
        epoch_seconds=fitted.epoch_seconds,
        n_train=fitted.n_train,
        n_val=fitted.n_val,
        n_test=len(data.x_test),
        config=config.to_dict(),
        backend=keras.backend.backend(),
        data_source=data.source.describe(),
        keras_model=fitted.model,
    )
