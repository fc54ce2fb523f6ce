"""Time the chapter's models fairly.

The chapter says the LSTM "roughly doubles" the training time of the simple RNN. Measuring
that on a shared machine needs care: the first epoch also builds and compiles the graph, and
the machine's load changes from minute to minute. So every epoch is timed, the first one is
reported apart, the others are summarised by their median, and repeats are interleaved
(RNN, LSTM, RNN, LSTM, ...) so that a busy minute hits both models alike.

Keras picks its backend once, when it is first imported: a backend other than the one this process
has loaded is measured in a process of its own (`python -m chapter12.timing SETTINGS.json`).
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from chapter12.book import BookConfig
from chapter12.checks import (
    BACKENDS,
    check_backend,
    check_choice,
    check_model_kind,
    check_positive_int,
    check_vocabulary,
)
from chapter12.errors import Chapter12Error
from chapter12.imdb import prepare_data, resolve_source
from chapter12.logs import is_backend_log_line
from chapter12.process import run_child
from chapter12.timing.flops import GATES, measure_matmul_flops, training_flops_per_epoch

# The book's layer uses recurrent_dropout=0.2, which makes Keras's LSTM cell use implementation=1 (eight
# small matrix products per step, one per gate for the input and for the state). With recurrent_dropout=0 it
# keeps implementation=2 (the gates packed: two products per step) on a CPU, and hands the whole sequence to
# cuDNN on an NVIDIA GPU. The simple RNN's step is the same in both variants.
VARIANTS = {"book": {"recurrent_dropout": BookConfig.recurrent_dropout}, "fused": {"recurrent_dropout": 0.0}}


def installed_backends() -> list[str]:
    """The Keras backends whose package is importable here."""
    return [b for b in BACKENDS if importlib.util.find_spec(b) is not None]


def check_variant(variant: str) -> str:
    """Return variant if known, else raise a Chapter12Error listing the choices."""
    return check_choice("variant", variant, VARIANTS)


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
    jit_compile: bool = False  # the training step compiled with XLA (jit_compile=True) on TensorFlow
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
    evaluate_test: bool = True,
    device: str = "CPU",
    jit_compile: bool = False,
) -> TimingResult:
    """Train one model on the training part of `data` (no validation pass), timing every epoch; jit_compile=True
    asks Keras for XLA (what JAX always does; on a CPU, TensorFlow does not unless asked)."""
    import keras

    from chapter12.train import evaluate, fit

    check_variant(variant)
    config = config.replace(**VARIANTS[variant])
    fitted = fit(kind, data, config, seed=seed, validate=False, verbose=0, jit_compile=True if jit_compile else "auto")
    n_train = fitted.n_train
    stats = summarize_epochs(fitted.epoch_seconds)
    flops = training_flops_per_epoch(kind, config, n_train)
    accuracy = evaluate(fitted.model, data)[1] if evaluate_test else None
    return TimingResult(
        model=kind,
        variant=variant,
        backend=keras.backend.backend(),
        device=device,
        repeat=repeat,
        batch_size=config.batch_size,
        recurrent_dropout=config.recurrent_dropout,
        n_train=n_train,
        epoch_seconds=fitted.epoch_seconds,
        **stats,
        samples_per_second=n_train / stats["median_epoch_seconds"],
        flops_per_epoch=flops,
        achieved_flops_per_second=flops / stats["median_epoch_seconds"],
        test_accuracy=accuracy,
        jit_compile=fitted.model.jit_compile is True,  # what Keras compiled with, not only what was asked
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
    jit_compile: bool = False,
    seed_offset: int = 0,
) -> list[TimingResult]:
    """Time every (model, variant) `repeats` times in interleaved order: for each repeat, each variant, each model;
    repeat r trains with seed seed_offset + r."""
    check_positive_int("repeats", repeats)
    results = []
    for repeat in range(repeats):
        for variant in variants:
            for kind in models:
                r = time_training(
                    kind,
                    variant,
                    data,
                    config=config,
                    seed=seed_offset + repeat,
                    repeat=seed_offset + repeat,
                    device=device,
                    jit_compile=jit_compile,
                )
                log(
                    f"{engine_name(r.to_dict())} {variant:>5} {kind:>10} repeat {r.repeat}: "
                    f"first epoch {r.first_epoch_seconds:.1f} s, "
                    f"median {r.median_epoch_seconds:.2f} s, {r.samples_per_second:,.0f} reviews/s, "
                    f"test accuracy {r.test_accuracy:.3f}"
                )
                results.append(r)
    return results


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
    jit_compile: bool = False  # XLA on TensorFlow (Keras's jit_compile=True); JAX compiles with XLA anyway
    seed_offset: int = 0  # repeat r trains with seed seed_offset + r (rounds run apart get seeds of their own)

    def check(self) -> "TimingSettings":
        """Raise a Chapter12Error for any bad setting."""
        check_backend(self.backend)
        for kind in self.models:
            check_model_kind(kind)
            if kind not in GATES:
                raise Chapter12Error(f"timing covers {', '.join(GATES)}, not {kind!r}")
        for variant in self.variants:
            check_variant(variant)
        check_positive_int("repeats", self.repeats)
        # The data source and vocabulary are checked here, in the parent, so that a bad one gets one line
        # before any worker starts (resolving reads no reviews).

        resolve_source("sample" if self.quick else self.data_source, check_vocabulary(self.vocabulary))
        check_positive_int("matmul_size", self.matmul_size)
        if self.max_reviews is not None:
            check_positive_int("max_reviews", self.max_reviews, minimum=10)
        if not isinstance(self.jit_compile, bool):
            raise Chapter12Error(f"jit_compile must be true or false, got {self.jit_compile!r}")
        if self.jit_compile and self.backend != "tensorflow":
            raise Chapter12Error(
                f"jit_compile=True is TensorFlow's XLA switch; on {self.backend} leave it off (JAX always uses XLA)"
            )
        if not isinstance(self.seed_offset, int) or isinstance(self.seed_offset, bool) or self.seed_offset < 0:
            raise Chapter12Error(f"seed_offset must be a whole number >= 0, got {self.seed_offset!r}")
        if isinstance(self.epochs, int) and not isinstance(self.epochs, bool) and self.epochs < 3:
            raise Chapter12Error(
                f"timing needs epochs >= 3 (the first compiles, the median needs 2 more), got {self.epochs}"
            )
        BookConfig(epochs=self.epochs, batch_size=self.batch_size)
        return self


def worker(settings: TimingSettings, log: Callable[[str], None] = print) -> dict:
    """Measure in this process (its Keras backend must be settings.backend): timings and the matmul speed."""
    import keras

    from chapter12.environment import environment_info

    if keras.backend.backend() != settings.backend:
        raise Chapter12Error(
            f"this process runs Keras on {keras.backend.backend()}, not {settings.backend}; "
            f"set KERAS_BACKEND={settings.backend} before Keras is imported"
        )
    env = environment_info()
    config = BookConfig(epochs=settings.epochs, batch_size=settings.batch_size)
    data = prepare_data(config, source=settings.data_source, quick=settings.quick, vocabulary=settings.vocabulary)
    if settings.max_reviews:
        n = settings.max_reviews
        data = type(data)(data.x_train[:n], data.y_train[:n], data.x_test[:n], data.y_test[:n], data.source)
    matmul = measure_matmul_flops(settings.matmul_size)
    log(
        f"{settings.backend}: float32 {settings.matmul_size}x{settings.matmul_size} matmul at "
        f"{matmul / 1e9:,.1f} GFLOP/s on {env['device']}"
    )
    entries = run_interleaved(
        settings.models,
        settings.variants,
        data,
        config=config,
        repeats=settings.repeats,
        device=env["device"],
        log=log,
        jit_compile=settings.jit_compile,
        seed_offset=settings.seed_offset,
    )
    return {
        "timing": [e.to_dict() for e in entries],
        "matmul_flops_per_second": {settings.backend: matmul},
        "environment": {settings.backend: env},
        "data": data.describe(),
    }


def loaded_backend() -> str | None:
    """The backend of the Keras this process has already imported, or None if it has not imported Keras."""
    keras = sys.modules.get("keras")
    return keras.backend.backend() if keras is not None else None


def measure_backend(settings: TimingSettings, log: Callable[[str], None] = print) -> dict:
    """Run `worker` for settings.backend, streaming its lines to log.

    Keras chooses its backend once, when it is first imported, so each backend is measured in a fresh
    Python process with KERAS_BACKEND set, except the backend this process has loaded already (a
    notebook's kernel): that one is measured here, without paying for a second start of it.
    """
    import tempfile

    settings.check()
    if loaded_backend() == settings.backend:
        return json.loads(json.dumps(worker(settings, log=log)))  # as the JSON file of a worker process holds it
    with tempfile.TemporaryDirectory(prefix="chapter12-timing-") as tmp:
        settings_path, out_path = Path(tmp) / "settings.json", Path(tmp) / "result.json"
        settings_path.write_text(json.dumps(asdict(settings)))
        env = dict(os.environ, KERAS_BACKEND=settings.backend, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")

        def show(line: str) -> None:  # the worker's progress; its error line is passed on once, below
            if not line.startswith("error:") and not is_backend_log_line(line):
                log(line.rstrip())

        cmd = [sys.executable, "-m", "chapter12.timing", str(settings_path), str(out_path)]
        finished = run_child(cmd, env, out_path, on_line=show)
        if finished.result is None:
            raise Chapter12Error(
                f"timing on {settings.backend} failed: {finished.reported or ' | '.join(finished.tail[-3:])}"
            )
        return finished.result


def engine_name(entry: dict) -> str:
    """The backend of a timing entry, with "+xla" where TensorFlow compiled the step with XLA."""
    return entry["backend"] + ("+xla" if entry.get("jit_compile") else "")


def timing_summary(entries: list[dict]) -> list[dict]:
    """LSTM / simple RNN ratio of median epoch seconds per (variant, backend, device): median and range over repeats.

    TensorFlow with XLA counts as a backend of its own, "tensorflow+xla"."""
    groups: dict[tuple, dict[int, dict[str, float]]] = {}
    for e in entries:
        key = (e["variant"], engine_name(e), e["device"])
        groups.setdefault(key, {}).setdefault(e["repeat"], {})[e["model"]] = e["median_epoch_seconds"]
    summary = []
    for (variant, backend, device), repeats in groups.items():
        ratios = [r["lstm"] / r["simple_rnn"] for r in repeats.values() if "lstm" in r and "simple_rnn" in r]
        if not ratios:
            continue
        mine = [e for e in entries if (e["variant"], engine_name(e), e["device"]) == (variant, backend, device)]
        seconds = {
            m: statistics.median(e["median_epoch_seconds"] for e in mine if e["model"] == m)
            for m in ("simple_rnn", "lstm")
        }
        summary.append(
            {
                "variant": variant,
                "backend": backend,
                "device": device,
                "n": len(ratios),
                "ratio_median": statistics.median(ratios),
                "ratio_min": min(ratios),
                "ratio_max": max(ratios),
                "simple_rnn_median_epoch_seconds": seconds["simple_rnn"],
                "lstm_median_epoch_seconds": seconds["lstm"],
            }
        )
    return summary


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
