"""Collect run results, summarise them over seeds, and write results.json and summary.md."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterable

from chapter12.config import BOOK_RESULTS, BOOK_TIME_RATIO
from chapter12.files import atomic_write


def mean_sd(values: Iterable[float]) -> dict[str, Any]:
    """Mean, sample standard deviation (None for one value), min, max and count."""
    values = [float(v) for v in values]
    n = len(values)
    if n == 0:
        return {"n": 0, "mean": None, "sd": None, "min": None, "max": None}
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else None
    return {"n": n, "mean": mean, "sd": sd, "min": min(values), "max": max(values)}


def summarize_runs(runs: list[dict]) -> dict[str, dict]:
    """Per model: test accuracy and loss over seeds, and the mean training seconds per run."""
    summary: dict[str, dict] = {}
    for model in dict.fromkeys(r["model"] for r in runs):
        mine = [r for r in runs if r["model"] == model]
        summary[model] = {
            "test_accuracy": mean_sd(r["test_accuracy"] for r in mine),
            "test_loss": mean_sd(r["test_loss"] for r in mine),
            "train_seconds": mean_sd(sum(r["epoch_seconds"]) for r in mine),
            "seeds": [r["seed"] for r in mine],
        }
    return summary


def book_reference() -> dict[str, Any]:
    """The chapter's printed numbers, for results.json."""
    return {"results": BOOK_RESULTS, "lstm_time_ratio": BOOK_TIME_RATIO, "source": "section 12.3.4"}


def _fmt(stats: dict, digits: int = 4) -> str:
    if not stats["n"]:
        return "—"
    if stats["sd"] is None:
        return f"{stats['mean']:.{digits}f}"
    return f"{stats['mean']:.{digits}f} ± {stats['sd']:.{digits}f}"


def _accuracy_table(summary: dict, runs: list[dict]) -> list[str]:
    lines = [
        "Test accuracy and loss on the test set, mean ± sample standard deviation over seeds.",
        "",
        "| model | book accuracy | reproduced accuracy | book loss | reproduced loss | seeds | train s/run |",
        "|---|---|---|---|---|---|---|",
    ]
    for model, stats in summary.items():
        book = BOOK_RESULTS.get(model, {})
        book_acc = f"{book['test_accuracy']:.4f}" if book else "—"
        book_loss = f"{book['test_loss']:.4f}" if book else "—"
        lines.append(
            f"| {model} | {book_acc} | {_fmt(stats['test_accuracy'])} | {book_loss} | {_fmt(stats['test_loss'])} "
            f"| {stats['test_accuracy']['n']} | {_fmt(stats['train_seconds'], 1)} |"
        )
    if not summary:
        lines.append("| (no runs finished) | | | | | | |")
    if runs:
        lines += ["", "Per run:", "", "| model | seed | test accuracy | test loss | epochs | train s |", "|---|---|---|---|---|---|"]
        for r in runs:
            lines.append(
                f"| {r['model']} | {r['seed']} | {r['test_accuracy']:.4f} | {r['test_loss']:.4f} "
                f"| {len(r['epoch_seconds'])} | {sum(r['epoch_seconds']):.1f} |"
            )
        first = runs[0]
        lines += ["", f"Data: {first['data_source']}; {first['n_train']:,} train, {first['n_val']:,} validation, "
                  f"{first['n_test']:,} test reviews."]
    return lines


def summary_markdown(results: dict) -> str:
    """The book-vs-reproduced table and the run's context, as Markdown."""
    lines = ["# chapter12: book vs reproduced", ""]
    failed = [nb for nb in results.get("notebooks", []) if nb.get("status") != "ok"]
    for nb in failed:
        lines.append(f"**FAILED: {nb['name']}** ({nb.get('error', 'no detail')}); open `{nb['path']}` to see where.")
    if failed:
        lines.append("")
    summary = results.get("summary", {})
    if not summary and results.get("timing") and not failed:
        lines += ["This run measured training time only (`--only timing`).", ""]
    else:
        lines += _accuracy_table(summary, results.get("runs", []))
    if results.get("timing"):
        from chapter12.timing import timing_table_markdown

        lines += ["", "## Training time", "", "Seconds per epoch after the first (which also compiles), "
                  "interleaved repeats; the book says the LSTM roughly doubles the time.", "",
                  timing_table_markdown(results).rstrip()]
    env = results.get("environment") or {}
    if env:
        lines += [""] if results.get("timing") else []
        lines.append(
            f"Ran on {env.get('device')} ({env.get('cpu')}, {env.get('cpu_count')} cores) with Keras {env.get('keras')}, "
            f"{env.get('backend')} {env.get('backend_version')}, Python {env.get('python')}."
        )
    return "\n".join(lines) + "\n"


def write_json(path: Path, data: dict) -> None:
    """Write JSON atomically (a crash never leaves half a file)."""
    text = json.dumps(data, indent=2, sort_keys=False, default=str)
    atomic_write(Path(path), lambda f: f.write(text.encode("utf-8")))


def write_text(path: Path, text: str) -> None:
    """Write text atomically."""
    atomic_write(Path(path), lambda f: f.write(text.encode("utf-8")))
