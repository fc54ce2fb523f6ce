"""The book's models timed per epoch on each engine (TensorFlow, TensorFlow with XLA, JAX, torch), from the runs
file that benchmarks/backend_speed.py appends to: the summary, the docs' table and the verdict sentence."""

from __future__ import annotations

import json
import os
import statistics
from pathlib import Path

from chapter12.errors import Chapter12Error
from chapter12.paths import COMMITTED_RESULTS

SPEED_RUNS = COMMITTED_RESULTS / "backend_speed" / "runs.jsonl"
ENGINES = ("tensorflow", "tensorflow+xla", "jax", "torch")
MODELS = ("simple_rnn", "lstm")
MODEL_NAMES = {"simple_rnn": "simple RNN", "lstm": "LSTM"}
# How much faster than TensorFlow an engine must be for sweeps to be pointed at it (issue 21): less is not
# worth a second set of accuracy distributions.
WORTH_SWITCHING = 1.5


def read_speed_runs(path: "str | os.PathLike" = SPEED_RUNS) -> list[dict]:
    """The runs file's records, one per (round, engine) (the last, where a round was measured twice); a line cut
    short by a stopped run is left out (the benchmark measures it again)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise Chapter12Error(f"cannot read {path} ({e}); run benchmarks/backend_speed.py first") from None
    runs: dict[tuple, dict] = {}
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and record.get("engine") in ENGINES and isinstance(record.get("timing"), list):
            runs[(record.get("round"), record["engine"])] = record
    return list(runs.values())


def fastest_epoch(entry: dict) -> float:
    """The fastest epoch after the first of one run: the engine's own speed. On a shared 2-core machine an
    engine's epochs can jump between two speeds within one run (seen with TensorFlow here), and the median of an
    even number of epochs then lands between them, at a speed no epoch ran at."""
    return entry.get("min_epoch_seconds") or entry["median_epoch_seconds"]


def speed_summary(runs: list[dict]) -> list[dict]:
    """Per (engine, model), in ENGINES order: the median over rounds of each run's median epoch (the first epoch
    apart: it also compiles), the first epoch, the speed-up over TensorFlow (TensorFlow's fastest epoch over the
    engine's, within each round, then the median and range) and the test accuracy of every round."""
    entries: dict[tuple[str, str], dict[int, dict]] = {}
    for run in runs:
        for entry in run["timing"]:
            entries.setdefault((run["engine"], entry["model"]), {})[int(run["round"])] = entry
    rows = []
    for engine in ENGINES:
        for model in MODELS:
            by_round = entries.get((engine, model))
            if not by_round:
                continue
            base = entries.get(("tensorflow", model), {})
            speedups = [fastest_epoch(base[r]) / fastest_epoch(e) for r, e in by_round.items() if r in base]
            rows.append(
                {
                    "engine": engine,
                    "model": model,
                    "rounds": sorted(by_round),
                    "median_epoch_seconds": statistics.median(e["median_epoch_seconds"] for e in by_round.values()),
                    "first_epoch_seconds": statistics.median(e["first_epoch_seconds"] for e in by_round.values()),
                    "speedup": statistics.median(speedups) if speedups else None,
                    "speedup_range": (min(speedups), max(speedups)) if speedups else None,
                    "test_accuracy": [e["test_accuracy"] for _, e in sorted(by_round.items())],
                    # every epoch after the first, of every round: shows an engine whose epochs jump between speeds
                    "later_epochs_range": _later_epochs_range(by_round.values()),
                }
            )
    return rows


def _later_epochs_range(entries) -> tuple[float, float] | None:
    seconds = [s for e in entries for s in e.get("epoch_seconds", [])[1:]]
    return (min(seconds), max(seconds)) if seconds else None


def speed_table(runs: list[dict]) -> str:
    """The summary as a Markdown table."""
    lines = [
        "| engine | model | rounds | seconds per epoch | later epochs, min–max | first epoch | × TensorFlow, fastest "
        "epochs (range) "
        "| test accuracy by round |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in speed_summary(runs):
        lo, hi = row["speedup_range"] or (None, None)
        speedup = f"{row['speedup']:.2f} ({lo:.2f}–{hi:.2f})" if row["speedup"] is not None else "—"
        accuracy = ", ".join(f"{a:.4f}" for a in row["test_accuracy"])
        spread = "{:.1f}–{:.1f}".format(*row["later_epochs_range"]) if row["later_epochs_range"] else "—"
        lines.append(
            f"| {row['engine']} | {MODEL_NAMES[row['model']]} | {len(row['rounds'])} | "
            f"{row['median_epoch_seconds']:.2f} | {spread} | {row['first_epoch_seconds']:.1f} | {speedup} | "
            f"{accuracy} |"
        )
    return "\n".join(lines) + "\n"


def time_ratios(runs: list[dict]) -> list[dict]:
    """Per engine, in ENGINES order: the LSTM / simple RNN ratio of their fastest epochs within each round (both
    models trained in the same process, one after the other), then the median and range over rounds."""
    rows = []
    for engine in ENGINES:
        ratios = []
        for run in runs:
            if run["engine"] != engine:
                continue
            seconds = {e["model"]: fastest_epoch(e) for e in run["timing"]}
            if "lstm" in seconds and "simple_rnn" in seconds:
                ratios.append(seconds["lstm"] / seconds["simple_rnn"])
        if ratios:
            rows.append(
                {
                    "engine": engine,
                    "ratio": statistics.median(ratios),
                    "range": (min(ratios), max(ratios)),
                    "n": len(ratios),
                }
            )
    return rows


def ratio_table(runs: list[dict]) -> str:
    """time_ratios as a Markdown table."""
    lines = ["| engine | LSTM / simple RNN time, median (range) | rounds |", "|---|---|---|"]
    for row in time_ratios(runs):
        lo, hi = row["range"]
        lines.append(f"| {row['engine']} | {row['ratio']:.2f} ({lo:.2f}–{hi:.2f}) | {row['n']} |")
    return "\n".join(lines) + "\n"


def speed_verdict(runs: list[dict]) -> str:
    """Whether any engine is WORTH_SWITCHING times faster than TensorFlow on both models, in one paragraph."""
    rows = [r for r in speed_summary(runs) if r["engine"] != "tensorflow" and r["speedup"] is not None]
    if not rows:
        raise Chapter12Error("the speed runs hold no engine to compare with TensorFlow; run the benchmark first")
    env = next(iter(runs[0]["environment"].values()))
    fastest = max(rows, key=lambda r: r["speedup"])
    both = [
        e
        for e in ENGINES[1:]
        if all(r["speedup"] >= WORTH_SWITCHING for r in rows if r["engine"] == e)
        and len([r for r in rows if r["engine"] == e]) == len(MODELS)
    ]
    where = f"on this {env.get('cpu_count', '?')}-core {env.get('cpu', 'CPU')}"
    best = (
        f"the largest gain was {fastest['engine']} on the {MODEL_NAMES[fastest['model']]}, "
        f"{fastest['speedup']:.2f} times TensorFlow's speed"
        if fastest["speedup"] > 1
        else "every engine was slower than TensorFlow on both models"
    )
    slower = [r for r in rows if r["speedup"] < 1]
    slow_text = "; ".join(f"{r['engine']} on the {MODEL_NAMES[r['model']]} ({r['speedup']:.2f})" for r in slower)
    if both:
        return (
            f"{', '.join(both)} trained both models at least {WORTH_SWITCHING} times faster than TensorFlow {where}; "
            f"{best}. Slower than TensorFlow: {slow_text or 'none'}."
        )
    return (
        f"No engine trained both of the book's models at least {WORTH_SWITCHING} times faster than TensorFlow {where}: "
        f"{best}. Slower than TensorFlow: {slow_text or 'none'}. Sweeps and the notebooks keep TensorFlow."
    )
