"""Executing one notebook with papermill: the one runner that `reproduce` and `sweep` share.

| piece | job |
|---|---|
| `NotebookJob` | a notebook of the chapter, the parameters it gets and the results file it leaves |
| `notebooks_dir` | where the chapter's notebooks are: inside the installed package, or the repository's `notebooks/` |
| `papermill_logging` | what the notebook prints goes to the run's log file (and, verbose, to the terminal) |
| `execute_notebook` | runs one notebook in a given kernel and returns its status record (a failing cell is a status) |
| `run_notebook` | the whole of it for one notebook: a kernel of this interpreter, its log, the execution |

The kernel itself (this interpreter, its C-level stderr sent to the log) is `chapter12.notebook.kernel`; the
progress line is `chapter12.notebook.progress`.
"""

from __future__ import annotations

import errno
import logging
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Iterator

from chapter12.errors import Chapter12Error
from chapter12.logs import is_backend_log_line
from chapter12.paths import CHECKOUT


@dataclass(frozen=True)
class NotebookJob:
    """One notebook to execute: its file, its parameters and the results file it leaves."""

    name: str
    parameters: dict
    results_file: str
    output: str | None = None  # the executed copy's file name, when not the notebook's own (the sweep's)


def notebooks_dir() -> Path:
    """The chapter's notebooks: package data of an installed wheel (chapter12/notebooks), else the
    repository's notebooks/ folder beside the package (an editable install, or a checkout on the path)."""
    packaged = Path(str(resources.files("chapter12"))) / "notebooks"
    repository = CHECKOUT / "notebooks"
    for folder in (packaged, repository):
        if (folder / "03_sentiment_accuracy.ipynb").is_file():
            return folder
    raise Chapter12Error(
        f"cannot find the chapter's notebooks (looked in {packaged} and {repository}); "
        "reinstall chapter12 (pip install . from its repository)"
    )


def _is_shown(record: logging.LogRecord) -> bool:
    # --verbose: keep what the notebook prints (one line per epoch); drop cell markers, object reprs and
    # the backends' C++ start-up lines, line by line.
    lines = [
        line
        for line in record.getMessage().splitlines()
        if line.strip()
        and not is_backend_log_line(line)
        and not line.strip().startswith(
            (
                "Executing Cell",
                "Ending Cell",
                "<IPython",
                "<Figure",
                "Executing notebook",
                "Input Notebook",
                "Output Notebook",
                "Executing:",
            )
        )
    ]
    record.msg, record.args = "\n".join(line.rstrip() for line in lines), None
    return bool(lines)


class _LogFileHandler(logging.FileHandler):
    """The run's log file. Writing it is best effort: a full disk is reported by the results, not by the log."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        pass

    def close(self) -> None:
        try:
            super().close()
        except OSError:  # the last flush on a full disk
            pass


@contextmanager
def papermill_logging(log_file: Path, verbose: bool) -> Iterator[None]:
    """Send what papermill logs (the notebook's own output, while a cell runs) to log_file, and with verbose
    also to the terminal, filtered; nothing reaches the terminal otherwise."""
    logger = logging.getLogger("papermill")
    handlers: list[logging.Handler] = [_LogFileHandler(log_file, encoding="utf-8", delay=True)]
    if verbose:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(logging.Formatter("    %(message)s"))
        stream.addFilter(_is_shown)
        handlers.append(stream)
    saved = (logger.level, logger.propagate)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for handler in handlers:
        logger.addHandler(handler)
    try:
        yield
    finally:
        for handler in handlers:
            logger.removeHandler(handler)
            handler.close()
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


# A write that failed for want of room or permission: no point in going on, nothing to keep.
NO_ROOM = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS}


def cannot_write(path, error: OSError) -> Chapter12Error:
    name = Path(error.filename).name if error.filename else Path(path).name
    return Chapter12Error(
        f"could not write {name} ({error.strerror}); free some space or choose another --out. "
        "Nothing was changed in the output folder"
    )


def _last_lines(error: Exception, count: int = 3) -> str:
    """The last lines of a notebook's error, without the terminal colours of IPython's traceback."""
    import re

    text = "\n".join(getattr(error, "traceback", None) or [str(error)])
    lines = [line for line in re.sub(r"\x1b\[[0-9;]*m", "", text).splitlines() if line.strip()]
    return " | ".join(line.strip() for line in lines[-count:])


def execute_notebook(job: NotebookJob, folder: Path, kernel_name: str, progress=None, km=None) -> dict:
    """Execute one notebook into folder with papermill (in kernel manager km's kernel, if given); returns its
    status record."""
    import papermill as pm

    target = folder / (job.output or job.name)
    record = {"name": target.name, "path": str(target), "parameters": job.parameters, "status": "ok"}
    started = time.perf_counter()
    try:
        pm.execute_notebook(
            str(notebooks_dir() / job.name),
            str(target),
            parameters=job.parameters,
            kernel_name=kernel_name,
            cwd=str(folder),
            progress_bar=progress.papermill_option() if progress is not None else False,
            log_output=True,
            km=km,
            # Written once at the end (or where it fails), not at every cell: an interrupted run keeps nothing anyway.
            request_save_on_cell_execute=False,
        )
    except pm.PapermillExecutionError as e:
        record.update(
            status="failed",
            error=f"cell {e.exec_count}: {e.ename}: {e.evalue}".strip(),
            cell=e.exec_count,
            last_lines=_last_lines(e),
        )
    except OSError as e:
        if e.errno in NO_ROOM:  # the executed notebook could not be written: the run cannot go on
            raise cannot_write(target, e) from None
        record.update(status="failed", error=f"{type(e).__name__}: {e}".splitlines()[0])
    except Exception as e:  # the kernel died or could not start
        record.update(status="failed", error=f"{type(e).__name__}: {e}".splitlines()[0])
    record["seconds"] = round(time.perf_counter() - started, 1)
    return record


def run_notebook(job: NotebookJob, folder: Path, log_file: Path) -> dict:
    """Execute one notebook into folder in a fresh kernel of this interpreter, everything it prints (and the
    kernel's C-level stderr) going to log_file, nothing to the terminal; returns its status record."""
    from chapter12.notebook.kernel import current_interpreter_kernel

    with current_interpreter_kernel(log_file) as kernel, papermill_logging(log_file, verbose=False):
        return execute_notebook(job, folder, kernel)
