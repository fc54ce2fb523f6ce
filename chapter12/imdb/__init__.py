"""The IMDB reviews: one loader with the semantics of `keras.datasets.imdb.load_data` over four sources.

| module | job |
|---|---|
| `sources` | the four sources (Keras download, imdb.npz, Stanford reviews, bundled sample) behind one interface |
| `stanford` | reading aclImdb_v1.tar.gz or aclImdb/ safely, in imdb.npz's order; encoding with either vocabulary |
| `words` | Keras's word index (shipped), the two tokenizers, word-index files |
| `keras_steps` | load_data's steps (shuffle, start marker, offset, cuts) and padding, on flat arrays |
| `load` | the one route from a source to arrays: `load_imdb`, `load_padded`, `prepare_data`, `decode_review` |
| `cache` | the Stanford cache, keyed by the archive's bytes and the vocabulary |
| `ragged`, `safe_npz` | the flat in-memory form of reviews; reading npz files without running pickles |
| `sample` | rebuilding the bundled sample (maintainers) |
"""

from chapter12.checks import VOCABULARIES
from chapter12.imdb.keras_steps import pad
from chapter12.imdb.load import (
    ImdbData,
    decode_review,
    get_word_index,
    load_imdb,
    load_padded,
    load_raw,
    pad_data,
    prepare_data,
)
from chapter12.imdb.ragged import Ragged, RawImdb
from chapter12.imdb.sources import DATA_ENV, DataSource, resolve_source
from chapter12.imdb.words import tokenize

__all__ = [
    "DATA_ENV",
    "DataSource",
    "ImdbData",
    "Ragged",
    "RawImdb",
    "VOCABULARIES",
    "decode_review",
    "get_word_index",
    "load_imdb",
    "load_padded",
    "load_raw",
    "pad",
    "pad_data",
    "prepare_data",
    "resolve_source",
    "tokenize",
]
