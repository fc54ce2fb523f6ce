"""Words: Keras's word index (shipped with the package), reading and checking word-index files,
the two tokenizers, and turning indices back into words.

Two vocabularies exist for the Stanford reviews:

- ``"keras"``: the words exactly as Keras's imdb.npz has them, ranked by Keras's own word index.
  The tokenizer is Keras's `text_to_word_sequence` with its default filters, applied to the
  review's bytes: ASCII letters are lower-cased and every other byte is kept, the punctuation
  ``!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~``, tab and newline become spaces, and words are split at
  spaces. So ``<br />`` leaves the word "br", apostrophes stay inside words, and a capital like
  "Ü" stays a capital. (imdb.npz was built with Python 2, whose byte strings lower-case ASCII only;
  Python 3's Unicode `str.lower` would give 19 training words that Keras's index does not have.)
- ``"clean"``: chapter12's own tokenization: Unicode lower case, ``<br />`` tags removed, words
  are runs of letters or digits with inner apostrophes; ranked by the training reviews' counts.
"""

from __future__ import annotations

import gzip
import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

from chapter12.checks import check_vocabulary
from chapter12.errors import Chapter12Error

KERAS_WORD_INDEX_FILE = "keras_imdb_word_index.json.gz"

# keras.preprocessing.text.text_to_word_sequence's default `filters`: every ASCII punctuation mark
# but the apostrophe, and tab and newline.
KERAS_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
_KERAS_TABLE = bytes.maketrans(KERAS_FILTERS.encode("ascii"), b" " * len(KERAS_FILTERS))
# The clean tokenizer: a word is a run of letters or digits, with inner apostrophes ("don't", "it's").
WORD_PATTERN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def keras_words(review: bytes) -> list[bytes]:
    """The words of a review's bytes as Keras's imdb.npz has them (see the module's docstring)."""
    return [w for w in review.lower().translate(_KERAS_TABLE).split(b" ") if w]


def clean_words(text: str) -> list[str]:
    """The words of a review for the clean vocabulary: lower case, `<br />` removed, letters/digits/inner
    apostrophes."""
    return WORD_PATTERN.findall(text.lower().replace("<br />", " "))


def tokenize(text: str, vocabulary: str = "keras") -> list[str]:
    """Split a review into words as the given vocabulary does ("keras": as imdb.npz; "clean": chapter12's own)."""
    if check_vocabulary(vocabulary) == "clean":
        return clean_words(text)
    return [w.decode("utf-8", errors="replace") for w in keras_words(text.encode("utf-8"))]


def check_word_index(index, where: str) -> dict[str, int]:
    """Return index if it maps words to positive whole ranks, else raise a Chapter12Error naming `where`."""
    if not isinstance(index, dict):
        raise Chapter12Error(
            f"{where} is not a word -> rank mapping (a JSON object); get a fresh copy of imdb_word_index.json"
        )
    for word, rank in index.items():
        if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
            raise Chapter12Error(
                f"{where} is not a word -> rank mapping: {word!r} maps to {rank!r}, not a whole number of at least 1; "
                "get a fresh copy of imdb_word_index.json"
            )
    return index


def read_word_index(path: "str | Path") -> dict[str, int]:
    """Read a word index written as JSON (gzipped when the name ends in .gz) and check it."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if path.name.endswith(".gz"):
            raw = gzip.decompress(raw)
        index = json.loads(raw.decode("utf-8"))
    except (OSError, EOFError, ValueError, UnicodeDecodeError) as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise Chapter12Error(f"{path} is not valid JSON ({reason}); get a fresh copy of imdb_word_index.json") from None
    return check_word_index(index, str(path))


def keras_word_index_path() -> Path:
    """Keras's imdb_word_index.json as shipped inside chapter12 (gzipped)."""
    return Path(str(resources.files("chapter12.imdb") / "files" / KERAS_WORD_INDEX_FILE))


@lru_cache(maxsize=1)
def _keras_word_index_items() -> tuple[tuple[str, int], ...]:
    return tuple(read_word_index(keras_word_index_path()).items())


def keras_word_index() -> dict[str, int]:
    """Keras's own word index (88,584 words, rank 1 = "the"), read from the copy inside chapter12."""
    return dict(_keras_word_index_items())
