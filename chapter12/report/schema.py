"""What each line of a sweep's results.jsonl must hold, in one place: the header (which grid settings the
file belongs to) and the cell lines (as `chapter12.sweep.engine._record` writes them), field by field,
with their types and ranges. Nothing reads a line before it passes these checks."""

from __future__ import annotations

import math
from typing import Any, Callable

from chapter12.checks import BACKENDS, MODEL_KINDS, VOCABULARIES, is_number

KIND = "chapter12-sweep"  # the first line of every results.jsonl says so
SCHEMA_VERSION = 1
LARGEST = 2**31 - 1  # maxlen, num_words, units: Keras's shapes are 32-bit
BIG = 1e9  # no cell takes 1e9 s (32 years), no metric reaches it; near 1e308 the report's sums would overflow

Rule = tuple[Callable[[Any], bool], str]  # (does a value pass?, what it must be, in words)


def _number(v, low: float, high: float, below_high: bool = False) -> bool:
    """An int or a float (a bool is neither) from low to high (high itself left out when below_high): never
    NaN or infinite, and a huge int is compared exactly, not turned into a float."""
    return is_number(v) and low <= v and (v < high if below_high else v <= high)


def _whole(v, low: int, high: float = math.inf) -> bool:
    """An int from low to high; a bool is not one."""
    return isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


def _text(v) -> bool:
    """A str that can be written as UTF-8 (a lone surrogate cannot)."""
    if not isinstance(v, str):
        return False
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _list(v, item: Callable[[Any], bool], at_least: int = 0) -> bool:
    """A list of at least `at_least` items, each passing `item`."""
    return isinstance(v, list) and len(v) >= at_least and all(item(x) for x in v)


def _object(v, value: Callable[[Any], bool]) -> bool:
    """A JSON object (text keys) whose values each pass `value`."""
    return isinstance(v, dict) and all(_text(k) and value(x) for k, x in v.items())


SETTINGS: dict[str, Rule] = {  # the header's settings, as chapter12.sweep.grid.Settings writes them
    "data": (_text, "a string"),
    "data_fingerprint": (_text, "a string"),
    "vocabulary": (lambda v: v in VOCABULARIES, "one of " + ", ".join(VOCABULARIES)),
    "epochs": (lambda v: _whole(v, 1), "a whole number >= 1"),
    "batch_size": (lambda v: _whole(v, 1), "a whole number >= 1"),
}
PARAMS: dict[str, Rule] = {  # a cell's axes, as chapter12.sweep.grid.Cell.params writes them
    "model": (lambda v: v in MODEL_KINDS, "one of " + ", ".join(MODEL_KINDS)),
    "seed": (lambda v: _whole(v, 0, 2**32 - 1), "a whole number from 0 to 2**32 - 1"),
    "maxlen": (lambda v: _whole(v, 1, LARGEST), "a whole number from 1 to 2**31 - 1"),
    "num_words": (lambda v: _whole(v, 4, LARGEST), "a whole number from 4 to 2**31 - 1"),
    "units": (lambda v: _whole(v, 1, LARGEST), "a whole number from 1 to 2**31 - 1"),
    "recurrent_dropout": (lambda v: _number(v, 0, 1, below_high=True), "a number in [0, 1)"),
    "backend": (lambda v: v in BACKENDS, "one of " + ", ".join(BACKENDS)),
}
CELL: dict[str, Rule] = {  # every cell line
    "key": (lambda v: _text(v) and v.strip() != "", "a non-empty string"),
    "status": (lambda v: v in ("ok", "failed"), "ok or failed"),
    "params": (lambda v: isinstance(v, dict), "an object of the cell's axes"),
}
FINISHED: dict[str, Rule] = {  # a cell whose status is ok
    "test_accuracy": (lambda v: _number(v, 0, 1), "a number in [0, 1]"),
    "test_loss": (lambda v: _number(v, 0, BIG), "a number in [0, 1e9]"),
    "epoch_seconds": (
        lambda v: _list(v, lambda x: _number(x, 0, BIG), at_least=1),
        "a list of numbers in [0, 1e9], one per epoch",
    ),
    "history": (
        lambda v: _object(v, lambda x: _list(x, lambda y: _number(y, -BIG, BIG))),
        "an object of lists of numbers in [-1e9, 1e9]",
    ),
    "n_train": (lambda v: _whole(v, 0), "a whole number >= 0"),
    "n_val": (lambda v: _whole(v, 0), "a whole number >= 0"),
    "n_test": (lambda v: _whole(v, 0), "a whole number >= 0"),
    "seconds": (lambda v: _number(v, 0, BIG), "a number in [0, 1e9]"),
}
FAILED: dict[str, Rule] = {"error": (_text, "a string")}  # a cell whose status is failed
OPTIONAL: dict[str, Rule] = {  # checked where a line has them
    "seconds": (lambda v: _number(v, 0, BIG), "a number in [0, 1e9]"),
    "worker": (lambda v: v is None or _text(v), "a string or null"),
    "threads": (lambda v: v is None or _whole(v, 1), "a whole number >= 1 or null"),
    "log": (lambda v: v is None or _text(v), "a string or null"),
    "finished": (_text, "a string"),
    "phases": (
        lambda v: v is None or _object(v, lambda x: _number(x, 0, BIG)),
        "an object of numbers in [0, 1e9], or null",
    ),
    "keras_backend": (lambda v: v is None or _text(v), "a string or null"),
    "log_tail": (lambda v: _list(v, _text), "a list of strings"),
}


def shown(value: Any, width: int = 40) -> str:
    """repr of value, cut to width characters, for an error message."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _first_problem(record: dict, rules: dict[str, Rule], prefix: str = "", required: bool = True) -> str | None:
    """The first field of record that breaks its rule, in words ('test_accuracy missing'), or None."""
    for name, (ok, what) in rules.items():
        if name not in record:
            if required:
                return f"{prefix}{name} missing"
        elif not ok(record[name]):
            return f"{prefix}{name} must be {what}, got {shown(record[name])}"
    return None


def header_problem(head: dict) -> str | None:
    """What is wrong with the settings of a results file's header (its kind and version are checked first)."""
    settings = head.get("settings")
    if not isinstance(settings, dict):
        return "settings missing" if "settings" not in head else f"settings must be an object, got {shown(settings)}"
    return _first_problem(settings, SETTINGS, "settings.")


def cell_problem(record: Any) -> str | None:
    """What is wrong with one cell line (as parsed from JSON), in words, or None when nothing is."""
    if not isinstance(record, dict):
        return "not a cell record (not a JSON object)"
    problem = _first_problem(record, CELL)
    if problem:
        return problem
    unknown = sorted(set(record["params"]) - set(PARAMS))
    if unknown:
        return f"params has {shown(unknown[0])}, which is not an axis of a sweep (they are {', '.join(PARAMS)})"
    return (
        _first_problem(record["params"], PARAMS, "params.")
        or _first_problem(record, FINISHED if record["status"] == "ok" else FAILED)
        or _first_problem(record, OPTIONAL, required=False)
    )
