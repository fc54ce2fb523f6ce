"""Summarise run results over seeds and repeats, and write them as Markdown tables (summary.md)."""

from __future__ import annotations

import math
import statistics
from typing import Any, Iterable

from chapter12.book import BOOK_RESULTS, BOOK_TIME_RATIO
from chapter12.timing.measure import timing_summary


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
        lines += [
            "",
            "Per run:",
            "",
            "| model | seed | test accuracy | test loss | epochs | train s |",
            "|---|---|---|---|---|---|",
        ]
        for r in runs:
            lines.append(
                f"| {r['model']} | {r['seed']} | {r['test_accuracy']:.4f} | {r['test_loss']:.4f} "
                f"| {len(r['epoch_seconds'])} | {sum(r['epoch_seconds']):.1f} |"
            )
        first = runs[0]
        lines += [
            "",
            f"Data: {first['data_source']}; {first['n_train']:,} train, {first['n_val']:,} validation, "
            f"{first['n_test']:,} test reviews.",
        ]
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
        lines += [
            "",
            "## Training time",
            "",
            "Seconds per epoch after the first (which also compiles), "
            "interleaved repeats; the book says the LSTM roughly doubles the time.",
            "",
            timing_table_markdown(results).rstrip(),
        ]
    env = results.get("environment") or {}
    if env:
        lines += [""] if results.get("timing") else []
        lines.append(
            f"Ran on {env.get('device')} ({env.get('cpu')}, {env.get('cpu_count')} cores) with Keras {env.get('keras')}, "  # noqa: E501
            f"{env.get('backend')} {env.get('backend_version')}, Python {env.get('python')}."
        )
    return "\n".join(lines) + "\n"


def timing_table_markdown(measured: dict) -> str:
    """Three Markdown tables: times per (backend, variant, model), the LSTM/RNN ratios, and FLOP/s against the
    hardware."""
    entries, summary = measured["timing"], measured.get("timing_summary") or timing_summary(measured["timing"])
    lines = [
        "| backend | device | variant | model | first epoch s | median epoch s (min–max) | reviews/s | test accuracy | runs |",  # noqa: E501
        "|---|---|---|---|---|---|---|---|---|",
    ]
    groups = list(dict.fromkeys((e["backend"], e["device"], e["variant"], e["model"]) for e in entries))
    for backend, device, variant, model in groups:
        mine = [
            e
            for e in entries
            if (e["backend"], e["device"], e["variant"], e["model"]) == (backend, device, variant, model)
        ]
        median = statistics.median(e["median_epoch_seconds"] for e in mine)
        accuracies = [e["test_accuracy"] for e in mine if e["test_accuracy"] is not None]
        accuracy = f"{statistics.mean(accuracies):.4f}" if accuracies else "—"
        lines.append(
            f"| {backend} | {device} | {variant} | {model} | {statistics.median(e['first_epoch_seconds'] for e in mine):.2f} "  # noqa: E501
            f"| {median:.2f} ({min(e['min_epoch_seconds'] for e in mine):.2f}–{max(e['max_epoch_seconds'] for e in mine):.2f}) "  # noqa: E501
            f"| {statistics.median(e['samples_per_second'] for e in mine):,.0f} | {accuracy} | {len(mine)} |"
        )
    lines += [
        "",
        "| backend | device | variant | LSTM / simple RNN time: median (min–max) | repeats | book | arithmetic |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in summary:
        lines.append(
            f"| {s['backend']} | {s['device']} | {s['variant']} | {s['ratio_median']:.2f} "
            f"({s['ratio_min']:.2f}–{s['ratio_max']:.2f}) | {s['n']} | roughly {BOOK_TIME_RATIO:g} | 4.00 |"
        )
    peaks = measured.get("matmul_flops_per_second", {})
    lines += [
        "",
        "| backend | variant | model | GFLOP per epoch | achieved GFLOP/s | matmul GFLOP/s (same run) | share of matmul speed |",  # noqa: E501
        "|---|---|---|---|---|---|---|",
    ]
    for backend, device, variant, model in groups:
        mine = [
            e
            for e in entries
            if (e["backend"], e["device"], e["variant"], e["model"]) == (backend, device, variant, model)
        ]
        achieved = statistics.median(e["achieved_flops_per_second"] for e in mine)
        peak = peaks.get(backend)
        share = f"{achieved / peak:.1%}" if peak else "—"
        peak_text = f"{peak / 1e9:,.1f}" if peak else "—"
        lines.append(
            f"| {backend} | {variant} | {model} | {mine[0]['flops_per_epoch'] / 1e9:,.1f} | {achieved / 1e9:,.1f} "
            f"| {peak_text} | {share} |"
        )
    return "\n".join(lines) + "\n"


def terminal_summary(results: dict) -> str:
    """A few lines for the terminal at the end of a run: test accuracy beside the book's, and the time ratio."""
    lines = []
    for nb in results.get("notebooks", []):
        if nb.get("status") != "ok":
            lines.append(f"FAILED: {nb['name']} ({nb.get('error', 'no detail')})")
    summary = results.get("summary") or {}
    if summary:
        lines += ["model               book accuracy   reproduced (mean ± sd)   seeds"]
        for model, stats in summary.items():
            book = BOOK_RESULTS.get(model, {}).get("test_accuracy")
            lines.append(
                f"{model:<19} {f'{book:.4f}' if book else '—':<15} {_fmt(stats['test_accuracy']):<24} "
                f"{stats['test_accuracy']['n']}"
            )
    for s in results.get("timing_summary") or []:
        lines.append(
            f"LSTM / simple RNN time, {s['backend']} {s['variant']}: {s['ratio_median']:.2f} "
            f"(book: roughly {BOOK_TIME_RATIO:g}, arithmetic: 4)"
        )
    env = results.get("environment") or {}
    if env:
        lines.append(f"on {env.get('device')} ({env.get('cpu')}), Keras {env.get('keras')} with {env.get('backend')}")
    return "\n".join(lines)
