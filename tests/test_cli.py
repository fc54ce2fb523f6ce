"""The command line's answers to bad input: one line, a non-zero status, nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("CHAPTER12_DATA", None)
    return subprocess.run(
        [sys.executable, "-m", "chapter12", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def assert_one_line_error(result: subprocess.CompletedProcess, *needles: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0]


def test_missing_data_path(tmp_path):
    out = tmp_path / "out"
    result = run_cli("reproduce", "--data", str(tmp_path / "nope.tar.gz"), "--out", str(out), cwd=tmp_path)
    assert_one_line_error(result, "does not exist", "--data", "--quick")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no staging folder left either


def test_file_that_is_not_imdb(tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello")
    out = tmp_path / "out"
    result = run_cli("reproduce", "--data", str(bogus), "--out", str(out), cwd=tmp_path)
    assert_one_line_error(result, "is not IMDB data")
    assert not out.exists()


def test_npz_that_is_not_imdb(tmp_path):
    import numpy as np

    bogus = tmp_path / "weights.npz"
    np.savez(bogus, a=np.zeros(3))
    result = run_cli("reproduce", "--data", str(bogus), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert_one_line_error(result, "lacks the arrays")


def test_zero_epochs(tmp_path):
    out = tmp_path / "out"
    result = run_cli("reproduce", "--quick", "--epochs", "0", "--out", str(out), cwd=tmp_path)
    assert_one_line_error(result, "epochs must be at least 1")
    assert not out.exists()


def test_unknown_model(tmp_path):
    result = run_cli("reproduce", "--quick", "--models", "transformer", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert_one_line_error(result, "unknown model kind 'transformer'", "lstm")


def test_seed_that_is_not_a_number(tmp_path):
    result = run_cli("reproduce", "--quick", "--seeds", "one", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert_one_line_error(result, "--seeds", "invalid int value")


def test_existing_output_folder_is_not_mixed(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.json").write_text('{"runs": []}')
    result = run_cli("reproduce", "--quick", "--out", str(out), cwd=tmp_path)
    assert_one_line_error(result, "already holds files", "--overwrite")
    assert (out / "results.json").read_text() == '{"runs": []}'


def test_debug_shows_the_traceback(tmp_path):
    result = run_cli(
        "--debug", "reproduce", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "o"), cwd=tmp_path
    )
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "Chapter12Error" in result.stderr


def test_make_full_without_data_is_one_error_line_before_any_install(tmp_path):
    import shutil

    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    # VENV in tmp_path: had the check come after the install, a new environment would appear there.
    result = subprocess.run(
        [make, "-C", str(REPO), "--no-print-directory", "full", f"VENV={tmp_path / 'venv'}"],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "DATA"},
    )
    assert result.returncode != 0
    ours = [line for line in result.stderr.splitlines() if not line.startswith("make")]
    assert len(ours) == 1 and ours[0].startswith("error: make full needs the data: make full DATA=PATH"), result.stderr
    assert not (tmp_path / "venv").exists()


def test_the_command_lines_defaults_are_the_books():
    from chapter12.book import BookConfig
    from chapter12.run.cli import _parser

    book = BookConfig()
    train = _parser().parse_args(["train"])
    assert (train.maxlen, train.num_words, train.units, train.recurrent_dropout, train.epochs, train.batch_size) == (
        book.maxlen,
        book.num_words,
        book.units,
        book.recurrent_dropout,
        book.epochs,
        book.batch_size,
    )
    assert _parser().parse_args(["time"]).batch_size == book.batch_size


_STARTS = r"""
import sys
import chapter12.run.cli as cli

def main(argv):
    import nbformat
    import papermill  # noqa: F401  (what reproduce, sweep and handouts import)

    nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]))
    broken = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    broken.cells[0]["cell_type"] = "kode"
    try:
        nbformat.validate(broken)
        return 3  # a broken notebook passed
    except nbformat.ValidationError:
        pass
    print("loaded" if sys.modules.get("rfc3987_syntax") is not None else "kept out")
    return 0

cli.main = main
cli.console([])
"""


def test_the_command_starts_without_jsonschemas_iri_grammars_and_still_validates_notebooks(tmp_path):
    # jsonschema builds rfc3987_syntax's Lark grammars as it is imported (1.6 s of each command's start); the
    # command keeps that module out, and nbformat's validation, which uses no IRI format, still works.
    done = subprocess.run([sys.executable, "-c", _STARTS], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout.strip()) == (0, "kept out"), done.stderr
