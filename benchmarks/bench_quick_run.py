"""Wall time of `python -m chapter12 reproduce --quick` (all four notebooks), this tree against a baseline
revision, run in alternation so that the machine's changes of speed hit both alike.

    python benchmarks/bench_quick_run.py --baseline 4c359f4 --runs 3

The baseline is checked out with `git worktree` into a temporary folder and run with the same Python
(PYTHONPATH points each run at its own tree). Prints every run and the median of each side.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_once(tree: Path, out: Path) -> float:
    env = {k: v for k, v in os.environ.items() if k != "CHAPTER12_DATA"} | {"PYTHONPATH": str(tree)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "chapter12", "reproduce", "--quick", "--out", str(out)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"reproduce failed in {tree}: {done.stderr[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="git revision to compare with")
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chapter12-bench-") as tmp:
        baseline = Path(tmp) / "baseline"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(baseline), args.baseline],
            check=True,
            capture_output=True,
        )
        try:
            times: dict[str, list[float]] = {"baseline": [], "this tree": []}
            for i in range(args.runs):
                for side, tree in (("baseline", baseline), ("this tree", REPO)):
                    seconds = run_once(tree, Path(tmp) / f"out-{side.replace(' ', '-')}-{i}")
                    times[side].append(seconds)
                    print(f"run {i + 1} {side:>9}: {seconds:6.1f} s", flush=True)
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(baseline)], capture_output=True
            )
    for side, values in times.items():
        print(
            f"{side:>9}: median {statistics.median(values):.1f} s (min {min(values):.1f}, max {max(values):.1f}) "
            f"over {len(values)} runs"
        )


if __name__ == "__main__":
    main()
