"""The one home for argument checks: each returns its value when it is good and raises a
Chapter12Error whose message says what was wrong and what to do when it is not.

This module imports nothing else from chapter12 but the error type, so every other module can use it.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

from chapter12.errors import Chapter12Error

MODEL_KINDS = ("simple_rnn", "lstm", "gru", "bidirectional_lstm")
BACKENDS = ("tensorflow", "jax", "torch")
# How the Stanford reviews become words: "keras" (exactly Keras's imdb.npz) or "clean" (chapter12's own tokenizer).
VOCABULARIES = ("keras", "clean")
_INSTALL_HINT = {"torch": "pip install torch==2.13.0", "jax": "pip install jax", "tensorflow": "pip install tensorflow"}


def is_number(value) -> bool:
    """True for an int or a float, False for a bool or anything else."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_positive_int(name: str, value, minimum: int = 1) -> int:
    """Return value if it is an int >= minimum, else raise a Chapter12Error naming it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise Chapter12Error(f"{name} must be a whole number, got {value!r}")
    if value < minimum:
        raise Chapter12Error(f"{name} must be at least {minimum}, got {value}")
    return value


def check_fraction(name: str, value, *, allow_zero: bool = True) -> float:
    """Return value if it is a number in [0, 1) (or (0, 1) when allow_zero is False), else raise."""
    low_ok = (lambda v: v >= 0.0) if allow_zero else (lambda v: v > 0.0)
    if not is_number(value) or not (low_ok(value) and value < 1.0):
        where = "in [0, 1)" if allow_zero else "strictly between 0 and 1"
        raise Chapter12Error(f"{name} must be a number {where}, got {value!r}")
    return value


def check_choice(name: str, value, choices) -> str:
    """Return value if it is one of choices, else raise a Chapter12Error listing them."""
    if value not in choices:
        raise Chapter12Error(f"unknown {name} {value!r}; choose from {', '.join(choices)}")
    return value


def check_model_kind(kind: str) -> str:
    """Return kind if chapter12 can build it, else raise a Chapter12Error listing the choices."""
    return check_choice("model kind", kind, MODEL_KINDS)


def check_vocabulary(vocabulary) -> str:
    """Return vocabulary if it is "keras" or "clean", else raise a Chapter12Error."""
    return check_choice("vocabulary", vocabulary, VOCABULARIES)


def check_seed(seed) -> int:
    """The seed as an int that np.random.RandomState and Keras accept (0 to 2**32 - 1), else a Chapter12Error."""
    import numpy as np

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise Chapter12Error(f"seed must be a whole number, got {seed!r}")
    if not 0 <= seed < 2**32:
        raise Chapter12Error(f"seed must be between 0 and 2**32 - 1, got {seed}")
    return int(seed)


def check_verbose(verbose) -> int:
    """Keras's verbose levels: 0 silent, 1 progress bar, 2 one line per epoch."""
    if isinstance(verbose, bool) or verbose not in (0, 1, 2):
        raise Chapter12Error(f"verbose must be 0, 1 or 2, got {verbose!r}")
    return verbose


def check_backend(backend: str) -> str:
    """Return backend if Keras can use it here, else raise a Chapter12Error saying how to get it."""
    check_choice("backend", backend, BACKENDS)
    if importlib.util.find_spec(backend) is None:
        raise Chapter12Error(f"the {backend} backend is not installed; {_INSTALL_HINT[backend]}")
    return backend


def check_can_create_folder(folder: "str | os.PathLike", flag: str = "--out") -> None:
    """Raise a Chapter12Error unless `folder` (and the folders above it) can be created where it is asked for.

    The operating system is asked, by making and removing an empty folder in the nearest existing
    folder above: permission bits alone say yes to root under /proc, where nothing can be made.
    """
    ancestor = Path(folder).absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise Chapter12Error(
            f"{flag} {folder}: {ancestor} is a file, so no folder can be made there; choose another {flag}"
        )
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".chapter12-probe-", dir=ancestor))
    except OSError as e:
        raise Chapter12Error(
            f"{flag} {folder}: cannot create a folder in {ancestor} ({e.strerror}); choose a writable place"
        ) from None
