"""The cache of prepared Stanford reviews: one file per archive (or folder) and vocabulary.

Tokenizing 50,000 reviews takes seconds; reading them back from the cache a fraction of one. A
cache file is named and stamped with a fingerprint of everything its content depends on: the
archive's bytes (or the folder's file names, sizes and times), the vocabulary, the tokenizer's
version and, for Keras's vocabulary, the word index itself. It is written atomically, holds no
pickles, and any damage makes it rebuilt rather than read.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from chapter12.imdb.ragged import RawImdb, read_raw_npz, save_raw_npz
from chapter12.imdb.stanford import prepare_stanford
from chapter12.imdb.words import keras_word_index_path

CACHE_ENV = "CHAPTER12_CACHE"
# Bump when tokenization, ranking or the order of reviews changes, so old caches are never reused.
TOKENIZER_VERSION = 2


def cache_dir() -> Path:
    """Where prepared Stanford data is cached: $CHAPTER12_CACHE, else $XDG_CACHE_HOME/chapter12, else
    ~/.cache/chapter12."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "chapter12"


def source_fingerprint(path: Path, vocabulary: str = "keras") -> str:
    """SHA-256 over the vocabulary and the archive's bytes (or a folder's review names, sizes and times)."""
    h = hashlib.sha256(f"chapter12-stanford-{TOKENIZER_VERSION}-{vocabulary}\n".encode())
    if vocabulary == "keras":
        h.update(keras_word_index_path().read_bytes())
    if Path(path).is_dir():
        for split in ("train", "test"):
            for label in ("pos", "neg"):
                folder = Path(path) / split / label
                for entry in sorted(os.scandir(folder), key=lambda e: e.name) if folder.is_dir() else ():
                    st = entry.stat()
                    h.update(f"{split}/{label}/{entry.name}\t{st.st_size}\t{st.st_mtime_ns}\n".encode())
    else:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def cache_path_for(path: Path, vocabulary: str = "keras") -> tuple[Path, str]:
    """The cache file for a Stanford source and vocabulary, and the fingerprint it must carry."""
    fingerprint = source_fingerprint(path, vocabulary)
    return cache_dir() / f"stanford-{vocabulary}-{fingerprint[:24]}.npz", fingerprint


def load_stanford(path: Path, vocabulary: str = "keras") -> tuple[RawImdb, list[str] | None, str]:
    """Prepared reviews of a Stanford source: from the cache, else built and cached.

    Returns the raw ranks, the ranked words (for "clean"; None for "keras", whose words are Keras's
    index) and the fingerprint.
    """
    cache, fingerprint = cache_path_for(path, vocabulary)
    cached = _read_cache(cache, fingerprint)
    if cached is not None:
        return (*cached, fingerprint)
    raw, words = prepare_stanford(path, vocabulary)
    extra = {"fingerprint": np.array(fingerprint)}
    if words is not None:
        extra["vocabulary_utf8"] = np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8)
    try:
        save_raw_npz(cache, raw, extra)
    except OSError as e:  # a read-only home still gets its data, only slower next time
        print(f"chapter12: could not write the cache {cache} ({e}); set {CACHE_ENV} to a writable folder")
    return raw, words, fingerprint


def _read_cache(cache: Path, fingerprint: str) -> tuple[RawImdb, list[str] | None] | None:
    if not cache.exists():
        return None
    try:
        with np.load(cache, allow_pickle=False) as f:
            if str(f["fingerprint"]) != fingerprint:
                return None
            words = None
            if "vocabulary_utf8" in f.files:
                text = f["vocabulary_utf8"].tobytes().decode("utf-8")
                words = text.split("\n") if text else []
        return read_raw_npz(cache), words
    except Exception as e:  # any damage means: rebuild it
        print(f"chapter12: the cache {cache} is damaged ({type(e).__name__}); rebuilding it")
        return None
