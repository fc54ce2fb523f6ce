"""What Dask adds to a sweep, measured: (1) the overhead per cell of `python -m chapter12 sweep` against the
same cells trained alone with `python -m chapter12 train`, one after the other; (2) the wall time of one grid
on a local cluster of 1 worker x 2 threads against 2 workers x 1 thread.

    python benchmarks/bench_sweep.py --data ../shared/data/aclImdb_v1_labeled.tar.gz            # both
    python benchmarks/bench_sweep.py --quick --what overhead --repeats 1                         # a rehearsal
    python benchmarks/bench_sweep.py --data ... --what layout --repeats 1 --layout-maxlen 25 50 100 200 400
                                                                          # the full grid's lengths, seed 0

(1) Alone and sweep alternate, `--repeats` times. The sweep runs on 1 worker x 1 thread, so its cells run
one at a time with every core, as the cells alone do (`--threads` = the cores); its wall time includes
starting the local cluster and writing summary and figures (not the notebook: --no-notebook).
(2) The layouts alternate too; each cell gets cores / 2 threads in both.
Prints every run, then the medians and ratios side by side.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from chapter12.sweep.cell import available_cores, train_command  # noqa: E402


def timed(cmd: list[str], env: dict | None = None) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{done.stderr[-2000:]}")
    return seconds


def sweep_cmd(out: Path, data: list[str], cells: dict, layout: tuple[int, int]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "chapter12",
        "sweep",
        *data,
        "--models",
        *cells["models"],
        "--maxlen",
        *map(str, cells["maxlen"]),
        "--seeds",
        *map(str, cells.get("seeds", [0])),
        "--out",
        str(out),
        "--no-notebook",
        "--overwrite",
        "--workers",
        str(layout[0]),
        "--threads-per-worker",
        str(layout[1]),
    ]


def overhead(data: list[str], settings: dict, cells: dict, repeats: int, tmp: Path) -> None:
    cores = available_cores()
    alone_runs, sweep_runs, inside = [], [], []
    for r in range(repeats):
        alone = 0.0
        for model in cells["models"]:
            for maxlen in cells["maxlen"]:
                params = {
                    "model": model,
                    "seed": 0,
                    "maxlen": maxlen,
                    "num_words": 2500,
                    "units": 64,
                    "recurrent_dropout": 0.2,
                    "backend": "tensorflow",
                }
                alone += timed(train_command(params, settings, cores, tmp / "alone.json"))
        alone_runs.append(alone)
        out = tmp / "sweep-overhead"
        sweep_runs.append(timed(sweep_cmd(out, data, cells, (1, 1))))
        lines = (out / "results.jsonl").read_text().splitlines()[1:]
        inside.append(sum(json.loads(line)["seconds"] for line in lines))
        print(
            f"run {r + 1}: cells alone {alone:.1f} s, sweep {sweep_runs[-1]:.1f} s "
            f"(its cells' own processes {inside[-1]:.1f} s)",
            flush=True,
        )
    n = len(cells["models"]) * len(cells["maxlen"])
    a, s, i = statistics.median(alone_runs), statistics.median(sweep_runs), statistics.median(inside)
    print(f"\noverhead, {n} cells, {cores} threads each, medians of {repeats} run(s):")
    print("| | seconds | per cell | against alone |")
    print("|---|---|---|---|")
    print(f"| cells alone, one after the other | {a:.1f} | {a / n:.1f} | 1.000 |")
    print(f"| sweep command, whole (cluster start, report) | {s:.1f} | {s / n:.1f} | {s / a:.3f} |")
    print(f"| sweep, the cells' processes as the workers timed them | {i:.1f} | {i / n:.1f} | {i / a:.3f} |")
    print(f"overhead per cell: {(s - a) / n:+.1f} s ({(s / a - 1) * 100:+.1f}%)")


def layouts(data: list[str], cells: dict, repeats: int, tmp: Path, keep: Path | None = None) -> None:
    cores = available_cores()
    chosen = [(1, cores), (cores, 1)]
    times: dict[tuple[int, int], list[float]] = {lay: [] for lay in chosen}
    for r in range(repeats):
        for lay in chosen:
            out = tmp / f"sweep-{lay[0]}x{lay[1]}"
            times[lay].append(timed(sweep_cmd(out, data, cells, lay)))
            print(f"run {r + 1}: {lay[0]} worker(s) x {lay[1]} thread(s): {times[lay][-1]:.1f} s", flush=True)
            if keep is not None:  # each cell's own seconds, to see where the time went
                keep.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(out / "results.jsonl", keep / f"layout-{lay[0]}x{lay[1]}-run{r + 1}.jsonl")
    one, two = (statistics.median(times[lay]) for lay in chosen)
    n = len(cells["models"]) * len(cells["maxlen"]) * len(cells.get("seeds", [0]))
    print(f"\nlayouts, {n} cells, medians of {repeats} run(s):")
    print("| local cluster | seconds |")
    print("|---|---|")
    print(f"| 1 worker x {cores} threads | {one:.1f} |")
    print(f"| {cores} workers x 1 thread | {two:.1f} |")
    print(f"ratio (1 x {cores}) / ({cores} x 1): {one / two:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="the data (default with --quick: the bundled sample)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--what", choices=["overhead", "layout", "both"], default="both")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--overhead-maxlen", type=int, nargs="+", default=[50])
    parser.add_argument("--layout-maxlen", type=int, nargs="+", default=[25, 50, 100])
    parser.add_argument("--layout-seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--keep", type=Path, help="a folder to copy each layout run's results.jsonl into")
    args = parser.parse_args()
    data = ["--quick"] if args.quick else ["--data", str(Path(args.data).resolve())]
    settings = {
        "data": "sample" if args.quick else str(Path(args.data).resolve()),
        "vocabulary": "keras",
        "epochs": 5,
        "batch_size": 128,
    }
    print(f"{available_cores()} cores; data: {settings['data']}; 5 epochs", flush=True)
    with tempfile.TemporaryDirectory(prefix="chapter12-bench-sweep-") as tmp:
        if args.what in ("overhead", "both"):
            overhead(
                data,
                settings,
                {"models": ["simple_rnn", "lstm"], "maxlen": args.overhead_maxlen},
                args.repeats,
                Path(tmp),
                args.keep,
            )
        if args.what in ("layout", "both"):
            layouts(
                data,
                {"models": ["simple_rnn", "lstm"], "maxlen": args.layout_maxlen, "seeds": args.layout_seeds},
                args.repeats,
                Path(tmp),
                args.keep,
            )


if __name__ == "__main__":
    main()
