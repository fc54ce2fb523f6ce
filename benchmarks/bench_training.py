"""Does chapter12 cost anything at run time? Plain Keras vs the library vs the notebook, interleaved.

    python benchmarks/bench_training.py --data ../shared/data/aclImdb_v1_labeled.tar.gz \
        --epochs 2 --repeats 3 --json runs/bench.json

In one process, for each repeat, in this order:
  A. plain: the book's code written out below with Keras alone (chapter12 only supplies the padded arrays);
  B. library: chapter12.train_and_evaluate with the same settings;
  C. papermill: `reproduce` of the accuracy notebook with one model and one seed, wall time with kernel start.
Also timed: preparing the data cold (archive -> cache, in a fresh cache folder) and warm (cache -> padded
arrays), for each vocabulary of the Stanford reviews (keras, clean), and `reproduce --quick` end to end.
Prints one summary line; writes all samples to --json. `--prep-only` times the data preparation alone:

    python benchmarks/bench_training.py --data ../shared/data/aclImdb_v1_labeled.tar.gz --prep-only \
        --json runs/prep.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def plain_keras(x_train, y_train, x_test, y_test, *, model_kind: str, epochs: int, seed: int) -> tuple[float, float]:
    """The book's R code, line for line, in Python Keras; returns (test_loss, test_accuracy).

    The numbers are written out on purpose: this is the baseline a reader would type in, not chapter12.
    """
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    recurrent = layers.LSTM if model_kind == "lstm" else layers.SimpleRNN
    model = keras.Sequential(
        [
            keras.Input(shape=(100,), dtype="int32"),
            layers.Embedding(input_dim=2500, output_dim=128),
            recurrent(units=64, dropout=0.2, recurrent_dropout=0.2),
            layers.Dense(units=1, activation="sigmoid"),
        ]
    )
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=128, epochs=epochs, validation_split=0.2, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    return float(loss), float(accuracy)


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def time_prep(data: str, vocabulary: str = "keras") -> dict:
    """Cold (fresh cache folder) and warm preparation of the padded arrays, each in a fresh process.

    The clock covers the data step alone (archive or cache -> padded arrays); importing Keras, which
    any training needs anyway, is timed apart in the same processes.
    """
    script = (
        "import sys, time; t = time.perf_counter(); import keras; k = time.perf_counter() - t; "
        "from chapter12.imdb import load_padded; t = time.perf_counter(); "
        "load_padded(source=sys.argv[1], vocabulary=sys.argv[2]); print(k, time.perf_counter() - t)"
    )
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache:
        env = dict(os.environ, CHAPTER12_CACHE=cache)
        runs = [
            subprocess.run(
                [sys.executable, "-c", script, data, vocabulary], env=env, capture_output=True, text=True, check=True
            ).stdout.split()[-2:]
            for _ in range(2)
        ]
    (import_cold, cold), (import_warm, warm) = [[float(v) for v in r] for r in runs]
    return {"prep_cold_seconds": cold, "prep_warm_seconds": warm, "import_keras_seconds": min(import_cold, import_warm)}


def stats(samples: list[float]) -> dict:
    return {"median": statistics.median(samples), "samples": samples}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="aclImdb_v1.tar.gz, aclImdb/ or imdb.npz")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per training run (default 2)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats of A, B, C (default 3)")
    parser.add_argument("--model", default="lstm", choices=["simple_rnn", "lstm"], help="which of the book's models")
    parser.add_argument("--skip-quick", action="store_true", help="do not time reproduce --quick")
    parser.add_argument("--json", type=Path, required=True, help="where to write the figures")
    parser.add_argument("--prep-only", action="store_true", help="time the data preparation alone (both vocabularies)")
    args = parser.parse_args(argv)

    from chapter12 import BookConfig, prepare_data, train_and_evaluate
    from chapter12.run.reproduce import ReproduceOptions, reproduce

    from chapter12.imdb import resolve_source

    vocabularies = ["keras", "clean"] if resolve_source(args.data).kind == "stanford" else ["keras"]
    prep_by_vocabulary = {}
    for vocabulary in vocabularies:
        prep_by_vocabulary[vocabulary] = p = time_prep(args.data, vocabulary)
        print(
            f"data preparation, {vocabulary} vocabulary: cold {p['prep_cold_seconds']:.1f} s, warm "
            f"{p['prep_warm_seconds']:.2f} s (importing Keras, timed apart: {p['import_keras_seconds']:.1f} s)",
            flush=True,
        )
    prep = prep_by_vocabulary["keras"] | {"prep_by_vocabulary": prep_by_vocabulary}
    prep_cold, prep_warm = prep["prep_cold_seconds"], prep["prep_warm_seconds"]
    if args.prep_only:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(prep, indent=2))
        return 0
    config = BookConfig(epochs=args.epochs)
    data = prepare_data(config, source=args.data)
    samples = {"plain": [], "library": [], "papermill": []}
    accuracy = {"plain": [], "library": [], "papermill": []}
    for repeat in range(args.repeats):
        seconds, (_, acc) = timed(
            lambda: plain_keras(
                data.x_train,
                data.y_train,
                data.x_test,
                data.y_test,
                model_kind=args.model,
                epochs=args.epochs,
                seed=repeat,
            )
        )
        samples["plain"].append(seconds), accuracy["plain"].append(acc)
        seconds, result = timed(lambda: train_and_evaluate(args.model, data, config=config, seed=repeat, verbose=0))
        samples["library"].append(seconds), accuracy["library"].append(result.test_accuracy)
        with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
            options = ReproduceOptions(
                out=Path(tmp) / "out",
                data=args.data,
                seeds=[repeat],
                models=[args.model],
                epochs=args.epochs,
                only=["accuracy"],
            )
            seconds, status = timed(lambda: reproduce(options, log=lambda *a: None))
            if status != 0:
                raise SystemExit("the papermill run failed")
            run = json.loads((Path(tmp) / "out" / "results.json").read_text())["runs"][0]
        samples["papermill"].append(seconds), accuracy["papermill"].append(run["test_accuracy"])
        print(
            f"repeat {repeat}: plain {samples['plain'][-1]:.1f} s, library {samples['library'][-1]:.1f} s, "
            f"papermill {samples['papermill'][-1]:.1f} s; test accuracy {accuracy['plain'][-1]:.4f} / "
            f"{accuracy['library'][-1]:.4f} / {accuracy['papermill'][-1]:.4f}",
            flush=True,
        )

    quick = None
    if not args.skip_quick:
        with tempfile.TemporaryDirectory(prefix="bench-quick-") as tmp:
            cmd = [
                sys.executable,
                "-m",
                "chapter12",
                "reproduce",
                "--quick",
                "--only",
                "accuracy",
                "--out",
                f"{tmp}/out",
            ]
            quick, done = timed(lambda: subprocess.run(cmd, capture_output=True, text=True))
            if done.returncode != 0:
                raise SystemExit(f"reproduce --quick failed: {done.stderr.strip()[-300:]}")

    plain, library, papermill_s = (statistics.median(samples[k]) for k in ("plain", "library", "papermill"))
    figures = {
        "model": args.model,
        "epochs": args.epochs,
        "repeats": args.repeats,
        "data": args.data,
        "plain_seconds": stats(samples["plain"]),
        "library_seconds": stats(samples["library"]),
        "papermill_seconds": stats(samples["papermill"]),
        "library_ratio": library / plain,
        "papermill_ratio": papermill_s / plain,
        "papermill_extra_seconds": papermill_s - plain,
        "test_accuracy": accuracy,
        **prep,
        "quick_seconds": quick,
        "goals": {
            "library_ratio": "<= 1.05",
            "papermill": "<= plain + 15 s",
            "prep_warm_seconds": "<= 1",
            "prep_cold_seconds": "<= 15",
            "quick_seconds": "<= 90",
        },
    }
    from chapter12.environment import environment_info

    figures["environment"] = environment_info()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures, indent=2))
    quick_text = f"{quick:.0f} s" if quick is not None else "skipped"
    print(
        f"{args.model}, {args.epochs} epochs, median of {args.repeats}: plain {plain:.1f} s, library {library:.1f} s "
        f"(x{library / plain:.3f}), papermill {papermill_s:.1f} s (+{papermill_s - plain:.1f} s); "
        f"prep cold {prep_cold:.1f} s, warm {prep_warm:.2f} s; quick {quick_text}; wrote {args.json}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
