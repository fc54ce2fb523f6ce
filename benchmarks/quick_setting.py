"""How the quick run's accuracy depends on the sample's size and the epochs (issue 19, item 0).

The book's model is unchanged (BookConfig: 2,500 words, maxlen 100, recurrent dropout 0.2, batch 128).
For each training-sample size, a balanced draw of the Stanford training reviews is made exactly as
`python -m chapter12 make-sample` makes the bundled one (seed 2024, 2,000 test reviews), and each model
is trained for up to --epochs epochs with each seed; the test accuracy is measured after every epoch,
so the 5-epoch number is the book's 5-epoch run (Adam has no schedule: the first five epochs of a
10-epoch run are the 5-epoch run). One line per (size, model, seed) goes to runs.jsonl; a second
call skips what is there.

    python benchmarks/quick_setting.py --data ../shared/data/aclImdb_v1_labeled.tar.gz \
        --sizes 4000 8000 12000 --seeds 0 1 2 --epochs 10
    python benchmarks/quick_setting.py --data ... --sizes 16000 --models simple_rnn --seeds 0 1 2 --epochs 8
    python benchmarks/quick_setting.py --data ... --sizes 16000 --models lstm --seeds 0 1 2 --epochs 6
    python benchmarks/quick_setting.py --report > benchmarks/results/quick_setting/summary.md

Prints a table of test accuracy at each epoch count (mean and min over seeds) and seconds per epoch.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPORT_EPOCHS = (5, 6, 8, 10)  # the columns of the table (summary.md beside runs.jsonl is this table)
DEFAULT_OUT = HERE / "results" / "quick_setting" / "runs.jsonl"  # not a sweep: one line per (size, model, seed)


def _done(path: Path) -> set[tuple[int, str, int]]:
    if not path.exists():
        return set()
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {(r["n_train"], r["model"], r["seed"]) for r in rows}


def measure(args) -> None:
    import keras

    from chapter12.book import BookConfig
    from chapter12.imdb import sources
    from chapter12.imdb.load import prepare_data
    from chapter12.imdb.sample import build_sample
    from chapter12.train import evaluate, fit

    class TestEveryEpoch(keras.callbacks.Callback):
        def __init__(self, data):
            super().__init__()
            self.data, self.accuracy = data, []

        def on_epoch_end(self, epoch, logs=None):
            self.accuracy.append(evaluate(self.model, self.data)[1])

    args.out.parent.mkdir(parents=True, exist_ok=True)
    done = _done(args.out)
    config = BookConfig(epochs=args.epochs)
    for n in args.sizes:
        todo = [(m, s) for m in args.models for s in args.seeds if (n, m, s) not in done]
        if not todo:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            npz = build_sample(args.data, tmp, n_train=n, n_test=2000)[0]
            sources.sample_path = lambda npz=npz: Path(npz)  # the bundled-sample source reads this draw instead
            data = prepare_data(BookConfig(), quick=True)
        for model, seed in todo:
            callback = TestEveryEpoch(data)
            # fit() takes no callbacks: train through it with the callback attached via keras's global hook
            started = time.perf_counter()
            fitted = _fit_with(fit, callback, model, data, config, seed)
            row = {
                "n_train": n,
                "n_test": len(data.x_test),
                "model": model,
                "seed": seed,
                "test_accuracy_by_epoch": [round(a, 5) for a in callback.accuracy],
                "train_accuracy_by_epoch": [round(a, 5) for a in fitted.history["accuracy"]],
                "epoch_seconds": [round(s, 3) for s in fitted.epoch_seconds],
                "wall_seconds": round(time.perf_counter() - started, 1),
                "backend": keras.backend.backend(),
                "threads": os.environ.get("TF_NUM_INTRAOP_THREADS", ""),
            }
            with args.out.open("a") as f:
                f.write(json.dumps(row) + "\n")
            print(f"n={n} {model} seed {seed}: " + " ".join(f"{a:.3f}" for a in callback.accuracy), flush=True)


def _fit_with(fit, callback, model, data, config, seed):
    """chapter12.train.fit with one more callback (the per-epoch test evaluation); the run is otherwise fit's."""
    import keras

    original = keras.Model.fit

    def fit_with_callback(self, *a, **kw):
        kw["callbacks"] = list(kw.get("callbacks") or []) + [callback]
        return original(self, *a, **kw)

    keras.Model.fit = fit_with_callback
    try:
        return fit(model, data, config, seed=seed, validate=True, verbose=0)
    finally:
        keras.Model.fit = original


def report(path: Path, epochs: list[int]) -> str:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    lines = [
        "# The quick run's setting: the book's models on samples of the training reviews",
        "",
        "Generated by `python benchmarks/quick_setting.py --report` from `runs.jsonl` beside this file. Each",
        "sample is a balanced draw of the Stanford training reviews (seed 2024, as `make-sample` draws the bundled",
        "one), of which the last 20% validate; 2,000 test reviews. Book settings otherwise. Test accuracy after",
        "each number of epochs: mean over the seeds, and the lowest seed in brackets; an empty cell: no run went",
        "that far. The seconds per epoch include a test evaluation after every epoch and were measured while other",
        "work shared the 2-core machine: compare them within this table only, as rough ratios.",
        "",
        "| sample's training reviews | model | seeds | "
        + " | ".join(f"test acc. after {e} epochs: mean (min)" for e in epochs)
        + " | s per epoch |",
        "|---|---|---|" + "---|" * len(epochs) + "---|",
    ]
    for n in sorted({r["n_train"] for r in rows}):
        for model in ("simple_rnn", "lstm"):
            group = [r for r in rows if r["n_train"] == n and r["model"] == model]
            if not group:
                continue
            cells = []
            for e in epochs:  # a cell stays empty where no run went that far
                values = [r["test_accuracy_by_epoch"][e - 1] for r in group if len(r["test_accuracy_by_epoch"]) >= e]
                cells.append(f"{statistics.mean(values):.3f} ({min(values):.3f})" if values else "")
            seconds = statistics.median(s for r in group for s in r["epoch_seconds"][1:])
            lines.append(f"| {n:,} | {model} | {len(group)} | " + " | ".join(cells) + f" | {seconds:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", help="the Stanford archive or folder")
    p.add_argument("--sizes", type=int, nargs="+", default=[4000, 8000, 12000])
    p.add_argument("--models", nargs="+", default=["simple_rnn", "lstm"])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--report", action="store_true", help="print the table from --out and stop")
    p.add_argument("--report-epochs", type=int, nargs="+", default=list(REPORT_EPOCHS))
    args = p.parse_args(argv)
    if args.report:
        if not args.out.exists():
            print(f"error: {args.out} does not exist; run the measurement first", file=sys.stderr)
            return 2
        print(report(args.out, args.report_epochs), end="")
        return 0
    if not args.data:
        print("error: --data PATH (the Stanford archive) is needed to draw the samples", file=sys.stderr)
        return 2
    measure(args)
    print(report(args.out, args.report_epochs), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
