"""Tests for chapter12.teaching.toy: the tiny tagged-sentence tasks and the taggers built on them."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from chapter12.errors import Chapter12Error
from chapter12.teaching.toy import (
    APRIL_SENTENCES,
    april_data,
    build_tagger,
    build_vocabulary,
    name_recognition_data,
    one_hot,
    random_sequences,
    tag_sentences,
    train_tagger,
)


def test_name_data_starts_with_the_books_sentence():
    names = name_recognition_data()

    assert names.sentences[0] == ["use", "netlify", "and", "hugo", "."]
    assert names.y[0, :, 0].tolist() == [0, 1, 0, 1, 0]
    m, steps, vocab = names.x.shape
    assert (m, steps) == (len(names.sentences), 5) and vocab == len(names.vocabulary)
    assert names.y.shape == (m, steps, 1) and names.y.dtype == np.float32
    # One-hot: a single 1 per token, at the token's own position in the vocabulary.
    assert np.all(names.x.sum(axis=2) == 1)
    assert names.vocabulary[int(names.x[0, 1].argmax())] == "netlify"


def test_names_appear_at_several_positions():
    names = name_recognition_data()
    positions = {t for row in names.y[:, :, 0] for t in np.flatnonzero(row)}
    assert len(positions) >= 3  # a model cannot get away with learning positions


def test_one_hot_and_vocabulary():
    assert build_vocabulary([["b", "a"], ["a", "c"]]) == ["b", "a", "c"]
    np.testing.assert_array_equal(one_hot(["b", "a"], ["a", "b", "c"]), [[0, 1, 0], [1, 0, 0]])
    with pytest.raises(Chapter12Error, match="not in the vocabulary"):
        one_hot(["d"], ["a", "b"])
    with pytest.raises(Chapter12Error, match="twice"):
        one_hot(["a"], ["a", "a"])


@pytest.mark.parametrize(
    "tagged, message",
    [
        ([], "no sentences"),
        ([("a b c", (0, 1))], "3 words but 2 labels"),
        ([("a b", (0, 2))], "0 or 1"),
        ([("a b", (0, 1)), ("a b c", (0, 1, 0))], "same"),
    ],
)
def test_tag_sentences_rejects_bad_input(tagged, message):
    with pytest.raises(Chapter12Error, match=message):
        tag_sentences(tagged)


def test_april_sentences_differ_only_after_april():
    april = april_data()
    p = april.word_position("april")

    assert p == 3 and april.sentences[0][: p + 1] == april.sentences[1][: p + 1]
    assert april.y[0, p, 0] == 1 and april.y[1, p, 0] == 0
    np.testing.assert_array_equal(april.x[0, : p + 1], april.x[1, : p + 1])
    assert len(april.sentences) == len(APRIL_SENTENCES)
    with pytest.raises(Chapter12Error, match="not in sentence"):
        april.word_position("kepner", sentence=1)


def test_random_sequences_are_seeded_and_scaled():
    x = random_sequences(64, 50, 4, scale=0.5, seed=3)

    assert x.shape == (64, 50, 4) and x.dtype == np.float32
    np.testing.assert_array_equal(x, random_sequences(64, 50, 4, scale=0.5, seed=3))
    assert not np.array_equal(x, random_sequences(64, 50, 4, scale=0.5, seed=4))
    assert 0.45 < x.std() < 0.55
    with pytest.raises(Chapter12Error, match="scale"):
        random_sequences(2, 3, 4, scale=0)
    with pytest.raises(Chapter12Error, match="steps"):
        random_sequences(2, 0, 4)


@pytest.mark.parametrize("kind, bidirectional", [("simple_rnn", False), ("lstm", False), ("simple_rnn", True)])
def test_tagger_outputs_one_probability_per_token(kind, bidirectional):
    names = name_recognition_data()
    model = build_tagger(len(names.vocabulary), units=3, kind=kind, bidirectional=bidirectional)

    y_hat = np.asarray(model(names.x))
    assert y_hat.shape == names.y.shape
    assert np.all((y_hat > 0) & (y_hat < 1))


def test_build_tagger_rejects_bad_arguments():
    with pytest.raises(Chapter12Error, match="kind"):
        build_tagger(5, kind="gru")
    with pytest.raises(Chapter12Error, match="learning_rate"):
        build_tagger(5, learning_rate=0)
    with pytest.raises(Chapter12Error, match="units"):
        build_tagger(5, units=0)


def test_left_to_right_tagger_cannot_see_past_april_but_bidirectional_can():
    april = april_data()
    p = april.word_position("april")
    one_way = np.asarray(build_tagger(len(april.vocabulary), units=4)(april.x))
    both_ways = np.asarray(build_tagger(len(april.vocabulary), units=4, bidirectional=True)(april.x))

    # Untrained weights are enough: the first p + 1 tokens agree, so a left-to-right RNN agrees there too.
    np.testing.assert_array_equal(one_way[0, : p + 1], one_way[1, : p + 1])
    assert np.abs(both_ways[0, p] - both_ways[1, p]).max() > 1e-6


def test_train_tagger_learns_the_names():
    names = name_recognition_data()
    # 60 full-batch steps and 4 units: small for test speed, enough for this task.
    model = train_tagger(names, units=4, steps=60, seed=0)

    predicted = np.asarray(model(names.x)) > 0.5
    np.testing.assert_array_equal(predicted, names.y == 1)
    unseen = tag_sentences([("github hosts jekyll sites .", (1, 0, 1, 0, 0))], vocabulary=names.vocabulary)
    np.testing.assert_array_equal(np.asarray(model(unseen.x)) > 0.5, unseen.y == 1)


def test_train_tagger_is_reproducible_with_a_seed():
    april = april_data()
    first = np.asarray(train_tagger(april, units=3, steps=5, seed=1)(april.x))
    second = np.asarray(train_tagger(april, units=3, steps=5, seed=1)(april.x))
    np.testing.assert_allclose(first, second, rtol=0, atol=1e-7)
    with pytest.raises(Chapter12Error, match="seed"):
        train_tagger(april, steps=1, seed=1.5)
