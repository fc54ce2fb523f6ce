"""What `reproduce` shows in the terminal while a notebook runs: one line per notebook, redrawn in place.

    [1/4] accuracy    [########------------] 12/30 cells  Training  0:21, ~0:15 left

The bar counts the notebook's cells, the section is the last heading above the running cell, and
the estimate spreads the time so far over the code cells still to run. Where the terminal is not
interactive (a pipe, a CI log), only a line at the start and one at the end of each notebook are
printed.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, TextIO

_WIDTH = 20  # characters of the bar


def clock(seconds: float) -> str:
    """Seconds as m:ss, or h:mm:ss from an hour on."""
    seconds = int(round(seconds))
    return (
        f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        if seconds >= 3600
        else f"{seconds // 60}:{seconds % 60:02d}"
    )


def section_of_each_cell(cells: list[Any]) -> list[str]:
    """For every cell, the text of the last Markdown heading at or above it ("" before the first)."""
    current, sections = "", []
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            for line in str(cell.get("source", "")).splitlines():
                if line.startswith("#"):
                    current = line.lstrip("#").strip()
                    break
        sections.append(current)
    return sections


class NotebookProgress:
    """The progress of one notebook: fed by the engine at each cell's start and end, drawn on `stream`."""

    def __init__(self, label: str, stream: TextIO | None = None, interactive: bool | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.cells: list[Any] = []
        self.sections: list[str] = []
        self.done = 0
        self.code_done = 0
        self.current: int | None = None
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    # --- fed by the engine

    def begin(self, cells: list[Any]) -> None:
        """The notebook's cells are known: start the clock (and, on a terminal, the ticker)."""
        self.cells, self.sections = list(cells), section_of_each_cell(cells)
        self.started = time.monotonic()
        if self.interactive:
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()
        else:
            self._write(f"{self.label}: running {len(self.cells)} cells\n")

    def cell_start(self, index: int | None) -> None:
        """A cell started."""
        with self._lock:
            self.current = index
        self._draw()

    def cell_complete(self, index: int | None) -> None:
        """A cell finished (successfully or not)."""
        with self._lock:
            self.done += 1
            if index is not None and index < len(self.cells) and self.cells[index].get("cell_type") == "code":
                self.code_done += 1
        self._draw()

    def end(self, status: str, seconds: float) -> None:
        """Stop redrawing and leave one final line."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2)
        clear = "\r\033[K" if self.interactive else ""
        self._write(f"{clear}{self.label}: {status} in {clock(seconds)}\n")

    # --- drawing

    def line(self) -> str:
        """The progress line as it stands now."""
        with self._lock:
            total = max(len(self.cells), 1)
            filled = int(_WIDTH * self.done / total)
            elapsed = time.monotonic() - self.started
            code_total = sum(1 for c in self.cells if c.get("cell_type") == "code")
            section = (
                self.sections[self.current] if self.current is not None and self.current < len(self.sections) else ""
            )
            estimate = ""
            if 0 < self.code_done < code_total:
                estimate = f", ~{clock(elapsed / self.code_done * (code_total - self.code_done))} left"
        bar = "#" * filled + "-" * (_WIDTH - filled)
        section = (section[:28] + "…") if len(section) > 29 else section
        return f"{self.label} [{bar}] {self.done}/{len(self.cells)} cells  {section}  {clock(elapsed)}{estimate}"

    def _draw(self) -> None:
        if self.interactive and not self._stop.is_set():
            self._write(f"\r\033[K{self.line()}")

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            self._draw()

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed terminal must not stop the run
            pass


def register_engine() -> str:
    """Register papermill's nbclient engine with progress reporting; returns the engine's name."""
    from papermill.engines import NBClientEngine, papermill_engines

    class ProgressEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
            progress = kwargs.pop("chapter12_progress", None)
            if progress is not None:
                progress.begin(nb_man.nb.cells)
                start, complete = nb_man.cell_start, nb_man.cell_complete

                def cell_start(cell, cell_index=None, **more):
                    progress.cell_start(cell_index)
                    return start(cell, cell_index, **more)

                def cell_complete(cell, cell_index=None, **more):
                    progress.cell_complete(cell_index)
                    return complete(cell, cell_index, **more)

                nb_man.cell_start, nb_man.cell_complete = cell_start, cell_complete
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register("chapter12", ProgressEngine)
    return "chapter12"
