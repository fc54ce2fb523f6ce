"""The Jupyter kernel that `reproduce` runs the notebooks in: this very interpreter, its C-level stderr
sent to the run's log file.

TensorFlow's C++ core writes its start-up lines (absl's "WARNING: All log messages ...", I0000/E0000
lines such as "failed call to cuInit") straight to file descriptor 2 of the kernel process, past
Python and past Jupyter. Pointing that descriptor at the log file before the kernel starts keeps
them out of the terminal and in the log, where they can still be read.

    python -m chapter12.notebook.kernel -f CONNECTION_FILE      (with CHAPTER12_KERNEL_LOG=PATH)
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

KERNEL_NAME = "chapter12-python"
LOG_ENV = "CHAPTER12_KERNEL_LOG"
PRELOAD_ENV = "CHAPTER12_KERNEL_PRELOAD"  # modules to import before the kernel answers, comma-separated


@contextmanager
def current_interpreter_kernel(
    log_file: "str | os.PathLike | None" = None, preload: tuple[str, ...] = ()
) -> Iterator[str]:
    """A temporary Jupyter kernel spec that runs this very interpreter, so no kernel must be registered.

    With log_file, the kernels' C-level stderr goes to that file instead of the terminal. The modules
    in preload are imported when a kernel starts, before it runs any cell: a kernel started ahead of
    its notebook has then paid for them while the notebook before it ran.
    """
    with tempfile.TemporaryDirectory(prefix="chapter12-kernel-") as tmp:
        spec_dir = Path(tmp) / "kernels" / KERNEL_NAME
        spec_dir.mkdir(parents=True)
        spec = {
            # Log level CRITICAL: the kernel's start-up warnings would repeat for every notebook, and when a run is
            # interrupted (Ctrl-C) the kernel logs a traceback for the reply it can no longer send.
            "argv": [
                sys.executable,
                "-m",
                "chapter12.notebook.kernel",
                "-f",
                "{connection_file}",
                "--IPKernelApp.log_level=50",
            ],
            "display_name": f"Python ({sys.executable})",
            "language": "python",
        }
        spec["env"] = {}
        if log_file is not None:
            spec["env"][LOG_ENV] = str(Path(log_file).resolve())
        if preload:
            spec["env"][PRELOAD_ENV] = ",".join(preload)
        (spec_dir / "kernel.json").write_text(json.dumps(spec))
        old = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [tmp, old]))
        try:
            yield KERNEL_NAME
        finally:
            if old is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = old


def _redirect_stderr(path: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    os.close(fd)


def _exit_with_parent(interval: float = 0.2) -> None:
    """End this kernel as soon as the process that started it is gone.

    ipykernel watches its parent too, but only once the kernel is up, after the preloaded imports
    (seconds): a run interrupted in that window left a kernel behind, holding the terminal's output
    open. This watch starts first, and a parent already gone ends the kernel at once."""
    parent = int(os.environ.get("JPY_PARENT_PID") or 0)
    if not parent:
        return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)  # nothing to save: the run that wanted this kernel has ended

    threading.Thread(target=watch, name="chapter12-parent-watch", daemon=True).start()


def launch() -> None:
    """Start an IPython kernel, as `python -m ipykernel_launcher` does, after pointing fd 2 at the log file
    and importing the modules to preload."""
    _exit_with_parent()
    log = os.environ.get(LOG_ENV)
    if log:
        _redirect_stderr(log)
    # As ipykernel_launcher does: the kernel's working folder must not shadow installed modules.
    if sys.path and sys.path[0] in ("", os.getcwd()):
        sys.path.pop(0)
    import importlib

    # As ipykernel does when it starts, but before the preloaded imports: `import keras` imports matplotlib's
    # pyplot, which fixes its backend then; without this it falls back to Agg and no figure reaches the notebook.
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for module in filter(None, os.environ.get(PRELOAD_ENV, "").split(",")):
        importlib.import_module(module)  # only imports: no cell has run, and no state of the notebook's is made
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    launch()


class KernelsAhead:
    """Each notebook's kernel, started while the notebook before it runs.

    Starting a kernel and importing Keras and its backend costs seconds per notebook. A kernel started
    ahead pays that while the previous notebook computes, except where the previous notebook measures
    time (`quiet=True`): then nothing else may run beside it.
    """

    def __init__(self, kernel_name: str, cwd: "str | os.PathLike") -> None:
        self.kernel_name, self.cwd = kernel_name, str(cwd)
        self._next = None

    def _start(self):
        from jupyter_client import KernelManager

        km = KernelManager(kernel_name=self.kernel_name)
        try:
            km.start_kernel(cwd=self.cwd)
        except BaseException:  # Ctrl-C while it starts: the half-started kernel goes too
            shut_down(km)
            raise
        return km

    def take(self):
        """The kernel for the notebook that starts now: the one started ahead, or a new one."""
        km, self._next = self._next, None
        return km if km is not None and km.is_alive() else self._start()

    def start_next(self) -> None:
        """Start the next notebook's kernel now, in the background."""
        if self._next is None:
            self._next = self._start()

    def close(self) -> None:
        """Shut down a kernel started ahead that no notebook took."""
        km, self._next = self._next, None
        if km is not None:
            shut_down(km)


def _kill(km) -> None:
    """Kill the kernel's process group at once (jupyter_client starts each kernel in a session of its
    own, so the terminal's Ctrl-C never reaches it); a kernel already gone is fine."""
    process = getattr(getattr(km, "provisioner", None), "process", None)
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)  # its group: the kernel and anything it started
    except OSError:
        process.kill()
    try:
        process.wait(timeout=10)
    except Exception:
        pass


def _end_leftovers() -> None:
    """Finish what a notebook cut short by Ctrl-C left waiting in this thread's event loop.

    papermill, nbclient and jupyter_client share one event loop per thread. Ctrl-C during a notebook
    leaves nbclient's wait for the cell's reply in it, and the next call that runs the loop (the
    kernel's shutdown) resumed that wait: measured, 23-30 s between Ctrl-C during training and the
    exit. With the kernel already killed, the waits are cancelled and run to their end here (their
    errors collected, not printed at exit), and the shutdown takes under a second."""
    import asyncio

    from jupyter_core.utils import ensure_event_loop

    try:
        loop = ensure_event_loop()
    except Exception:  # no loop can be made: nothing is waiting in one either
        return
    if loop.is_running() or loop.is_closed():
        return
    tasks = asyncio.all_tasks(loop)
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    try:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    except Exception:  # whatever the cut-short tasks do, the kernel is already gone
        pass


def shut_down(km) -> None:
    """Stop a kernel and free what it holds; a kernel that is already gone is fine.

    The kernel is killed first, whatever the notebook was doing (nothing in it is left to save: a
    finished notebook is already written, and an interrupted run keeps nothing), then jupyter_client
    cleans up after it."""
    _kill(km)
    _end_leftovers()
    try:
        km.shutdown_kernel(now=True)
    except Exception:  # already dead, never started, or the manager is broken
        pass
