"""Padding in front or behind, with or without a mask, for both models (issue 19, item 2).

The book pads with `pad_sequences`' defaults: zeros in FRONT of a short review (`padding="pre"`), and it
keeps the last `maxlen` words of a long one (`truncating="pre"`). This measures the other choice of padding
(`padding="post"`: zeros BEHIND the review, so the recurrent layer reads them last) and a mask
(`Embedding(mask_zero=True)`: the layer skips index 0), everything else the book's (BookConfig; truncation
stays "pre"). One line per (data, padding, mask, model, seed) goes to runs.jsonl; a second call skips what
is there, so the measurement resumes.

    python benchmarks/padding_masking.py --data sample --seeds 0 1 2
    python benchmarks/padding_masking.py --data ../shared/data/aclImdb_v1_labeled.tar.gz --seeds 0
    python benchmarks/padding_masking.py --report > benchmarks/results/padding_masking/summary.md

`--data sample` is the bundled sample with the quick run's epochs (QUICK_EPOCHS); a path is the full data
with the book's 5 epochs. The accuracy notebook reads runs.jsonl (chapter12.report.padding).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results" / "padding_masking" / "runs.jsonl"
PADDINGS = ("pre", "post")
MASKS = (False, True)


def _key(row: dict) -> tuple:
    return (row["data"], row["padding"], row["mask_zero"], row["model"], row["seed"])


def _done(path: Path) -> set[tuple]:
    if not path.exists():
        return set()
    return {_key(json.loads(line)) for line in path.read_text().splitlines() if line.strip()}


def measure(args) -> None:
    import keras

    from chapter12.book import BookConfig
    from chapter12.imdb import ImdbData, load_imdb, resolve_source
    from chapter12.imdb.keras_steps import pad
    from chapter12.imdb.sample import default_epochs
    from chapter12.train import evaluate, fit

    quick = args.data == "sample"
    label = "sample" if quick else "full"
    config = BookConfig(epochs=default_epochs(quick))
    source = resolve_source("sample" if quick else args.data, "keras")
    (x_train, y_train), (x_test, y_test) = load_imdb(num_words=config.num_words, source=source)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    done = _done(args.out)
    for padding in args.paddings:
        data = ImdbData(
            pad(x_train, maxlen=config.maxlen, padding=padding),
            y_train,
            pad(x_test, maxlen=config.maxlen, padding=padding),
            y_test,
            source,
        )
        for mask_zero in args.masks:
            for model in args.models:
                for seed in args.seeds:
                    row = {"data": label, "padding": padding, "mask_zero": mask_zero, "model": model, "seed": seed}
                    if _key(row) in done:
                        continue
                    started = time.perf_counter()
                    fitted = fit(model, data, config, seed=seed, mask_zero=mask_zero)
                    test_loss, test_accuracy = evaluate(fitted.model, data)
                    row |= {
                        "test_accuracy": test_accuracy,
                        "test_loss": test_loss,
                        "val_accuracy": fitted.history["val_accuracy"],
                        "epochs": config.epochs,
                        "n_train": fitted.n_train,
                        "n_test": len(data.x_test),
                        "seconds": round(time.perf_counter() - started, 1),
                        "backend": keras.backend.backend(),
                        "threads": os.environ.get("CHAPTER12_THREADS", "default"),
                    }
                    with args.out.open("a") as f:  # one whole line per finished run: an interrupted run leaves none
                        f.write(json.dumps(row) + "\n")
                    print(
                        f"{label} padding={padding} mask_zero={mask_zero} {model} seed={seed}: "
                        f"{test_accuracy:.4f} in {row['seconds']:.0f} s",
                        flush=True,
                    )


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="'sample' (the quick run's data) or the Stanford archive (the full data)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--models", nargs="+", default=["simple_rnn", "lstm"])
    p.add_argument("--paddings", nargs="+", default=list(PADDINGS), choices=PADDINGS)
    p.add_argument("--masks", nargs="+", default=["no", "yes"], choices=["no", "yes"])
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--report", action="store_true", help="print the summary table of --out and stop")
    args = p.parse_args(argv)
    from chapter12.errors import Chapter12Error

    try:
        if args.report:
            from chapter12.report.padding import padding_table, read_padding_runs

            print(padding_table(read_padding_runs(args.out)), end="")
            return 0
        if not args.data:
            p.error("--data is required (sample, or the path of the Stanford archive)")
        args.masks = [m == "yes" for m in args.masks]
        measure(args)
    except (Chapter12Error, OSError) as e:
        p.error(str(e))
    return 0


if __name__ == "__main__":
    sys.exit(main())
