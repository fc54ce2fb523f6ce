"""Proof that the Stanford archive, read with Keras's vocabulary, gives Keras's own imdb.npz arrays.

Ground truth (../shared/data, described in its README): real output of
`keras.datasets.imdb.load_data(num_words=500)` for 2,500 training and 500 test reviews at known
positions of Keras's shuffled arrays, and Keras's own word index. Skipped where ../shared is absent.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from chapter12.imdb import load_imdb, load_raw
from chapter12.imdb.keras_steps import keras_steps
from chapter12.imdb.ragged import Ragged
from chapter12.imdb.stanford import encode_keras, read_reviews
from chapter12.imdb.words import keras_word_index, keras_words, read_word_index, tokenize

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
ARCHIVE = Path(os.environ.get("CHAPTER12_FULL_DATA", SHARED / "aclImdb_v1_labeled.tar.gz"))
KERAS_SAMPLE = SHARED / "keras_imdb_sample_num_words_500.npz"
KERAS_INDEX = SHARED / "keras_imdb_word_index.json.gz"

needs_archive = pytest.mark.skipif(not ARCHIVE.exists(), reason=f"the Stanford archive is not at {ARCHIVE}")
needs_sample = pytest.mark.skipif(not KERAS_SAMPLE.exists(), reason=f"Keras's sample arrays are not at {KERAS_SAMPLE}")


@pytest.fixture(scope="module")
def cache_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cache")
    old = os.environ.get("CHAPTER12_CACHE")
    os.environ["CHAPTER12_CACHE"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("CHAPTER12_CACHE", None)
    else:
        os.environ["CHAPTER12_CACHE"] = old


@pytest.fixture(scope="module")
def reviews():
    return read_reviews(ARCHIVE)


@pytest.mark.skipif(not KERAS_INDEX.exists(), reason=f"Keras's word index is not at {KERAS_INDEX}")
def test_shipped_word_index_is_keras_word_index():
    shipped = keras_word_index()
    assert shipped == read_word_index(KERAS_INDEX)
    assert len(shipped) == 88584 and sorted(shipped.values()) == list(range(1, 88585))
    assert shipped["the"] == 1 and shipped["br"] == 7
    # Capitals outside ASCII survive in Keras's words: its tokenizer lower-cased ASCII only.
    assert "Üvegtigris" in shipped and "üvegtigris" not in shipped
    assert tokenize("ÜVEGTIGRIS") == ["Üvegtigris"]


@needs_archive
@needs_sample
def test_rebuilt_arrays_equal_keras_load_data_at_num_words_500(cache_folder):
    (x_train, y_train), (x_test, y_test) = keras_steps(
        load_raw(ARCHIVE), num_words=500, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2, index_from=3
    )
    with np.load(KERAS_SAMPLE, allow_pickle=False) as f:
        truth = {k: f[k] for k in f.files}
    assert (len(x_train), len(x_test)) == (25000, 25000)
    for split, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        positions = truth[f"{split}_positions"]
        expected = Ragged(truth[f"x_{split}_values"].astype(np.int64), truth[f"x_{split}_offsets"]).to_lists()
        ours = x.take(positions).to_lists()
        different = [int(p) for p, a, b in zip(positions, ours, expected) if a != b]
        assert different == [], f"{len(different)} {split} reviews differ, first at positions {different[:5]}"
        np.testing.assert_array_equal(y[positions], truth[f"y_{split}"])
    assert len(truth["train_positions"]) == 2500 and len(truth["test_positions"]) == 500


@needs_archive
@needs_sample
def test_load_imdb_default_on_the_archive_is_keras_exact(cache_folder):
    # The public route, default vocabulary: the same first reviews as Keras's load_data(num_words=500).
    (x_train, y_train), _ = load_imdb(num_words=500, source=ARCHIVE)
    with np.load(KERAS_SAMPLE, allow_pickle=False) as f:
        first = Ragged(f["x_train_values"].astype(np.int64), f["x_train_offsets"]).to_lists()[:20]
        assert f["train_positions"][:20].tolist() == list(range(20))
        np.testing.assert_array_equal(y_train[:20], f["y_train"][:20])
    assert [list(seq) for seq in x_train[:20]] == first


@needs_archive
def test_whole_training_vocabulary_is_keras_word_index(reviews):
    # Every training word is in Keras's index, and every index word occurs in training.
    raw, train_missing = encode_keras(reviews)
    assert train_missing == 0
    counts = Counter(w for _, data in reviews["train"] for w in keras_words(data))
    index = {w.encode("utf-8"): r for w, r in keras_word_index().items()}
    assert set(counts) == set(index)
    # The ranks follow the training counts: no word outranks a more frequent one.
    by_rank = np.array([counts[w] for w, _ in sorted(index.items(), key=lambda item: item[1])])
    assert (np.diff(by_rank) <= 0).all()
    # So the book's cut (indices < 2,500 keep ranks 1..2,496) holds the same words either way.
    ours = {w for w, _ in counts.most_common(2496)}
    assert ours == {w for w, r in index.items() if r <= 2496}
    # Test reviews: words missing from the index are dropped, as in imdb.npz.
    assert raw.x_test.lengths.sum() < sum(len(keras_words(data)) for _, data in reviews["test"])
