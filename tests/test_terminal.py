"""What `reproduce` shows in the terminal: a progress line per notebook, a short table at the end, a log
file with everything, and no line of TensorFlow's C++ start-up logging, in either mode."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import nbformat

from chapter12.logs import is_backend_log_line
from chapter12.notebook.progress import NotebookProgress

CELLS = [
    nbformat.v4.new_markdown_cell("# Title\n\nintro"),
    nbformat.v4.new_code_cell("x = 1"),
    nbformat.v4.new_markdown_cell("## Training"),
    nbformat.v4.new_code_cell("y = 2"),
]


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_a_pipe_gets_one_line_at_the_start_and_one_at_the_end_and_no_bar():
    stream = io.StringIO()
    progress = NotebookProgress("[1/1] maths", stream=stream)
    assert progress.papermill_option() is False  # papermill draws no bar into a pipe
    progress.begin()
    progress.end("ok", 65.2)
    assert stream.getvalue().splitlines() == ["[1/1] maths: running", "[1/1] maths: ok in 1:05"]


def test_a_terminal_gets_papermills_bar_labelled_and_redrawn_in_place():
    # papermill's own execution manager draws the bar with the settings the progress hands it, cell by cell.
    from papermill.engines import NotebookExecutionManager
    from papermill.execute import prepare_notebook_metadata

    stream = FakeTerminal()
    progress = NotebookProgress("[1/1] maths", stream=stream)
    progress.begin()
    nb = nbformat.v4.new_notebook(cells=CELLS, metadata={"papermill": {}})  # as papermill reads a notebook
    nb = prepare_notebook_metadata(nb, "in.ipynb", "out.ipynb")
    every_cell = progress.papermill_option() | {"mininterval": 0}  # redrawn at each cell, however quick
    manager = NotebookExecutionManager(nb, progress_bar=every_cell)
    manager.notebook_start()
    for index, cell in enumerate(manager.nb.cells):
        manager.cell_start(cell, index)
        manager.cell_complete(cell, index)
    manager.cleanup_pbar()
    progress.end("failed", 3)
    text = stream.getvalue()
    assert "\r[1/1] maths" in text and "4/4 cells" in text and "|####################|" in text
    assert text.endswith("\r[1/1] maths: failed in 0:03\n")  # the bar is cleared and the end line takes its place


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
    executed = nbformat.read(tmp_path / "out" / "01_rnn_lstm_maths.ipynb", as_version=4)
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
    assert "the book's parameters:" in output and "executing 01_rnn_lstm_maths.ipynb" in output
    assert not [line for line in output.splitlines() if is_backend_log_line(line.strip()) or "cuInit" in line]
