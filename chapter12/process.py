"""Training in a process of its own, and what it hands back: the one protocol that the timing worker
(`python -m chapter12.timing`) and a sweep's cell (`python -m chapter12 train`) share.

The parent starts the child with the environment it chooses (the Keras backend, the thread counts). The child
prints as it goes and, once it has finished, writes its result as JSON to a path it was given. The parent reads
the child's output line by line (into a log file, and to a callback), and takes the JSON only when the child
exited with 0 and wrote it; otherwise the child's own `error:` line says why, else its last line. A parent
stopped by Ctrl-C or a signal kills the child before it goes on; on Linux the child can also be asked to die
with its parent, for a parent that is killed outright.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from chapter12.logs import is_backend_log_line

TAIL = 20  # lines of the child's output kept for the error message


@dataclass
class Finished:
    """How a child ended: its exit status, the JSON it wrote (only when it succeeded), the reason it gave."""

    returncode: int
    result: dict[str, Any] | None
    reported: str  # the text of the child's last `error:` line, or ""
    tail: list[str] = field(default_factory=list)  # its last lines, without the backends' start-up lines
    seconds: float = 0.0

    def error(self) -> str:
        """Why it failed: its own `error:` line, else its last line."""
        if self.reported:
            return self.reported
        return self.tail[-1] if self.tail else "the process printed nothing"


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    # Linux: the child is killed when the thread that started it goes, so a parent killed outright (a Dask
    # worker killed mid-cell) leaves nothing behind to compete with what runs next.
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def run_child(
    cmd: list[str],
    env: dict[str, str],
    json_out: "str | os.PathLike",
    log_file: "str | os.PathLike | None" = None,
    on_line: Callable[[str], None] | None = None,
    die_with_parent: bool = False,
) -> Finished:
    """Run cmd to its end and collect what it hands back (see the module's docstring). Every line it prints is
    appended to log_file and passed to on_line, the backends' start-up lines and its `error:` line included."""
    started = time.perf_counter()
    tail: deque[str] = deque(maxlen=TAIL)
    reported = ""
    log = open(log_file, "a", encoding="utf-8") if log_file is not None else None
    try:
        process = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            env=env,
            preexec_fn=_die_with_parent if die_with_parent and sys.platform == "linux" else None,
        )
        try:
            for line in process.stdout:
                if log is not None:
                    log.write(line)
                    log.flush()
                line = line.rstrip("\n")
                if line.startswith("error:"):
                    reported = line[len("error:") :].strip()
                elif line.strip() and not is_backend_log_line(line):
                    tail.append(line.strip())
                if on_line is not None:
                    on_line(line)
            returncode = process.wait()
        except BaseException:  # Ctrl-C, SIGTERM: a signal sent to the parent alone must not leave the child running
            process.kill()
            process.wait()
            raise
    finally:
        if log is not None:
            log.close()
    out = Path(json_out)
    result = json.loads(out.read_text(encoding="utf-8")) if returncode == 0 and out.exists() else None
    return Finished(returncode, result, reported, list(tail), time.perf_counter() - started)
