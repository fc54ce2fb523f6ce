"""What `reproduce` shows in the terminal: a progress line per notebook, a short table at the end, a log
file with everything, and no line of TensorFlow's C++ start-up logging, in either mode."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import nbformat

from chapter12.logs import is_backend_log_line
from chapter12.notebook.progress import NotebookProgress, section_of_each_cell

CELLS = [
    nbformat.v4.new_markdown_cell("# Title\n\nintro"),
    nbformat.v4.new_code_cell("x = 1"),
    nbformat.v4.new_markdown_cell("text without a heading"),
    nbformat.v4.new_markdown_cell("## Training"),
    nbformat.v4.new_code_cell("y = 2"),
    nbformat.v4.new_code_cell("z = 3"),
]


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_each_cell_knows_its_section():
    assert section_of_each_cell(CELLS) == ["Title", "Title", "Title", "Training", "Training", "Training"]


def test_the_line_counts_cells_names_the_section_and_estimates_what_is_left():
    progress = NotebookProgress("[1/2] accuracy", stream=io.StringIO(), interactive=False)
    progress.begin(CELLS)
    for index in range(5):
        progress.cell_start(index)
        progress.cell_complete(index)
    progress.cell_start(5)
    line = progress.line()
    assert line.startswith("[1/2] accuracy [") and "5/6 cells" in line and "Training" in line
    assert "left" in line  # two of the three code cells are done: an estimate for the last one
    progress.cell_complete(5)
    assert "left" not in progress.line()  # nothing left to estimate


def test_a_pipe_gets_one_line_at_the_start_and_one_at_the_end():
    stream = io.StringIO()
    progress = NotebookProgress("[1/1] maths", stream=stream, interactive=False)
    progress.begin(CELLS)
    for index in range(len(CELLS)):
        progress.cell_start(index)
        progress.cell_complete(index)
    progress.end("ok", 65.2)
    assert stream.getvalue().splitlines() == ["[1/1] maths: running 6 cells", "[1/1] maths: ok in 1:05"]


def test_a_terminal_gets_the_line_redrawn_in_place():
    stream = FakeTerminal()
    progress = NotebookProgress("[1/1] maths", stream=stream)
    progress.begin(CELLS)
    progress.cell_start(0)
    progress.cell_complete(0)
    progress.end("failed", 3)
    text = stream.getvalue()
    assert text.count("\r\x1b[K") >= 2 and "1/6 cells" in text
    assert text.endswith("\r\x1b[K[1/1] maths: failed in 0:03\n")


def _run(tmp_path, *flags):
    env = {k: v for k, v in os.environ.items() if k not in ("CHAPTER12_DATA", "TF_CPP_MIN_LOG_LEVEL")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "chapter12",
            "reproduce",
            "--quick",
            "--only",
            "maths",
            *flags,
            "--out",
            str(tmp_path / "out"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_quick_run_is_quiet_and_logs_everything(tmp_path):
    # The maths notebook alone: about 20 s, and it imports TensorFlow, whose C++ core logs at start-up.
    result = _run(tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = (result.stdout + result.stderr).splitlines()
    assert len(lines) <= 12, lines
    assert not [line for line in lines if is_backend_log_line(line) or "cuInit" in line], lines
    assert "[1/1] maths: ok in" in result.stderr
    log = tmp_path / "out" / "reproduce.log"
    assert f"log: {log}" in result.stdout
    text = log.read_text(encoding="utf-8")
    # Everything the notebook printed is in the log: each line of every cell's printed output.
    executed = nbformat.read(tmp_path / "out" / "rnn_lstm_maths.ipynb", as_version=4)
    printed = [
        line.strip()
        for cell in executed.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream"
        for line in out["text"].splitlines()
        if line.strip()
    ]
    assert len(printed) >= 3 and "the book's parameters:" in " ".join(printed)
    assert [line for line in printed if line not in text] == []


def test_verbose_streams_the_notebooks_output_without_backend_logs(tmp_path):
    result = _run(tmp_path, "--verbose")
    assert result.returncode == 0, result.stderr[-2000:]
    output = result.stdout + result.stderr
    assert "the book's parameters:" in output and "executing rnn_lstm_maths.ipynb" in output
    assert not [line for line in output.splitlines() if is_backend_log_line(line.strip()) or "cuInit" in line]
