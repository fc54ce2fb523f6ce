"""What `reproduce` shows in the terminal: a progress line per notebook, a short table at the end, a log
file with everything, and no line of TensorFlow's C++ start-up logging. The same in `--verbose` mode, which
streams the notebooks' own output: tests/test_interrupt.py, whose twelve runs are all verbose."""

from __future__ import annotations

import io
import re

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


def test_quick_run_is_quiet_and_logs_everything(quick_run, quick_run_output):
    # The session's quick run (tests/conftest.py): the command in a process of its own, neither TF_CPP_MIN_LOG_LEVEL
    # nor CHAPTER12_DATA set, so TensorFlow's C++ core logs at start-up in the command and in both kernels.
    stdout, stderr = quick_run_output
    lines = (stdout + stderr).splitlines()
    assert len(lines) <= 16, lines
    assert not [line for line in lines if is_backend_log_line(line) or "cuInit" in line], lines
    # A pipe: one line as each notebook starts and one as it ends, and nothing else on stderr.
    labels = [r"\[1/2\] accuracy", r"\[2/2\] maths   "]
    assert re.fullmatch("".join(rf"{label}: running\n{label}: ok in \d+:\d\d\n" for label in labels), stderr), stderr
    log = quick_run / "reproduce.log"
    assert f"log: {log}" in stdout
    text = log.read_text(encoding="utf-8")
    # Everything the notebooks printed is in the log: each line of every cell's printed output.
    for name, shown in (("01_rnn_lstm_maths.ipynb", "the book's parameters:"), ("03_sentiment_accuracy.ipynb", "")):
        executed = nbformat.read(quick_run / name, as_version=4)
        printed = [
            line.strip()
            for cell in executed.cells
            if cell.cell_type == "code"
            for out in cell.get("outputs", [])
            if out.get("output_type") == "stream"
            for line in out["text"].splitlines()
            if line.strip()
        ]
        assert len(printed) >= 3 and shown in " ".join(printed), name
        assert [line for line in printed if line not in text] == [], name
