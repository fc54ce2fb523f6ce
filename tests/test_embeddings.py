"""Tests for chapter12.teaching.embeddings on tiny hand-written vector files."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from chapter12.teaching.embeddings import (
    build_embedding_matrix,
    cosine_similarity,
    load_word_vectors,
    nearest_neighbours,
)

# Three-dimensional vectors: small for test speed, and easy to check by eye.
GLOVE = """the 0.1 0.2 0.3
movie 1.0 0.0 0.0
film 0.9 0.1 0.0
bad 0.0 0.0 -1.0
"""


def _write(tmp_path, text, name="vectors.txt", encoding="utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def test_reads_glove_format(tmp_path):
    vectors = load_word_vectors(_write(tmp_path, GLOVE))

    assert list(vectors) == ["the", "movie", "film", "bad"]
    np.testing.assert_allclose(vectors["film"], [0.9, 0.1, 0.0], rtol=1e-6)
    assert vectors["film"].dtype == np.float32


def test_reads_word2vec_text_format_with_header(tmp_path):
    vectors = load_word_vectors(_write(tmp_path, "4 3\n" + GLOVE), dtype=np.float64)

    assert len(vectors) == 4
    assert "4" not in vectors  # the header is not a word
    assert vectors["bad"].dtype == np.float64
    np.testing.assert_array_equal(vectors["bad"], [0.0, 0.0, -1.0])


def test_word2vec_header_must_match_the_file(tmp_path):
    with pytest.raises(ValueError, match="announces 5 vectors but the file holds 4"):
        load_word_vectors(_write(tmp_path, "5 3\n" + GLOVE))
    with pytest.raises(ValueError, match="line 2: expected a word and 2 values but found 3"):
        load_word_vectors(_write(tmp_path, "4 2\n" + GLOVE))


def test_vocabulary_keeps_only_the_words_asked_for(tmp_path):
    word_index = {"movie": 1, "bad": 2, "unseen": 3}  # a Keras-style index works as is

    vectors = load_word_vectors(_write(tmp_path, GLOVE), vocabulary=word_index)

    assert set(vectors) == {"movie", "bad"}


def test_line_with_wrong_number_of_values_is_named(tmp_path):
    text = GLOVE + "good 0.5 0.5\n"  # line 5 lost a value
    with pytest.raises(ValueError, match="line 5: expected a word and 3 values but found 2"):
        load_word_vectors(_write(tmp_path, text))
    # Skipping a word does not skip checking its line.
    with pytest.raises(ValueError, match="line 5"):
        load_word_vectors(_write(tmp_path, text), vocabulary={"movie"})


def test_non_numeric_value_is_named(tmp_path):
    text = GLOVE.replace("film 0.9", "film zero")
    with pytest.raises(ValueError, match=r"line 3: the values for 'film' are not all numbers"):
        load_word_vectors(_write(tmp_path, text))


def test_empty_file_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="holds no word vectors"):
        load_word_vectors(_write(tmp_path, ""))
    with pytest.raises(ValueError, match="holds no word vectors"):
        load_word_vectors(_write(tmp_path, "0 3\n\n"))


def test_undecodable_bytes_are_replaced_not_fatal(tmp_path):
    path = tmp_path / "broken.txt"
    path.write_bytes(b"caf\xe9 1.0 2.0\nnaive 3.0 4.0\n")  # latin-1 byte in a UTF-8 file

    vectors = load_word_vectors(path)

    assert "caf\ufffd" in vectors
    np.testing.assert_array_equal(vectors["naive"], [3.0, 4.0])


def test_embedding_matrix_rows_are_rank_plus_index_from():
    word_index = {"the": 1, "movie": 2, "film": 3, "bad": 4, "nope": 5}
    vectors = {
        "the": np.array([1.0, 0.0]),
        "movie": np.array([0.0, 1.0]),
        "bad": np.array([-1.0, -1.0]),
        "nope": np.array([5.0, 5.0]),
    }

    # num_words=7 keeps sequence indexes 0..6, so "bad" (4 + 3 = 7) and "nope" fall outside.
    matrix, found = build_embedding_matrix(word_index, vectors, num_words=7)

    assert matrix.shape == (7, 2)
    assert found == 2
    np.testing.assert_array_equal(matrix[:3], 0)  # padding, start, out-of-vocabulary
    np.testing.assert_array_equal(matrix[1 + 3], vectors["the"])
    np.testing.assert_array_equal(matrix[2 + 3], vectors["movie"])
    np.testing.assert_array_equal(matrix[3 + 3], 0)  # "film" has no vector

    shifted, _ = build_embedding_matrix(word_index, vectors, num_words=7, index_from=0)
    np.testing.assert_array_equal(shifted[1], vectors["the"])


def test_embedding_matrix_rejects_bad_arguments():
    with pytest.raises(ValueError, match="vectors is empty"):
        build_embedding_matrix({"a": 1}, {}, num_words=5)
    with pytest.raises(ValueError, match="num_words"):
        build_embedding_matrix({"a": 1}, {"a": np.ones(2)}, num_words=0)
    with pytest.raises(ValueError, match="count from 1"):
        build_embedding_matrix({"a": 0}, {"a": np.ones(2)}, num_words=5)


def test_cosine_similarity():
    assert cosine_similarity([1.0, 0.0], [2.0, 0.0]) == pytest.approx(1.0)
    assert cosine_similarity([1.0, 0.0], [0.0, 3.0]) == pytest.approx(0.0)
    assert cosine_similarity([1.0, 1.0], [-1.0, -1.0]) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="all-zero"):
        cosine_similarity([0.0, 0.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="same length"):
        cosine_similarity([1.0, 0.0], [1.0, 0.0, 0.0])


def _neighbour_setup():
    word_index = {"movie": 1, "film": 2, "bad": 3, "awful": 4, "missing": 5, "rare": 9}
    matrix = np.zeros((9, 2))
    # Reserved row 1 points the same way as "movie": it must never be returned.
    matrix[1] = [1.0, 0.0]
    matrix[4] = [1.0, 0.05]  # movie
    matrix[5] = [0.9, 0.2]  # film: closest to movie
    matrix[6] = [0.0, -1.0]  # bad
    matrix[7] = [0.1, -0.9]  # awful: closest to bad
    # "missing" (row 8) stays zero: a word without a pre-trained vector.
    return matrix, word_index


def test_nearest_neighbours_finds_the_constructed_neighbour():
    matrix, word_index = _neighbour_setup()

    neighbours = nearest_neighbours(matrix, word_index, "movie", k=2)

    assert [word for word, _ in neighbours] == ["film", "awful"]
    assert neighbours[0][1] == pytest.approx(cosine_similarity(matrix[4], matrix[5]))
    assert nearest_neighbours(matrix, word_index, "bad", k=1)[0][0] == "awful"
    # Only three other words have vectors, so asking for more returns those three.
    assert len(nearest_neighbours(matrix, word_index, "movie", k=10)) == 3


def test_nearest_neighbours_rejects_unknown_or_out_of_range_words():
    matrix, word_index = _neighbour_setup()
    with pytest.raises(ValueError, match="'cinema' is not in word_index"):
        nearest_neighbours(matrix, word_index, "cinema")
    with pytest.raises(ValueError, match="sequence index 12 but the matrix has only 9 rows"):
        nearest_neighbours(matrix, word_index, "rare")
    with pytest.raises(ValueError, match="no vector"):
        nearest_neighbours(matrix, word_index, "missing")


def test_keras_embedding_initialised_with_the_matrix_returns_its_rows(tmp_path):
    keras = pytest.importorskip("keras")
    word_index = {"the": 1, "movie": 2, "film": 3, "bad": 4}
    vectors = load_word_vectors(_write(tmp_path, GLOVE), vocabulary=word_index)
    num_words = 6  # small for test speed; keeps rows 4 ("the") and 5 ("movie"), cuts "film"
    matrix, found = build_embedding_matrix(word_index, vectors, num_words=num_words)
    assert found == 2

    embedding = keras.layers.Embedding(
        num_words,
        matrix.shape[1],
        embeddings_initializer=keras.initializers.Constant(matrix),
        trainable=False,
    )
    sequences = np.array([[1, 4, 5, 0], [5, 5, 4, 2]])  # start, the, movie, padding ...
    looked_up = np.asarray(embedding(sequences))

    assert looked_up.shape == (2, 4, 3)
    np.testing.assert_allclose(looked_up, matrix[sequences])
    np.testing.assert_allclose(looked_up[0, 2], vectors["movie"])
    assert not embedding.trainable_weights


def test_pca_2d_keeps_distances_of_points_in_a_plane_and_rejects_bad_input():
    from chapter12.teaching.embeddings import pca_2d

    rng = np.random.default_rng(0)
    plane = rng.normal(size=(7, 2)) * [3.0, 1.0]  # a wide direction and a narrow one
    rotation, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    vectors = np.hstack([plane, np.zeros((7, 3))]) @ rotation.T + 4.0  # the plane, turned and moved in 5-D

    coords = pca_2d(vectors)

    assert coords.shape == (7, 2)
    np.testing.assert_allclose(coords.mean(axis=0), 0.0, atol=1e-12)  # centred

    # Two components hold a plane completely: every pairwise distance survives the projection.
    def distances(points):
        return np.linalg.norm(points[:, None, :] - points[None, :, :], axis=-1)

    np.testing.assert_allclose(distances(coords), distances(vectors), atol=1e-9)
    assert coords[:, 0].var() >= coords[:, 1].var()  # the first component spreads the most
    np.testing.assert_allclose(pca_2d(vectors * 2.0), 2.0 * coords, atol=1e-9)  # same signs on every call
    for bad in (np.ones(5), np.ones((1, 4)), np.array([[0.0, np.nan], [1.0, 2.0]])):
        with pytest.raises(ValueError):
            pca_2d(bad)


def test_vectors_from_matrix_round_trip_through_a_glove_file(tmp_path):
    from chapter12.teaching.embeddings import save_word_vectors, vectors_from_matrix

    word_index = {"good": 1, "bad": 2, "rare": 9}
    matrix = np.arange(8 * 3, dtype=np.float32).reshape(8, 3)  # rows 0-2 reserved; "rare" (row 12) is outside
    vectors = vectors_from_matrix(matrix, word_index)
    assert list(vectors) == ["good", "bad"]
    np.testing.assert_array_equal(vectors["good"], matrix[4])
    assert list(vectors_from_matrix(matrix, word_index, limit=1)) == ["good"]
    save_word_vectors(tmp_path / "v.txt", vectors)
    again = load_word_vectors(tmp_path / "v.txt")
    np.testing.assert_allclose(again["bad"], matrix[5])
    with pytest.raises(ValueError, match="without spaces"):
        save_word_vectors(tmp_path / "w.txt", {"two words": matrix[4]})
