"""Tests for chapter12.imdb (the data layer) on tiny data built in the test.

Every source is a few dozen reviews (see conftest.py), small for test speed. Any test that may
touch the Stanford cache uses the `cache` fixture, which points CHAPTER12_CACHE at tmp_path.
"""

import gzip
import hashlib
import io
import os
import pickle
import re
import shutil
import tarfile
import urllib.error
import warnings
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

import chapter12.imdb.cache as cache_module
import chapter12.imdb.stanford as stanford_module
from chapter12.imdb import (
    DATA_ENV,
    decode_review,
    get_word_index,
    load_imdb,
    load_raw,
    pad,
    resolve_source,
    tokenize,
)
from chapter12.errors import Chapter12Error
from chapter12.imdb.sources import BundledSample, KerasDownload, NpzFile, StanfordReviews

from chapter12.imdb.keras_steps import pad_ragged
from chapter12.imdb.ragged import Ragged
from chapter12.imdb.safe_npz import load_npz
from conftest import (
    STANFORD_REVIEWS,
    WORDS,
    make_keras_reviews,
    pack_stanford_targz,
    write_keras_npz,
    write_stanford_folder,
)

keras = pytest.importorskip("keras")
keras_imdb = pytest.importorskip("keras.src.datasets.imdb")


# ----------------------------------------------------------------------------- helpers


def assert_same_imdb(ours, theirs):
    """Both results as Keras returns them: same lengths, same reviews as lists, same labels and dtype."""
    (x_train, y_train), (x_test, y_test) = ours
    (k_x_train, k_y_train), (k_x_test, k_y_test) = theirs
    for x, kx, y, ky in ((x_train, k_x_train, y_train, k_y_train), (x_test, k_x_test, y_test, k_y_test)):
        assert len(x) == len(kx)
        assert [list(seq) for seq in x] == [list(seq) for seq in kx]
        assert x.dtype == kx.dtype == object
        np.testing.assert_array_equal(y, ky)
        assert y.dtype == ky.dtype


def keras_load(monkeypatch, npz_path, **kwargs):
    """keras.datasets.imdb.load_data on a local file: get_file (which would download) returns it."""
    monkeypatch.setattr(keras_imdb, "get_file", lambda *args, **kw: str(npz_path))
    return keras_imdb.load_data(**kwargs)


def _words_of(split, vocabulary="clean"):
    return [tokenize(text, vocabulary) for s, _, _, text in STANFORD_REVIEWS if s == split]


# ----------------------------------------------------------------------------- equality with Keras

KERAS_KWARGS = [
    dict(num_words=2500),  # chapter12's default vocabulary; Keras's default is None, so both get it
    dict(num_words=20),
    dict(num_words=None),
    dict(num_words=2500, skip_top=5),
    dict(num_words=2500, maxlen=15),
    dict(num_words=2500, seed=0),
    dict(num_words=2500, seed=7),
    dict(num_words=2500, start_char=None),
    dict(num_words=20, oov_char=None),
    dict(num_words=2500, index_from=0),
    dict(num_words=20, skip_top=4, maxlen=25, seed=7),
    dict(num_words=30, start_char=None, oov_char=None, index_from=0),
    dict(num_words=None, maxlen=20, oov_char=None, seed=0),
    dict(num_words=12, index_from=5, start_char=3, oov_char=4, skip_top=6),
    dict(num_words=20, skip_top=5, oov_char=None),
]


@pytest.mark.parametrize("kwargs", KERAS_KWARGS, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
def test_npz_matches_keras_load_data(tiny_npz, monkeypatch, kwargs):
    ours = load_imdb(source=tiny_npz, **kwargs)
    theirs = keras_load(monkeypatch, tiny_npz, **kwargs)
    assert_same_imdb(ours, theirs)


@pytest.fixture
def edge_npz(tmp_path):
    """Reviews whose lengths (with Keras's start marker) are 3 and 8 in training, 5 and 10 in the test split: each
    maxlen below falls on or beside one of them, where Keras's strict `<` decides."""
    path = tmp_path / "edge.npz"
    write_keras_npz(path, [[5] * 2, [6] * 7], [0, 1], [[7] * 4, [8] * 9], [1, 0])
    return path


@pytest.mark.parametrize("maxlen", [6, 8, 9, 10, 11])
def test_maxlen_keeps_what_keras_keeps_at_each_edge(edge_npz, monkeypatch, maxlen):
    ours = load_imdb(source=edge_npz, num_words=2500, maxlen=maxlen)
    assert_same_imdb(ours, keras_load(monkeypatch, edge_npz, num_words=2500, maxlen=maxlen))


@pytest.mark.parametrize("maxlen", [3, 5])  # 3: nothing kept; 5: training keeps one review, the test split none
def test_maxlen_that_empties_either_split_raises_as_keras_does(edge_npz, monkeypatch, maxlen):
    with pytest.raises(ValueError, match="Increase maxlen") as theirs:
        keras_load(monkeypatch, edge_npz, maxlen=maxlen)
    with pytest.raises(Chapter12Error, match="Increase maxlen") as ours:
        load_imdb(source=edge_npz, maxlen=maxlen)
    assert str(ours.value) == str(theirs.value)  # Keras's own words


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: pad([[1, 2]], maxlen=0), "maxlen must be at least 1, got 0"),
        (lambda: pad_ragged(Ragged.from_sequences([[1, 2]]), maxlen=0), "maxlen must be at least 1, got 0"),
        (lambda: pad([[1, 2]], padding="mid"), "padding must be 'pre' or 'post', got 'mid'"),
        (lambda: pad([[1, 2]], truncating="end"), "truncating must be 'pre' or 'post', got 'end'"),
    ],
    ids=["pad-maxlen", "pad_ragged-maxlen", "padding", "truncating"],
)
def test_padding_settings_are_refused_by_name(call, message):
    with pytest.raises(Chapter12Error) as refused:
        call()
    assert str(refused.value) == message


def test_equality_check_has_teeth(tiny_npz, monkeypatch):
    # A different seed must be told apart by assert_same_imdb, else the test above proves nothing.
    ours = load_imdb(source=tiny_npz, num_words=2500, seed=1)
    theirs = keras_load(monkeypatch, tiny_npz, num_words=2500, seed=2)
    with pytest.raises(AssertionError):
        assert_same_imdb(ours, theirs)


def test_maxlen_that_keeps_nothing_raises(tiny_npz):
    # Every review has the start marker plus at least one word, so none is shorter than 2.
    with pytest.raises(Chapter12Error, match="Increase maxlen"):
        load_imdb(source=tiny_npz, num_words=2500, maxlen=2)


def test_npz_compressed_or_npy_v2_reads_the_same(tiny_npz, tiny_reviews, tmp_path):
    expected = load_imdb(source=tiny_npz, num_words=20)
    x_train, y_train, x_test, y_test = tiny_reviews
    arrays = {}
    for name, lists in (("x_train", x_train), ("x_test", x_test)):
        arrays[name] = np.empty(len(lists), dtype=object)
        arrays[name][:] = [list(seq) for seq in lists]
    compressed = tmp_path / "compressed.npz"
    np.savez_compressed(compressed, y_train=y_train, y_test=y_test, **arrays)
    assert_same_imdb(load_imdb(source=compressed, num_words=20), expected)
    # The same arrays with .npy format 2.0 headers (what NumPy writes for very large headers).
    v2 = tmp_path / "v2.npz"
    with zipfile.ZipFile(v2, "w") as zf:
        for name, array in dict(arrays, y_train=y_train, y_test=y_test).items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array, version=(2, 0), allow_pickle=True)
            zf.writestr(name + ".npy", buffer.getvalue())
    assert_same_imdb(load_imdb(source=v2, num_words=20), expected)


def test_npz_values_follow_keras_conventions(tiny_npz, tiny_reviews):
    (x_train, y_train), (x_test, _) = load_imdb(source=tiny_npz, num_words=20)
    x_raw = tiny_reviews[0]
    assert len(x_train) == len(x_raw) and len(x_test) == len(tiny_reviews[2])
    assert all(seq[0] == 1 for seq in x_train)  # start marker
    assert max(max(seq) for seq in x_train) == 19  # num_words=20 keeps indices < 20
    assert any(2 in seq for seq in x_train)  # words cut by num_words became the OOV marker
    # Shuffling keeps each review with its label: the multiset of (length, label) pairs is unchanged.
    raw_pairs = sorted((len(s) + 1, int(y)) for s, y in zip(x_raw, tiny_reviews[1]))
    assert sorted((len(s), int(y)) for s, y in zip(x_train, y_train)) == raw_pairs


def test_stanford_source_matches_keras_on_the_same_ranks(tiny_targz, cache, tmp_path, monkeypatch):
    # The Stanford path's ranks, written as a Keras imdb.npz, must give what Keras gives.
    raw = load_raw(tiny_targz)
    npz = write_keras_npz(
        tmp_path / "from_stanford.npz",
        raw.x_train.to_lists(),
        raw.y_train,
        raw.x_test.to_lists(),
        raw.y_test,
        word_index=False,
    )
    for kwargs in (dict(num_words=2500), dict(num_words=6, seed=3, maxlen=12)):
        assert_same_imdb(load_imdb(source=tiny_targz, **kwargs), keras_load(monkeypatch, npz, **kwargs))


# ----------------------------------------------------------------------------- Stanford reviews


@pytest.mark.parametrize("vocabulary", ["keras", "clean"])
def test_folder_and_archive_give_identical_results(tiny_stanford, tiny_targz, cache, vocabulary):
    from_folder = load_imdb(source=tiny_stanford, num_words=2500, vocabulary=vocabulary)
    from_archive = load_imdb(source=tiny_targz, num_words=2500, vocabulary=vocabulary)
    assert_same_imdb(from_folder, from_archive)
    assert get_word_index(tiny_stanford, vocabulary) == get_word_index(tiny_targz, vocabulary)
    # The folder above aclImdb/ is accepted too.
    assert_same_imdb(load_imdb(source=tiny_stanford.parent, num_words=2500, vocabulary=vocabulary), from_folder)


def test_clean_ranks_follow_training_frequency(tiny_targz, cache):
    index = get_word_index(tiny_targz, "clean")
    counts = {}
    for words in _words_of("train"):
        for w in words:
            counts[w] = counts.get(w, 0) + 1
    assert set(index) == set(counts)
    assert sorted(index.values()) == list(range(1, len(counts) + 1))
    assert index["movie"] == 1 and index["the"] == 2  # 7 and 6 occurrences
    # More frequent words rank first; ties in alphabetical order.
    by_rank = sorted(index, key=index.get)
    assert by_rank == sorted(counts, key=lambda w: (-counts[w], w))
    # With index_from=3 the most frequent word is index 4, and every training review that has it shows it.
    (x_train, _), _ = load_imdb(source=tiny_targz, num_words=2500, vocabulary="clean")
    assert sum(seq.count(4) for seq in x_train) == counts["movie"]


def test_test_only_words_are_skipped(tiny_targz, cache):
    index = get_word_index(tiny_targz, "clean")
    assert "zyzzyva" not in index and "quux" not in index
    _, (x_test, _) = load_imdb(source=tiny_targz, num_words=2500, vocabulary="clean")
    decoded = sorted(decode_review(seq, index) for seq in x_test)
    # "Bad, bad quux movie." -> quux is dropped (not turned into [OOV]).
    assert "[START] bad bad movie" in decoded
    assert not any("[OOV]" in text for text in decoded)
    lengths = sorted(len(seq) for seq in x_test)
    expected = sorted(1 + sum(w in index for w in words) for words in _words_of("test"))
    assert lengths == expected


def test_tokenize_clean():
    clean = lambda text: tokenize(text, "clean")  # noqa: E731
    assert clean("I DON'T like it.<br /><br />Really!") == ["i", "don't", "like", "it", "really"]
    assert clean("It's the film's end;<BR />'quoted' -- a_b 42") == [
        "it's",
        "the",
        "film's",
        "end",
        "quoted",
        "a",
        "b",
        "42",
    ]
    assert "br" not in clean("one<br />two<br /><br />three")
    assert clean("") == []
    assert clean("ÜBER Café") == ["über", "café"]  # Unicode lower case


def test_tokenize_keras():
    # Keras's text_to_word_sequence on bytes: punctuation (not the apostrophe) becomes a space, so
    # "<br />" leaves "br"; words are split at spaces only; ASCII letters alone are lower-cased.
    assert tokenize("I DON'T like it.<br /><br />Really!") == ["i", "don't", "like", "it", "br", "br", "really"]
    assert tokenize("It's the film's end;<BR />'quoted' -- a_b 42") == [
        "it's",
        "the",
        "film's",
        "end",
        "br",
        "'quoted'",
        "a",
        "b",
        "42",
    ]
    assert tokenize("ÜBER Café") == ["Über", "café"]  # the capital Ü stays, as in Keras's index
    assert tokenize("tab\there,new\nline no\u00a0break") == ["tab", "here", "new", "line", "no\u00a0break"]
    assert tokenize("") == [] and tokenize("  ... ") == []
    with pytest.raises(Chapter12Error, match="vocabulary"):
        tokenize("text", "fancy")


def test_keras_vocabulary_ranks_come_from_keras_word_index(tiny_targz, cache):
    index = get_word_index(tiny_targz)  # the default vocabulary: Keras's
    assert len(index) == 88584 and index["the"] == 1 and index["br"] == 7
    raw = load_raw(tiny_targz)
    # imdb.npz's order: train/pos (names in string order), then train/neg.
    pos_first = [s for s in STANFORD_REVIEWS if s[0] == "train" and s[1] == "pos"]
    expected_first = sorted(pos_first, key=lambda s: s[2])[0][3]
    words = {r: w for w, r in index.items()}
    assert [words[r] for r in raw.x_train.to_lists()[0]] == [w for w in tokenize(expected_first) if w in index]
    assert raw.y_train.tolist() == [1, 1, 1, 0, 0, 0]
    # Test words that Keras's index lacks are dropped, not made unknown.
    assert "zyzzyva" not in index
    _, (x_test, _) = load_imdb(source=tiny_targz, num_words=10**6)
    assert not any(2 in seq for seq in x_test)


def test_reviews_follow_imdb_npz_order(tmp_path, cache):
    # File names sort as strings: 10_1.txt comes before 9_1.txt, and positive reviews come first.
    reviews = [
        ("train", "neg", "9_1.txt", "bad"),
        ("train", "neg", "10_1.txt", "awful"),
        ("train", "pos", "9_9.txt", "good"),
        ("train", "pos", "10_9.txt", "great"),
        ("test", "neg", "0_1.txt", "poor"),
        ("test", "pos", "0_9.txt", "fine"),
    ]
    archive = pack_stanford_targz(tmp_path / "order.tar.gz", reviews)
    index = get_word_index(archive)
    words = {r: w for w, r in index.items()}
    raw = load_raw(archive)
    assert [[words[r] for r in seq] for seq in raw.x_train.to_lists()] == [["great"], ["good"], ["awful"], ["bad"]]
    assert raw.y_train.tolist() == [1, 1, 0, 0]
    clean = load_raw(archive, "clean")
    assert clean.y_train.tolist() == [1, 1, 0, 0]


@pytest.mark.parametrize("vocabulary", ["keras", "clean"])
def test_decode_review_round_trips_words(tiny_targz, cache, vocabulary):
    index = get_word_index(tiny_targz, vocabulary)
    (x_train, _), _ = load_imdb(source=tiny_targz, num_words=10**6, vocabulary=vocabulary)
    decoded = sorted(decode_review(seq, index) for seq in x_train)
    assert decoded == sorted("[START] " + " ".join(words) for words in _words_of("train", vocabulary))


def test_decode_review_marks_cut_words(tiny_targz, cache):
    index = get_word_index(tiny_targz, "clean")
    # Words cut by num_words show as [OOV]; padding as [PAD].
    (x_small, _), _ = load_imdb(source=tiny_targz, num_words=6, vocabulary="clean")  # indices 4, 5: "movie", "the"
    texts = [decode_review(seq, index) for seq in pad(x_small, maxlen=20)]
    assert all(t.split()[0] == "[PAD]" for t in texts)  # every review is shorter than 20 here
    assert all(set(t.split()) <= {"[PAD]", "[START]", "[OOV]", "movie", "the"} for t in texts)
    assert any("[OOV]" in t for t in texts)


def test_decode_review_takes_source(tiny_npz):
    seq = [1, 2, 0, 4, 5, 63]  # index_from=3: 4 -> rank 1, 63 -> rank 60
    assert decode_review(seq, source=tiny_npz) == f"[START] [OOV] [PAD] {WORDS[0]} {WORDS[1]} {WORDS[59]}"


def test_get_word_index_npz_reads_json_beside_it(tiny_npz):
    assert get_word_index(tiny_npz) == {w: r for r, w in enumerate(WORDS, start=1)}


def test_get_word_index_npz_without_json(tmp_path, tiny_reviews):
    npz = write_keras_npz(tmp_path / "imdb.npz", *tiny_reviews, word_index=False)
    with pytest.raises(Chapter12Error, match="imdb_word_index.json"):
        get_word_index(npz)


def test_get_word_index_sample():
    index = get_word_index("sample")
    assert index["the"] == 1
    assert len(index) > 10_000
    assert sorted(index.values())[:3] == [1, 2, 3]


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "mapping"),
        ('{"a": "one"}', "mapping"),
        ('{"a": 0}', "mapping"),
        ('{"a": -3}', "mapping"),
        ('{"a": 1.5}', "mapping"),
        ('{"a": true}', "mapping"),
        ('"the"', "mapping"),
        ("", "JSON"),
    ],
)
def test_word_index_json_that_does_not_parse(tiny_npz, text, message):
    (tiny_npz.parent / "imdb_word_index.json").write_text(text, encoding="utf-8")
    with pytest.raises(Chapter12Error, match=message):
        get_word_index(tiny_npz)


def test_word_index_errors_say_which_file_what_is_wrong_and_what_to_do(tmp_path):
    from chapter12.imdb.words import read_word_index

    path = tmp_path / "imdb_word_index.json"
    fix = "get a fresh copy of imdb_word_index.json"
    cases = [
        ("[1, 2]", f"{path} is not a word -> rank mapping (a JSON object); {fix}"),
        ('{"a": 0}', f"{path} is not a word -> rank mapping: 'a' maps to 0, not a whole number of at least 1; {fix}"),
        ("{not json", f"{path} is not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2"),
    ]
    for text, message in cases:
        path.write_text(text, encoding="utf-8")
        with pytest.raises(Chapter12Error) as refused:
            read_word_index(path)
        assert str(refused.value).startswith(message), str(refused.value)
    assert str(refused.value).endswith(f" (char 1)); {fix}")


# ----------------------------------------------------------------------------- cache


def _cache_files(folder):
    return sorted(p for p in folder.iterdir() if p.suffix == ".npz")


def test_second_load_is_served_from_cache(tiny_targz, cache, monkeypatch):
    first = load_imdb(source=tiny_targz, num_words=2500)
    first_index = get_word_index(tiny_targz)
    assert len(_cache_files(cache)) == 1

    def refuse(path):
        raise AssertionError("prepare_stanford was called although the cache holds the data")

    monkeypatch.setattr(cache_module, "prepare_stanford", refuse)
    assert_same_imdb(load_imdb(source=tiny_targz, num_words=2500), first)
    assert get_word_index(tiny_targz) == first_index


def test_folder_source_is_cached_too(tiny_stanford, cache, monkeypatch):
    first = load_imdb(source=tiny_stanford, num_words=2500)
    monkeypatch.setattr(cache_module, "prepare_stanford", lambda path, vocabulary: pytest.fail("cache not used"))
    assert_same_imdb(load_imdb(source=tiny_stanford, num_words=2500), first)


def test_changed_archive_gets_its_own_cache(make_targz, cache):
    original = make_targz("a.tar.gz")
    changed_reviews = [
        (s, label, n, "Terrible terrible terrible acting." if n == "0_9.txt" and s == "train" else t)
        for s, label, n, t in STANFORD_REVIEWS
    ]
    changed = make_targz("b.tar.gz", reviews=changed_reviews)
    a = load_imdb(source=original, num_words=2500, vocabulary="clean")
    b = load_imdb(source=changed, num_words=2500, vocabulary="clean")
    assert len(_cache_files(cache)) == 2
    assert [list(s) for s in a[0][0]] != [list(s) for s in b[0][0]]
    assert "terrible" in get_word_index(changed, "clean") and "terrible" not in get_word_index(original, "clean")
    # Same name, new content: still not served the old data.
    original.write_bytes(changed.read_bytes())
    assert_same_imdb(load_imdb(source=original, num_words=2500, vocabulary="clean"), b)


def test_each_vocabulary_has_its_own_cache(tiny_targz, cache, monkeypatch):
    keras_words = load_imdb(source=tiny_targz, num_words=None)
    clean_words = load_imdb(source=tiny_targz, num_words=None, vocabulary="clean")
    names = [p.name for p in _cache_files(cache)]
    assert len(names) == 2 and any("-keras-" in n for n in names) and any("-clean-" in n for n in names)
    assert [list(s) for s in keras_words[0][0]] != [list(s) for s in clean_words[0][0]]
    assert cache_module.source_fingerprint(tiny_targz, "keras") != cache_module.source_fingerprint(tiny_targz, "clean")
    # Both are served from the cache from now on, each its own.
    monkeypatch.setattr(cache_module, "prepare_stanford", lambda path, vocabulary: pytest.fail("cache not used"))
    assert_same_imdb(load_imdb(source=tiny_targz, num_words=None), keras_words)
    assert_same_imdb(load_imdb(source=tiny_targz, num_words=None, vocabulary="clean"), clean_words)


@pytest.mark.parametrize("damage", ["truncate", "overwrite_middle", "garbage", "empty"])
def test_damaged_cache_is_rebuilt(tiny_targz, cache, damage, capsys):
    first = load_imdb(source=tiny_targz, num_words=2500)
    first_index = get_word_index(tiny_targz)
    capsys.readouterr()
    (cache_file,) = _cache_files(cache)
    content = cache_file.read_bytes()
    if damage == "truncate":
        cache_file.write_bytes(content[: len(content) // 2])
    elif damage == "overwrite_middle":
        middle = len(content) // 2
        cache_file.write_bytes(
            content[:middle] + bytes(b ^ 0xFF for b in content[middle : middle + 64]) + content[middle + 64 :]
        )
    elif damage == "garbage":
        cache_file.write_bytes(b"PK\x03\x04 this is not a zip file at all")
    else:
        cache_file.write_bytes(b"")
    assert_same_imdb(load_imdb(source=tiny_targz, num_words=2500), first)
    assert "damaged" in capsys.readouterr().out  # the damage was seen, not silently read
    assert get_word_index(tiny_targz) == first_index
    # Rebuilt in place: a sound cache again (np.savez stamps the time, so not byte for byte).
    with np.load(cache_file, allow_pickle=False) as f:
        assert str(f["fingerprint"]) == cache_module.source_fingerprint(tiny_targz)


def test_cache_with_wrong_fingerprint_is_not_used(make_targz, cache):
    a = make_targz("a.tar.gz")
    load_imdb(source=a, num_words=2500)
    (cache_a,) = _cache_files(cache)
    reviews_b = STANFORD_REVIEWS[:-1]  # one test review fewer
    b = make_targz("b.tar.gz", reviews=reviews_b)
    cache_b, _ = cache_module.cache_path_for(b)
    # Put a's cache under b's name: the fingerprint inside it does not match, so it is rebuilt.
    cache_b.write_bytes(cache_a.read_bytes())
    _, (x_test, _) = load_imdb(source=b, num_words=2500)
    assert len(x_test) == sum(1 for s, *_ in reviews_b if s == "test")


def test_cached_word_index_equals_first_for_wordless_training_set(make_targz, cache):
    # Training reviews with no word at all (punctuation only): an edge case, but a valid archive.
    reviews = [
        ("train", "pos", "0_9.txt", "!!! ..."),
        ("train", "neg", "0_1.txt", "?"),
        ("test", "pos", "0_9.txt", "Good."),
        ("test", "neg", "0_1.txt", "Bad."),
    ]
    archive = make_targz(reviews=reviews)
    first = get_word_index(archive, "clean")  # built and cached
    assert first == {}
    assert get_word_index(archive, "clean") == first  # served from the cache


def test_cache_holds_no_pickles_and_no_part_files(tiny_targz, cache):
    load_imdb(source=tiny_targz, num_words=2500)
    (cache_file,) = _cache_files(cache)
    with np.load(cache_file, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}  # would raise on any object (pickled) array
    assert all(a.dtype != object for a in arrays.values())
    assert list(cache.glob("*.part")) == [] and list(cache.glob(".*.part")) == []
    assert cache_file.parent == cache  # CHAPTER12_CACHE is honoured


def test_cache_write_failure_still_returns_data(tiny_targz, tmp_path, monkeypatch, capsys):
    # A cache location that cannot be a folder (it is a file): the data still loads.
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    monkeypatch.setenv("CHAPTER12_CACHE", str(blocker))
    (x_train, _), _ = load_imdb(source=tiny_targz, num_words=2500)
    assert len(x_train) == 6
    assert "could not write the cache" in capsys.readouterr().out


def test_cache_location_without_chapter12_cache(tmp_path, monkeypatch):
    # CHAPTER12_CACHE first (a "~" in it expanded), else $XDG_CACHE_HOME/chapter12, else ~/.cache/chapter12; an
    # empty variable counts as unset.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CHAPTER12_CACHE", "~/mine")
    assert cache_module.cache_dir() == tmp_path / "home" / "mine"
    monkeypatch.setenv("CHAPTER12_CACHE", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_module.cache_dir() == tmp_path / "xdg" / "chapter12"
    monkeypatch.delenv("CHAPTER12_CACHE")
    assert cache_module.cache_dir() == tmp_path / "xdg" / "chapter12"
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    assert cache_module.cache_dir() == tmp_path / "home" / ".cache" / "chapter12"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_module.cache_dir() == tmp_path / "home" / ".cache" / "chapter12"


def test_a_load_without_chapter12_cache_writes_under_xdg_cache_home(tiny_targz, tmp_path, monkeypatch):
    monkeypatch.delenv("CHAPTER12_CACHE", raising=False)
    monkeypatch.delenv(DATA_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    cache_module.load_stanford(tiny_targz)
    assert [p.name for p in _cache_files(tmp_path / "xdg" / "chapter12")] == [
        cache_module.cache_path_for(tiny_targz, "keras")[0].name
    ]


def _digest(raw, words) -> str:
    h = hashlib.sha256()
    for a in (raw.x_train.values, raw.x_train.offsets, raw.y_train, raw.x_test.values, raw.x_test.offsets, raw.y_test):
        h.update(np.ascontiguousarray(a, dtype=np.int64).tobytes())
    h.update("\n".join(words or ["(keras)"]).encode())
    return h.hexdigest()[:16]


# What the tokenizer makes of the tiny reviews (both vocabularies), under each TOKENIZER_VERSION. When the
# tokenization, the ranking or the order of reviews changes, this test fails: bump TOKENIZER_VERSION in
# chapter12/imdb/cache.py, so that no user's old cache is served, and add the new version's digests here.
TOKENIZATION = {2: {"keras": "02e43f0e494a7a09", "clean": "bf1c824529519789"}}


def test_the_tokenizer_version_changes_with_the_tokenization(tiny_targz):
    made = {v: _digest(*stanford_module.prepare_stanford(tiny_targz, v)) for v in ("keras", "clean")}
    assert TOKENIZATION.get(cache_module.TOKENIZER_VERSION) == made


def test_the_fingerprint_follows_the_tokenizer_version(tiny_targz, monkeypatch):
    before = cache_module.source_fingerprint(tiny_targz)
    monkeypatch.setattr(cache_module, "TOKENIZER_VERSION", cache_module.TOKENIZER_VERSION + 1)
    assert cache_module.source_fingerprint(tiny_targz) != before


def test_the_fingerprint_of_keras_vocabulary_covers_keras_word_index(tiny_targz, tmp_path, monkeypatch):
    keras_before = cache_module.source_fingerprint(tiny_targz, "keras")
    clean_before = cache_module.source_fingerprint(tiny_targz, "clean")
    other = tmp_path / "other_index.json.gz"
    other.write_bytes(gzip.compress(b'{"the": 1, "and": 2}'))
    monkeypatch.setattr(cache_module, "keras_word_index_path", lambda: other)
    assert cache_module.source_fingerprint(tiny_targz, "keras") != keras_before  # a new index: a new cache
    assert cache_module.source_fingerprint(tiny_targz, "clean") == clean_before  # "clean" never reads it


@pytest.mark.parametrize("split", ["train", "test"])
@pytest.mark.parametrize("label", ["pos", "neg"])
@pytest.mark.parametrize("change", ["size", "name"])
def test_the_fingerprint_of_a_folder_sees_each_review_file(tiny_stanford, split, label, change):
    before = cache_module.source_fingerprint(tiny_stanford)
    review = sorted((tiny_stanford / split / label).iterdir())[0]
    if change == "size":
        times = review.stat()
        review.write_text(review.read_text() + " More.")
        os.utime(review, ns=(times.st_atime_ns, times.st_mtime_ns))  # the same time: only the size tells
    else:
        review.rename(review.with_name("999_" + review.name))
    assert cache_module.source_fingerprint(tiny_stanford) != before


def test_the_fingerprint_of_a_folder_sees_a_review_touched(tiny_stanford):
    before = cache_module.source_fingerprint(tiny_stanford)
    review = sorted((tiny_stanford / "train" / "pos").iterdir())[0]
    os.utime(review, ns=(0, review.stat().st_mtime_ns + 1_000_000_000))
    assert cache_module.source_fingerprint(tiny_stanford) != before


def test_the_default_vocabulary_of_the_cache_is_keras(tiny_targz, cache):
    assert cache_module.cache_path_for(tiny_targz) == cache_module.cache_path_for(tiny_targz, "keras")
    assert cache_module.cache_path_for(tiny_targz)[0].name.startswith("stanford-keras-")
    raw, words, fingerprint = cache_module.load_stanford(tiny_targz)
    assert words is None and fingerprint == cache_module.source_fingerprint(tiny_targz, "keras")
    assert _cache_files(cache) == [cache_module.cache_path_for(tiny_targz, "keras")[0]]
    # Served from the cache, Keras's vocabulary still has no words of its own (None, not an empty list).
    cached_raw, cached_words, _ = cache_module.load_stanford(tiny_targz)
    assert cached_words is None and _digest(cached_raw, None) == _digest(raw, None)


_UNPICKLED = []


class _Payload:
    """Unpickling this runs code (it records that it ran): what a planted cache file could do."""

    def __reduce__(self):
        return (_UNPICKLED.append, ("ran",))


def test_a_cache_file_holding_a_pickle_is_rebuilt_never_unpickled(tiny_targz, cache, capsys):
    load_imdb(source=tiny_targz, num_words=2500)
    (cache_file,) = _cache_files(cache)
    with np.load(cache_file, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    # The right fingerprint, but inside a pickled object array with a payload.
    arrays["fingerprint"] = np.array([_Payload(), str(arrays["fingerprint"])], dtype=object)
    np.savez(cache_file, **arrays)
    capsys.readouterr()
    load_imdb(source=tiny_targz, num_words=2500)
    assert _UNPICKLED == []
    assert capsys.readouterr().out == (f"chapter12: the cache {cache_file} is damaged (ValueError); rebuilding it\n")


def test_the_cache_messages_word_for_word(tiny_targz, tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    monkeypatch.setenv("CHAPTER12_CACHE", str(blocker))
    cache_module.load_stanford(tiny_targz)
    out = capsys.readouterr().out
    cache_file = cache_module.cache_path_for(tiny_targz)[0]
    assert out.startswith(f"chapter12: could not write the cache {cache_file} (")
    assert out.endswith("); set CHAPTER12_CACHE to a writable folder\n") and out.count("\n") == 1


# ----------------------------------------------------------------------------- bundled sample


def test_sample_loads_without_environment(monkeypatch):
    monkeypatch.delenv(DATA_ENV, raising=False)
    (x_train, y_train), (x_test, y_test) = load_imdb(source="sample")
    assert (len(x_train), len(y_train), len(x_test), len(y_test)) == (16000, 16000, 2000, 2000)
    assert np.bincount(y_train).tolist() == [8000, 8000]
    assert np.bincount(y_test).tolist() == [1000, 1000]
    assert all(seq[0] == 1 for seq in x_train[:50])
    assert max(max(seq) for seq in x_train) < 2500  # chapter12's default num_words


def test_sample_first_review_decodes_to_words(monkeypatch):
    monkeypatch.delenv(DATA_ENV, raising=False)
    (x_train, _), _ = load_imdb(source="sample")
    text = decode_review(x_train[0], source="sample")
    words = text.split()
    assert words[0] == "[START]"
    assert "[?]" not in words
    real = [w for w in words if not w.startswith("[")]
    assert len(real) > len(words) / 2
    # Keras's words: no punctuation but the apostrophe, no ASCII capitals.
    assert not any(re.search(r"[!-&(-/:-@\[-`{-~A-Z]", w) for w in real)


# ----------------------------------------------------------------------------- pad


def test_pad_defaults_keep_last_words_and_pad_in_front():
    long_review = list(range(1, 151))
    short_review = [7, 8, 9]
    padded = pad([long_review, short_review])
    assert padded.shape == (2, 100)  # the book's maxlen
    assert padded[0].tolist() == long_review[-100:]  # truncating='pre' keeps the LAST words
    assert padded[1].tolist() == [0] * 97 + short_review


def test_pad_truncating_post_keeps_first_words():
    padded = pad([list(range(1, 21))], maxlen=5, truncating="post")
    assert padded.tolist() == [[1, 2, 3, 4, 5]]


@pytest.mark.parametrize("maxlen", [0, -1])
def test_pad_rejects_non_positive_maxlen(maxlen):
    with pytest.raises(Chapter12Error, match="maxlen"):
        pad([[1, 2]], maxlen=maxlen)


def test_pad_rejects_unknown_choices():
    with pytest.raises(Chapter12Error, match="truncating"):
        pad([[1, 2]], truncating="middle")


# ----------------------------------------------------------------------------- resolve_source


def test_resolve_source_missing_path(tmp_path):
    missing = tmp_path / "nowhere" / "imdb.npz"
    assert _refusal(lambda: resolve_source(missing)) == f"data path {missing} does not exist; {HINT}"


def test_resolve_source_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(Chapter12Error, match="empty"):
        resolve_source(tmp_path / "empty")


def test_resolve_source_folder_with_train_but_no_test(tmp_path):
    (tmp_path / "aclImdb" / "train" / "pos").mkdir(parents=True)
    with pytest.raises(Chapter12Error, match="no test/"):
        resolve_source(tmp_path / "aclImdb")


def test_resolve_source_text_file_is_not_imdb(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello, these are not reviews\n")
    assert _refusal(lambda: resolve_source(path)) == (
        f"{path} is not IMDB data (neither an .npz file nor a .tar.gz archive); {HINT}"
    )


def test_a_file_that_cannot_be_opened_is_refused_with_the_systems_reason(tmp_path):
    import socket

    path = tmp_path / "data"  # a name that says nothing, so its first bytes are read; a socket has none to give
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(path))
        assert _refusal(lambda: resolve_source(path)) == f"cannot read {path} (No such device or address); {HINT}"


@pytest.mark.parametrize("name, kind", [("imdb.npz", "npz"), ("a.tar.gz", "stanford"), ("a.TGZ", "stanford")])
def test_a_file_is_taken_by_its_name_before_its_content(tmp_path, name, kind):
    # A broken download keeps its name: it is read as what it says it is, whose reader says what is wrong with it.
    path = tmp_path / name
    path.write_bytes(b"<html>Service Unavailable</html>")
    assert resolve_source(path).kind == kind


def test_an_uncompressed_tar_is_taken_by_its_name(tmp_path, tiny_targz):
    plain = tmp_path / "aclImdb_v1.tar"  # tar's first bytes are a member's name: no magic number to go by
    plain.write_bytes(gzip.decompress(tiny_targz.read_bytes()))
    assert resolve_source(plain) == StanfordReviews(plain)


def test_resolve_source_kinds(tiny_npz, tiny_stanford, tiny_targz, tmp_path):
    assert resolve_source("sample") == BundledSample()
    assert resolve_source("keras") == KerasDownload()
    assert resolve_source(tiny_npz) == NpzFile(tiny_npz)
    assert resolve_source(str(tiny_stanford.parent)) == StanfordReviews(tiny_stanford)
    assert resolve_source(tiny_targz) == StanfordReviews(tiny_targz, "keras")
    assert resolve_source(tiny_targz, "clean") == StanfordReviews(tiny_targz, "clean")
    assert resolve_source(resolve_source(tiny_targz), "clean").vocabulary == "clean"
    # Recognised by content when the name says nothing.
    renamed = tmp_path / "download"
    renamed.write_bytes(tiny_targz.read_bytes())
    assert resolve_source(renamed).kind == "stanford"
    renamed_npz = tmp_path / "download2"
    renamed_npz.write_bytes(tiny_npz.read_bytes())
    assert resolve_source(renamed_npz).kind == "npz"


def test_resolve_source_uses_environment(tiny_npz, monkeypatch):
    assert DATA_ENV == "CHAPTER12_DATA"  # the name docs/data.md gives users
    monkeypatch.setenv("CHAPTER12_DATA", str(tiny_npz))
    assert resolve_source(None) == NpzFile(tiny_npz)
    (x_train, _), _ = load_imdb(num_words=2500)  # no source: the environment's file
    assert len(x_train) == 30
    monkeypatch.setenv(DATA_ENV, "sample")
    assert resolve_source(None) == BundledSample()
    monkeypatch.setenv(DATA_ENV, str(tiny_npz.parent / "gone.npz"))
    with pytest.raises(Chapter12Error, match="does not exist"):
        load_imdb()


def test_resolve_source_defaults_to_keras(monkeypatch):
    monkeypatch.delenv(DATA_ENV, raising=False)
    assert resolve_source(None) == KerasDownload()
    assert resolve_source("") == KerasDownload()


@pytest.mark.parametrize("source", ["sample", "keras", "npz"])
def test_clean_vocabulary_needs_the_stanford_text(source, tiny_npz):
    with pytest.raises(Chapter12Error, match="--vocabulary keras"):
        resolve_source(tiny_npz if source == "npz" else source, "clean")


@pytest.mark.parametrize("vocabulary", ["Keras", "", "raw", 3])
def test_unknown_vocabulary_is_refused(tiny_targz, vocabulary):
    with pytest.raises(Chapter12Error, match="unknown vocabulary"):
        load_imdb(source=tiny_targz, vocabulary=vocabulary)


# ----------------------------------------------------------------------------- safety: npz


class _RunsShell:
    """Pickles as a call to os.system: what a tampered imdb.npz could hold."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def _npy_member_with_pickle(payload) -> bytes:
    # An .npy header that announces an object array, followed by an arbitrary pickle.
    buffer = io.BytesIO()
    header = {"descr": "|O", "fortran_order": False, "shape": (1,)}
    np.lib.format.write_array_header_1_0(buffer, header)
    buffer.write(pickle.dumps(payload, protocol=2))
    return buffer.getvalue()


def _evil_npz(path, marker, how):
    x_test = np.empty(1, dtype=object)
    x_test[0] = [1, 2]
    members = {"y_train.npy": np.array([0], dtype=np.int64), "x_test.npy": x_test, "y_test.npy": np.array([1])}
    with zipfile.ZipFile(path, "w") as zf:
        for name, array in members.items():
            buffer = io.BytesIO()
            np.save(buffer, array, allow_pickle=True)
            zf.writestr(name, buffer.getvalue())
        if how == "inside_array":
            evil = np.empty(1, dtype=object)
            evil[0] = _RunsShell(f"touch {marker}")
            buffer = io.BytesIO()
            np.save(buffer, evil, allow_pickle=True)
            zf.writestr("x_train.npy", buffer.getvalue())
        else:
            zf.writestr("x_train.npy", _npy_member_with_pickle(_RunsShell(f"touch {marker}")))
    return path


@pytest.mark.parametrize("how", ["inside_array", "whole_member"])
def test_npz_with_code_running_pickle_is_refused(tmp_path, how):
    marker = tmp_path / "MARKER"
    evil = _evil_npz(tmp_path / "imdb.npz", marker, how)
    with pytest.raises(Chapter12Error, match="refusing"):
        load_imdb(source=evil, num_words=2500)
    with pytest.raises(Chapter12Error):
        load_raw(evil)
    assert not marker.exists()


def test_evil_npz_payload_is_live(tmp_path):
    # The payload above really runs when loaded naively, so the test above would catch a regression.
    marker = tmp_path / "MARKER"
    evil = _evil_npz(tmp_path / "imdb.npz", marker, "inside_array")
    with np.load(evil, allow_pickle=True) as f:
        f["x_train"]
    assert marker.exists()


def test_npz_missing_keys(tmp_path):
    path = tmp_path / "imdb.npz"
    np.savez(path, x_train=np.array([[1, 2]]), y_train=np.array([0]))
    with pytest.raises(Chapter12Error, match="x_test"):
        load_imdb(source=path, num_words=2500)


@pytest.mark.parametrize("labels", [[0, 2, 1], [0, -1, 1]])
def test_npz_labels_other_than_0_1(tmp_path, labels):
    x_train, _, x_test, y_test = make_keras_reviews()
    path = write_keras_npz(tmp_path / "imdb.npz", x_train[:3], np.array(labels), x_test, y_test)
    with pytest.raises(Chapter12Error, match="labels 0 and 1"):
        load_imdb(source=path, num_words=2500)


def test_npz_float_labels_refused(tmp_path):
    x_train, y_train, x_test, y_test = make_keras_reviews()
    path = write_keras_npz(tmp_path / "imdb.npz", x_train, y_train.astype(float) + 0.5, x_test, y_test)
    with pytest.raises(Chapter12Error, match="labels 0 and 1"):
        load_imdb(source=path, num_words=2500)


def test_npz_with_negative_or_non_sequence_indices(tmp_path):
    x_train, y_train, x_test, y_test = make_keras_reviews()
    negative = write_keras_npz(tmp_path / "negative.npz", [[1, -2]] + x_train[1:], y_train, x_test, y_test)
    with pytest.raises(Chapter12Error, match="negative"):
        load_imdb(source=negative, num_words=2500)
    scalars = tmp_path / "scalars.npz"
    flat = np.empty(len(y_train), dtype=object)
    flat[:] = list(range(len(y_train)))  # one int per review instead of a list of ints
    np.savez(scalars, x_train=flat, y_train=y_train, x_test=flat[: len(y_test)], y_test=y_test)
    with pytest.raises(Chapter12Error, match="sequences"):
        load_imdb(source=scalars, num_words=2500)


def test_npz_that_is_not_a_zip(tmp_path):
    path = tmp_path / "imdb.npz"
    path.write_bytes(b"PK\x03\x04 truncated download")
    with pytest.raises(Chapter12Error, match="cannot read"):
        load_imdb(source=path, num_words=2500)


# What the reader of imdb.npz says and accepts, word for word (found by mutation testing: the messages' texts
# and the older spellings and formats were not checked).
KERAS_ARRAYS = ("x_train", "y_train", "x_test", "y_test")


def _object_member(lists, version=None) -> bytes:
    array = np.empty(len(lists), dtype=object)
    for i, seq in enumerate(lists):
        array[i] = seq
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, version=version, allow_pickle=True)
    buffer.seek(0)  # keep the header NumPy wrote in that version; the pickle after it in protocol 3
    np.lib.format.read_magic(buffer)
    (np.lib.format.read_array_header_1_0 if version in (None, (1, 0)) else np.lib.format.read_array_header_2_0)(buffer)
    # Protocol 3, as NumPy 1.17 to 1.26 wrote (NumPy 2 writes 4): its GLOBAL opcode names the module as a line of
    # text. (Protocol 2 from Python 3 spells bytes as calls to _codecs.encode, which the reader refuses; Keras's
    # imdb.npz was written by Python 2, whose protocol 2 does not.)
    return buffer.getvalue()[: buffer.tell()] + pickle.dumps(array, protocol=3)


def _zip(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)])
@pytest.mark.parametrize("spelling", ["numpy.core.multiarray", "numpy._core.multiarray"])
def test_safe_npz_reads_each_npy_version_and_both_numpy_spellings(tmp_path, version, spelling):
    # NumPy 1 pickles name numpy.core, NumPy 2 numpy._core: a user's imdb.npz may hold either. The member is
    # pickled with protocol 3, whose GLOBAL opcode names the module as a line of text, so one spelling can be
    # swapped for the other.
    reviews = [[1, 14, 22], [1, 194], [1, 5, 5, 9]]
    member = _object_member(reviews, version=version)
    written = next(m for m in (b"numpy._core.multiarray", b"numpy.core.multiarray") if m in member)
    member = member.replace(written, spelling.encode())
    path = _zip(tmp_path / "imdb.npz", {"x_train.npy": member})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # NumPy 2 warns on numpy.core
        [read] = load_npz(path, ("x_train",)).values()
    assert [list(r) for r in read] == reviews


def test_safe_npz_says_which_arrays_are_missing_and_which_it_has(tmp_path):
    path = tmp_path / "imdb.npz"
    np.savez(path, y_train=np.array([0]), x_train=np.array([[1, 2]]))
    with pytest.raises(Chapter12Error) as e:
        load_npz(path, KERAS_ARRAYS)
    assert str(e.value) == (
        f"{path} lacks the arrays x_test, y_test (it has: x_train, y_train); it is not Keras's imdb.npz: get a "
        "fresh copy"
    )
    empty = _zip(tmp_path / "empty.npz", {"README.txt": b"no arrays here"})
    with pytest.raises(Chapter12Error) as e:
        load_npz(empty, KERAS_ARRAYS)
    assert str(e.value) == (
        f"{empty} lacks the arrays x_train, y_train, x_test, y_test (it has: none); it is not Keras's imdb.npz: "
        "get a fresh copy"
    )


def test_safe_npz_names_the_call_it_refused(tmp_path):
    evil = _evil_npz(tmp_path / "imdb.npz", tmp_path / "MARKER", "whole_member")
    with pytest.raises(Chapter12Error) as e:
        load_npz(evil, KERAS_ARRAYS)
    assert str(e.value) == (
        f"refusing to load {evil}: it holds a pickle that calls {os.system.__module__}.system, which plain IMDB "
        "data never does; the file is damaged or unsafe: get a fresh copy of imdb.npz"
    )
    assert not (tmp_path / "MARKER").exists()


@pytest.mark.parametrize(
    "change, why",
    [
        (None, "BadZipFile: File is not a zip file"),  # not a zip at all: a cut-off download
        # an .npy format that does not exist (the version bytes after the magic string)
        (lambda member: member[:6] + b"\x09\x00" + member[8:], "ValueError: unsupported .npy format version (9, 0)"),
        # an object array's header followed by a pickle of a list, not of an array
        (lambda member: _npy_member_with_pickle([1, 2]), "ValueError: pickle held a list, not an array"),
    ],
    ids=["not a zip", "npy version", "pickle of a list"],
)
def test_safe_npz_says_why_it_cannot_read_a_file(tmp_path, change, why):
    path = tmp_path / "imdb.npz"
    if change is None:
        path.write_bytes(b"PK\x03\x04 truncated download")
    else:
        _zip(path, {"x_train.npy": change(_object_member([[1, 2]]))})
    with pytest.raises(Chapter12Error) as e:
        load_npz(path, ("x_train",))
    assert str(e.value) == f"cannot read {path} as an .npz file ({why}); get a fresh copy of imdb.npz"


# ----------------------------------------------------------------------------- sources: fingerprints, Keras's download

HINT = (
    "pass --data with the Stanford archive (aclImdb_v1.tar.gz), its aclImdb/ folder or Keras's imdb.npz, "
    "or use --quick for the bundled sample"
)


def _refusal(call) -> str:
    with pytest.raises(Chapter12Error) as e:
        call()
    return str(e.value)


def test_a_file_sources_fingerprint_is_the_sha256_of_its_bytes(tiny_npz, tmp_path):
    from chapter12.imdb.sources import sample_path

    assert NpzFile(tiny_npz).fingerprint() == hashlib.sha256(tiny_npz.read_bytes()).hexdigest()
    assert BundledSample().fingerprint() == hashlib.sha256(sample_path().read_bytes()).hexdigest()
    other = tmp_path / "other.npz"
    other.write_bytes(tiny_npz.read_bytes() + b"\0")
    assert NpzFile(other).fingerprint() != NpzFile(tiny_npz).fingerprint()


def test_each_source_says_what_it_is_word_for_word(tiny_npz, tiny_targz):
    # What a report and a training record print after "N training and M test reviews from the ...".
    assert KerasDownload().describe() == "Keras download (keras.datasets.imdb)"
    assert NpzFile(tiny_npz).describe() == f"npz: {tiny_npz}"
    assert StanfordReviews(tiny_targz).describe() == f"stanford: {tiny_targz} (Keras's vocabulary)"
    assert StanfordReviews(tiny_targz, "clean").describe() == f"stanford: {tiny_targz} (clean vocabulary)"
    assert BundledSample().describe() == "bundled sample of the Stanford reviews (Keras's vocabulary)"


def test_a_named_sources_kind_names_it_again(tiny_npz, monkeypatch):
    # reproduce and sweep tell the notebooks and the workers a named source by its kind ("keras", "sample"),
    # and each resolves that name again: it must give back the same source, whatever $CHAPTER12_DATA says.
    monkeypatch.setenv(DATA_ENV, str(tiny_npz))
    for source in (KerasDownload(), BundledSample()):
        assert resolve_source(source.kind) == source


def test_the_keras_downloads_counts_and_fingerprint_are_known_without_the_download():
    # keras.datasets.imdb holds the chapter's 25,000 training and 25,000 test reviews; its fingerprint is a name
    # (what Keras serves does not change), written in sweeps' results files, so it must stay the same for a
    # sweep recorded by an earlier version to resume.
    assert KerasDownload().review_counts() == (25_000, 25_000)
    assert KerasDownload().fingerprint() == "keras.datasets.imdb"


def test_a_word_index_of_0_is_read_as_keras_reads_it(tmp_path, monkeypatch):
    # Only negative indices are refused: Keras's load_data takes a 0 (shifted by index_from like any other).
    path = write_keras_npz(tmp_path / "imdb.npz", [[0, 2], [3, 0]], [0, 1], [[1, 0]], [1], word_index=False)
    assert NpzFile(path).raw().x_train.to_lists() == [[0, 2], [3, 0]]
    assert_same_imdb(load_imdb(source=path, num_words=None), keras_load(monkeypatch, path, num_words=None))


def test_an_npz_files_counts_are_read_from_its_labels_alone(tiny_npz, tmp_path, monkeypatch):
    # A sweep plans its cells from the counts: reading them must not unpickle every review.
    def no_reviews(self):
        raise AssertionError("the reviews were read")

    counts = len(NpzFile(tiny_npz).raw().x_train), len(NpzFile(tiny_npz).raw().x_test)
    with monkeypatch.context() as m:
        m.setattr(NpzFile, "raw", no_reviews)
        assert NpzFile(tiny_npz).review_counts() == counts == (30, 20)
    # Labels that are not one per review: raw() says what is wrong with the file.
    path = write_keras_npz(tmp_path / "imdb.npz", [[1], [2]], [[0], [1]], [[1]], [1], word_index=False)
    assert _refusal(lambda: NpzFile(path).review_counts()) == (
        f"{path}: x_train and y_train do not pair up (shapes (2,) and (2, 1)); "
        "it is not Keras's imdb.npz: get a fresh copy"
    )


@pytest.mark.parametrize(
    "y_test, found",
    [
        ([0.0, 1.0], "[0.0, 1.0]"),  # Keras's labels are whole numbers
        ([0, 1, 2, 3, 4, 5, 6], "[0, 1, 2, 3, 4]"),  # the first five values
        (["0", "1"], "<U1"),  # not numbers: the type
    ],
    ids=["floats", "many", "text"],
)
def test_labels_that_are_not_0_and_1_are_refused_word_for_word(tmp_path, y_test, found):
    x_test = [[1]] * len(y_test)
    path = write_keras_npz(tmp_path / "imdb.npz", [[1], [2]], [0, 1], x_test, y_test, word_index=False)
    assert _refusal(lambda: NpzFile(path).raw()) == (
        f"{path}: y_test must hold labels 0 and 1 only, found {found}; get a fresh copy of the data"
    )


def test_an_npz_file_without_its_word_index_says_where_to_put_it(tmp_path):
    path = write_keras_npz(tmp_path / "imdb.npz", [[1], [2]], [0, 1], [[1]], [1], word_index=False)
    assert _refusal(lambda: NpzFile(path).word_index()) == (
        f"no imdb_word_index.json beside {path}; copy Keras's imdb_word_index.json next to it"
    )


def test_the_clean_vocabulary_on_a_source_without_text_is_refused_word_for_word():
    assert _refusal(lambda: resolve_source("sample", "clean")) == (
        "the clean vocabulary is built from the Stanford reviews' text, which the bundled sample of the Stanford "
        "reviews (Keras's vocabulary) does not have; pass --data aclImdb_v1.tar.gz (or aclImdb/) or use "
        "--vocabulary keras"
    )


def test_the_keras_download_gives_the_files_own_order_through_keras_load_data(tiny_npz, monkeypatch):
    # No download here: Keras's own load_data reads a Keras-format file, shuffles it with the seed it is asked
    # for, and the source undoes that shuffle. The result is the file's own order, as NpzFile reads it.
    import keras.src.datasets.imdb as keras_imdb_module

    monkeypatch.setattr(keras_imdb_module, "get_file", lambda *args, **kwargs: str(tiny_npz))
    downloaded, direct = KerasDownload().raw(), NpzFile(tiny_npz).raw()
    for a, b in ((downloaded.x_train, direct.x_train), (downloaded.x_test, direct.x_test)):
        np.testing.assert_array_equal(a.values, b.values)
        np.testing.assert_array_equal(a.offsets, b.offsets)
    np.testing.assert_array_equal(downloaded.y_train, direct.y_train)
    np.testing.assert_array_equal(downloaded.y_test, direct.y_test)


@pytest.mark.parametrize(
    "x_train, y_train, says",
    [
        (
            [[1, 2], [3], [4, 5]],
            [0, 1],
            "x_train and y_train do not pair up (shapes (3,) and (2,)); it is not Keras's imdb.npz: get a fresh copy",
        ),
        ([[1, 2], [3]], [0, 2], "y_train must hold labels 0 and 1 only, found [0, 2]; get a fresh copy of the data"),
        ([[1, 2], [3, -1]], [0, 1], "x_train holds negative word indices; get a fresh copy of imdb.npz"),
        ([["a", "b"], [3]], [0, 1], "x_train does not hold sequences of word indices; get a fresh copy of imdb.npz"),
    ],
    ids=["counts", "labels", "negative", "words"],
)
def test_a_keras_format_file_that_is_not_keras_data_is_refused_word_for_word(tmp_path, x_train, y_train, says):
    path = write_keras_npz(tmp_path / "imdb.npz", x_train, y_train, [[1], [2]], [1, 0], word_index=False)
    assert _refusal(lambda: NpzFile(path).raw()) == f"{path}: {says}"


# ----------------------------------------------------------------------------- reading the Stanford reviews


def test_a_folder_that_is_not_the_stanford_layout_is_refused_word_for_word(tmp_path):
    from chapter12.imdb.stanford import stanford_root

    for present, absent in (("train", "test"), ("test", "train")):
        root = tmp_path / present / "aclImdb"
        (root / present).mkdir(parents=True)
        assert _refusal(lambda: stanford_root(root.parent)) == (
            f"{root} has {present}/ but no {absent}/; point --data at a complete aclImdb/ folder "
            "or at the archive aclImdb_v1.tar.gz"
        )
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _refusal(lambda: stanford_root(empty)) == f"{empty} is empty; {HINT}"
    other = tmp_path / "other"
    (other / "photos").mkdir(parents=True)
    assert _refusal(lambda: stanford_root(other)) == (
        f"{other} holds no aclImdb/ layout (train/ and test/ folders); {HINT}"
    )


def test_a_missing_label_folder_or_split_is_refused_word_for_word(tmp_path, make_targz):
    from chapter12.imdb.stanford import read_reviews

    acl = write_stanford_folder(tmp_path / "folder")
    shutil.rmtree(acl / "train" / "neg")
    assert _refusal(lambda: read_reviews(acl)) == (
        f"{acl} has no train/neg/ folder; point --data at a complete aclImdb/ folder"
    )
    archive = make_targz("train_only.tar.gz", reviews=[r for r in STANFORD_REVIEWS if r[0] == "train"])
    assert _refusal(lambda: read_reviews(archive)) == (
        f"{archive} holds no test reviews (test/pos/*.txt, test/neg/*.txt); {HINT}"
    )


def test_a_folder_gives_only_the_review_files_of_its_label_folders(tmp_path, tiny_targz):
    from chapter12.imdb.stanford import read_reviews

    acl = write_stanford_folder(tmp_path / "folder")
    (acl / "train" / "pos" / "notes.txt").write_text("not a review")  # a file not named as a review
    (acl / "test" / "neg" / "7_1.txt").mkdir()  # named as a review, but a folder
    assert read_reviews(acl) == read_reviews(tiny_targz)


def test_an_uncompressed_tar_gives_what_the_gzipped_one_gives(tmp_path, tiny_targz):
    from chapter12.imdb.stanford import read_reviews

    plain = tmp_path / "aclImdb_v1.tar"
    plain.write_bytes(gzip.decompress(tiny_targz.read_bytes()))
    assert read_reviews(plain) == read_reviews(tiny_targz)


# ----------------------------------------------------------------------------- safety: archives


@pytest.mark.parametrize(
    "name",
    ["../evil.txt", "aclImdb/../../x", "aclImdb/train/pos/../../../../3_9.txt", "/tmp/aclImdb/train/pos/3_9.txt"],
)
def test_archive_member_outside_folder_is_refused(make_targz, cache, tmp_path, name):
    archive = make_targz(extra_members=[(name, b"A great movie.", {})])
    assert _refusal(lambda: load_imdb(source=archive, num_words=2500)) == (
        f"refusing {archive}: its member {name!r} points outside the archive's folder"
    )
    assert not (tmp_path.parent / "evil.txt").exists() and not (tmp_path / "x").exists()
    assert not cache.exists() or _cache_files(cache) == []  # nothing was cached from it


@pytest.mark.parametrize("link_type", ["SYMTYPE", "LNKTYPE"])
def test_archive_link_member_is_refused(make_targz, cache, link_type):
    fields = {"type": getattr(tarfile, link_type), "linkname": "/etc/passwd"}
    archive = make_targz(extra_members=[("aclImdb/train/pos/9_9.txt", b"", fields)])
    assert _refusal(lambda: load_imdb(source=archive, num_words=2500)) == (
        f"refusing {archive}: its member 'aclImdb/train/pos/9_9.txt' is a link; the Stanford archive has none"
    )


def test_an_archive_whose_gzip_trailer_is_cut_or_wrong_is_refused(tiny_targz, tmp_path):
    # Every review is whole, but the download is not: the last bytes of a gzip stream are the CRC and the length
    # of what it holds, which gzip checks only once it is read to the end.
    from chapter12.imdb.stanford import read_reviews

    content = tiny_targz.read_bytes()
    cut = tmp_path / "cut" / "aclImdb_v1.tar.gz"
    cut.parent.mkdir()
    cut.write_bytes(content[:-4])
    assert _refusal(lambda: read_reviews(cut)) == (
        f"cannot read {cut} as a tar archive (EOFError: Compressed file ended before the end-of-stream marker was "
        "reached); it may be truncated: download aclImdb_v1.tar.gz again"
    )
    wrong = tmp_path / "wrong.tar.gz"
    wrong.write_bytes(content[:-8] + bytes(b ^ 0xFF for b in content[-8:-4]) + content[-4:])
    assert re.fullmatch(
        rf"cannot read {re.escape(str(wrong))} as a tar archive \(BadGzipFile: CRC check failed 0x[0-9a-f]+ != "
        r"0x[0-9a-f]+\); it may be truncated: download aclImdb_v1.tar.gz again",
        _refusal(lambda: read_reviews(wrong)),
    )


def test_the_training_words_missing_from_keras_index_are_counted_and_test_words_are_not(tmp_path):
    # The count is 0 on the real archive (tests/test_keras_exact.py), the proof that Keras's index is the
    # training reviews' own; here two training reviews hold 3 words Keras never saw, and a test review 1.
    from chapter12.imdb.stanford import encode_keras, prepare_stanford, read_reviews

    reviews = [
        ("train", "pos", "0_9.txt", "a great movie zzqxv"),
        ("train", "neg", "0_1.txt", "qqzzx a bad movie wwqzx"),
        ("test", "pos", "0_9.txt", "a great xxqzw film"),
        ("test", "neg", "0_1.txt", "a bad film"),
    ]
    archive = pack_stanford_targz(tmp_path / "aclImdb_v1.tar.gz", reviews)
    raw, missing = encode_keras(read_reviews(archive))
    assert missing == 3
    assert raw.x_train.lengths.tolist() == [3, 3] and raw.x_test.lengths.tolist() == [3, 3]
    # Keras's vocabulary is prepare_stanford's default.
    default, words = prepare_stanford(archive)
    assert words is None and default.x_train.to_lists() == raw.x_train.to_lists()


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.9])
def test_truncated_archive_is_refused(tiny_targz, cache, fraction):
    content = tiny_targz.read_bytes()
    tiny_targz.write_bytes(content[: int(len(content) * fraction)])
    with pytest.raises(Chapter12Error, match="aclImdb_v1.tar.gz"):
        load_imdb(source=tiny_targz, num_words=2500)


def test_archive_cut_inside_gzip_header_is_refused(tiny_targz, cache):
    tiny_targz.write_bytes(tiny_targz.read_bytes()[:3])
    with pytest.raises(Chapter12Error):
        load_imdb(source=tiny_targz, num_words=2500)


def test_truncated_archive_never_loads_partial_data(tiny_targz, cache, tmp_path):
    content = tiny_targz.read_bytes()
    full = load_raw(tiny_targz)
    partial = []
    # Every cut after the gzip header (the header cut is the test above). ~600 tiny loads.
    for cut in range(10, len(content)):
        path = tmp_path / f"cut_{cut}.tar.gz"
        path.write_bytes(content[:cut])
        try:
            raw, _ = stanford_module.prepare_stanford(path)  # no cache: each cut is read afresh
        except Chapter12Error:
            continue
        if (len(raw.x_train), len(raw.x_test)) != (len(full.x_train), len(full.x_test)):
            partial.append((cut, len(raw.x_train), len(raw.x_test)))
    assert partial == [], f"cuts that loaded partial data (cut, n_train, n_test): {partial[:5]}"


def test_gzip_that_is_not_a_tar(tmp_path, cache):
    path = tmp_path / "aclImdb_v1.tar.gz"
    path.write_bytes(gzip.compress(b"just some text, not a tar archive" * 20))
    with pytest.raises(Chapter12Error, match="tar archive"):
        load_imdb(source=path, num_words=2500)


def test_invalid_utf8_review_loads(tmp_path, cache):
    reviews = list(STANFORD_REVIEWS) + [("train", "pos", "7_9.txt", b"Superb\xff\xfe acting, caf\xe9 scene.")]
    archive = pack_stanford_targz(tmp_path / "aclImdb_v1.tar.gz", reviews)
    index = get_word_index(archive, "clean")
    assert "superb" in index and "scene" in index and "caf" in index
    assert not any("\ufffd" in w for w in index)  # the invalid bytes form no word
    (x_train, _), _ = load_imdb(source=archive, num_words=2500, vocabulary="clean")
    assert len(x_train) == 7
    decoded = [decode_review(seq, index) for seq in x_train]
    assert "[START] superb acting caf scene" in decoded
    # Keras's vocabulary compares bytes: a word holding invalid UTF-8 is in no index, so it is dropped.
    keras_index = get_word_index(archive)
    (x_train, _), _ = load_imdb(source=archive, num_words=10**6)
    assert "[START] acting scene" in [decode_review(seq, keras_index) for seq in x_train]


# ----------------------------------------------------------------------------- Keras download failure


@pytest.mark.parametrize(
    "error, reason",
    [
        (
            urllib.error.URLError("[Errno -3] Temporary failure in name resolution"),
            "<urlopen error [Errno -3] Temporary failure in name resolution>",
        ),
        (OSError("No space left\n(while writing imdb.npz)"), "No space left"),  # the first line only
        (ConnectionResetError(), "ConnectionResetError"),  # no message: the exception's name
    ],
    ids=["offline", "two lines", "no message"],
)
def test_keras_download_failure_names_the_way_out(monkeypatch, error, reason):
    import keras.datasets.imdb as public_imdb

    def fail(**kwargs):
        raise error

    monkeypatch.setattr(public_imdb, "load_data", fail)
    monkeypatch.delenv(DATA_ENV, raising=False)
    says = f"could not get the IMDB data from Keras ({reason}); {HINT}"
    assert _refusal(lambda: load_imdb(source="keras")) == says
    assert _refusal(load_imdb) == says  # the default source is the Keras download


def test_keras_word_index_failure(monkeypatch):
    import keras.datasets.imdb as public_imdb

    def fail(*args, **kwargs):
        raise urllib.error.URLError("offline")

    monkeypatch.setattr(public_imdb, "get_word_index", fail)
    says = f"could not get the IMDB word index from Keras (<urlopen error offline>); {HINT}"
    assert _refusal(lambda: get_word_index("keras")) == says
    # What Keras gives is checked before use, and named as Keras's.
    monkeypatch.setattr(public_imdb, "get_word_index", lambda *args, **kwargs: {"the": 0})
    assert _refusal(lambda: get_word_index("keras")) == (
        "Keras's word index is not a word -> rank mapping: 'the' maps to 0, not a whole number of at least 1; "
        "get a fresh copy of imdb_word_index.json"
    )


@pytest.mark.parametrize("kwargs", [dict(num_words=2500), dict(num_words=20, maxlen=25, seed=3), dict(num_words=None)])
def test_keras_download_route_equals_keras_load_data(tiny_npz, monkeypatch, kwargs):
    # The Keras source asks load_data for the file's own ranks, undoes the shuffle, and applies the
    # steps itself, like every source. With get_file pointed at a local file, the result is Keras's.
    theirs = keras_load(monkeypatch, tiny_npz, **kwargs)
    assert_same_imdb(load_imdb(source="keras", **kwargs), theirs)
    assert load_raw("keras").x_train.to_lists() == load_raw(tiny_npz).x_train.to_lists()


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("maxlen", [1, 5, 50])
def test_pad_ragged_equals_keras_pad_sequences(padding, truncating, maxlen):
    from chapter12.imdb.keras_steps import pad_ragged
    from chapter12.imdb.ragged import Ragged

    rng = np.random.default_rng(maxlen)
    sequences = [list(rng.integers(1, 100, size=n)) for n in [0, 1, 3, 5, 7, 12, 0, 40]]
    expected = pad(sequences, maxlen=maxlen, padding=padding, truncating=truncating)
    got = pad_ragged(Ragged.from_sequences(sequences), maxlen, padding=padding, truncating=truncating)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == expected.dtype


def test_load_padded_equals_pad_of_load_imdb(tiny_npz):
    from chapter12.imdb import load_padded

    (x_train, y_train), (x_test, y_test) = load_imdb(num_words=20, source=tiny_npz)
    (px_train, py_train), (px_test, py_test) = load_padded(num_words=20, maxlen=15, source=tiny_npz)
    np.testing.assert_array_equal(px_train, pad(x_train, maxlen=15))
    np.testing.assert_array_equal(px_test, pad(x_test, maxlen=15))
    np.testing.assert_array_equal(py_train, y_train)
    np.testing.assert_array_equal(py_test, y_test)


def test_fast_padding_path_equals_the_keras_path_on_the_real_sample():
    from chapter12.imdb import load_padded

    (x_train, y_train), (x_test, y_test) = load_imdb(source="sample")
    (px_train, _), (px_test, _) = load_padded(source="sample")
    np.testing.assert_array_equal(px_train, pad(x_train))
    np.testing.assert_array_equal(px_test, pad(x_test))


# ----------------------------------------------------------------------------- the raw file form (ragged.py)


def test_raw_reviews_written_are_the_reviews_read_and_cannot_be_changed_in_place(tmp_path):
    import dataclasses

    from chapter12.imdb.ragged import RawImdb, read_raw_npz, save_raw_npz

    raw = RawImdb(
        Ragged.from_sequences([[5, 6, 7], [8]]), np.array([1, 0]), Ragged.from_sequences([[9, 9]]), np.array([1])
    )
    save_raw_npz(tmp_path / "raw.npz", raw)
    back = read_raw_npz(tmp_path / "raw.npz")
    assert back.x_train.to_lists() == [[5, 6, 7], [8]] and back.x_test.to_lists() == [[9, 9]]
    assert back.y_train.tolist() == [1, 0] and back.y_test.tolist() == [1]
    with pytest.raises(dataclasses.FrozenInstanceError):
        back.y_train = np.array([0, 0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        back.x_train.values = np.array([1])


def test_a_raw_file_without_its_arrays_or_with_a_pickle_is_refused(tmp_path):
    from chapter12.imdb.ragged import read_raw_npz

    np.savez(tmp_path / "partial.npz", train_values=np.array([1]), y_train=np.array([1]))
    with pytest.raises(Chapter12Error) as refused:
        read_raw_npz(tmp_path / "partial.npz")
    assert str(refused.value) == (
        f"{tmp_path / 'partial.npz'} lacks train_offsets, test_values, test_offsets, y_test; "
        "it is not a chapter12 data file"
    )
    np.savez(
        tmp_path / "damaged.npz",
        train_values=np.array([5, 6]),
        train_offsets=np.array([0, 3]),  # claims three values, holds two
        y_train=np.array([1]),
        test_values=np.array([7]),
        test_offsets=np.array([0, 1]),
        y_test=np.array([0]),
    )
    with pytest.raises(Chapter12Error) as refused:
        read_raw_npz(tmp_path / "damaged.npz")
    assert str(refused.value) == f"{tmp_path / 'damaged.npz'}: the train offsets do not match its values; it is damaged"
    arrays = {k: np.array([0, 1]) for k in ("train_values", "train_offsets", "test_values", "test_offsets", "y_test")}
    np.savez(tmp_path / "pickled.npz", y_train=np.array([{"not": "a label"}], dtype=object), **arrays)
    with pytest.raises(ValueError, match="allow_pickle=False"):  # never unpickled
        read_raw_npz(tmp_path / "pickled.npz")


# ----------------------------------------------------------------------------- the front of the data layer (load.py)


def test_load_imdb_takes_keras_load_datas_defaults():
    # A user who leaves an argument out gets what Keras's load_data gives without it (num_words aside: the book's).
    import inspect

    import keras

    ours = inspect.signature(load_imdb).parameters
    theirs = inspect.signature(keras.datasets.imdb.load_data).parameters
    shared = set(ours) & set(theirs) - {"num_words", "kwargs"}
    assert shared == {"skip_top", "maxlen", "seed", "start_char", "oov_char", "index_from"}
    assert {p: ours[p].default for p in shared} == {p: theirs[p].default for p in shared}
    assert ours["num_words"].default == 2500


def test_skip_top_counts_indices_so_below_two_it_keeps_every_word(tiny_reviews, tmp_path):
    # Keras keeps an index w where skip_top <= w < num_words, and the words start at index_from + 1 = 4 (1 is the
    # start mark): skip_top 0 and 1 give the same arrays, 2 turns the start mark into the unknown-word mark. This
    # is why load_padded's skip_top=0 and a skip_top=1 cannot differ (docs/testing.md).
    x_train, y_train, x_test, y_test = tiny_reviews
    npz = write_keras_npz(tmp_path / "imdb.npz", [[1, *x] for x in x_train], y_train, x_test, y_test)
    (zero, _), _ = load_imdb(num_words=20, skip_top=0, source=npz)
    (one, _), _ = load_imdb(num_words=20, skip_top=1, source=npz)
    (two, _), _ = load_imdb(num_words=20, skip_top=2, source=npz)
    assert [list(x) for x in zero] == [list(x) for x in one]
    assert all(x[1] == 4 for x in zero) and all(x[0] == 1 for x in zero)  # the rank-1 word is there, and kept
    assert all(x[0] == 2 for x in two)


def test_pad_data_pads_what_load_imdb_gave_and_keeps_its_source(tiny_npz):
    from chapter12.book import BookConfig
    from chapter12.imdb import pad_data, resolve_source

    source = resolve_source(tiny_npz)
    loaded = load_imdb(num_words=20, source=source)
    data = pad_data(loaded, BookConfig(maxlen=15), source)
    (x_train, y_train), (x_test, y_test) = loaded
    np.testing.assert_array_equal(data.x_train, pad(x_train, maxlen=15))
    np.testing.assert_array_equal(data.x_test, pad(x_test, maxlen=15))
    np.testing.assert_array_equal(data.y_train, y_train)
    np.testing.assert_array_equal(data.y_test, y_test)
    assert data.source == source
    assert data.describe() == f"30 training and 20 test reviews from the npz: {tiny_npz}"


def test_decode_review_shows_an_index_outside_the_word_index_as_a_question_mark():
    assert decode_review([1, 2, 0, 4, 5, 99], {"good": 1, "film": 2}) == "[START] [OOV] [PAD] good film [?]"
    assert decode_review([1, 2, 4], {"good": 1}, start_char=None, oov_char=None) == "[?] [?] good"


# ----------------------------------------------------------------------------- the bundled sample's draw (sample.py)


def test_the_sample_is_a_seeded_balanced_draw_of_the_stanford_reviews_in_their_order(tiny_targz, cache, tmp_path):
    from chapter12.imdb.ragged import read_raw_npz
    from chapter12.imdb.sample import build_sample
    from chapter12.imdb.sources import SAMPLE_FILE

    raw = resolve_source(tiny_targz, vocabulary="keras").raw()
    train, test = [raw.x_train.to_lists(), list(raw.y_train)], [raw.x_test.to_lists(), list(raw.y_test)]
    drawn = {}
    for seed in (0, 1, 0):
        out = tmp_path / f"seed{seed}"
        out.mkdir(exist_ok=True)
        assert build_sample(tiny_targz, out, n_train=4, n_test=2, seed=seed) == [out / SAMPLE_FILE]
        sample = read_raw_npz(out / SAMPLE_FILE)
        for (xs, ys), (all_x, all_y), n in (
            ((sample.x_train.to_lists(), list(sample.y_train)), train, 4),
            ((sample.x_test.to_lists(), list(sample.y_test)), test, 2),
        ):
            assert sorted(ys) == [0] * (n // 2) + [1] * (n // 2)  # as many of each label
            where = [all_x.index(x) for x in xs]  # every review is one of the split's own, with its label
            assert where == sorted(where) and [all_y[i] for i in where] == ys  # in the split's order
        drawn.setdefault(seed, []).append((sample.x_train.to_lists(), sample.x_test.to_lists()))
    assert drawn[0][0] == drawn[0][1]  # the same seed draws the same reviews
    # All of a label's reviews can be drawn (3 of each in the training split, 2 in the test split), each once.
    everything = tmp_path / "everything"
    everything.mkdir()
    sample = read_raw_npz(build_sample(tiny_targz, everything, n_train=6, n_test=4)[0])
    assert sample.x_train.to_lists() == train[0] and sample.x_test.to_lists() == test[0]
    assert drawn[1][0] != drawn[0][0]  # and another seed others (seeds 0 and 1 do, on these reviews)


def test_the_sample_refuses_what_it_cannot_draw_from(tiny_targz, tiny_npz, cache, tmp_path):
    from chapter12.imdb.sample import build_sample

    with pytest.raises(Chapter12Error) as e:
        build_sample(tiny_targz, tmp_path, n_train=8, n_test=2)  # 3 reviews of each label in the training split
    assert str(e.value) == "only 3 reviews with label 0; the sample needs 4"
    with pytest.raises(Chapter12Error) as e:
        build_sample(tiny_npz, tmp_path)
    assert str(e.value) == f"the sample is drawn from the Stanford reviews; npz: {tiny_npz} is not that"
    assert list(tmp_path.glob("*.npz")) == []


def test_the_bundled_sample_has_the_sizes_make_sample_draws():
    # make-sample's defaults drew the file the package carries (tests/test_full.py rebuilds it from the archive).
    from chapter12.imdb.sample import SAMPLE_TEST, SAMPLE_TRAIN

    raw = resolve_source("sample").raw()
    assert (len(raw.y_train), len(raw.y_test)) == (SAMPLE_TRAIN, SAMPLE_TEST) == (16000, 2000)
    assert np.bincount(raw.y_train).tolist() == [8000, 8000] and np.bincount(raw.y_test).tolist() == [1000, 1000]
