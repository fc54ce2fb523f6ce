"""The book's experiment for minutes: on the full Stanford data, and in the quick run's setting on the sample."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ARCHIVE = Path(
    os.environ.get("CHAPTER12_FULL_DATA", Path(__file__).resolve().parents[2] / "shared/data/aclImdb_v1_labeled.tar.gz")
)


@pytest.mark.full
@pytest.mark.skipif(not ARCHIVE.exists(), reason=f"full data not found at {ARCHIVE}; set CHAPTER12_FULL_DATA")
def test_book_experiment_lstm_beats_simple_rnn(tmp_path, monkeypatch):
    from chapter12 import BookConfig, prepare_data, train_and_evaluate

    monkeypatch.setenv("CHAPTER12_CACHE", str(tmp_path / "cache"))  # a cold start, as on a new machine
    data = prepare_data(BookConfig(), source=ARCHIVE)
    assert data.x_train.shape == (25000, 100) and data.x_test.shape == (25000, 100)
    rnn = train_and_evaluate("simple_rnn", data, seed=0, verbose=0)
    lstm = train_and_evaluate("lstm", data, seed=0, verbose=0)
    assert len(lstm.epoch_seconds) == 5 and lstm.n_test == 25000
    assert lstm.test_accuracy >= 0.80, lstm.test_accuracy
    assert lstm.test_accuracy - rnn.test_accuracy >= 0.04, (rnn.test_accuracy, lstm.test_accuracy)


@pytest.mark.full
def test_the_quick_setting_shows_the_chapter_on_the_bundled_sample():
    """The quick run's setting (the bundled sample, QUICK_EPOCHS epochs, the book's models otherwise), seed 0: the
    simple RNN learns (clearly above chance) and the LSTM beats it by a margin. Six runs of this setting (seeds 0-2,
    in two processes each) gave the simple RNN 0.6265 to 0.7055 and the LSTM 0.8100 to 0.8275: the same seed gives
    another run in another process here, so the bound leaves room below the lowest (0.60, not the 0.62 the setting
    was chosen by). With 4,000 reviews, the old sample, every run stayed below 0.60 (0.541 to 0.545 at 6 epochs)."""
    from chapter12 import BookConfig, prepare_data, train_and_evaluate
    from chapter12.imdb.sample import QUICK_EPOCHS

    config = BookConfig(epochs=QUICK_EPOCHS)
    data = prepare_data(config, quick=True)
    rnn = train_and_evaluate("simple_rnn", data, config=config, seed=0, verbose=0)
    lstm = train_and_evaluate("lstm", data, config=config, seed=0, verbose=0)
    assert rnn.test_accuracy >= 0.60, rnn.test_accuracy
    assert lstm.test_accuracy - rnn.test_accuracy >= 0.05, (rnn.test_accuracy, lstm.test_accuracy)


@pytest.mark.full
@pytest.mark.skipif(not ARCHIVE.exists(), reason=f"full data not found at {ARCHIVE}; set CHAPTER12_FULL_DATA")
def test_the_bundled_sample_is_make_samples_draw_from_the_stanford_archive(tmp_path, monkeypatch):
    # What `python -m chapter12 make-sample ARCHIVE` writes, with its defaults (the sizes and the seed of
    # chapter12/imdb/sample.py), is the sample the package carries, array for array.
    import numpy as np

    from chapter12.imdb.ragged import read_raw_npz
    from chapter12.imdb.sample import build_sample
    from chapter12.imdb.sources import sample_path

    monkeypatch.setenv("CHAPTER12_CACHE", str(tmp_path / "cache"))
    [built] = build_sample(ARCHIVE, tmp_path)
    ours, bundled = read_raw_npz(built), read_raw_npz(sample_path())
    for split in ("x_train", "x_test"):
        for part in ("values", "offsets"):
            np.testing.assert_array_equal(getattr(getattr(ours, split), part), getattr(getattr(bundled, split), part))
    np.testing.assert_array_equal(ours.y_train, bundled.y_train)
    np.testing.assert_array_equal(ours.y_test, bundled.y_test)
