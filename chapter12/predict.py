"""Trained models kept with a run, and new text encoded the way their training data was.

The accuracy notebook saves each trained model as RUN/models/<model>-seed<k>.keras, and beside them
`encoding.json`: the vocabulary (tokenizer), `num_words`, `maxlen` and Keras's index conventions, and
the word index itself (gzipped), so that `python -m chapter12 predict RUN "text"` needs nothing else.

A review is encoded as `keras.datasets.imdb.load_data` encodes the training reviews: its words (by the
run's tokenizer) become rank + 3; a word outside the `num_words` most frequent becomes 2 ("unknown");
a word that the word index lacks is dropped, as the Keras-exact data drops it; 1 marks the start; then
`pad_sequences` keeps the last `maxlen` indices.
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from chapter12.checks import check_positive_int, check_vocabulary
from chapter12.errors import Chapter12Error
from chapter12.files import atomic_write

MODELS_DIR = "models"
ENCODING_FILE = "encoding.json"
WORD_INDEX_FILE = "word_index.json.gz"
START, OOV, INDEX_FROM = 1, 2, 3  # load_data's start_char, oov_char and index_from


@dataclass(frozen=True)
class Encoding:
    """How the run's reviews became the numbers its models read."""

    vocabulary: str
    num_words: int
    maxlen: int
    index_from: int = INDEX_FROM
    start_char: int = START
    oov_char: int = OOV

    def __post_init__(self) -> None:
        check_vocabulary(self.vocabulary)
        check_positive_int("num_words", self.num_words, minimum=4)
        check_positive_int("maxlen", self.maxlen)


@dataclass
class Encoded:
    """A text as a model receives it: the padded indices, and each word's fate."""

    indices: list[int]  # maxlen numbers, as the model reads them
    words: list[str]  # the words the indices stand for, after the cut ("[START]", "[OOV:word]")
    dropped: list[str] = field(default_factory=list)  # words the word index lacks
    cut: int = 0  # how many indices were cut off the front to keep the last maxlen

    @property
    def unknown(self) -> list[str]:
        """The words that became index 2: known, but not among the num_words most frequent."""
        return [w[5:-1] for w in self.words if w.startswith("[OOV:")]


def save_encoding(folder: "str | os.PathLike", encoding: Encoding, word_index: dict[str, int]) -> Path:
    """Write encoding.json and the word index beside a run's models; returns the encoding file."""
    folder = Path(folder)
    index_bytes = gzip.compress(json.dumps(word_index, sort_keys=True).encode("utf-8"), mtime=0)
    atomic_write(folder / WORD_INDEX_FILE, lambda f: f.write(index_bytes))
    text = json.dumps(asdict(encoding) | {"word_index": WORD_INDEX_FILE}, indent=2)
    atomic_write(folder / ENCODING_FILE, lambda f: f.write(text.encode("utf-8")))
    return folder / ENCODING_FILE


def save_model(model: Any, folder: "str | os.PathLike", kind: str, seed: int) -> Path:
    """Save a trained Keras model as FOLDER/<kind>-seed<seed>.keras (a partial file never takes its place)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{kind}-seed{seed}.keras"
    partial = folder / f".{target.stem}.part.keras"  # Keras wants the .keras suffix
    try:
        model.save(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def read_encoding(folder: "str | os.PathLike") -> tuple[Encoding, dict[str, int]]:
    """The encoding and word index saved in a run's models folder; one-line errors for a foreign folder."""
    from chapter12.imdb.words import check_word_index

    folder = Path(folder)
    path = folder / ENCODING_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data.pop("word_index")
        encoding = Encoding(**data)
        with gzip.open(folder / WORD_INDEX_FILE, "rt", encoding="utf-8") as f:
            word_index = check_word_index(json.load(f), str(folder / WORD_INDEX_FILE))
    except FileNotFoundError as e:
        raise Chapter12Error(
            f"{folder} holds no saved models' encoding ({Path(e.filename).name} is missing); pass the "
            "--out folder of a reproduce run that ran the accuracy notebook"
        ) from None
    except (OSError, ValueError, TypeError, KeyError) as e:
        raise Chapter12Error(f"{path} cannot be read ({type(e).__name__}: {e}); run reproduce again") from None
    return encoding, word_index


def encode(text: str, encoding: Encoding, word_index: dict[str, int]) -> Encoded:
    """Encode a text as the run's training reviews were encoded (see the module's docstring)."""
    from chapter12.imdb.words import tokenize

    indices, words, dropped = [encoding.start_char], ["[START]"], []
    for word in tokenize(text, encoding.vocabulary):
        rank = word_index.get(word)
        if rank is None:
            dropped.append(word)
            continue
        index = rank + encoding.index_from
        if index < encoding.num_words:
            indices.append(index)
            words.append(word)
        else:
            indices.append(encoding.oov_char)
            words.append(f"[OOV:{word}]")
    cut = max(0, len(indices) - encoding.maxlen)
    indices, words = indices[cut:], words[cut:]
    padded = [0] * (encoding.maxlen - len(indices)) + indices
    return Encoded(indices=padded, words=words, dropped=dropped, cut=cut)


@dataclass
class Prediction:
    """One saved model's answer for one text."""

    model: str  # the file's stem, e.g. "lstm-seed0"
    probability: float  # P(positive review)


def saved_models(run_dir: "str | os.PathLike") -> list[Path]:
    """The .keras files of a run, in a stable order; one-line errors for a missing or foreign folder."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise Chapter12Error(
            f"{run_dir} is not a folder; pass the --out folder of a `python -m chapter12 reproduce` run"
        )
    folder = run_dir / MODELS_DIR
    files = sorted(p for p in folder.glob("*.keras") if not p.name.startswith(".")) if folder.is_dir() else []
    if not files:
        raise Chapter12Error(
            f"{run_dir} holds no saved models ({MODELS_DIR}/*.keras); run `python -m chapter12 "
            f"reproduce --out {run_dir}` with the accuracy notebook first"
        )
    return files


def predict(run_dir: "str | os.PathLike", text: str) -> tuple[Encoded, list[Prediction]]:
    """Encode `text` as the run's data was and ask every saved model of the run for P(positive)."""
    if not text.strip():
        raise Chapter12Error("the review is empty; pass some text, a file with --file, or text on standard input")
    files = saved_models(run_dir)
    encoding, word_index = read_encoding(Path(run_dir) / MODELS_DIR)
    encoded = encode(text, encoding, word_index)
    if len(encoded.words) == 1 and encoded.cut == 0:  # the start marker alone
        raise Chapter12Error(
            f"none of the words of the review is in the run's vocabulary ({encoding.vocabulary}); "
            "write it in English words"
        )
    return encoded, ask(load_models(files), encoded)


def load_models(files: list[Path]) -> dict[str, Any]:
    """The saved Keras models, by file stem (e.g. "lstm-seed0"); a one-line error for a file Keras cannot load."""
    import keras

    models = {}
    for path in files:
        try:
            models[path.stem] = keras.saving.load_model(path, compile=False)
        except Exception as e:  # Keras raises ValueError, KeyError, OSError... for a damaged or foreign file
            reason = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise Chapter12Error(
                f"{path} is not a Keras model that can be loaded ({reason}); delete it, or run reproduce again"
            ) from None
    return models


def ask(models: dict[str, Any], encoded: Encoded) -> list[Prediction]:
    """P(positive) of an encoded review from each model (name -> Keras model), in the given order."""
    import numpy as np

    batch = np.array([encoded.indices], dtype="int32")
    return [
        Prediction(model=name, probability=float(model.predict(batch, verbose=0)[0, 0]))
        for name, model in models.items()
    ]


def report(encoded: Encoded, predictions: list[Prediction]) -> str:
    """The answer of `predict` as text for the terminal."""
    lines = [
        f"{p.model:<24} P(positive) = {p.probability:.3f}  ({'positive' if p.probability >= 0.5 else 'negative'})"
        for p in predictions
    ]
    lines.append("")
    lines.append("as the models read it: " + " ".join(encoded.words))
    if encoded.cut:
        lines.append(f"cut: the first {encoded.cut} words were cut off to keep the last {len(encoded.indices)}")
    if encoded.unknown:
        lines.append(
            f"unknown (outside the vocabulary's most frequent words, read as [OOV]): {', '.join(encoded.unknown)}"
        )
    if encoded.dropped:
        lines.append(f"not in the vocabulary at all (dropped, as in the training data): {', '.join(encoded.dropped)}")
    return "\n".join(lines)
