"""What `reproduce` shows in the terminal while a notebook runs: papermill's own progress bar (tqdm), one per
notebook, labelled and redrawn in place.

    [1/5] accuracy   45%|#########           | 9/20 cells [00:21<00:25]

Where the output is not a terminal (a pipe, a CI log) there is no bar: one line when a notebook starts and one
when it ends.
"""

from __future__ import annotations

import sys
from typing import TextIO

BAR_FORMAT = "{desc} {percentage:3.0f}%|{bar:20}| {n_fmt}/{total_fmt} cells [{elapsed}<{remaining}]"


def clock(seconds: float) -> str:
    """Seconds as m:ss, or h:mm:ss from an hour on."""
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"


class NotebookProgress:
    """The progress of one notebook: papermill draws the bar (its `progress_bar` option takes tqdm's settings);
    this says what the bar looks like, and writes the lines at the start and the end."""

    def __init__(self, label: str, stream: TextIO | None = None, interactive: bool | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive

    def papermill_option(self) -> dict | bool:
        """papermill's `progress_bar`: tqdm's settings on a terminal (the bar is cleared when the notebook ends,
        and its end line takes its place), False elsewhere."""
        if not self.interactive:
            return False
        return {
            "desc": self.label,
            "file": self.stream,
            "bar_format": BAR_FORMAT,
            "leave": False,
            "mininterval": 0.5,
            "ascii": " #",
        }

    def begin(self) -> None:
        """The notebook starts: a line where no bar is drawn."""
        if not self.interactive:
            self._write(f"{self.label}: running\n")

    def end(self, status: str, seconds: float) -> None:
        """The notebook ended: one final line."""
        self._write(f"{self.label}: {status} in {clock(seconds)}\n")

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed terminal must not stop the run
            pass
