"""Time the chapter's models fairly, count their arithmetic, and compare with the hardware.

The chapter says the LSTM "roughly doubles" the training time of the simple RNN. Measuring
that on a shared machine needs care: the first epoch also builds and compiles the graph, and
the machine's load changes from minute to minute. So every epoch is timed, the first one is
reported apart, the others are summarised by their median, and repeats are interleaved
(RNN, LSTM, RNN, LSTM, ...) so that a busy minute hits both models alike.

Each backend is measured in a process of its own (`python -m chapter12.timing SETTINGS.json`),
because Keras picks its backend once, when it is first imported.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from chapter12.config import BookConfig, check_model_kind, check_positive_int
from chapter12.errors import Chapter12Error
from chapter12.imdb.words import check_vocabulary

BACKENDS = ("tensorflow", "jax", "torch")
# The book's layer uses recurrent_dropout=0.2. Keras then has to run the recurrence step by step
# in its generic loop; with recurrent_dropout=0 (and the default activations) it may hand the
# whole sequence to a fused kernel, cuDNN on an NVIDIA GPU.
VARIANTS = {"book": {"recurrent_dropout": 0.2}, "fused": {"recurrent_dropout": 0.0}}
_GATES = {"simple_rnn": 1, "gru": 3, "lstm": 4}


def installed_backends() -> list[str]:
    """The Keras backends whose package is importable here."""
    return [b for b in BACKENDS if importlib.util.find_spec(b) is not None]


def check_backend(backend: str) -> str:
    """Return backend if Keras can use it here, else raise a Chapter12Error saying how to get it."""
    if backend not in BACKENDS:
        raise Chapter12Error(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    if importlib.util.find_spec(backend) is None:
        hint = {"torch": "pip install torch==2.13.0", "jax": "pip install jax", "tensorflow": "pip install tensorflow"}
        raise Chapter12Error(f"the {backend} backend is not installed; {hint[backend]}")
    return backend


def check_variant(variant: str) -> str:
    """Return variant if known, else raise a Chapter12Error listing the choices."""
    if variant not in VARIANTS:
        raise Chapter12Error(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
    return variant


# ----------------------------------------------------------------------------- arithmetic


def recurrent_step_flops(kind: str, embedding_dim: int, units: int) -> int:
    """Multiply-add FLOPs (2 per multiply-add) of one time step of one review in the recurrent layer.

    Each gate (one for the simple RNN, four for the LSTM) multiplies the input x<t> by an
    (embedding_dim x units) matrix and the state a<t-1> by a (units x units) matrix:
    2 * gates * units * (embedding_dim + units).
    """
    if kind not in _GATES:
        raise Chapter12Error(f"FLOPs are counted for {', '.join(_GATES)}, not {kind!r}")
    return 2 * _GATES[kind] * units * (embedding_dim + units)


def training_flops_per_epoch(kind: str, config: BookConfig, n_train: int) -> int:
    """Matrix FLOPs of one training epoch: 3 x forward (the backward pass costs about twice the forward).

    forward per review = maxlen * recurrent_step_flops + 2 * units (the Dense output unit);
    the embedding lookup is a copy, not arithmetic, and element-wise work (activations, gates'
    products, dropout) is left out: it is small next to the matrix products.
    """
    forward = config.maxlen * recurrent_step_flops(kind, config.embedding_dim, config.units) + 2 * config.units
    return 3 * forward * n_train


def measure_matmul_flops(n: int = 2048, repeats: int = 10) -> float:
    """The backend's float32 matrix-multiply speed on its device, in FLOP/s (best of `repeats`)."""
    import keras
    import numpy as np

    ops = keras.ops
    rng = np.random.default_rng(0)
    a = ops.convert_to_tensor(rng.standard_normal((n, n), dtype=np.float32))
    b = ops.convert_to_tensor(rng.standard_normal((n, n), dtype=np.float32))
    ops.convert_to_numpy(ops.sum(ops.matmul(a, b)))  # warm-up: kernels chosen, memory allocated
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        # Reading back one number forces an asynchronous device (GPU) to finish.
        ops.convert_to_numpy(ops.sum(ops.matmul(a, b)))
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best


# ----------------------------------------------------------------------------- timing


@dataclass
class TimingResult:
    """One timed training run of one (model, variant, backend, repeat)."""

    model: str
    variant: str
    backend: str
    device: str
    repeat: int
    batch_size: int
    recurrent_dropout: float
    n_train: int
    epoch_seconds: list[float]
    first_epoch_seconds: float
    median_epoch_seconds: float
    min_epoch_seconds: float
    max_epoch_seconds: float
    samples_per_second: float
    flops_per_epoch: int
    achieved_flops_per_second: float
    test_accuracy: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def summarize_epochs(epoch_seconds: list[float]) -> dict[str, float]:
    """First epoch apart (it includes building and compiling), then median, min and max of the rest."""
    if len(epoch_seconds) < 2:
        raise Chapter12Error("timing needs at least 2 epochs: the first one also compiles; pass epochs >= 3")
    rest = epoch_seconds[1:]
    return {
        "first_epoch_seconds": epoch_seconds[0],
        "median_epoch_seconds": statistics.median(rest),
        "min_epoch_seconds": min(rest),
        "max_epoch_seconds": max(rest),
    }


def time_training(
    kind: str,
    variant: str,
    data,
    *,
    config: BookConfig,
    seed: int = 0,
    repeat: int = 0,
    evaluate: bool = True,
    device: str = "CPU",
) -> TimingResult:
    """Train one model on the training part of `data` (no validation pass), timing every epoch."""
    import keras

    from chapter12.experiment import EVALUATION_BATCH_SIZE, EpochTimer, validation_split_sizes
    from chapter12.models import build_model

    check_model_kind(kind)
    check_variant(variant)
    config = config.replace(**VARIANTS[variant])
    n_train, _ = validation_split_sizes(len(data.x_train), config.validation_split)
    keras.utils.set_random_seed(seed)
    model = build_model(kind, config, maxlen=config.maxlen)
    timer = EpochTimer()
    model.fit(data.x_train[:n_train], data.y_train[:n_train], batch_size=config.batch_size,
              epochs=config.epochs, callbacks=[timer], verbose=0)
    stats = summarize_epochs(timer.epoch_seconds)
    flops = training_flops_per_epoch(kind, config, n_train)
    accuracy = (float(model.evaluate(data.x_test, data.y_test, batch_size=EVALUATION_BATCH_SIZE, verbose=0)[1])
                if evaluate else None)
    return TimingResult(
        model=kind, variant=variant, backend=keras.backend.backend(), device=device, repeat=repeat,
        batch_size=config.batch_size, recurrent_dropout=config.recurrent_dropout, n_train=n_train,
        epoch_seconds=list(timer.epoch_seconds), **stats,
        samples_per_second=n_train / stats["median_epoch_seconds"],
        flops_per_epoch=flops, achieved_flops_per_second=flops / stats["median_epoch_seconds"],
        test_accuracy=accuracy,
    )


def run_interleaved(
    models: list[str],
    variants: list[str],
    data,
    *,
    config: BookConfig,
    repeats: int = 2,
    device: str = "CPU",
    log: Callable[[str], None] = print,
) -> list[TimingResult]:
    """Time every (model, variant) `repeats` times in interleaved order: for each repeat, each variant, each model."""
    check_positive_int("repeats", repeats)
    results = []
    for repeat in range(repeats):
        for variant in variants:
            for kind in models:
                r = time_training(kind, variant, data, config=config, seed=repeat, repeat=repeat, device=device)
                log(f"{r.backend} {variant:>5} {kind:>10} repeat {repeat}: first epoch {r.first_epoch_seconds:.1f} s, "
                    f"median {r.median_epoch_seconds:.2f} s, {r.samples_per_second:,.0f} reviews/s, "
                    f"test accuracy {r.test_accuracy:.3f}")
                results.append(r)
    return results


def timing_summary(entries: list[dict]) -> list[dict]:
    """LSTM / simple RNN ratio of median epoch seconds per (variant, backend, device): median and range over repeats."""
    groups: dict[tuple, dict[int, dict[str, float]]] = {}
    for e in entries:
        key = (e["variant"], e["backend"], e["device"])
        groups.setdefault(key, {}).setdefault(e["repeat"], {})[e["model"]] = e["median_epoch_seconds"]
    summary = []
    for (variant, backend, device), repeats in groups.items():
        ratios = [r["lstm"] / r["simple_rnn"] for r in repeats.values() if "lstm" in r and "simple_rnn" in r]
        if not ratios:
            continue
        mine = [e for e in entries if (e["variant"], e["backend"], e["device"]) == (variant, backend, device)]
        seconds = {m: statistics.median(e["median_epoch_seconds"] for e in mine if e["model"] == m)
                   for m in ("simple_rnn", "lstm")}
        summary.append({
            "variant": variant, "backend": backend, "device": device, "n": len(ratios),
            "ratio_median": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
            "simple_rnn_median_epoch_seconds": seconds["simple_rnn"], "lstm_median_epoch_seconds": seconds["lstm"],
        })
    return summary


def timing_table_markdown(measured: dict) -> str:
    """Three Markdown tables: times per (backend, variant, model), the LSTM/RNN ratios, and FLOP/s against the hardware."""
    from chapter12.config import BOOK_TIME_RATIO

    entries, summary = measured["timing"], measured.get("timing_summary") or timing_summary(measured["timing"])
    lines = ["| backend | device | variant | model | first epoch s | median epoch s (min–max) | reviews/s | test accuracy | runs |",
             "|---|---|---|---|---|---|---|---|---|"]
    groups = list(dict.fromkeys((e["backend"], e["device"], e["variant"], e["model"]) for e in entries))
    for backend, device, variant, model in groups:
        mine = [e for e in entries if (e["backend"], e["device"], e["variant"], e["model"]) == (backend, device, variant, model)]
        median = statistics.median(e["median_epoch_seconds"] for e in mine)
        accuracies = [e["test_accuracy"] for e in mine if e["test_accuracy"] is not None]
        accuracy = f"{statistics.mean(accuracies):.4f}" if accuracies else "—"
        lines.append(
            f"| {backend} | {device} | {variant} | {model} | {statistics.median(e['first_epoch_seconds'] for e in mine):.2f} "
            f"| {median:.2f} ({min(e['min_epoch_seconds'] for e in mine):.2f}–{max(e['max_epoch_seconds'] for e in mine):.2f}) "
            f"| {statistics.median(e['samples_per_second'] for e in mine):,.0f} | {accuracy} | {len(mine)} |"
        )
    lines += ["", "| backend | device | variant | LSTM / simple RNN time: median (min–max) | repeats | book | arithmetic |",
              "|---|---|---|---|---|---|---|"]
    for s in summary:
        lines.append(f"| {s['backend']} | {s['device']} | {s['variant']} | {s['ratio_median']:.2f} "
                     f"({s['ratio_min']:.2f}–{s['ratio_max']:.2f}) | {s['n']} | roughly {BOOK_TIME_RATIO:g} | 4.00 |")
    peaks = measured.get("matmul_flops_per_second", {})
    lines += ["", "| backend | variant | model | GFLOP per epoch | achieved GFLOP/s | matmul GFLOP/s (same run) | share of matmul speed |",
              "|---|---|---|---|---|---|---|"]
    for backend, device, variant, model in groups:
        mine = [e for e in entries if (e["backend"], e["device"], e["variant"], e["model"]) == (backend, device, variant, model)]
        achieved = statistics.median(e["achieved_flops_per_second"] for e in mine)
        peak = peaks.get(backend)
        share = f"{achieved / peak:.1%}" if peak else "—"
        peak_text = f"{peak / 1e9:,.1f}" if peak else "—"
        lines.append(f"| {backend} | {variant} | {model} | {mine[0]['flops_per_epoch'] / 1e9:,.1f} | {achieved / 1e9:,.1f} "
                     f"| {peak_text} | {share} |")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- one backend per process


@dataclass
class TimingSettings:
    """What one timing worker measures."""

    backend: str = "tensorflow"
    models: list[str] = field(default_factory=lambda: ["simple_rnn", "lstm"])
    variants: list[str] = field(default_factory=lambda: list(VARIANTS))
    epochs: int = 3
    repeats: int = 2
    batch_size: int = BookConfig.batch_size
    data_source: str | None = None
    quick: bool = False
    vocabulary: str = "keras"  # how the Stanford reviews become words: "keras" (as imdb.npz) or "clean"
    matmul_size: int = 2048
    max_reviews: int | None = None  # keep only the first N training and test reviews (for tests)

    def check(self) -> "TimingSettings":
        """Raise a Chapter12Error for any bad setting."""
        check_backend(self.backend)
        for kind in self.models:
            check_model_kind(kind)
            if kind not in _GATES:
                raise Chapter12Error(f"timing covers {', '.join(_GATES)}, not {kind!r}")
        for variant in self.variants:
            check_variant(variant)
        check_positive_int("repeats", self.repeats)
        # The data source and vocabulary are checked here, in the parent, so that a bad one gets one line
        # before any worker starts (resolving reads no reviews).
        from chapter12.imdb import resolve_source

        resolve_source("sample" if self.quick else self.data_source, check_vocabulary(self.vocabulary))
        check_positive_int("matmul_size", self.matmul_size)
        if self.max_reviews is not None:
            check_positive_int("max_reviews", self.max_reviews, minimum=10)
        if isinstance(self.epochs, int) and not isinstance(self.epochs, bool) and self.epochs < 3:
            raise Chapter12Error(f"timing needs epochs >= 3 (the first compiles, the median needs 2 more), got {self.epochs}")
        BookConfig(epochs=self.epochs, batch_size=self.batch_size)
        return self


def worker(settings: TimingSettings) -> dict:
    """Measure in this process (its Keras backend must be settings.backend): timings and the matmul speed."""
    import keras

    from chapter12.environment import environment_info
    from chapter12.imdb import prepare_data

    if keras.backend.backend() != settings.backend:
        raise Chapter12Error(f"this process runs Keras on {keras.backend.backend()}, not {settings.backend}; "
                             f"set KERAS_BACKEND={settings.backend} before Keras is imported")
    env = environment_info()
    config = BookConfig(epochs=settings.epochs, batch_size=settings.batch_size)
    data = prepare_data(config, source=settings.data_source, quick=settings.quick, vocabulary=settings.vocabulary)
    if settings.max_reviews:
        n = settings.max_reviews
        data = type(data)(data.x_train[:n], data.y_train[:n], data.x_test[:n], data.y_test[:n], data.source)
    matmul = measure_matmul_flops(settings.matmul_size)
    print(f"{settings.backend}: float32 {settings.matmul_size}x{settings.matmul_size} matmul at "
          f"{matmul / 1e9:,.1f} GFLOP/s on {env['device']}", flush=True)
    entries = run_interleaved(settings.models, settings.variants, data, config=config, repeats=settings.repeats,
                              device=env["device"], log=lambda line: print(line, flush=True))
    return {
        "timing": [e.to_dict() for e in entries],
        "matmul_flops_per_second": {settings.backend: matmul},
        "environment": {settings.backend: env},
        "data": data.describe(),
    }


def measure_backend(settings: TimingSettings, log: Callable[[str], None] = print) -> dict:
    """Run `worker` in a fresh Python process with KERAS_BACKEND=settings.backend, streaming its lines to log."""
    import tempfile

    settings.check()
    with tempfile.TemporaryDirectory(prefix="chapter12-timing-") as tmp:
        settings_path, out_path = Path(tmp) / "settings.json", Path(tmp) / "result.json"
        settings_path.write_text(json.dumps(asdict(settings)))
        env = dict(os.environ, KERAS_BACKEND=settings.backend, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
        proc = subprocess.Popen([sys.executable, "-m", "chapter12.timing", str(settings_path), str(out_path)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        tail: list[str] = []
        reported = None  # the worker's own one-line error, passed on once, without the log lines around it
        for line in proc.stdout:
            line = line.rstrip()
            if line.startswith("error: "):
                reported = line[len("error: "):]
                continue
            if line.startswith(("WARNING: All log", "I0000", "E0000", "W0000", "To enable the following")):
                continue
            tail = (tail + [line])[-20:]
            log(line)
        if proc.wait() != 0 or not out_path.exists():
            raise Chapter12Error(f"timing on {settings.backend} failed: {reported or ' | '.join(tail[-3:])}")
        return json.loads(out_path.read_text())


def merge_measurements(parts: list[dict]) -> dict:
    """Combine the results of several measure_backend calls."""
    merged: dict[str, Any] = {"timing": [], "matmul_flops_per_second": {}, "environment": {}}
    for part in parts:
        merged["timing"] += part["timing"]
        merged["matmul_flops_per_second"].update(part["matmul_flops_per_second"])
        merged["environment"].update(part["environment"])
        merged["data"] = part.get("data")
    merged["timing_summary"] = timing_summary(merged["timing"])
    return merged


def _main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m chapter12.timing SETTINGS.json RESULT.json", file=sys.stderr)
        return 2
    settings = TimingSettings(**json.loads(Path(argv[0]).read_text())).check()
    result = worker(settings)
    from chapter12.results import write_json

    write_json(Path(argv[1]), result)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(_main(sys.argv[1:]))
    except Chapter12Error as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
