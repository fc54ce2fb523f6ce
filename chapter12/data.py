"""The IMDB review data: one loader with Keras's semantics over four sources.

Sources, picked by `source=` (a path's kind is recognised from the path), else by the
environment variable CHAPTER12_DATA, else Keras's own download:

- ``"keras"``: `keras.datasets.imdb.load_data`, downloaded once into Keras's cache.
- a local copy of Keras's ``imdb.npz`` (and ``imdb_word_index.json`` beside it, for decoding).
- the Stanford archive ``aclImdb_v1.tar.gz`` or its extracted ``aclImdb/`` folder. The reviews
  are tokenized here (see `tokenize`), ranked by training-set frequency and cached.
- ``"sample"``: a few thousand real reviews bundled with the package, for quick runs offline.

Whatever the source, every review first becomes a list of word ranks (1 = the most frequent
word in the training set), exactly what `imdb.npz` stores, and then goes through the same
steps Keras applies: the shuffle with `seed`, the start marker, the `index_from` offset, the
`maxlen` filter (which DROPS longer reviews) and the `num_words` cut on the offset indices.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import itertools
import json
import os
import re
import tarfile
import tempfile
import zlib
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator, Sequence

import numpy as np

from chapter12.config import BookConfig, check_positive_int
from chapter12.errors import Chapter12Error
from chapter12.safe_npz import load_npz

DATA_ENV = "CHAPTER12_DATA"
CACHE_ENV = "CHAPTER12_CACHE"
SOURCE_KINDS = ("keras", "npz", "stanford", "sample")
DATA_HINT = (
    "pass --data with the Stanford archive (aclImdb_v1.tar.gz), its aclImdb/ folder or Keras's imdb.npz, "
    "or use --quick for the bundled sample"
)

# Bump when tokenization or ranking changes, so old caches are never reused.
TOKENIZER_VERSION = 1
# A word is a run of letters or digits, with inner apostrophes kept ("don't", "it's").
WORD_PATTERN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_REVIEW_PATH = re.compile(r"(?:^|/)(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")
_LABELS = {"neg": 0, "pos": 1}
_SAMPLE_FILE = "imdb_sample.npz"
_SAMPLE_WORD_INDEX = "imdb_word_index.json.gz"
_RAGGED_KEYS = ("train_values", "train_offsets", "y_train", "test_values", "test_offsets", "y_test")


@dataclass(frozen=True)
class DataSource:
    """Where the reviews come from: a kind (keras, npz, stanford, sample) and, for files, a path."""

    kind: str
    path: Path | None = None

    def describe(self) -> str:
        """A short human-readable name for reports."""
        if self.kind == "keras":
            return "Keras download (keras.datasets.imdb)"
        if self.kind == "sample":
            return "bundled sample of the Stanford reviews"
        return f"{self.kind}: {self.path}"


@dataclass(frozen=True)
class Ragged:
    """Variable-length integer sequences stored flat: sequence i is values[offsets[i]:offsets[i+1]]."""

    values: np.ndarray
    offsets: np.ndarray

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @classmethod
    def from_sequences(cls, sequences: Iterable[Sequence[int]]) -> "Ragged":
        """Pack a list of integer sequences."""
        sequences = list(sequences)
        lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
        offsets = np.zeros(len(sequences) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        values = np.fromiter(itertools.chain.from_iterable(sequences), dtype=np.int64, count=int(offsets[-1]))
        return cls(values, offsets)

    def take(self, indices: np.ndarray) -> "Ragged":
        """The sequences at `indices`, in that order."""
        lengths = self.lengths[indices]
        offsets = np.zeros(len(indices) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        # For every output position, where it sits in the source array.
        starts = np.repeat(self.offsets[:-1][indices] - offsets[:-1], lengths)
        return Ragged(self.values[starts + np.arange(offsets[-1])], offsets)

    def to_lists(self) -> list[list[int]]:
        """One Python list of ints per sequence, as Keras returns them."""
        flat = self.values.tolist()
        bounds = self.offsets.tolist()
        return [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


@dataclass(frozen=True)
class RawImdb:
    """Reviews as word ranks (1 = most frequent in training), before any Keras-style step."""

    x_train: Ragged
    y_train: np.ndarray
    x_test: Ragged
    y_test: np.ndarray


# ----------------------------------------------------------------------------- sources


def resolve_source(source: "str | os.PathLike | DataSource | None" = None) -> DataSource:
    """Turn `source` (None, "keras", "sample" or a path) into a DataSource, checking the path."""
    if isinstance(source, DataSource):
        return source
    if source is None or (isinstance(source, str) and source == ""):
        source = os.environ.get(DATA_ENV) or "keras"
    if isinstance(source, str) and source in ("keras", "sample"):
        return DataSource(source)
    path = Path(source).expanduser()
    if not path.exists():
        raise Chapter12Error(f"data path {path} does not exist; {DATA_HINT}")
    if path.is_dir():
        return DataSource("stanford", _stanford_root(path))
    name = path.name.lower()
    if name.endswith(".npz"):
        return DataSource("npz", path)
    if name.endswith((".tar.gz", ".tgz", ".tar")):
        return DataSource("stanford", path)
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic.startswith(b"PK"):
        return DataSource("npz", path)
    if magic.startswith(b"\x1f\x8b"):
        return DataSource("stanford", path)
    raise Chapter12Error(f"{path} is not IMDB data (neither an .npz file nor a .tar.gz archive); {DATA_HINT}")


def _stanford_root(folder: Path) -> Path:
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


def load_raw(source: "str | os.PathLike | DataSource | None" = None) -> RawImdb:
    """The reviews of a local source as word ranks, in the source's own order."""
    src = resolve_source(source)
    if src.kind == "npz":
        return _raw_from_npz(src.path)
    if src.kind == "stanford":
        return _load_stanford(src.path)[0]
    if src.kind == "sample":
        return _raw_from_ragged_npz(_sample_path())
    raise Chapter12Error("the Keras download has no raw form here; use load_imdb(source='keras')")


# ----------------------------------------------------------------------------- Keras semantics


def load_imdb(
    num_words: int | None = BookConfig.num_words,
    skip_top: int = 0,
    maxlen: int | None = None,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
    source: "str | os.PathLike | DataSource | None" = None,
):
    """Load IMDB as `keras.datasets.imdb.load_data` does: `(x_train, y_train), (x_test, y_test)`."""
    src = resolve_source(source)
    if src.kind == "keras":
        return _load_from_keras(
            num_words=num_words, skip_top=skip_top, maxlen=maxlen, seed=seed,
            start_char=start_char, oov_char=oov_char, index_from=index_from,
        )
    return keras_transform(
        load_raw(src), num_words=num_words, skip_top=skip_top, maxlen=maxlen, seed=seed,
        start_char=start_char, oov_char=oov_char, index_from=index_from,
    )


def keras_transform(
    raw: RawImdb,
    *,
    num_words: int | None,
    skip_top: int,
    maxlen: int | None,
    seed: int,
    start_char: int | None,
    oov_char: int | None,
    index_from: int,
):
    """Apply the steps of `keras.datasets.imdb.load_data`, in its order, to raw word ranks."""
    (x_train, y_train), (x_test, y_test) = keras_steps(
        raw, num_words=num_words, skip_top=skip_top, maxlen=maxlen, seed=seed,
        start_char=start_char, oov_char=oov_char, index_from=index_from,
    )
    return (_object_array(x_train), y_train), (_object_array(x_test), y_test)


def keras_steps(
    raw: RawImdb,
    *,
    num_words: int | None,
    skip_top: int,
    maxlen: int | None,
    seed: int,
    start_char: int | None,
    oov_char: int | None,
    index_from: int,
) -> tuple[tuple[Ragged, np.ndarray], tuple[Ragged, np.ndarray]]:
    """`keras_transform` on flat arrays: the same steps, returning Ragged sequences instead of lists."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise Chapter12Error(f"seed must be a whole number, got {seed!r}")
    rng = np.random.RandomState(seed)
    indices = np.arange(len(raw.x_train))
    rng.shuffle(indices)
    x_train, y_train = raw.x_train.take(indices), raw.y_train[indices]
    indices = np.arange(len(raw.x_test))
    rng.shuffle(indices)
    x_test, y_test = raw.x_test.take(indices), raw.y_test[indices]

    if start_char is not None:
        x_train, x_test = (_prepend(_shift(x, index_from), start_char) for x in (x_train, x_test))
    elif index_from:
        x_train, x_test = (_shift(x, index_from) for x in (x_train, x_test))

    if maxlen:
        # Keras keeps only reviews strictly shorter than maxlen (start marker included).
        keep_train = np.flatnonzero(x_train.lengths < maxlen)
        keep_test = np.flatnonzero(x_test.lengths < maxlen)
        x_train, y_train = x_train.take(keep_train), y_train[keep_train]
        x_test, y_test = x_test.take(keep_test), y_test[keep_test]
        if not len(x_train) or not len(x_test):
            raise Chapter12Error(
                f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was kept. Increase maxlen."
            )

    if not num_words:
        # As Keras: the largest index seen (which the strict `<` below then treats as out of vocabulary).
        num_words = max(int(x.values.max()) for x in (x_train, x_test) if x.values.size)
    if oov_char is not None:
        x_train, x_test = (_replace_rare(x, skip_top, num_words, oov_char) for x in (x_train, x_test))
    else:
        x_train, x_test = (_drop_rare(x, skip_top, num_words) for x in (x_train, x_test))

    # Keras concatenates the labels of both splits and cuts them again, which unifies their dtype.
    labels = np.concatenate([y_train, y_test])
    return (x_train, labels[: len(x_train)]), (x_test, labels[len(x_train):])


def pad_ragged(x: Ragged, maxlen: int, padding: str = "pre", truncating: str = "pre", value: int = 0) -> np.ndarray:
    """What `pad(x.to_lists(), ...)` returns, computed on the flat arrays without building Python lists."""
    check_positive_int("maxlen", maxlen)
    lengths = x.lengths
    kept = np.minimum(lengths, maxlen)
    src_start = x.offsets[:-1] + (lengths - kept if truncating == "pre" else 0)
    dest_start = maxlen - kept if padding == "pre" else np.zeros_like(kept)
    rows = np.repeat(np.arange(len(x)), kept)
    within = np.arange(int(kept.sum())) - np.repeat(np.cumsum(kept) - kept, kept)
    out = np.full((len(x), maxlen), value, dtype=np.int32)
    out[rows, dest_start[rows] + within] = x.values[src_start[rows] + within]
    return out


def load_padded(
    num_words: int = BookConfig.num_words,
    maxlen: int = BookConfig.maxlen,
    source: "str | os.PathLike | DataSource | None" = None,
    seed: int = 113,
):
    """`pad(load_imdb(...))` for both splits in one step, faster for big data: `(x_train, y_train), (x_test, y_test)`."""
    src = resolve_source(source)
    if src.kind == "keras":
        (x_train, y_train), (x_test, y_test) = load_imdb(num_words=num_words, seed=seed, source=src)
        return (pad(x_train, maxlen=maxlen), y_train), (pad(x_test, maxlen=maxlen), y_test)
    (x_train, y_train), (x_test, y_test) = keras_steps(
        load_raw(src), num_words=num_words, skip_top=0, maxlen=None, seed=seed, start_char=1, oov_char=2, index_from=3,
    )
    return (pad_ragged(x_train, maxlen), y_train), (pad_ragged(x_test, maxlen), y_test)


def _shift(x: Ragged, index_from: int | None) -> Ragged:
    return Ragged(x.values + (index_from or 0), x.offsets) if index_from else x


def _prepend(x: Ragged, marker: int) -> Ragged:
    values = np.insert(x.values, x.offsets[:-1], marker)
    return Ragged(values, x.offsets + np.arange(len(x.offsets)))


def _replace_rare(x: Ragged, skip_top: int, num_words: int, oov_char: int) -> Ragged:
    keep = (x.values >= skip_top) & (x.values < num_words)
    return Ragged(np.where(keep, x.values, oov_char), x.offsets)


def _drop_rare(x: Ragged, skip_top: int, num_words: int) -> Ragged:
    keep = (x.values >= skip_top) & (x.values < num_words)
    kept_before = np.concatenate([[0], np.cumsum(keep)])
    return Ragged(x.values[keep], kept_before[x.offsets])


def _object_array(x: Ragged) -> np.ndarray:
    # Built as Keras builds it, so a result compares equal element by element.
    return np.array(x.to_lists(), dtype="object")


def _load_from_keras(**kwargs):
    try:
        from keras.datasets import imdb

        return imdb.load_data(**kwargs)
    except Exception as e:  # a failed download surfaces as many exception types
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise Chapter12Error(f"could not get the IMDB data from Keras ({reason}); {DATA_HINT}") from None


# ----------------------------------------------------------------------------- npz sources


def _raw_from_npz(path: Path) -> RawImdb:
    arrays = load_npz(path, ("x_train", "y_train", "x_test", "y_test"))
    splits = []
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim == 0 or len(x) != len(y) or y.ndim != 1:
            raise Chapter12Error(
                f"{path}: x_{split} and y_{split} do not pair up (shapes {x.shape} and {y.shape}); "
                "it is not Keras's imdb.npz: get a fresh copy"
            )
        _check_labels(y, f"{path}: y_{split}")
        try:
            ragged = Ragged.from_sequences(x)
        except (TypeError, ValueError):
            raise Chapter12Error(
                f"{path}: x_{split} does not hold sequences of word indices; get a fresh copy of imdb.npz"
            ) from None
        if ragged.values.size and ragged.values.min() < 0:
            raise Chapter12Error(f"{path}: x_{split} holds negative word indices; get a fresh copy of imdb.npz")
        splits.append((ragged, y))
    return RawImdb(splits[0][0], splits[0][1], splits[1][0], splits[1][1])


def _check_labels(y: np.ndarray, what: str) -> None:
    if y.dtype.kind not in "iub" or not np.isin(y, (0, 1)).all():
        shown = np.unique(y)[:5].tolist() if y.dtype.kind in "iufb" else str(y.dtype)
        raise Chapter12Error(f"{what} must hold labels 0 and 1 only, found {shown}; get a fresh copy of the data")


def _raw_from_ragged_npz(path: Path) -> RawImdb:
    with np.load(path, allow_pickle=False) as f:
        missing = [k for k in _RAGGED_KEYS if k not in f.files]
        if missing:
            raise Chapter12Error(f"{path} lacks {', '.join(missing)}; it is not a chapter12 data file")
        a = {k: f[k] for k in _RAGGED_KEYS}
    return RawImdb(
        Ragged(a["train_values"].astype(np.int64), a["train_offsets"]),
        a["y_train"].astype(np.int64),
        Ragged(a["test_values"].astype(np.int64), a["test_offsets"]),
        a["y_test"].astype(np.int64),
    )


def save_ragged_npz(path: Path, raw: RawImdb, extra: dict[str, np.ndarray] | None = None, compress: bool = False) -> None:
    """Write raw reviews (plus extra arrays) to `path` atomically, as plain arrays without pickles."""
    arrays = {
        "train_values": raw.x_train.values.astype(np.int32),
        "train_offsets": raw.x_train.offsets.astype(np.int64),
        "y_train": raw.y_train.astype(np.int8),
        "test_values": raw.x_test.values.astype(np.int32),
        "test_offsets": raw.x_test.offsets.astype(np.int64),
        "y_test": raw.y_test.astype(np.int8),
        **(extra or {}),
    }
    atomic_write(path, lambda f: (np.savez_compressed if compress else np.savez)(f, **arrays))


def atomic_write(path: Path, write) -> None:
    """Call write(file) on a temporary file beside `path`, then move it into place in one step."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; results are meant to be shared
        os.replace(tmp, path)
    except BaseException:  # an interrupt too: never leave a partial file behind
        Path(tmp).unlink(missing_ok=True)
        raise


# ----------------------------------------------------------------------------- Stanford reviews


def tokenize(text: str) -> list[str]:
    """Split a review into lower-case words: `<br />` tags removed, runs of letters/digits with inner apostrophes."""
    return WORD_PATTERN.findall(text.lower().replace("<br />", " "))


def iter_stanford_reviews(path: Path) -> Iterator[tuple[str, int, int, str]]:
    """Yield (split, label, review id, text) for every labelled review of an aclImdb archive or folder."""
    if Path(path).is_dir():
        yield from _iter_folder(Path(path))
    else:
        yield from _iter_archive(Path(path))


def _decode(raw: bytes) -> str:
    # Policy: the reviews are UTF-8; a byte that is not becomes U+FFFD, which no word contains.
    return raw.decode("utf-8", errors="replace")


def _iter_folder(root: Path) -> Iterator[tuple[str, int, int, str]]:
    for split in ("train", "test"):
        for label_name, label in _LABELS.items():
            folder = root / split / label_name
            if not folder.is_dir():
                raise Chapter12Error(f"{root} has no {split}/{label_name}/ folder; point --data at a complete aclImdb/ folder")
            for entry in os.scandir(folder):
                m = _REVIEW_PATH.search(f"{split}/{label_name}/{entry.name}")
                if m and entry.is_file():
                    yield split, label, int(m.group(3)), _decode(Path(entry.path).read_bytes())


def _iter_archive(path: Path) -> Iterator[tuple[str, int, int, str]]:
    # Streamed member by member and never extracted: nothing is written to disk. Unsafe member
    # names or links are refused all the same, since such an archive is not the Stanford one.
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
                f = archive.extractfile(member)
                yield m.group(1), _LABELS[m.group(2)], int(m.group(3)), _decode(f.read())
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


def build_vocabulary(train_texts: Iterable[list[str]]) -> list[str]:
    """Words of the training reviews, most frequent first (ties in alphabetical order); rank = position + 1."""
    counts: Counter[str] = Counter()
    for words in train_texts:
        counts.update(words)
    return [w for w, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def prepare_stanford(path: Path) -> tuple[RawImdb, list[str]]:
    """Tokenize, rank and encode an aclImdb archive or folder (no cache): raw ranks and the ranked words."""
    reviews = {"train": [], "test": []}
    for split, label, review_id, text in iter_stanford_reviews(path):
        reviews[split].append((label, review_id, tokenize(text)))
    for split, items in reviews.items():
        if not items:
            raise Chapter12Error(f"{path} holds no {split} reviews ({split}/pos/*.txt, {split}/neg/*.txt); {DATA_HINT}")
        items.sort(key=lambda item: (item[0], item[1]))  # negatives first, then by review id
    vocabulary = build_vocabulary(words for _, _, words in reviews["train"])
    rank = {w: i + 1 for i, w in enumerate(vocabulary)}
    encoded = {}
    for split, items in reviews.items():
        # Test words never seen in training are skipped, as in Keras's imdb.npz.
        seqs = [[rank[w] for w in words if w in rank] for _, _, words in items]
        labels = np.array([label for label, _, _ in items], dtype=np.int64)
        encoded[split] = (Ragged.from_sequences(seqs), labels)
    raw = RawImdb(encoded["train"][0], encoded["train"][1], encoded["test"][0], encoded["test"][1])
    return raw, vocabulary


def cache_dir() -> Path:
    """Where prepared Stanford data is cached: $CHAPTER12_CACHE, else $XDG_CACHE_HOME/chapter12, else ~/.cache/chapter12."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "chapter12"


def source_fingerprint(path: Path) -> str:
    """SHA-256 of an archive's bytes, or of a folder's review names, sizes and times: the cache key."""
    h = hashlib.sha256(f"chapter12-tokenizer-{TOKENIZER_VERSION}\n".encode())
    if Path(path).is_dir():
        for split in ("train", "test"):
            for label in _LABELS:
                folder = Path(path) / split / label
                for entry in sorted(os.scandir(folder), key=lambda e: e.name) if folder.is_dir() else ():
                    st = entry.stat()
                    h.update(f"{split}/{label}/{entry.name}\t{st.st_size}\t{st.st_mtime_ns}\n".encode())
    else:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def cache_path_for(path: Path) -> tuple[Path, str]:
    """The cache file for a Stanford source and the fingerprint it must carry."""
    fingerprint = source_fingerprint(path)
    return cache_dir() / f"stanford-{fingerprint[:24]}.npz", fingerprint


def _load_stanford(path: Path) -> tuple[RawImdb, list[str]]:
    cache, fingerprint = cache_path_for(path)
    cached = _read_cache(cache, fingerprint)
    if cached is not None:
        return cached
    raw, vocabulary = prepare_stanford(path)
    words = np.frombuffer("\n".join(vocabulary).encode("utf-8"), dtype=np.uint8)
    extra = {"fingerprint": np.array(fingerprint), "vocabulary_utf8": words}
    try:
        save_ragged_npz(cache, raw, extra)
    except OSError as e:  # a read-only home still gets its data, only slower next time
        print(f"chapter12: could not write the cache {cache} ({e}); set {CACHE_ENV} to a writable folder")
    return raw, vocabulary


def _read_cache(cache: Path, fingerprint: str) -> tuple[RawImdb, list[str]] | None:
    if not cache.exists():
        return None
    try:
        raw = _raw_from_ragged_npz(cache)
        with np.load(cache, allow_pickle=False) as f:
            if str(f["fingerprint"]) != fingerprint:
                return None
            text = f["vocabulary_utf8"].tobytes().decode("utf-8")
            vocabulary = text.split("\n") if text else []
        if raw.x_train.offsets[-1] != len(raw.x_train.values) or raw.x_test.offsets[-1] != len(raw.x_test.values):
            raise ValueError("offsets do not match values")
        return raw, vocabulary
    except Exception as e:  # any damage means: rebuild it
        print(f"chapter12: the cache {cache} is damaged ({type(e).__name__}); rebuilding it")
        return None


# ----------------------------------------------------------------------------- bundled sample


def _sample_path() -> Path:
    return Path(str(resources.files("chapter12") / "data" / _SAMPLE_FILE))


def _sample_word_index_path() -> Path:
    return Path(str(resources.files("chapter12") / "data" / _SAMPLE_WORD_INDEX))


def write_word_index_gz(path: Path, vocabulary: list[str]) -> None:
    """Save a ranked vocabulary as a gzipped JSON word index (word -> rank), atomically."""
    text = json.dumps({w: i + 1 for i, w in enumerate(vocabulary)}, ensure_ascii=False)
    atomic_write(path, lambda f: f.write(gzip.compress(text.encode("utf-8"), mtime=0)))


# ----------------------------------------------------------------------------- words


def get_word_index(source: "str | os.PathLike | DataSource | None" = None) -> dict[str, int]:
    """The word -> rank dictionary of a source (rank 1 = most frequent), as Keras's get_word_index."""
    src = resolve_source(source)
    if src.kind == "keras":
        try:
            from keras.datasets import imdb

            return imdb.get_word_index()
        except Exception as e:
            raise Chapter12Error(f"could not get the IMDB word index from Keras ({e}); {DATA_HINT}") from None
    if src.kind == "sample":
        return json.loads(gzip.decompress(_sample_word_index_path().read_bytes()))
    if src.kind == "stanford":
        vocabulary = _load_stanford(src.path)[1]
        return {w: i + 1 for i, w in enumerate(vocabulary)}
    json_path = src.path.with_name("imdb_word_index.json")
    if not json_path.exists():
        raise Chapter12Error(f"no imdb_word_index.json beside {src.path}; copy Keras's imdb_word_index.json next to it")
    try:
        index = json.loads(json_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise Chapter12Error(f"{json_path} is not valid JSON ({e}); get a fresh copy of imdb_word_index.json") from None
    if not isinstance(index, dict) or not all(isinstance(v, int) for v in index.values()):
        raise Chapter12Error(f"{json_path} is not a word -> index mapping; get a fresh copy of imdb_word_index.json")
    return index


def decode_review(
    sequence: Iterable[int],
    word_index: dict[str, int] | None = None,
    *,
    source: "str | os.PathLike | DataSource | None" = None,
    index_from: int = 3,
    start_char: int | None = 1,
    oov_char: int | None = 2,
) -> str:
    """Turn a sequence of indices back into words; padding, start and unknown words show as [PAD], [START], [OOV]."""
    if word_index is None:
        word_index = get_word_index(source)
    words = {rank + index_from: w for w, rank in word_index.items()}
    special = {0: "[PAD]"}
    if start_char is not None:
        special[start_char] = "[START]"
    if oov_char is not None:
        special[oov_char] = "[OOV]"
    return " ".join(special.get(int(i)) or words.get(int(i), "[?]") for i in sequence)


def pad(
    sequences,
    maxlen: int = BookConfig.maxlen,
    padding: str = "pre",
    truncating: str = "pre",
    value: int = 0,
) -> np.ndarray:
    """`keras.utils.pad_sequences` with the book's maxlen: zeros in front, and KEEPS THE LAST maxlen words."""
    check_positive_int("maxlen", maxlen)
    for name, choice in (("padding", padding), ("truncating", truncating)):
        if choice not in ("pre", "post"):
            raise Chapter12Error(f"{name} must be 'pre' or 'post', got {choice!r}")
    from keras.utils import pad_sequences

    return pad_sequences(sequences, maxlen=maxlen, padding=padding, truncating=truncating, value=value)


# ----------------------------------------------------------------------------- ready for training


@dataclass
class ImdbData:
    """Padded reviews ready for training, and where they came from."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: DataSource

    def describe(self) -> str:
        """One line: sizes and source."""
        return f"{len(self.x_train):,} training and {len(self.x_test):,} test reviews from the {self.source.describe()}"


def prepare_data(
    config: BookConfig | None = None,
    source: "str | os.PathLike | DataSource | None" = None,
    quick: bool = False,
) -> ImdbData:
    """Load IMDB with the book's vocabulary size and pad every review to the book's length."""
    config = config or BookConfig()
    src = resolve_source("sample" if quick else source)
    (x_train, y_train), (x_test, y_test) = load_padded(num_words=config.num_words, maxlen=config.maxlen, source=src)
    return ImdbData(x_train, y_train, x_test, y_test, src)


def pad_data(loaded, config: BookConfig, source: DataSource) -> ImdbData:
    """Pad the `(x_train, y_train), (x_test, y_test)` of load_imdb to config.maxlen."""
    (x_train, y_train), (x_test, y_test) = loaded
    return ImdbData(pad(x_train, maxlen=config.maxlen), y_train, pad(x_test, maxlen=config.maxlen), y_test, source)
