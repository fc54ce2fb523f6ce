"""Press Ctrl-C many times as `reproduce`'s notebook kernel starts, and count the runs that do not end.

Each run is `python -m chapter12 reproduce --quick --only accuracy --verbose` in a folder of its own;
SIGINT goes to its whole process group (as Ctrl-C in a terminal) a drawn delay after the run prints
that it executes the notebook. A run still going `--wait` seconds later counts as hung: it gets
SIGABRT, and the innermost frames of its main thread (from faulthandler) are printed, then it is killed.

The fault it found (the exit waiting forever in zmq's Context.term) shows only with little CPU to
spare; pin the runs to one core that something else keeps busy:

    taskset -c 0 python -c "while True: pass" &
    taskset -c 0 python benchmarks/ctrl_c_at_kernel_start.py --runs 70 --delays 0 0 0.005 0.01 0.02

Prints one line per run, then: runs, ended with status 130, other statuses, hung; exit time range.
Give a worktree of another commit with PYTHONPATH=/that/worktree to measure that one.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

MARK = "executing 03_sentiment_accuracy.ipynb"


def one_run(folder: str, delay: float, wait: float) -> tuple[str, float | None, str]:
    """(outcome, seconds from Ctrl-C to the end of the output or None, a detail)."""
    env = {k: v for k, v in os.environ.items() if k != "CHAPTER12_DATA"}
    env.update(CHAPTER12_CACHE=os.path.join(folder, "cache"), PYTHONUNBUFFERED="1", PYTHONFAULTHANDLER="1")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chapter12",
            "reproduce",
            "--quick",
            "--only",
            "accuracy",
            "--verbose",
            "--out",
            os.path.join(folder, "out"),
        ],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        # a shell's background job ignores SIGINT, and Python would then keep ignoring it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    for line in proc.stdout:
        if MARK in line:
            break
    time.sleep(delay)
    start = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    try:
        rest, _ = proc.communicate(timeout=wait)
        return f"status {proc.returncode}", time.monotonic() - start, rest.strip().splitlines()[-1:]
    except subprocess.TimeoutExpired:
        stack = ""
        if proc.poll() is None:
            proc.send_signal(signal.SIGABRT)
            try:
                stack, _ = proc.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        frames = [line.strip() for line in stack.splitlines() if line.strip().startswith("File ")][:3]
        return "hung", None, frames
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--delays",
        type=float,
        nargs="+",
        default=[0, 0.01, 0.05, 0.2, 0.5, 1, 2],
        help="seconds after the run's 'executing' line; one is drawn per run",
    )
    parser.add_argument("--wait", type=float, default=40, help="seconds after Ctrl-C before a run counts as hung")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    draw = random.Random(args.seed)
    outcomes, times = [], []
    for i in range(args.runs):
        folder = tempfile.mkdtemp(prefix="chapter12-ctrl-c-")
        try:
            delay = draw.choice(args.delays)
            outcome, seconds, detail = one_run(folder, delay, args.wait)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        outcomes.append(outcome)
        if seconds is not None:
            times.append(seconds)
        shown = f"{seconds:.2f} s" if seconds is not None else "-"
        print(f"{i:3d} delay {delay:5.3f} s: {outcome:<10} {shown:>7}  {detail}", flush=True)
    ended = outcomes.count("status 130")
    print(
        f"runs {len(outcomes)}: ended with status 130 {ended}, other statuses {len(outcomes) - ended - outcomes.count('hung')}, "  # noqa: E501
        f"hung {outcomes.count('hung')}"
        + (f"; exit {min(times):.2f} to {max(times):.2f} s after Ctrl-C" if times else "")
    )


if __name__ == "__main__":
    main()
