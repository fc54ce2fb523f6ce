"""The book's models timed per epoch on TensorFlow, TensorFlow with XLA, JAX and torch, interleaved (issue 21, item 3).

    python benchmarks/backend_speed.py --data ../shared/data/aclImdb_v1_labeled.tar.gz \
        --out benchmarks/results/backend_speed/runs.jsonl
    python benchmarks/backend_speed.py --report benchmarks/results/backend_speed/runs.jsonl

The same book model (recurrent dropout 0.2 kept, Keras-exact data, batch 128) trained for the book's 5 epochs on
the 20,000 training reviews (the validation pass left out, as the timing notebook leaves it out), each engine in a
fresh process of its own (chapter12.timing's worker), every thread setting the same (all cores). Round r trains
seed r on every engine, in the order tensorflow, tensorflow+xla, jax, torch rotated by r, so that a busy minute
does not always fall on the same engine. Every (round, engine) appends one line to --out, so a run stopped
half-way resumes where it stopped. The report: per engine and model, the median over rounds of each run's median
epoch (epochs 2-5: the first also compiles), the first epoch, the speed-up over TensorFlow (per round, then the
median), and the test accuracy after 5 epochs, with the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ENGINES = ("tensorflow", "tensorflow+xla", "jax", "torch")
MODELS = ("simple_rnn", "lstm")
THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS")


def read_runs(path: Path) -> list[dict]:
    """The runs measured so far (none before the first)."""
    from chapter12.report.speed import read_speed_runs

    return read_speed_runs(path) if path.exists() else []


def measure(engine: str, round_: int, data: str, epochs: int, models: list[str]) -> dict:
    """One (round, engine) record: the models timed in a fresh worker process, seed = round."""
    from chapter12.timing import TimingSettings, measure_backend

    backend, _, xla = engine.partition("+")
    settings = TimingSettings(
        backend=backend,
        models=models,
        variants=["book"],
        epochs=epochs,
        repeats=1,
        data_source=data,
        jit_compile=bool(xla),
        seed_offset=round_,
    )
    part = measure_backend(settings, log=lambda line: print(f"  {line}", flush=True))
    return {
        "round": round_,
        "engine": engine,
        "epochs": epochs,
        "timing": part["timing"],
        "matmul_flops_per_second": part["matmul_flops_per_second"],
        "environment": part["environment"],
    }


def print_report(runs: list[dict]) -> None:
    """The table, the ratios and the verdict (the verdict only where TensorFlow and another engine were timed)."""
    from chapter12.errors import Chapter12Error
    from chapter12.report.speed import ratio_table, speed_table, speed_verdict

    print(speed_table(runs))
    print(ratio_table(runs))
    try:
        print(speed_verdict(runs))
    except Chapter12Error as e:
        print(f"no verdict: {e}")


def main(argv: list[str] | None = None) -> int:
    """Measure the missing (round, engine) runs, then print the report; or only the report (--report)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="aclImdb_v1.tar.gz, aclImdb/ or imdb.npz (the full data)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/backend_speed/runs.jsonl"))
    parser.add_argument("--rounds", type=int, default=3, help="rounds (seeds 0..rounds-1) of every engine (default 3)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs per run (default 5, the book's)")
    parser.add_argument("--engines", default=",".join(ENGINES), help=f"comma-separated, of {', '.join(ENGINES)}")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--report", type=Path, help="print the summary of a runs file and stop")
    args = parser.parse_args(argv)
    if args.report:
        runs = read_runs(args.report)
        if not runs:
            raise SystemExit(f"error: {args.report} holds no runs; measure first (see --help)")
        print_report(runs)
        return 0
    if not args.data:
        raise SystemExit("error: pass --data PATH (the Stanford archive), or --report FILE")
    engines = [e for e in args.engines.split(",") if e]
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown:
        raise SystemExit(f"error: unknown engine(s) {unknown}; choose from {', '.join(ENGINES)}")
    cores = str(os.cpu_count() or 1)
    for name in THREAD_ENV:  # every engine's thread pools sized alike (torch reads OMP_NUM_THREADS)
        os.environ[name] = cores
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for round_ in range(args.rounds):
        order = engines[round_ % len(engines) :] + engines[: round_ % len(engines)]
        for engine in order:
            done = {(r["round"], r["engine"]) for r in read_runs(args.out)}
            if (round_, engine) in done:
                continue
            print(f"round {round_}, {engine}", flush=True)
            record = measure(engine, round_, args.data, args.epochs, args.models.split(","))
            cut = args.out.exists() and args.out.stat().st_size and not args.out.read_bytes().endswith(b"\n")
            with args.out.open("a") as f:  # one write per line: a stopped run leaves at most one cut line
                f.write(("\n" if cut else "") + json.dumps(record) + "\n")
    print_report(read_runs(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
