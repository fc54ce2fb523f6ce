"""Why some simple RNN runs stall: the seeds sweep's runs trained again, with probes that do not change them.

Each seed is trained exactly as a sweep cell trains it (TensorFlow, --threads threads, the book's settings on the
Keras-exact data), with a callback that reads, without touching the training's random state:
- the recurrent weight matrix's spectral radius (largest |eigenvalue|) at the start and after each epoch;
- the gradient norm of the loss, per weight (embedding, input kernel, recurrent kernel, output), on a fixed
  batch of 512 validation reviews with dropout off, every 10 batches of the first two epochs and at each
  epoch's end;
and after training: test accuracy by review length (the reviews' words before padding), and how many steps
back hold 90% of the gradient of the output with respect to the word vectors (as the inside notebook
measures it). The probes run on a twin of the model and leave the run as it is: on the sample, seed 16 gave
0.5470 with the probes, without them (`--no-probe`) and from `python -m chapter12 train`. The sweep's accuracy for
the same seed is printed beside it, but it matches only on the machine the sweep ran on: on another CPU the
same seed and thread count give another run (seed 13: 0.7948 in the sweep, 0.6888 here), so each probed run is
called stalled or healthy by its own test accuracy, against the sweep's median less the rule's margin.

    python benchmarks/stalls.py --data ../shared/data/aclImdb_v1_labeled.tar.gz --seeds 16 12 18 13 8 17 \\
        --out benchmarks/results/stalls

Writes OUT/stalls.json (one entry per seed, resumable: seeds already there are skipped) and, with --report,
OUT/stalls.md and OUT/stalls.png from it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS_RESULTS = ROOT / "benchmarks" / "results" / "seeds" / "results.jsonl"
PROBE_EVERY = 10
LENGTH_GROUPS = ((0, 100), (100, 200), (200, 400), (400, 10**9))


def _set_threads(threads: int) -> None:
    """As a sweep cell does before TensorFlow starts (chapter12/sweep/cell.py)."""
    for name in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        os.environ[name] = str(threads)
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)


def spectral_radius(matrix) -> float:
    import numpy as np

    return float(np.max(np.abs(np.linalg.eigvals(np.asarray(matrix, dtype=np.float64)))))


def sweep_accuracy(seed: int) -> float | None:
    """The seeds sweep's test accuracy of the simple RNN with this seed on TensorFlow, if it holds one."""
    if not SEEDS_RESULTS.exists():
        return None
    for line in SEEDS_RESULTS.read_text().splitlines()[1:]:
        r = json.loads(line)
        p = r.get("params", {})
        if r.get("status") == "ok" and p.get("model") == "simple_rnn" and p.get("seed") == seed:
            if p.get("backend", "tensorflow") == "tensorflow":
                return r["test_accuracy"]
    return None


def probe_run(seed: int, data, lengths_test, probe: bool = True) -> dict:
    import keras
    import tensorflow as tf

    from chapter12.book import BookConfig
    from chapter12.models import build_model
    from chapter12.teaching.inside import embedding_gradient_norms, mean_by_steps_back, steps_holding
    from chapter12.train import evaluate, fit_model, validation_split_sizes

    config = BookConfig()
    n_train, n_val = validation_split_sizes(len(data.x_train), config.validation_split)
    x_probe = tf.constant(data.x_train[n_train : n_train + 512])
    y_probe = tf.constant(data.y_train[n_train : n_train + 512].astype("float32").reshape(-1, 1))
    loss_fn = keras.losses.BinaryCrossentropy()

    # The probes run on a twin of the model, made before the seed is set and given the model's weights at each
    # probe: calling the trained model itself between batches changed the run (seed 16 on the sample: 0.5610
    # with probes on the model, 0.5470 without, as `python -m chapter12 train` gives).
    twin = build_model("simple_rnn", config, maxlen=config.maxlen)
    keras.utils.set_random_seed(seed)  # as chapter12.train.fit does, then the same model and fit call
    model = build_model("simple_rnn", config, maxlen=config.maxlen)
    rnn = model.layers[1]

    def grad_norms() -> dict:
        if not probe:  # the same run without the gradient probes, to see whether they change it
            return {"loss": float("nan"), "norms": {}}
        twin.set_weights(model.get_weights())
        with tf.GradientTape() as tape:
            loss = loss_fn(y_probe, twin(x_probe, training=False))
        weights = twin.trainable_weights
        grads = tape.gradient(loss, weights)
        named = {}
        for w, g in zip(weights, grads):
            name = w.path if hasattr(w, "path") else w.name
            named[name] = float(tf.norm(tf.convert_to_tensor(g)))
        return {"loss": float(loss), "norms": named}

    record = {"radius": [], "grads": []}

    class Probe(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epoch = 0

        def on_train_begin(self, logs=None):
            record["radius"].append(spectral_radius(rnn.cell.recurrent_kernel.numpy()))
            record["grads"].append({"epoch": 0, "batch": 0, **grad_norms()})

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            last = batch + 1 == self.params["steps"]  # the epoch's end is probed below
            if self.epoch < 2 and (batch + 1) % PROBE_EVERY == 0 and not last:
                record["grads"].append({"epoch": self.epoch + (batch + 1) / self.params["steps"], **grad_norms()})

        def on_epoch_end(self, epoch, logs=None):
            record["radius"].append(spectral_radius(rnn.cell.recurrent_kernel.numpy()))
            record["grads"].append({"epoch": epoch + 1, **grad_norms()})

    t0 = time.perf_counter()
    history = fit_model(model, data, config, callbacks=[Probe()]).history
    test_loss, test_accuracy = evaluate(model, data)
    predicted = (model.predict(data.x_test, batch_size=1024, verbose=0).ravel() >= 0.5).astype(int)
    correct = predicted == data.y_test
    by_length = []
    for low, high in LENGTH_GROUPS:
        chosen = (lengths_test >= low) & (lengths_test < high)
        accuracy = float(correct[chosen].mean()) if chosen.any() else None
        by_length.append({"low": low, "high": high, "n": int(chosen.sum()), "accuracy": accuracy})
    sample = data.x_test[:2000]
    mean, _ = mean_by_steps_back(embedding_gradient_norms(model, sample), sample)
    return {
        "seed": seed,
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "sweep_test_accuracy": None if data.source.kind == "sample" else sweep_accuracy(seed),
        "data": data.source.describe(),
        "history": history,
        "spectral_radius": record["radius"],
        "gradients": record["grads"],
        "accuracy_by_length": by_length,
        "steps_holding_90": steps_holding(0.9, mean),
        "seconds": time.perf_counter() - t0,
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
    }


def stall_threshold() -> float:
    """The test accuracy below which a TensorFlow simple RNN run counts as stalled: the seeds sweep's median
    less chapter12.report.distribution.STALL_MARGIN (the rule of the distribution report)."""
    import statistics

    from chapter12.report.distribution import STALL_MARGIN, runs_by_group
    from chapter12.report.records import read_sweep

    runs = runs_by_group(read_sweep(SEEDS_RESULTS)[1]).get(("simple_rnn", "tensorflow"), [])
    return statistics.median(r["test_accuracy"] for r in runs) - STALL_MARGIN


def _accuracies(run: dict) -> list[float]:
    """A run's accuracies by length group, the empty groups left out."""
    return [x["accuracy"] for x in run["accuracy_by_length"] if x["accuracy"] is not None]


def _norm(entry: dict, part: str) -> float:
    """The gradient norm of the weight whose path ends with part (e.g. 'recurrent_kernel')."""
    return next(v for k, v in entry["norms"].items() if k.endswith(part))


def write_report(path: Path, out: Path) -> list[Path]:
    import statistics

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from chapter12.files import atomic_write, write_text

    runs = sorted((r for r in json.loads(path.read_text())["runs"] if r.get("probe", True)), key=lambda r: r["seed"])
    # By the probed run's own accuracy: on another machine the same seed is another run (see the docstring).
    threshold = stall_threshold()
    slow = {r["seed"] for r in runs if r["test_accuracy"] < threshold}
    groups = [f"{g['low']}-{g['high'] if g['high'] < 10**9 else ''}" for g in runs[0]["accuracy_by_length"]]
    lines = [
        "# Stalled and healthy simple RNN runs, probed",
        "",
        "Made by `python benchmarks/stalls.py` (its docstring says how). Stalled: the probed run's test accuracy "
        f"lies below {threshold:.4f}, the seeds sweep's median less the margin of its rule. Gradient norms: of "
        "the loss on 512 fixed validation reviews, dropout off. Radius: largest |eigenvalue| of the recurrent matrix.",
        "",
        "| seed | stalled | test accuracy (probed run / sweep) | radius start -> end | grad, recurrent kernel: "
        "start / mean over epoch 1 / end | grad, embedding: start / mean over epoch 1 / end | "
        + " | ".join(f"acc. {g} words" for g in groups)
        + " | steps holding 90% |",
        "|---|---|---|---|---|---|" + "---|" * len(groups) + "---|",
    ]
    for r in runs:
        first = [g for g in r["gradients"] if 0 < g["epoch"] <= 1]
        cells = []
        for part in ("recurrent_kernel", "embeddings"):
            cells.append(
                f"{_norm(r['gradients'][0], part):.4f} / {statistics.fmean(_norm(g, part) for g in first):.4f} / "
                f"{_norm(r['gradients'][-1], part):.4f}"
            )
        sweep = f"{r['sweep_test_accuracy']:.4f}" if r["sweep_test_accuracy"] is not None else "—"
        lines.append(
            f"| {r['seed']} | {'yes' if r['seed'] in slow else 'no'} | {r['test_accuracy']:.4f} / {sweep} | "
            f"{r['spectral_radius'][0]:.3f} -> {r['spectral_radius'][-1]:.3f} | {cells[0]} | {cells[1]} | "
            + " | ".join(f"{g['accuracy']:.3f}" if g["accuracy"] is not None else "—" for g in r["accuracy_by_length"])
            + f" | {r['steps_holding_90']} |"
        )
    kinds = {"stalled": [r for r in runs if r["seed"] in slow], "healthy": [r for r in runs if r["seed"] not in slow]}
    lines += [
        "",
        "Means over the runs of each kind:",
        "",
        "| runs | n | test accuracy | radius after epoch 1 | radius at the end | grad, recurrent kernel, mean over "
        "epoch 1 | spread of accuracy over the length groups (max - min) | steps holding 90% |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, group in kinds.items():
        if not group:
            continue

        def mean(values):
            return statistics.fmean(values)

        accuracy = mean(r["test_accuracy"] for r in group)
        radius_1 = mean(r["spectral_radius"][1] for r in group)
        radius_end = mean(r["spectral_radius"][-1] for r in group)
        grad_1 = mean(mean(_norm(g, "recurrent_kernel") for g in r["gradients"] if 0 < g["epoch"] <= 1) for r in group)
        spread = mean(max(_accuracies(r)) - min(_accuracies(r)) for r in group)
        reach = mean(r["steps_holding_90"] for r in group)
        lines.append(
            f"| {name} | {len(group)} | {accuracy:.4f} | {radius_1:.3f} | {radius_end:.3f} | {grad_1:.4f} | "
            f"{spread:.3f} | {reach:.1f} |"
        )
    lines += [
        "",
        "Review counts per length group: "
        + ", ".join(f"{g} words {x['n']}" for g, x in zip(groups, runs[0]["accuracy_by_length"]))
        + ".",
    ]
    md = out / "stalls.md"
    write_text(md, "\n".join(lines) + "\n")

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for r in runs:
        colour = "tab:red" if r["seed"] in slow else "tab:blue"
        label = f"seed {r['seed']}" + (" (stalled)" if r["seed"] in slow else "")
        xs = [g["epoch"] for g in r["gradients"]]
        axes[0].plot(xs, [_norm(g, "recurrent_kernel") for g in r["gradients"]], color=colour, alpha=0.7, label=label)
        axes[1].plot(range(len(r["spectral_radius"])), r["spectral_radius"], "o-", color=colour, alpha=0.7)
        axes[2].plot(
            groups,
            [g["accuracy"] if g["accuracy"] is not None else float("nan") for g in r["accuracy_by_length"]],
            "o-",
            color=colour,
            alpha=0.7,
        )
    axes[0].set(xlabel="epoch", ylabel="gradient norm, recurrent kernel", yscale="log")
    axes[0].legend(fontsize=7)
    axes[1].set(xlabel="epoch", ylabel="spectral radius of the recurrent matrix")
    axes[2].set(xlabel="review length (words)", ylabel="test accuracy")
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    png = out / "stalls.png"
    atomic_write(png, lambda f: fig.savefig(f, format="png", dpi=110))
    plt.close(fig)
    return [md, png]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="the Stanford archive (Keras-exact vocabulary)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "stalls")
    parser.add_argument(
        "--threads", type=int, default=2, help="threads, as the sweep's cells had (seeds 3-19 of the seeds sweep: 2)"
    )
    parser.add_argument("--no-probe", action="store_true", help="train without the gradient probes (a control)")
    parser.add_argument("--report", action="store_true", help="write stalls.md and stalls.png from stalls.json")
    args = parser.parse_args(argv)
    path = args.out / "stalls.json"
    done = json.loads(path.read_text()) if path.exists() else {"runs": []}
    kept = {(r["seed"], r.get("probe", True)) for r in done["runs"]}
    todo = [s for s in args.seeds if (s, not args.no_probe) not in kept]
    if todo:
        if not args.data:
            parser.error("--data is needed to train")
        _set_threads(args.threads)
        import numpy as np

        from chapter12.book import BookConfig
        from chapter12.files import write_json
        from chapter12.imdb import prepare_data
        from chapter12.imdb.load import load_imdb

        config = BookConfig()
        data = prepare_data(config, source=args.data, vocabulary="keras")
        (_, _), (x_test_raw, _) = load_imdb(num_words=config.num_words, source=data.source)
        lengths_test = np.array([len(r) for r in x_test_raw])
        for seed in todo:
            run = probe_run(seed, data, lengths_test, probe=not args.no_probe)
            run["threads"] = args.threads
            run["probe"] = not args.no_probe
            print(
                f"seed {seed}: test accuracy {run['test_accuracy']:.4f} (sweep: {run['sweep_test_accuracy']}), "
                f"radius {run['spectral_radius'][0]:.3f} -> {run['spectral_radius'][-1]:.3f}, "
                f"{run['seconds']:.0f} s",
                flush=True,
            )
            done["runs"].append(run)
            write_json(path, done)
    if args.report:
        for written in write_report(path, args.out):
            print(f"wrote {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
