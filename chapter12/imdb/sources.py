"""Where the reviews come from: four sources behind one small interface.

Every source gives the same three things, and nothing else in chapter12 asks which source it is:

- `raw()`: the reviews as word ranks (1 = most frequent training word), in imdb.npz's own order;
- `word_index()`: the word -> rank dictionary those ranks come from;
- `fingerprint()`: a string that changes whenever the data would.

The sources: Keras's download (``"keras"``), a local copy of Keras's ``imdb.npz``, the Stanford
archive ``aclImdb_v1.tar.gz`` or its ``aclImdb/`` folder, and the sample bundled with chapter12
(``"sample"``). `resolve_source` picks one from a name or a path.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import ClassVar

import numpy as np

from chapter12.checks import check_vocabulary
from chapter12.errors import Chapter12Error
from chapter12.imdb.cache import load_stanford, source_fingerprint
from chapter12.imdb.keras_steps import unshuffle
from chapter12.imdb.ragged import Ragged, RawImdb, read_raw_npz
from chapter12.imdb.safe_npz import load_npz
from chapter12.imdb.stanford import DATA_HINT, stanford_root
from chapter12.imdb.words import check_word_index, keras_word_index, read_word_index

DATA_ENV = "CHAPTER12_DATA"
SAMPLE_FILE = "imdb_sample.npz"
_KERAS_SEED = 113  # the seed raw() asks load_data for and then undoes


def _sha256_of_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class DataSource:
    """A source of IMDB reviews: its kind, its path (for files) and the vocabulary its ranks use."""

    path: Path | None = None
    vocabulary: str = "keras"
    kind: ClassVar[str] = ""

    def describe(self) -> str:
        """A short human-readable name for reports."""
        return f"{self.kind}: {self.path}"

    def raw(self) -> RawImdb:
        """The reviews as word ranks, in imdb.npz's order."""
        raise NotImplementedError

    def word_index(self) -> dict[str, int]:
        """The word -> rank dictionary of the ranks that raw() returns."""
        raise NotImplementedError

    def fingerprint(self) -> str:
        """A string that identifies the data this source gives (for caches and results)."""
        raise NotImplementedError

    def review_counts(self) -> tuple[int, int]:
        """How many training and test reviews raw() gives (read as cheaply as the source allows)."""
        raw = self.raw()
        return len(raw.x_train), len(raw.x_test)


@dataclass(frozen=True)
class KerasDownload(DataSource):
    """`keras.datasets.imdb`, downloaded once into Keras's own cache (needs the internet the first time)."""

    kind: ClassVar[str] = "keras"

    def describe(self) -> str:
        return "Keras download (keras.datasets.imdb)"

    def raw(self) -> RawImdb:
        # load_data with every step neutral but the shuffle, which is then undone: Keras's public
        # function gives the file's own ranks, and the steps run once, in keras_steps, for all sources.
        def load():
            from keras.datasets import imdb

            return imdb.load_data(
                num_words=sys.maxsize,
                skip_top=0,
                maxlen=None,
                seed=_KERAS_SEED,
                start_char=None,
                oov_char=None,
                index_from=0,
            )

        (x_train, y_train), (x_test, y_test) = _from_keras(load, "data")
        return unshuffle(Ragged.from_sequences(x_train), y_train, Ragged.from_sequences(x_test), y_test, _KERAS_SEED)

    def word_index(self) -> dict[str, int]:
        def load():
            from keras.datasets import imdb

            return imdb.get_word_index()

        return check_word_index(_from_keras(load, "word index"), "Keras's word index")

    def fingerprint(self) -> str:
        return "keras.datasets.imdb"

    def review_counts(self) -> tuple[int, int]:
        return 25_000, 25_000  # keras.datasets.imdb's x_train and x_test, known without the download


def _from_keras(load, what: str):
    try:
        return load()
    except Exception as e:  # a failed download surfaces as many exception types
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise Chapter12Error(f"could not get the IMDB {what} from Keras ({reason}); {DATA_HINT}") from None


@dataclass(frozen=True)
class NpzFile(DataSource):
    """A local copy of Keras's imdb.npz, read with pickles refused (see safe_npz); its word index
    is the imdb_word_index.json beside it."""

    kind: ClassVar[str] = "npz"

    def raw(self) -> RawImdb:
        arrays = load_npz(self.path, ("x_train", "y_train", "x_test", "y_test"))
        splits = []
        for split in ("train", "test"):
            x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
            if x.ndim == 0 or len(x) != len(y) or y.ndim != 1:
                raise Chapter12Error(
                    f"{self.path}: x_{split} and y_{split} do not pair up (shapes {x.shape} and {y.shape}); "
                    "it is not Keras's imdb.npz: get a fresh copy"
                )
            _check_labels(y, f"{self.path}: y_{split}")
            try:
                ragged = Ragged.from_sequences(x)
            except (TypeError, ValueError):
                raise Chapter12Error(
                    f"{self.path}: x_{split} does not hold sequences of word indices; get a fresh copy of imdb.npz"
                ) from None
            if ragged.values.size and ragged.values.min() < 0:
                raise Chapter12Error(
                    f"{self.path}: x_{split} holds negative word indices; get a fresh copy of imdb.npz"
                )
            splits.append((ragged, y))
        return RawImdb(splits[0][0], splits[0][1], splits[1][0], splits[1][1])

    def word_index(self) -> dict[str, int]:
        json_path = self.path.with_name("imdb_word_index.json")
        if not json_path.exists():
            raise Chapter12Error(
                f"no imdb_word_index.json beside {self.path}; copy Keras's imdb_word_index.json next to it"
            )
        return read_word_index(json_path)

    def fingerprint(self) -> str:
        return _sha256_of_file(self.path)

    def review_counts(self) -> tuple[int, int]:
        try:
            labels = load_npz(self.path, ("y_train", "y_test"))  # the labels only: no review is unpickled
        except Chapter12Error:
            labels = {}
        if any(k not in labels or labels[k].ndim != 1 for k in ("y_train", "y_test")):
            return super().review_counts()  # raw() says all that is wrong with the file
        return len(labels["y_train"]), len(labels["y_test"])


def _check_labels(y: np.ndarray, what: str) -> None:
    if y.dtype.kind not in "iub" or not np.isin(y, (0, 1)).all():
        shown = np.unique(y)[:5].tolist() if y.dtype.kind in "iufb" else str(y.dtype)
        raise Chapter12Error(f"{what} must hold labels 0 and 1 only, found {shown}; get a fresh copy of the data")


@dataclass(frozen=True)
class StanfordReviews(DataSource):
    """The Stanford archive aclImdb_v1.tar.gz or its aclImdb/ folder, tokenized with `vocabulary`
    ("keras": exactly Keras's imdb.npz; "clean": chapter12's own) and cached."""

    kind: ClassVar[str] = "stanford"

    def describe(self) -> str:
        words = "Keras's vocabulary" if self.vocabulary == "keras" else f"{self.vocabulary} vocabulary"
        return f"stanford: {self.path} ({words})"

    def raw(self) -> RawImdb:
        return load_stanford(self.path, self.vocabulary)[0]

    def word_index(self) -> dict[str, int]:
        if self.vocabulary == "keras":
            return keras_word_index()
        words = load_stanford(self.path, self.vocabulary)[1]
        return {w: i + 1 for i, w in enumerate(words)}

    def fingerprint(self) -> str:
        return source_fingerprint(self.path, self.vocabulary)  # the cache's key: no need to read the reviews


@dataclass(frozen=True)
class BundledSample(DataSource):
    """16,000 training and 2,000 test reviews shipped inside chapter12, in Keras's vocabulary."""

    kind: ClassVar[str] = "sample"

    def describe(self) -> str:
        return "bundled sample of the Stanford reviews (Keras's vocabulary)"

    def raw(self) -> RawImdb:
        return read_raw_npz(sample_path())

    def word_index(self) -> dict[str, int]:
        return keras_word_index()

    def fingerprint(self) -> str:
        return _sha256_of_file(sample_path())


def sample_path() -> Path:
    """The bundled sample file inside chapter12."""
    return Path(str(resources.files("chapter12.imdb") / "files" / SAMPLE_FILE))


_BY_NAME = {"keras": KerasDownload, "sample": BundledSample}


def resolve_source(source: "str | os.PathLike | DataSource | None" = None, vocabulary: str | None = None) -> DataSource:
    """Turn `source` (None, "keras", "sample", a path or a DataSource) into a DataSource, checking the path.

    `vocabulary` ("keras" or "clean") applies to the Stanford reviews; None keeps the source's own
    (Keras's vocabulary, unless a DataSource says otherwise).
    """
    if vocabulary is not None:
        check_vocabulary(vocabulary)
    if isinstance(source, DataSource):
        src = source if vocabulary is None else dataclasses.replace(source, vocabulary=vocabulary)
    else:
        src = _from_name_or_path(source, vocabulary or "keras")
    if src.vocabulary != "keras" and src.kind != "stanford":
        raise Chapter12Error(
            f"the {src.vocabulary} vocabulary is built from the Stanford reviews' text, which the {src.describe()} "
            "does not have; pass --data aclImdb_v1.tar.gz (or aclImdb/) or use --vocabulary keras"
        )
    return src


def _from_name_or_path(source, vocabulary: str) -> DataSource:
    if source is None or (isinstance(source, str) and source == ""):
        source = os.environ.get(DATA_ENV) or "keras"
    if isinstance(source, str) and source in _BY_NAME:
        return _BY_NAME[source](vocabulary=vocabulary)
    path = Path(source).expanduser()
    if not path.exists():
        raise Chapter12Error(f"data path {path} does not exist; {DATA_HINT}")
    if path.is_dir():
        return StanfordReviews(stanford_root(path), vocabulary)
    name = path.name.lower()
    if name.endswith(".npz"):
        return NpzFile(path, vocabulary)
    if name.endswith((".tar.gz", ".tgz", ".tar")):
        return StanfordReviews(path, vocabulary)
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise Chapter12Error(f"cannot read {path} ({e.strerror}); {DATA_HINT}") from None
    if magic.startswith(b"PK"):
        return NpzFile(path, vocabulary)
    if magic.startswith(b"\x1f\x8b"):
        return StanfordReviews(path, vocabulary)
    raise Chapter12Error(f"{path} is not IMDB data (neither an .npz file nor a .tar.gz archive); {DATA_HINT}")
