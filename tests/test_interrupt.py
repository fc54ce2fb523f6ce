"""Ctrl-C at any moment of `reproduce --quick --only accuracy`: exit 130 with one `error:` line, no
traceback, no output folder (or a complete one, if the run had already finished), no staging
folder or `.part` file left, and no process of the run still alive (the notebook's kernel included).

The signal goes to the run's whole process group, as Ctrl-C in a terminal does, at four moments:
while the command checks its input and data, when the kernel starts, during training, and while
the results are written (right after the notebook ends).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

psutil = pytest.importorskip("psutil")

# moment -> (a line of the run's output to wait for, or None for a delay after the start; seconds after it)
MOMENTS = {
    "checks": (None, 0.5),
    "kernel start": ("executing sentiment_accuracy.ipynb", 0.0),
    "training": ("Epoch 2/", 0.5),
    "writing results": ("sentiment_accuracy.ipynb: ok in", 0.0),
}


def _descendants(process) -> set[int]:
    try:
        return {child.pid for child in process.children(recursive=True)}
    except psutil.Error:
        return set()


def _alive(pids: set[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            pass
    return alive


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_ctrl_c(tmp_path, moment):
    wait_for, delay = MOMENTS[moment]
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k != "CHAPTER12_DATA"}
    env.update(CHAPTER12_CACHE=str(tmp_path / "cache"), PYTHONUNBUFFERED="1")
    # --verbose: the notebook's own lines (its epochs) mark the moments to press Ctrl-C at.
    proc = subprocess.Popen([sys.executable, "-m", "chapter12", "reproduce", "--quick", "--only", "accuracy",
                             "--verbose", "--out", str(out)], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    run = psutil.Process(proc.pid)
    seen, lines = set(), []
    try:
        if wait_for is None:
            time.sleep(delay)
        else:
            for line in proc.stdout:
                lines.append(line.rstrip())
                seen |= _descendants(run)
                if wait_for in line:
                    time.sleep(delay)
                    break
            else:
                pytest.fail(f"the run ended before {wait_for!r}: {lines[-5:]}")
        seen |= _descendants(run)
        os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C in a terminal: the whole process group
        rest, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    output = "\n".join(lines) + "\n" + rest
    time.sleep(1)  # let the kernel's own exit finish
    assert _alive(seen) == [], f"processes of the run still alive after Ctrl-C at {moment}"
    assert "Traceback" not in output, output[-2000:]
    leftovers = [p for p in tmp_path.rglob("*") if p.name.endswith(".part") or ".partial-" in p.name]
    assert leftovers == []
    if proc.returncode == 0:  # finished before the signal arrived: then the folder is complete
        assert (out / "results.json").exists() and (out / "summary.md").exists()
        return
    assert proc.returncode == 130, (proc.returncode, output[-1000:])
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert errors == ["error: interrupted; nothing was written to the output folder"], output[-1000:]
    assert not out.exists()
