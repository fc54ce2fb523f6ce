"""Is the LSTM's gap to the book the framework's? The book's code in Keras 2 against Keras 3, same data.

The book ran R keras on TensorFlow 2 (its printout says "accuracy", which Keras 2.3 and later
write), that is Keras 2. chapter12 runs Keras 3. This script trains the book's models, written out
line for line, on the same Keras-exact padded arrays, seed by seed, each run in its own process, in:

- keras3: Keras 3, as chapter12 runs it;
- keras2: Keras 2, the `tf-keras` package on the same TensorFlow;
- keras3-dense: Keras 3 with Keras 2's rule for the embedding's gradient in Adam (see keras2_adam).

It prints every setting of the two models and of Adam that differs between Keras 3 and Keras 2
(from the layers' and optimizer's own configs), then the test accuracies side by side.
`--check-adam` compares one Adam update of an embedding table across the three, without training.

Keras 2 needs a separate environment (TensorFlow 2.21 brings Keras 3 along, so it has both):

    python -m venv /tmp/k2 && /tmp/k2/bin/pip install tensorflow==2.21.0 tf-keras==2.21.0 \
        && /tmp/k2/bin/pip install --no-deps -e .
    /tmp/k2/bin/python benchmarks/keras2_vs_keras3.py --check-adam
    python benchmarks/keras2_vs_keras3.py --keras2-python /tmp/k2/bin/python \
        --data ../shared/data/aclImdb_v1_labeled.tar.gz --seeds 0 1 2 3 4 --json runs/keras2_vs_keras3.json
    python benchmarks/keras2_vs_keras3.py --frameworks keras3-dense \
        --data ../shared/data/aclImdb_v1_labeled.tar.gz --seeds 0 1 2 3 4 --json runs/keras3_dense.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
FRAMEWORKS = ("keras3", "keras2", "keras3-dense")


def keras2_adam(keras):
    """Keras 3's Adam with the one rule that differs from Keras 2's: how an embedding's gradient is applied.

    An embedding lookup's gradient arrives as IndexedSlices, one slice per occurrence of a word in
    the batch. Keras 2 (tf-keras) first sums the slices of each word, then updates Adam's moments
    as for a dense gradient. Keras 3 keeps the slices and runs Adam's arithmetic on them, so a word
    that occurs k times in a batch adds the sum of k squares to the second moment v instead of the
    square of the sum. Giving Keras 3 the dense gradient reproduces Keras 2's update to float
    precision (a three-step check with repeated and absent rows: identical weights), which is what
    this does. Run as the framework "keras3-dense".
    """
    import tensorflow as tf

    class Keras2Adam(keras.optimizers.Adam):
        def update_step(self, gradient, variable, learning_rate):
            if isinstance(gradient, tf.IndexedSlices):
                gradient = tf.convert_to_tensor(gradient)  # sums the slices of each row, as Keras 2 does
            return super().update_step(gradient, variable, learning_rate)

    return Keras2Adam


def check_adam() -> None:
    """Three Adam steps on a 6 x 3 embedding table whose gradient repeats some rows and skips others,
    in Keras 2, in Keras 3, and in Keras 3 given the dense gradient; prints how far they end apart.
    Needs an environment with both tf_keras and keras 3 (TensorFlow 2.16+ brings Keras 3 along)."""
    import numpy as np
    import tensorflow as tf
    import tf_keras

    import keras

    rng = np.random.default_rng(0)
    table = rng.normal(size=(6, 3)).astype("float32")
    batches = [np.array([1, 1, 1, 4, 2, 1]), np.array([3, 3, 0]), np.array([5, 1, 1])]
    values = [rng.normal(size=(len(b), 3)).astype("float32") for b in batches]

    def run(optimizer, variable):
        for rows, vals in zip(batches, values):
            optimizer.apply_gradients(
                [(tf.IndexedSlices(tf.constant(vals), tf.constant(rows), tf.constant(table.shape)), variable)]
            )
        return np.array(tf.convert_to_tensor(variable))

    k2 = run(tf_keras.optimizers.Adam(), tf.Variable(table))
    k3 = run(keras.optimizers.Adam(), keras.Variable(table))
    k3_dense = run(keras2_adam(keras)(), keras.Variable(table))
    print(f"max |Keras 3 - Keras 2| after 3 Adam steps: {np.abs(k3 - k2).max():.3g}")
    print(f"max |Keras 3 with dense embedding gradients - Keras 2|: {np.abs(k3_dense - k2).max():.3g}")


def _configs(keras, model, optimizer) -> dict:
    skip = {
        "name",
        "trainable",
        "dtype",
        "build_config",
        "batch_input_shape",
        "input_length",
        "seed",
        "units",
        "input_dim",
        "output_dim",
        "dropout",
        "recurrent_dropout",
        "activation_dtype",
    }
    out = {}
    for layer in model.layers:
        config = keras.layers.serialize(layer)["config"]
        out[type(layer).__name__] = {k: _plain(v) for k, v in config.items() if k not in skip}
    out["Adam"] = {k: _plain(v) for k, v in optimizer.get_config().items() if k not in ("name",)}
    return out


def _plain(value):
    if isinstance(value, dict):  # serialized initializers, activations: keep the class and its settings
        inner = value.get("config", {})
        name = value.get("class_name", value.get("registered_name"))
        inner = {k: _plain(v) for k, v in (inner.items() if isinstance(inner, dict) else []) if k != "seed"}
        return f"{name}{inner}" if inner else name
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict)):  # NumPy scalars
        value = value.item()
    if isinstance(value, float):
        return float(f"{value:.10g}")
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def run_one(framework: str, data: str, model_kind: str, seed: int, epochs: int) -> dict:
    if framework == "keras2":
        import tf_keras as keras
        from tf_keras import layers
    else:
        import keras
        from keras import layers
    adam = keras2_adam(keras) if framework == "keras3-dense" else keras.optimizers.Adam
    from chapter12.imdb import load_padded

    (x_train, y_train), (x_test, y_test) = load_padded(source=data)  # Keras-exact, num_words 2500, maxlen 100
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
    optimizer = adam()
    model.compile(loss="binary_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=128, epochs=epochs, validation_split=0.2, verbose=0)
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=1024, verbose=0)
    return {
        "framework": framework,
        "keras_version": keras.__version__,
        "model": model_kind,
        "seed": seed,
        "test_accuracy": float(accuracy),
        "test_loss": float(loss),
        "train_seconds": seconds,
        "configs": _configs(keras, model, optimizer),
    }


def _spawn(python: str, framework: str, data: str, model_kind: str, seed: int, epochs: int) -> dict:
    cmd = [
        python,
        __file__,
        "--worker",
        framework,
        "--data",
        data,
        "--models",
        model_kind,
        "--seeds",
        str(seed),
        "--epochs",
        str(epochs),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"error: the {framework} worker failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _differences(a: dict, b: dict, prefix: str = "") -> list[tuple[str, object, object]]:
    out = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key, "(absent)"), b.get(key, "(absent)")
        if isinstance(va, dict) and isinstance(vb, dict):
            out += _differences(va, vb, f"{prefix}{key}.")
        elif va != vb:
            out.append((f"{prefix}{key}", va, vb))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data")
    parser.add_argument("--keras2-python", help="an interpreter with tf_keras installed")
    parser.add_argument("--models", nargs="+", default=["lstm", "simple_rnn"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--frameworks",
        nargs="+",
        default=["keras3", "keras2"],
        choices=FRAMEWORKS,
        help="keras3, keras2, keras3-dense (Keras 3 with Keras 2's rule for embedding gradients)",
    )
    parser.add_argument("--worker", choices=FRAMEWORKS, help=argparse.SUPPRESS)
    parser.add_argument(
        "--check-adam",
        action="store_true",
        help="only compare one Adam update of an embedding table across the frameworks",
    )
    args = parser.parse_args(argv)
    if args.check_adam:
        check_adam()
        return 0
    if not args.data:
        parser.error("--data is required")
    if args.worker:
        print(json.dumps(run_one(args.worker, args.data, args.models[0], args.seeds[0], args.epochs)))
        return 0
    if "keras2" in args.frameworks and not args.keras2_python:
        parser.error("--keras2-python is required (see the docstring for the environment)")
    runs = []
    for kind in args.models:
        for seed in args.seeds:  # interleaved: machine noise hits both frameworks alike
            for framework in args.frameworks:
                python = args.keras2_python if framework == "keras2" else sys.executable
                run = _spawn(python, framework, args.data, kind, seed, args.epochs)
                runs.append(run)
                print(
                    f"{framework} ({run['keras_version']}) {kind} seed {seed}: test accuracy {run['test_accuracy']:.4f}, "  # noqa: E501
                    f"loss {run['test_loss']:.4f}, {run['train_seconds']:.0f} s",
                    flush=True,
                )
    print("\nDefaults that differ between the frameworks (Keras 3 | Keras 2), the book's model as built:")
    for kind in args.models if {"keras3", "keras2"} <= set(args.frameworks) else []:
        k3 = next(r for r in runs if r["model"] == kind and r["framework"] == "keras3")["configs"]
        k2 = next(r for r in runs if r["model"] == kind and r["framework"] == "keras2")["configs"]
        for key, v3, v2 in _differences(k3, k2):
            print(f"  {kind}: {key}: {v3} | {v2}")
    print("\n| model | framework | seeds | test accuracy mean ± sd | per seed |")
    print("|---|---|---|---|---|")
    for kind in args.models:
        for framework in args.frameworks:
            accs = [r["test_accuracy"] for r in runs if r["model"] == kind and r["framework"] == framework]
            sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
            print(
                f"| {kind} | {framework} | {len(accs)} | {statistics.mean(accs):.4f} ± {sd:.4f} | "
                f"{', '.join(f'{a:.4f}' for a in accs)} |"
            )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(runs, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
