"""The Stanford reviews (aclImdb_v1.tar.gz or its aclImdb/ folder): read them safely, in the order
Keras's imdb.npz lists them, and turn them into word ranks with either vocabulary.

Order: imdb.npz lists ``train/pos`` then ``train/neg`` (and the same for test), each folder's files
in the string order of their names (``0_9.txt``, ``10000_8.txt``, ..., ``9999_8.txt``). Checked
against real output of Keras's load_data in tests/test_keras_exact.py.

Safety: the archive is streamed member by member and never extracted, so nothing is written to
disk; member names that leave the archive's folder and links are refused all the same, since such
an archive is not the Stanford one. gzip's trailer is checked, so a cut archive is refused.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import tarfile
import zlib
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Iterator

import numpy as np

from chapter12.errors import Chapter12Error
from chapter12.imdb.ragged import Ragged, RawImdb
from chapter12.imdb.words import clean_words, keras_word_index, keras_words

DATA_HINT = (
    "pass --data with the Stanford archive (aclImdb_v1.tar.gz), its aclImdb/ folder or Keras's imdb.npz, "
    "or use --quick for the bundled sample"
)
_REVIEW_PATH = re.compile(r"(?:^|/)(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")
_LABELS = {"pos": 1, "neg": 0}  # imdb.npz's order: positive reviews first


def stanford_root(folder: Path) -> Path:
    """The aclImdb/ folder at or just below `folder`, else a Chapter12Error saying what is missing."""
    for root in (folder, folder / "aclImdb"):
        has_train, has_test = (root / "train").is_dir(), (root / "test").is_dir()
        if has_train and has_test:
            return root
        if has_train or has_test:
            present, absent = ("train", "test") if has_train else ("test", "train")
            raise Chapter12Error(
                f"{root} has {present}/ but no {absent}/; point --data at a complete aclImdb/ folder "
                "or at the archive aclImdb_v1.tar.gz"
            )
    if not any(folder.iterdir()):
        raise Chapter12Error(f"{folder} is empty; {DATA_HINT}")
    raise Chapter12Error(f"{folder} holds no aclImdb/ layout (train/ and test/ folders); {DATA_HINT}")


# ----------------------------------------------------------------------------- reading


def iter_stanford_reviews(path: Path) -> Iterator[tuple[str, str, str, bytes]]:
    """Yield (split, label folder, file name, bytes) for every labelled review, in the source's own order."""
    if Path(path).is_dir():
        yield from _iter_folder(Path(path))
    else:
        yield from _iter_archive(Path(path))


def read_reviews(path: Path) -> dict[str, list[tuple[int, bytes]]]:
    """{"train": [(label, bytes), ...], "test": [...]} in imdb.npz's order (pos, then neg; names as strings)."""
    found: dict[str, list[tuple[int, str, bytes]]] = {"train": [], "test": []}
    for split, label_name, name, data in iter_stanford_reviews(path):
        found[split].append((_LABELS[label_name], name, data))
    reviews = {}
    for split, items in found.items():
        if not items:
            raise Chapter12Error(f"{path} holds no {split} reviews ({split}/pos/*.txt, {split}/neg/*.txt); {DATA_HINT}")
        items.sort(key=lambda item: (-item[0], item[1]))
        reviews[split] = [(label, data) for label, _, data in items]
    return reviews


def _iter_folder(root: Path) -> Iterator[tuple[str, str, str, bytes]]:
    for split in ("train", "test"):
        for label_name in _LABELS:
            folder = root / split / label_name
            if not folder.is_dir():
                raise Chapter12Error(
                    f"{root} has no {split}/{label_name}/ folder; point --data at a complete aclImdb/ folder"
                )
            for entry in os.scandir(folder):
                if _REVIEW_PATH.search(f"{split}/{label_name}/{entry.name}") and entry.is_file():
                    yield split, label_name, entry.name, Path(entry.path).read_bytes()


def _iter_archive(path: Path) -> Iterator[tuple[str, str, str, bytes]]:
    with open(path, "rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
    try:
        with contextlib.ExitStack() as stack:
            # gzip itself checks the length and CRC at the end of the stream, which catches an
            # archive cut exactly between two tar members (tar alone would take that as its end).
            stream = stack.enter_context(gzip.open(path, "rb") if compressed else open(path, "rb"))
            archive = stack.enter_context(tarfile.open(fileobj=stream, mode="r|"))
            for member in archive:
                _check_member(path, member)
                m = _REVIEW_PATH.search(member.name)
                if not m or not member.isfile():
                    continue
                yield m.group(1), m.group(2), member.name.rsplit("/", 1)[-1], archive.extractfile(member).read()
            while stream.read(1 << 20):  # read to the end, so that gzip verifies its trailer
                pass
    except (tarfile.TarError, EOFError, OSError, zlib.error) as e:
        raise Chapter12Error(
            f"cannot read {path} as a tar archive ({type(e).__name__}: {e}); it may be truncated: "
            "download aclImdb_v1.tar.gz again"
        ) from None


def _check_member(path: Path, member: tarfile.TarInfo) -> None:
    name = PurePosixPath(member.name)
    if name.is_absolute() or ".." in name.parts:
        raise Chapter12Error(f"refusing {path}: its member {member.name!r} points outside the archive's folder")
    if member.issym() or member.islnk():
        raise Chapter12Error(f"refusing {path}: its member {member.name!r} is a link; the Stanford archive has none")


# ----------------------------------------------------------------------------- encoding


def _pack(encoded: dict[str, list[list[int]]], reviews: dict[str, list[tuple[int, bytes]]]) -> RawImdb:
    labels = {split: np.array([label for label, _ in items], dtype=np.int64) for split, items in reviews.items()}
    return RawImdb(
        Ragged.from_sequences(encoded["train"]), labels["train"], Ragged.from_sequences(encoded["test"]), labels["test"]
    )


def encode_keras(reviews: dict[str, list[tuple[int, bytes]]]) -> tuple[RawImdb, int]:
    """Ranks from Keras's word index, words it lacks dropped (as imdb.npz drops test-only words).

    Returns the reviews and how many training words were not in the index: 0 for the real archive.
    """
    rank = {w.encode("utf-8"): r for w, r in keras_word_index().items()}
    encoded, train_missing = {}, 0
    for split, items in reviews.items():
        seqs = []
        for _, data in items:
            words = keras_words(data)
            seq = [rank[w] for w in words if w in rank]
            if split == "train":
                train_missing += len(words) - len(seq)
            seqs.append(seq)
        encoded[split] = seqs
    return _pack(encoded, reviews), train_missing


def rank_words(train_texts) -> list[str]:
    """Words of the training reviews, most frequent first (ties in alphabetical order); rank = position + 1."""
    counts: Counter[str] = Counter()
    for words in train_texts:
        counts.update(words)
    return [w for w, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def _decode(raw: bytes) -> str:
    # Policy: the reviews are UTF-8; a byte that is not becomes U+FFFD, which no word contains.
    return raw.decode("utf-8", errors="replace")


def encode_clean(reviews: dict[str, list[tuple[int, bytes]]]) -> tuple[RawImdb, list[str]]:
    """chapter12's own tokenization and ranking; test words never seen in training are skipped."""
    words = {split: [clean_words(_decode(data)) for _, data in items] for split, items in reviews.items()}
    vocabulary = rank_words(words["train"])
    rank = {w: i + 1 for i, w in enumerate(vocabulary)}
    encoded = {split: [[rank[w] for w in ws if w in rank] for ws in lists] for split, lists in words.items()}
    return _pack(encoded, reviews), vocabulary


def prepare_stanford(path: Path, vocabulary: str = "keras") -> tuple[RawImdb, list[str] | None]:
    """Read and encode an aclImdb archive or folder (no cache): raw ranks, and the ranked words for "clean"."""
    reviews = read_reviews(path)
    if vocabulary == "clean":
        return encode_clean(reviews)
    return encode_keras(reviews)[0], None
