"""The grid of a sweep: axes (models x seeds x maxlen x num_words x units x recurrent_dropout x backend),
the settings every cell shares, and one `Cell` per combination with a key that names it for good."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from chapter12.book import BookConfig
from chapter12.checks import (
    BACKENDS,
    check_choice,
    check_fraction,
    check_model_kind,
    check_positive_int,
    check_seed,
)
from chapter12.errors import Chapter12Error

_BOOK = BookConfig()
# The axes a grid may vary, in the order cells are listed, with the book's value as the default.
AXES: dict[str, tuple] = {
    "models": ("simple_rnn", "lstm"),
    "seeds": (0,),
    "maxlen": (_BOOK.maxlen,),
    "num_words": (_BOOK.num_words,),
    "units": (_BOOK.units,),
    "recurrent_dropout": (_BOOK.recurrent_dropout,),
    "backend": (None,),  # None: $KERAS_BACKEND, else tensorflow
}
# Settings every cell of a grid shares (a grid file may set them too; flags win).
SETTINGS = ("data", "quick", "vocabulary", "epochs", "batch_size")
# How much dearer each model's step is than the simple RNN's (gates): only for choosing which cell starts first.
MODEL_COST = {"simple_rnn": 1, "gru": 3, "lstm": 4, "bidirectional_lstm": 8}
# A cell's name for each axis (the axes are plural where the reproduce flags are).
PARAM_OF_AXIS = {"models": "model", "seeds": "seed"}


def param_name(axis: str) -> str:
    """The name of one cell's value on an axis: models -> model, seeds -> seed, the others unchanged."""
    return PARAM_OF_AXIS.get(axis, axis)


def _check_value(axis: str, value):
    if axis == "models":
        return check_model_kind(value)
    if axis == "seeds":
        return check_seed(value)
    if axis == "maxlen":
        return check_positive_int("maxlen", value)
    if axis == "num_words":
        return check_positive_int("num_words", value, minimum=4)
    if axis == "units":
        return check_positive_int("units", value)
    if axis == "recurrent_dropout":
        return float(check_fraction("recurrent_dropout", value))
    if axis == "backend":
        return check_choice("backend", value, BACKENDS)
    raise AssertionError(axis)


@dataclass(frozen=True)
class Settings:
    """What every cell of a grid shares: the data and the training settings the axes leave alone."""

    data: str = "keras"  # "sample", "keras" (the download) or an absolute path
    data_fingerprint: str = ""
    vocabulary: str = "keras"
    epochs: int = _BOOK.epochs
    batch_size: int = _BOOK.batch_size

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Cell:
    """One training run of a grid: the axes' values, and the settings it shares with the others."""

    model: str
    seed: int
    maxlen: int
    num_words: int
    units: int
    recurrent_dropout: float
    backend: str
    settings: Settings = field(compare=False)

    def params(self) -> dict[str, Any]:
        """The axes' values of this cell (a JSON-ready dict)."""
        d = asdict(self)
        d.pop("settings")
        return d

    @property
    def key(self) -> str:
        """16 hex digits of SHA-256 over the cell's parameters, its settings and the data's fingerprint:
        the same cell of the same data always gets the same key, any change gets another."""
        return cell_key(self.params(), self.settings.to_dict())

    def cost(self) -> float:
        """A rough relative cost: one step per word, of a cell about 4 times as dear for an LSTM (4 gates)."""
        return self.maxlen * self.units * MODEL_COST.get(self.model, 4)

    def label(self) -> str:
        return (
            f"{self.model} seed={self.seed} maxlen={self.maxlen} num_words={self.num_words} units={self.units} "
            f"recurrent_dropout={self.recurrent_dropout:g} {self.backend}"
        )


def cell_key(params: dict[str, Any], settings: dict[str, Any]) -> str:
    """The key of a cell from its parameters and settings (see `Cell.key`)."""
    text = json.dumps({"params": params, "settings": settings}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def read_grid_file(path: "str | os.PathLike") -> dict[str, Any]:
    """The axes and settings of a grid file: TOML (.toml), YAML (.yaml, .yml) or JSON (.json)."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise Chapter12Error(f"cannot read the grid file {path} ({getattr(e, 'strerror', None) or e})") from None
    try:
        if suffix == ".toml":
            try:
                import tomllib
            except ModuleNotFoundError:  # Python 3.10
                raise Chapter12Error("TOML grid files need Python 3.11+; write the grid as .yaml or .json") from None
            data = tomllib.loads(text)
        elif suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        elif suffix == ".json":
            data = json.loads(text)
        else:
            raise Chapter12Error(
                f"grid file {path}: unknown format {suffix or '(no suffix)'}; use .toml, .yaml or .json"
            )
    except Chapter12Error:
        raise
    except Exception as e:  # each parser raises its own type for a malformed file
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise Chapter12Error(f"grid file {path} is not valid {suffix[1:].upper()} ({first})") from None
    if not isinstance(data, dict):
        raise Chapter12Error(f"grid file {path} must hold a table of parameters (e.g. maxlen = [50, 100])")
    # The file may use the singular names of the cell too (model, seed).
    singular = {v: k for k, v in PARAM_OF_AXIS.items()}
    data = {singular.get(k, k): v for k, v in data.items()}
    unknown = sorted(set(data) - set(AXES) - set(SETTINGS))
    if unknown:
        raise Chapter12Error(
            f"unknown parameter {unknown[0]!r} in grid file {path}; known: {', '.join(list(AXES) + list(SETTINGS))}"
        )
    return data


@dataclass
class Grid:
    """The axes of a sweep (each a tuple of values) and its shared settings."""

    axes: dict[str, tuple]
    settings: Settings

    @classmethod
    def from_values(cls, values: dict[str, Any], settings: Settings) -> "Grid":
        """Check every axis (a list of values or one value; missing axes take the book's value) and build the grid."""
        axes = {}
        for axis, default in AXES.items():
            raw = values.get(axis)
            if raw is None:
                raw = default if axis != "backend" else (os.environ.get("KERAS_BACKEND") or "tensorflow",)
            if isinstance(raw, (str, int, float)):
                raw = [raw]
            if not isinstance(raw, (list, tuple)):
                raise Chapter12Error(f"{axis} must be a list of values, got {raw!r}")
            if len(raw) == 0:
                raise Chapter12Error(f"the grid is empty: {axis} has no values; give it at least one")
            checked = []
            for value in raw:
                value = _check_value(axis, value)
                if value not in checked:
                    checked.append(value)
            axes[axis] = tuple(checked)
        return cls(axes, settings)

    def cells(self) -> list[Cell]:
        """Every combination of the axes, each once, in a fixed order (seeds vary slowest, so a
        sweep stopped early has whole seeds done rather than one seed of everything)."""
        order = ["seeds", "backend", "units", "recurrent_dropout", "num_words", "maxlen", "models"]
        cells = []
        for combo in itertools.product(*(self.axes[a] for a in order)):
            values = {param_name(a): v for a, v in zip(order, combo)}
            cells.append(Cell(settings=self.settings, **values))
        return cells

    def varying(self) -> list[str]:
        """The axes with more than one value."""
        return [a for a, v in self.axes.items() if len(v) > 1]

    def describe(self) -> str:
        """One line per axis, then the settings and the number of cells."""
        lines = [f"  {a:<18} {' '.join(str(v) for v in vals)}" for a, vals in self.axes.items()]
        s = self.settings
        lines.append(f"  {'data':<18} {s.data} (vocabulary {s.vocabulary}, fingerprint {s.data_fingerprint[:12]})")
        lines.append(f"  {'epochs':<18} {s.epochs}, batch size {s.batch_size}")
        return "\n".join(lines)
