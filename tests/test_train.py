"""Tests for chapter12.train: one training run on tiny random data, and the settings' checks.

The data are 64 training and 32 test "reviews" of 10 word indices below 50, and the models have
4 units and 4-dimensional embeddings: small for test speed (a run takes about 2 s on 2 cores).
"""

import json
import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from chapter12.book import BookConfig
from chapter12.imdb import DATA_ENV
from chapter12.imdb.sources import BundledSample, NpzFile
from chapter12.errors import Chapter12Error
from chapter12.imdb import ImdbData, prepare_data
from chapter12.train import RunResult, train_and_evaluate, validation_split_sizes

keras = pytest.importorskip("keras")

N_TRAIN, N_TEST, MAXLEN, NUM_WORDS = 64, 32, 10, 50  # small for test speed
# Tiny model, 2 epochs, batch 16: small for test speed (4 steps per epoch).
TINY = BookConfig(num_words=NUM_WORDS, maxlen=MAXLEN, units=4, embedding_dim=4, epochs=2, batch_size=16)
HISTORY_KEYS = {"loss", "accuracy", "val_loss", "val_accuracy"}


def make_data(seed=0, n_train=N_TRAIN, n_test=N_TEST):
    rng = np.random.default_rng(seed)
    return ImdbData(
        x_train=rng.integers(1, NUM_WORDS, size=(n_train, MAXLEN)).astype("int32"),
        y_train=rng.integers(0, 2, size=n_train),
        x_test=rng.integers(1, NUM_WORDS, size=(n_test, MAXLEN)).astype("int32"),
        y_test=rng.integers(0, 2, size=n_test),
        source=BundledSample(),
    )


def run(seed=0, kind="simple_rnn", config=TINY):
    return train_and_evaluate(kind, make_data(), config=config, seed=seed, verbose=0)


@pytest.fixture(scope="module")
def result_seed0():
    # Shared by the read-only checks below, so the module trains this run only once.
    return run(seed=0)


# ----------------------------------------------------------------------------- one run


def test_run_result_fields(result_seed0):
    r = result_seed0
    assert isinstance(r, RunResult)
    assert (r.model, r.seed) == ("simple_rnn", 0)
    assert set(r.history) == HISTORY_KEYS
    assert all(len(values) == TINY.epochs for values in r.history.values())
    assert all(isinstance(v, float) and math.isfinite(v) for values in r.history.values() for v in values)
    assert all(0.0 <= v <= 1.0 for v in r.history["accuracy"] + r.history["val_accuracy"])
    assert math.isfinite(r.test_loss) and r.test_loss > 0
    assert 0.0 <= r.test_accuracy <= 1.0
    assert len(r.epoch_seconds) == TINY.epochs and all(s > 0 for s in r.epoch_seconds)
    assert r.config == TINY.to_dict()
    assert r.backend == keras.backend.backend()
    assert r.data_source == BundledSample().describe()


def test_run_sizes(result_seed0):
    r = result_seed0
    split_at = int(math.floor(N_TRAIN * (1 - TINY.validation_split)))  # as Keras 3 fit(validation_split=...)
    assert (r.n_train, r.n_val) == (split_at, N_TRAIN - split_at) == validation_split_sizes(N_TRAIN, 0.2)
    assert r.n_train + r.n_val == N_TRAIN
    assert r.n_test == N_TEST


def test_run_returns_the_trained_model(result_seed0):
    model = result_seed0.keras_model
    assert model.name == "simple_rnn"
    assert model.input_shape == (None, MAXLEN)
    assert model.layers[0].input_dim == NUM_WORDS
    predictions = model.predict(make_data().x_test[:4], verbose=0)
    assert predictions.shape == (4, 1) and ((predictions >= 0) & (predictions <= 1)).all()


def test_to_dict_is_json_ready(result_seed0):
    d = result_seed0.to_dict()
    assert "keras_model" not in d
    again = json.loads(json.dumps(d))
    assert again["history"] == result_seed0.history
    assert again["test_loss"] == result_seed0.test_loss
    assert again["config"]["metrics"] == ["accuracy"]


def test_same_seed_gives_same_results(result_seed0):
    again = run(seed=0)
    assert again.history == result_seed0.history
    assert again.test_loss == result_seed0.test_loss
    assert again.test_accuracy == result_seed0.test_accuracy


def test_different_seed_gives_different_history(result_seed0):
    other = run(seed=1)
    assert other.history["loss"] != result_seed0.history["loss"]
    assert other.seed == 1


def test_lstm_run():
    config = TINY.replace(epochs=1)  # one epoch: small for test speed
    r = run(kind="lstm", config=config)
    assert r.model == "lstm" and type(r.keras_model.layers[1]) is keras.layers.LSTM
    assert all(len(v) == 1 for v in r.history.values()) and len(r.epoch_seconds) == 1


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm"])
def test_a_run_is_the_books_fit_with_validation_split(kind):
    """The same seed gives the same curves as the book's `fit(validation_split=0.2)` on the same arrays: the LAST
    fifth of the training reviews validates. (Only the split's sizes were checked before: a run that validated
    on the first fifth, or trained on the last four fifths, passed every test.)"""
    from chapter12.models import build_model

    config = TINY.replace(epochs=1)  # one epoch: small for test speed
    data = make_data()
    ours = train_and_evaluate(kind, data, config=config, seed=3, verbose=0)
    keras.utils.set_random_seed(3)
    book = build_model(kind, config, maxlen=config.maxlen)
    history = book.fit(
        data.x_train,
        data.y_train,
        batch_size=config.batch_size,
        epochs=config.epochs,
        validation_split=config.validation_split,
        verbose=0,
    ).history
    assert set(history) == set(ours.history)
    for key, values in history.items():
        np.testing.assert_allclose(ours.history[key], values, rtol=1e-6, err_msg=key)
    # The test: evaluated once, on the test reviews, with the model fit made.
    test_loss, test_accuracy = book.evaluate(data.x_test, data.y_test, verbose=0)
    assert ours.test_accuracy == pytest.approx(test_accuracy) and ours.test_loss == pytest.approx(test_loss, rel=1e-5)


@pytest.mark.parametrize("n", [64, 25_001])
def test_validation_split_sizes_match_keras_fit(n):
    from keras.src.trainers.data_adapters.array_slicing import train_validation_split

    x = np.zeros((n, 1))
    train, val = train_validation_split((x,), validation_split=0.2)
    assert validation_split_sizes(n, 0.2) == (len(train[0]), len(val[0]))


def test_validation_split_sizes_on_exact_products():
    # Where n * (1 - split) is whole, every rule agrees: the book's 25,000 and the sample's 16,000.
    assert validation_split_sizes(25_000, 0.2) == (20_000, 5_000)
    assert validation_split_sizes(16_000, 0.2) == (12_800, 3_200)


# ----------------------------------------------------------------------------- refused input (no training)


@pytest.mark.parametrize("seed", [1.5, "1", None, True])
def test_non_integer_seed_is_refused(seed):
    with pytest.raises(Chapter12Error, match="seed"):
        train_and_evaluate("simple_rnn", make_data(), config=TINY, seed=seed, verbose=0)


def test_numpy_integer_seed_is_accepted_by_the_check():
    # np.int64 passes the seed check; an unknown kind then fails before any training.
    with pytest.raises(Chapter12Error, match="unknown model kind"):
        train_and_evaluate("nope", make_data(), config=TINY, seed=np.int64(3), verbose=0)


def test_bad_verbose_is_refused():
    with pytest.raises(Chapter12Error, match="verbose"):
        train_and_evaluate("simple_rnn", make_data(), config=TINY, seed=0, verbose=3)


def test_too_little_data_for_the_split_is_refused():
    tiny = make_data(n_train=1)  # 1 review cannot be split 80/20 under any rounding rule
    with pytest.raises(Chapter12Error, match="validation_split"):
        train_and_evaluate("simple_rnn", tiny, config=TINY, seed=0, verbose=0)


@pytest.mark.parametrize(
    "changes",
    [
        dict(epochs=0),
        dict(batch_size=0),
        dict(validation_split=0),
        dict(validation_split=1),
        dict(validation_split=float("nan")),
        dict(num_words=3),
        dict(maxlen=0),
        dict(dropout=1.5),
        dict(recurrent_dropout=-0.1),
        dict(units=2.0),
        dict(epochs=True),
    ],
    ids=lambda changes: ",".join(f"{k}={v}" for k, v in changes.items()),
)
def test_book_config_validation(changes):
    with pytest.raises(Chapter12Error, match=next(iter(changes))):
        BookConfig(**changes)
    with pytest.raises(Chapter12Error, match=next(iter(changes))):
        TINY.replace(**changes)


def test_book_config_defaults_and_replace():
    book = BookConfig()
    assert (book.num_words, book.maxlen, book.embedding_dim, book.units) == (2500, 100, 128, 64)
    assert (book.batch_size, book.epochs, book.validation_split) == (128, 5, 0.2)
    assert (book.dropout, book.recurrent_dropout) == (0.2, 0.2)
    changed = book.replace(epochs=2)
    assert changed.epochs == 2 and book.epochs == 5  # a copy; the original is frozen
    with pytest.raises(Chapter12Error, match="unknown setting"):
        book.replace(epoch=2)


# ----------------------------------------------------------------------------- prepare_data


def test_prepare_data_quick(monkeypatch, tmp_path):
    # quick=True means the bundled sample, whatever CHAPTER12_DATA says.
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "does-not-exist.npz"))
    data = prepare_data(quick=True, config=BookConfig())
    assert data.x_train.shape == (16000, 100) and data.x_train.dtype == np.int32
    assert data.x_test.shape == (2000, 100) and data.x_test.dtype == np.int32
    assert data.y_train.shape == (16000,) and data.y_test.shape == (2000,)
    assert data.x_train.max() < 2500 and data.x_train.min() >= 0
    assert data.source == BundledSample()
    assert "16,000 training and 2,000 test reviews" in data.describe()


def test_prepare_data_uses_config_maxlen_and_source(tiny_npz):
    data = prepare_data(config=BookConfig(num_words=20, maxlen=12), source=tiny_npz)
    assert data.x_train.shape == (30, 12) and data.x_test.shape == (20, 12)
    assert data.x_train.max() < 20
    assert data.source == NpzFile(tiny_npz)


def test_fit_model_trains_a_model_it_did_not_build_as_fit_does(result_seed0):
    # A model built outside (as the frozen-embedding and probed runs build theirs), seeded as fit seeds: the
    # same curves as fit's run, and every callback called.
    from chapter12.models import build_model
    from chapter12.train import fit_model

    class Count(keras.callbacks.Callback):
        epochs = 0

        def on_epoch_end(self, epoch, logs=None):
            Count.epochs += 1

    keras.utils.set_random_seed(0)
    model = build_model("simple_rnn", TINY, maxlen=TINY.maxlen)
    fitted = fit_model(model, make_data(), TINY, callbacks=[Count()])
    assert fitted.history == result_seed0.history and Count.epochs == TINY.epochs
    assert (fitted.n_train, fitted.n_val) == (result_seed0.n_train, result_seed0.n_val)
    assert len(fitted.epoch_seconds) == TINY.epochs and fitted.model is model


# ----------------------------------------------------------------------------- what mutation testing found


def test_each_epoch_is_timed_within_the_runs_own_time():
    """Each epoch's seconds are the time between its begin and its end: positive, and together no more than the
    wall time of the whole fit (a timer that added the clock instead of subtracting it passed the suite)."""
    import time

    from chapter12.train import fit

    started = time.perf_counter()
    fitted = fit("simple_rnn", make_data(), TINY.replace(epochs=1), seed=0)
    wall = time.perf_counter() - started
    assert len(fitted.epoch_seconds) == 1 and 0 < fitted.epoch_seconds[0] <= wall


def test_fit_validates_unless_told_not_to():
    from chapter12.train import fit

    config = TINY.replace(epochs=1)
    assert set(fit("simple_rnn", make_data(), config, seed=0).history) == HISTORY_KEYS
    assert set(fit("simple_rnn", make_data(), config, seed=0, validate=False).history) == {"loss", "accuracy"}


def test_the_smallest_splittable_data_trains_and_one_review_less_is_refused():
    """Two reviews split 1 + 1 (floor(2 * 0.8) = 1): the smallest that trains; one review leaves none to train."""
    from chapter12.train import fit

    config = TINY.replace(epochs=1, batch_size=1)
    fitted = fit("simple_rnn", make_data(n_train=2), config, seed=0)
    assert (fitted.n_train, fitted.n_val) == (1, 1)
    message = "validation_split=0.2 leaves 0 training and 1 validation reviews; use more data or another split"
    with pytest.raises(Chapter12Error, match=f"^{message}$"):
        fit("simple_rnn", make_data(n_train=1), config, seed=0)


def test_the_result_shows_and_compares_without_its_model(result_seed0):
    import dataclasses

    assert "keras_model" not in repr(result_seed0) and "Sequential" not in repr(result_seed0)
    assert dataclasses.replace(result_seed0, keras_model=object()) == result_seed0  # the numbers, not the model
    fields = {f.name: f for f in dataclasses.fields(RunResult)}
    bare = RunResult(**{name: getattr(result_seed0, name) for name in fields if name != "keras_model"})
    assert bare.keras_model is None


def test_the_defaults_are_the_books_run_silent_where_asked(result_seed0, capfd):
    """fit and fit_model print nothing by default and build the book's model (no mask); train_and_evaluate
    trains seed 0 and prints one line per epoch (Keras's verbose=2) and nothing for the test evaluation."""
    from chapter12.models import build_model
    from chapter12.train import evaluate, fit, fit_model

    config = TINY.replace(epochs=1)
    fitted = fit("simple_rnn", make_data(), config, seed=0)
    assert fitted.model.layers[0].mask_zero is False
    fit_model(build_model("simple_rnn", config, maxlen=MAXLEN), make_data(), config)
    evaluate(fitted.model, make_data())
    assert capfd.readouterr().out == ""
    again = train_and_evaluate("simple_rnn", make_data(), config=TINY)
    assert again.seed == 0 and again.history == result_seed0.history
    out = capfd.readouterr().out
    assert out.count("Epoch ") == TINY.epochs and out.count("val_loss") == TINY.epochs, out
    assert "\b" not in out and "━" not in out  # no progress bar: neither the epochs' nor the evaluation's
