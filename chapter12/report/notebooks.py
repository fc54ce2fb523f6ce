"""The chapter's notebooks and the results file each one leaves: a declared schema, read by `reproduce`.

Every notebook ends by calling `save_results(output_dir, kind, {...})`. The file it writes carries
`kind` (which notebook measured it) and `schema_version`, so whoever reads it knows what it holds
without guessing from the keys that happen to be present.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, NamedTuple

from chapter12.errors import Chapter12Error
from chapter12.files import write_json

SCHEMA_VERSION = 1


class Notebook(NamedTuple):
    """One of the chapter's notebooks: its file in notebooks/ and the results file it writes."""

    filename: str
    results_file: str


# In running order (the accuracy notebook trains the models that the inside notebook reads); the key is the
# notebook's name on the command line and the `kind` of its results. The files are numbered in reading order.
NOTEBOOKS = {
    "accuracy": Notebook("03_sentiment_accuracy.ipynb", "accuracy_results.json"),
    "timing": Notebook("05_timing.ipynb", "timing_results.json"),
    "maths": Notebook("01_rnn_lstm_maths.ipynb", "maths_results.json"),
    "embeddings": Notebook("02_word_embeddings.ipynb", "embeddings_results.json"),
    "inside": Notebook("04_inside_the_models.ipynb", "inside_results.json"),
}
# The sweep's notebook is not run by reproduce: `sweep` executes it on its own results into OUT/sweep.ipynb.
SWEEP_SOURCE = "06_sweep.ipynb"
SWEEP_OUTPUT = "sweep.ipynb"
# The names the notebooks had before they were numbered: run folders and references written then hold them, and
# handouts, the site and `--only` still accept them.
OLD_NAMES = {notebook.filename.split("_", 1)[1]: notebook.filename for notebook in NOTEBOOKS.values()}


def current_name(filename: str) -> str:
    """A notebook's file name today, given its name now or before the notebooks were numbered."""
    return OLD_NAMES.get(filename, filename)


def notebook_key(name: str) -> str:
    """The key of NOTEBOOKS ("accuracy") for a key or a notebook's file name, with or without .ipynb, old or new
    ("03_sentiment_accuracy", "sentiment_accuracy.ipynb"); a Chapter12Error lists the keys for anything else."""
    if name in NOTEBOOKS:
        return name
    filename = current_name(name if str(name).endswith(".ipynb") else f"{name}.ipynb")
    for key, notebook in NOTEBOOKS.items():
        if notebook.filename == filename:
            return key
    raise Chapter12Error(f"unknown notebook {name!r}; choose from {', '.join(NOTEBOOKS)}")


# What each kind must hold, beyond kind and schema_version.
REQUIRED_KEYS = {
    "accuracy": ("runs", "config", "environment"),
    "timing": ("timing", "matmul_flops_per_second", "environment", "config"),
    "maths": ("config", "environment"),
    "embeddings": ("config", "environment"),
    "inside": ("reach", "config", "environment"),
}


def save_results(output_dir: "str | os.PathLike", kind: str, payload: dict[str, Any]) -> Path:
    """Write a notebook's results as OUTPUT_DIR/<kind>_results.json, with its kind and schema version; returns the
    path."""
    if kind not in NOTEBOOKS:
        raise Chapter12Error(f"unknown results kind {kind!r}; choose from {', '.join(NOTEBOOKS)}")
    missing = [k for k in REQUIRED_KEYS[kind] if k not in payload]
    if missing:
        raise Chapter12Error(f"{kind} results lack {', '.join(missing)}")
    path = Path(output_dir) / NOTEBOOKS[kind].results_file
    write_json(path, {"kind": kind, "schema_version": SCHEMA_VERSION} | payload)
    return path


def read_results(path: "str | os.PathLike") -> dict[str, Any]:
    """Read a results file that save_results wrote, checking its kind, version and keys."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise Chapter12Error(f"cannot read the results file {path} ({e})") from None
    kind = data.get("kind") if isinstance(data, dict) else None
    if kind not in NOTEBOOKS:
        raise Chapter12Error(f"{path} is not a chapter12 results file (kind {kind!r}); rerun its notebook")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise Chapter12Error(
            f"{path} has schema version {data.get('schema_version')!r}, this chapter12 reads "
            f"{SCHEMA_VERSION}; rerun its notebook"
        )
    missing = [k for k in REQUIRED_KEYS[kind] if k not in data]
    if missing:
        raise Chapter12Error(f"{path} ({kind}) lacks {', '.join(missing)}; rerun its notebook")
    return data
