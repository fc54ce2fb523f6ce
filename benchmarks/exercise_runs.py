"""The runs behind three exercise answers (issue 19), on the bundled sample, each kept under
benchmarks/results/exercises/ so that tests/test_exercises.py checks the answers against them.

    python benchmarks/exercise_runs.py batch-size   # timing 1: the LSTM / simple RNN ratio at batch 128 and 512
    python benchmarks/exercise_runs.py maxlen-cost  # sweep 4: seconds per epoch at maxlen 25-200, then 800
    python benchmarks/exercise_runs.py units        # sweep 2: units 16 and 64 at maxlen 200, seeds 0-2

batch-size: the timing notebook's measurement (chapter12.timing, the book variant, TensorFlow, 3 epochs, the first
apart) at batch 128 and at 512, alternated over 3 rounds. maxlen-cost: one training process per (model, maxlen)
(`python -m chapter12 train --quick --epochs 4`, the command the sweep notebook prints), the median of epochs 2-4
kept; maxlen 800 last, as the exercise runs it after drawing the line. units: the exercise's own command,
`python -m chapter12 sweep --quick --models simple_rnn lstm --maxlen 200 --units 16 64 --seeds 0 1 2` (resumable
in runs/exercise_units), its results file copied. Timings: on one machine in one session, with
nothing else running.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

OUT = Path(__file__).parent / "results" / "exercises"
EPOCHS = 4  # maxlen-cost: the median of epochs 2-4 per cell (the first also compiles)


def batch_size(rounds: int) -> dict:
    """The timing notebook's measurement at batch 128 and 512, alternated over the rounds: even rounds run 128
    first, odd rounds 512 first, so that neither size always meets the machine warm (each entry says which ran
    first)."""
    from chapter12.environment import environment_info
    from chapter12.timing import TimingSettings, measure_backend, timing_summary

    runs = []
    for round_ in range(rounds):
        order = (128, 512) if round_ % 2 == 0 else (512, 128)
        for batch in order:
            settings = TimingSettings(variants=["book"], epochs=3, repeats=1, quick=True, batch_size=batch)
            part = measure_backend(settings, log=lambda line: print(f"  batch {batch}: {line}", flush=True))
            for entry in part["timing"]:
                runs.append(entry | {"round": round_, "first": order[0]})
    by_batch = {}
    for batch in (128, 512):
        summary = timing_summary([r | {"repeat": r["round"]} for r in runs if r["batch_size"] == batch])
        by_batch[str(batch)] = summary[0]
    return {"runs": runs, "ratio_by_batch_size": by_batch, "environment": environment_info()}


def maxlen_cost(lengths: list[int], target: int) -> dict:
    """Seconds per epoch at each maxlen, one training process per cell; the line through `lengths` against the
    measured `target`."""
    from chapter12.environment import environment_info
    from chapter12.report.sweep import linear_fit

    seconds, epoch_seconds = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for model in ("simple_rnn", "lstm"):
            for maxlen in [*lengths, target]:
                out = Path(tmp) / f"{model}-{maxlen}.json"
                cmd = [sys.executable, "-m", "chapter12", "train", "--quick", "--model", model]
                cmd += ["--maxlen", str(maxlen), "--epochs", str(EPOCHS), "--json", str(out)]
                subprocess.run(cmd, check=True, capture_output=True)
                epochs = json.loads(out.read_text())["epoch_seconds"]
                later = statistics.median(epochs[1:])
                seconds.setdefault(model, {})[str(maxlen)] = later
                epoch_seconds.setdefault(model, {})[str(maxlen)] = epochs
                print(f"{model} maxlen {maxlen}: {later:.2f} s per epoch (first {epochs[0]:.2f} s)", flush=True)
    fits = {}
    for model, by_length in seconds.items():
        xs = [float(n) for n in lengths]
        ys = [by_length[str(n)] for n in lengths]
        intercept, slope = linear_fit(xs, ys)
        predicted = intercept + slope * target
        fits[model] = {
            "slope": slope,
            "intercept": intercept,
            "predicted": predicted,
            "measured": by_length[str(target)],
            "measured_over_predicted": by_length[str(target)] / predicted,
        }
        print(f"{model}: line predicts {predicted:.1f} s at {target}, measured {by_length[str(target)]:.1f} s")
    return {
        "lengths": lengths,
        "target": target,
        "seconds_per_epoch": seconds,
        "epoch_seconds": epoch_seconds,
        "fit": fits,
        "environment": environment_info(),
    }


def main(argv: list[str] | None = None) -> int:
    """Run one of the three measurements and keep its result under benchmarks/results/exercises/."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["batch-size", "maxlen-cost", "units"])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    if args.what == "units":
        sweep = Path("runs") / "exercise_units"
        cmd = [sys.executable, "-m", "chapter12", "sweep", "--quick", "--models", "simple_rnn", "lstm"]
        cmd += ["--maxlen", "200", "--units", "16", "64", "--seeds", "0", "1", "2", "--out", str(sweep)]
        subprocess.run(cmd, check=True)
        path = OUT / "sweep_units.jsonl"
        path.write_bytes((sweep / "results.jsonl").read_bytes())
        print(f"wrote {path}")
        return 0
    if args.what == "batch-size":
        result, path = batch_size(args.rounds), OUT / "timing_batch_size.json"
    else:
        result, path = maxlen_cost([25, 50, 100, 200], 800), OUT / "sweep_maxlen_cost.json"
    from chapter12.files import write_json

    write_json(path, result)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
