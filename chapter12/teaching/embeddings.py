"""Pre-trained word vectors (section 12.3.3) for an IMDB-style word index.

Typical use with the Keras IMDB data, where ``word_index`` comes from
``keras.datasets.imdb.get_word_index()``::

    vectors = load_word_vectors("glove.6B.100d.txt", vocabulary=word_index)
    matrix, found = build_embedding_matrix(word_index, vectors, num_words=2500)
    embedding = keras.layers.Embedding(
        2500,                       # num_words, the same value given to imdb.load_data
        matrix.shape[1],            # the vectors' dimension
        embeddings_initializer=keras.initializers.Constant(matrix),
        trainable=False,            # keep the pre-trained vectors as they are
    )

Row ``i`` of the matrix is the vector of the word whose sequence index is ``i``, so the
layer looks up the same numbers the pre-trained model learned for that word.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from os import PathLike

import numpy as np

from chapter12.errors import Chapter12Error


def _parse_header(parts: list[str]) -> tuple[int, int] | None:
    # A word2vec text file starts with "count dim"; a GloVe line has a word then >= 1 number,
    # so two integers on the first line can only be that header.
    if len(parts) == 2 and all(part.isascii() and part.isdigit() for part in parts):
        return int(parts[0]), int(parts[1])
    return None


def load_word_vectors(
    path: str | PathLike[str],
    *,
    vocabulary: Collection[str] | None = None,
    dtype: np.dtype | type = np.float32,
) -> dict[str, np.ndarray]:
    """Read a GloVe or word2vec text file into a dict mapping each word to its vector.

    Each line is ``word v1 v2 ... v_dim`` separated by single spaces. A word2vec text file
    starts with a ``count dim`` header line, which is detected and checked; a GloVe file
    has no header and its dimension is taken from the first line. Blank lines are
    skipped. The file is read as UTF-8, with undecodable bytes replaced rather than
    failing, because several published vector files contain a few broken bytes.

    With ``vocabulary`` (any collection of words, e.g. a Keras ``word_index`` dict) only
    those words are kept, and the numbers on the other lines are never converted, so a
    multi-gigabyte file costs memory only for the words a model can use. Every line's
    length is still checked. When a word appears twice the first vector wins.

    Raises Chapter12Error (a ValueError), naming the line, for a line with the wrong
    number of values or a value that is not a number, and for an empty file or a header
    that does not match.
    Words containing spaces (a handful of lines in glove.840B) therefore raise too.
    """
    keep = None if vocabulary is None else set(vocabulary)
    vectors: dict[str, np.ndarray] = {}
    dim: int | None = None
    header: tuple[int, int] | None = None
    header_line = 0
    vector_lines = 0
    first_line = True

    with open(path, encoding="utf-8", errors="replace") as handle:
        for line_number, line in enumerate(handle, start=1):
            parts = line.rstrip().split(" ")
            if parts == [""]:
                continue
            if first_line:
                first_line = False
                header = _parse_header(parts)
                if header is not None:
                    header_line = line_number
                    dim = header[1]
                    if dim < 1:
                        raise Chapter12Error(
                            f"{path}, line {line_number}: the header says dimension {dim}; "
                            "a word2vec header is 'count dim' with dim >= 1"
                        )
                    continue
            if dim is None:
                dim = len(parts) - 1
                if dim < 1:
                    raise Chapter12Error(
                        f"{path}, line {line_number}: found a word with no values; each line should be 'word v1 v2 ...'"
                    )
            if len(parts) != dim + 1:
                raise Chapter12Error(
                    f"{path}, line {line_number}: expected a word and {dim} values but found "
                    f"{len(parts) - 1} values; check that the file is a complete GloVe or "
                    "word2vec text file (word2vec binary files are not supported)"
                )
            vector_lines += 1
            word = parts[0]
            if (keep is not None and word not in keep) or word in vectors:
                continue
            try:
                vectors[word] = np.array(parts[1:], dtype=dtype)
            except ValueError as error:
                raise Chapter12Error(
                    f"{path}, line {line_number}: the values for {word!r} are not all "
                    f"numbers ({error}); each line should be 'word v1 v2 ...'"
                ) from error

    if vector_lines == 0:
        raise Chapter12Error(
            f"{path} holds no word vectors; expected lines of 'word v1 v2 ...', optionally after a 'count dim' header"
        )
    if header is not None and header[0] != vector_lines:
        raise Chapter12Error(
            f"{path}: the header on line {header_line} announces {header[0]} vectors but the "
            f"file holds {vector_lines}; the file may be truncated, download it again"
        )
    return vectors


def build_embedding_matrix(
    word_index: Mapping[str, int],
    vectors: Mapping[str, np.ndarray],
    *,
    num_words: int,
    index_from: int = 3,
) -> tuple[np.ndarray, int]:
    """Lay pre-trained vectors out as a (num_words, dim) matrix for a Keras word index.

    Returns the matrix and the number of words that got a vector.
    Follows ``keras.datasets.imdb``: ``word_index`` maps a word to its frequency rank
    (1 = most frequent), and the word's value in a sequence is ``rank + index_from``.
    Rows 0 .. index_from - 1 are reserved (padding, start of sequence, out of vocabulary)
    and stay zero, as do the rows of words without a pre-trained vector. Words whose
    sequence index is ``num_words`` or more are left out, matching what
    ``imdb.load_data(num_words=...)`` keeps.
    """
    if not isinstance(num_words, (int, np.integer)) or num_words < 1:
        raise Chapter12Error(f"num_words must be a positive integer; got {num_words!r}")
    if not isinstance(index_from, (int, np.integer)) or index_from < 0:
        raise Chapter12Error(f"index_from must be a non-negative integer; got {index_from!r}")
    if not vectors:
        raise Chapter12Error(
            "vectors is empty, so the embedding dimension is unknown; load some vectors "
            "first (check the vocabulary passed to load_word_vectors)"
        )
    first = np.asarray(next(iter(vectors.values())))
    if first.ndim != 1:
        raise Chapter12Error(f"each vector must be 1-D; got shape {first.shape}")
    dim = first.shape[0]

    matrix = np.zeros((num_words, dim), dtype=first.dtype)
    found = 0
    for word, rank in word_index.items():
        if rank < 1:
            raise Chapter12Error(
                f"word_index gives {word!r} rank {rank}; Keras word indexes count from 1, "
                "so pass the index from imdb.get_word_index() or a Tokenizer"
            )
        row = rank + index_from
        if row >= num_words or word not in vectors:
            continue
        vector = np.asarray(vectors[word])
        if vector.shape != (dim,):
            raise Chapter12Error(
                f"the vector for {word!r} has shape {vector.shape} but the others have "
                f"({dim},); all vectors must come from the same file"
            )
        matrix[row] = vector
        found += 1
    return matrix, found


def cosine_similarity(u: np.ndarray, v: np.ndarray) -> float:
    """Cosine of the angle between two vectors: 1 same direction, 0 unrelated, -1 opposite."""
    u = np.asarray(u, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    if u.ndim != 1 or u.shape != v.shape:
        raise Chapter12Error(f"u and v must be 1-D vectors of the same length; got shapes {u.shape} and {v.shape}")
    norms = np.linalg.norm(u) * np.linalg.norm(v)
    if norms == 0:
        raise Chapter12Error(
            "cosine similarity is undefined for an all-zero vector; in an embedding matrix "
            "zero rows are reserved indexes or words without a pre-trained vector"
        )
    return float(u @ v / norms)


def nearest_neighbours(
    matrix: np.ndarray,
    word_index: Mapping[str, int],
    word: str,
    *,
    k: int = 5,
    index_from: int = 3,
) -> list[tuple[str, float]]:
    """The k words whose rows of ``matrix`` are most cosine-similar to ``word``'s row, best first.

    Rows are found as in :func:`build_embedding_matrix` (``rank + index_from``). The
    reserved rows, all-zero rows (words without a vector) and the word itself are skipped.
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2:
        raise Chapter12Error(f"matrix must be 2-D (num_words, dim); got shape {matrix.shape}")
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise Chapter12Error(f"k must be a positive integer; got {k!r}")
    if word not in word_index:
        raise Chapter12Error(f"{word!r} is not in word_index; pick a word from the vocabulary")
    row = word_index[word] + index_from
    num_words = matrix.shape[0]
    if row >= num_words:
        raise Chapter12Error(
            f"{word!r} has sequence index {row} but the matrix has only {num_words} rows; "
            "pick a more frequent word or build the matrix with a larger num_words"
        )

    norms = np.linalg.norm(matrix, axis=1)
    if norms[row] == 0:
        raise Chapter12Error(f"{word!r} has no vector (its row {row} is all zeros)")
    similarity = matrix @ matrix[row] / np.where(norms == 0, 1.0, norms) / norms[row]

    words_by_row = {
        rank + index_from: other for other, rank in word_index.items() if index_from <= rank + index_from < num_words
    }
    candidates = [r for r in words_by_row if r != row and norms[r] > 0]
    candidates.sort(key=lambda r: -similarity[r])
    return [(words_by_row[r], float(similarity[r])) for r in candidates[:k]]


def pca_2d(vectors: np.ndarray) -> np.ndarray:
    """Coordinates of each row of vectors (n, dim) on its first two principal components: shape (n, 2).

    The rows are centred and the directions come from NumPy's SVD, so the first column
    spreads the words out the most and the second the most of what is left. An SVD's signs
    are arbitrary; each axis is turned so that its largest loading is positive, which keeps
    a map from flipping between runs.
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    if vectors.ndim != 2 or vectors.shape[0] < 2 or vectors.shape[1] < 2:
        raise Chapter12Error(
            f"vectors must be 2-D (n, dim) with at least two rows and two columns; got shape {vectors.shape}"
        )
    if not np.all(np.isfinite(vectors)):
        raise Chapter12Error("vectors hold NaN or infinite values; pass finite word vectors")
    centred = vectors - vectors.mean(axis=0)
    _, _, directions = np.linalg.svd(centred, full_matrices=False)
    directions = directions[:2]
    signs = np.sign(directions[np.arange(2), np.abs(directions).argmax(axis=1)])
    return centred @ (directions * signs[:, None]).T


def vectors_from_matrix(
    matrix: np.ndarray, word_index: Mapping[str, int], *, index_from: int = 3, limit: int | None = None
) -> dict[str, np.ndarray]:
    """The rows of an embedding matrix as {word: vector}, most frequent words first (at most `limit`)."""
    ranked = sorted((rank, word) for word, rank in word_index.items() if 0 < rank and rank + index_from < len(matrix))
    if limit is not None:
        ranked = ranked[:limit]
    return {word: matrix[rank + index_from] for rank, word in ranked}


def save_word_vectors(path: str | PathLike, vectors: Mapping[str, np.ndarray]) -> None:
    """Write vectors as a GloVe text file (one 'word v1 v2 ...' line each), atomically."""
    from pathlib import Path

    from chapter12.files import atomic_write

    for word in vectors:
        if not word or any(c.isspace() for c in word):
            raise Chapter12Error(f"cannot save the word {word!r}: GloVe text files need words without spaces")
    text = "".join(word + " " + " ".join(f"{v:.6f}" for v in vector) + "\n" for word, vector in vectors.items())
    atomic_write(Path(path), lambda f: f.write(text.encode("utf-8")))
