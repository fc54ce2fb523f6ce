"""The report of a sweep, from its results.jsonl: mean and spread over seeds along each axis, seconds
per epoch against the sequence length, a table of every cell, and the figures."""

from __future__ import annotations

import os
import statistics
from pathlib import Path
from typing import Any, Iterable

from chapter12.files import write_text
from chapter12.report.records import read_sweep

MODEL_NAMES = {"simple_rnn": "simple RNN", "lstm": "LSTM", "gru": "GRU", "bidirectional_lstm": "bidirectional LSTM"}
AXIS_ORDER = ("model", "seed", "maxlen", "num_words", "units", "recurrent_dropout", "backend")


def seconds_per_epoch(record: dict) -> float:
    """A cell's typical epoch: the median of its epochs after the first (the first also builds the graph), or
    the one epoch there is."""
    epochs = record.get("epoch_seconds") or []
    later = epochs[1:] or epochs
    return float(statistics.median(later)) if later else float("nan")


def ok_rows(records: Iterable[dict]) -> list[dict]:
    """One flat row per finished cell: its parameters, test accuracy and loss, training accuracy in the last
    epoch, seconds per epoch."""
    rows = []
    for r in records:
        if r.get("status") != "ok":
            continue
        row = dict(r["params"])
        last_epoch = {k: v[-1] for k, v in (r.get("history") or {}).items() if v}
        row.update(
            test_accuracy=r["test_accuracy"],
            test_loss=r["test_loss"],
            epoch_seconds=seconds_per_epoch(r),
            train_accuracy=last_epoch.get("accuracy", float("nan")),
            seconds=r.get("seconds"),
            worker=r.get("worker"),
            threads=r.get("threads"),
            key=r["key"],
        )
        rows.append(row)
    return sorted(
        rows,
        key=lambda row: tuple(str(row[a]).zfill(12) if isinstance(row[a], int) else str(row[a]) for a in AXIS_ORDER),
    )


def varying_axes(rows: list[dict]) -> list[str]:
    """The parameters that take more than one value among the rows."""
    return [a for a in AXIS_ORDER if len({row[a] for row in rows}) > 1]


def series(rows: list[dict], x: str, value: str = "test_accuracy") -> list[dict]:
    """Mean, standard deviation (over seeds), min, max and count of `value` at each value of axis x, one
    series per combination of the other varying axes but the seed."""
    others = [a for a in varying_axes(rows) if a not in (x, "seed")]
    groups: dict[tuple, dict[Any, list[float]]] = {}
    for row in rows:
        groups.setdefault(tuple(row[a] for a in others), {}).setdefault(row[x], []).append(row[value])
    out = []
    for combo, by_x in sorted(groups.items(), key=lambda kv: [axis_order(v) for v in kv[0]]):
        xs = sorted(by_x)
        values = [by_x[v] for v in xs]
        out.append(
            {
                "label": ", ".join(_label(a, v) for a, v in zip(others, combo)) or value,
                "group": dict(zip(others, combo)),
                "x": xs,
                "mean": [statistics.fmean(v) for v in values],
                "sd": [statistics.stdev(v) if len(v) > 1 else 0.0 for v in values],
                "min": [min(v) for v in values],
                "max": [max(v) for v in values],
                "n": [len(v) for v in values],
                "values": values,
            }
        )
    return out


def axis_order(value) -> tuple:
    """Sort key for an axis value: numbers by size (25 before 100), before text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value, "")
    return (1, 0, str(value))


def _label(axis: str, value) -> str:
    if axis == "model":
        return MODEL_NAMES.get(value, value)
    return f"{axis} {value}"


def linear_fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares intercept and slope of ys against xs."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
    return my - slope * mx, slope


def plot_against(rows: list[dict], x: str, value: str = "test_accuracy", log_x: bool = False):
    """A figure of `value` against axis x: each seed as a dot, the mean over seeds as a line with +-1 sd bars."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for s in series(rows, x, value):
        line = ax.errorbar(s["x"], s["mean"], yerr=s["sd"], marker="o", capsize=4, label=s["label"])
        for xv, vals in zip(s["x"], s["values"]):
            ax.scatter([xv] * len(vals), vals, s=12, alpha=0.45, color=line[0].get_color())
    if log_x:
        ax.set_xscale("log", base=2)
        xs = sorted({row[x] for row in rows})
        ax.set_xticks(xs, [str(v) for v in xs])
    ax.set_xlabel({"maxlen": "words kept per review (maxlen)", "num_words": "vocabulary size (num_words)"}.get(x, x))
    ax.set_ylabel({"test_accuracy": "test accuracy", "epoch_seconds": "seconds per epoch"}.get(value, value))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


FIGURES = (  # (file, x axis, value, log x): drawn when the axis takes two values or more
    ("sweep_accuracy_vs_maxlen.png", "maxlen", "test_accuracy", True),
    ("sweep_accuracy_vs_num_words.png", "num_words", "test_accuracy", True),
    ("sweep_accuracy_vs_units.png", "units", "test_accuracy", True),
    ("sweep_accuracy_vs_recurrent_dropout.png", "recurrent_dropout", "test_accuracy", False),
    ("sweep_seconds_vs_maxlen.png", "maxlen", "epoch_seconds", False),
)


def save_sweep_figures(rows: list[dict], folder: "str | os.PathLike") -> list[Path]:
    """Draw the figures whose axis varies; returns their paths."""
    import matplotlib.pyplot as plt

    folder = Path(folder)
    varying = varying_axes(rows)
    paths = []
    for name, x, value, log_x in FIGURES:
        if x not in varying:
            continue
        fig = plot_against(rows, x, value, log_x)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{name}.part.png"
        fig.savefig(tmp, dpi=120)
        plt.close(fig)
        os.replace(tmp, folder / name)
        paths.append(folder / name)
    return paths


def _pm(mean: float, sd: float, n: int, digits: int = 4) -> str:
    return f"{mean:.{digits}f} ± {sd:.{digits}f} (n={n})" if n > 1 else f"{mean:.{digits}f} (n=1)"


def axis_table(rows: list[dict], x: str, value: str = "test_accuracy", digits: int = 4) -> list[str]:
    """A markdown table: one row per value of x, one column per series (mean ± sd over seeds, n)."""
    all_series = series(rows, x, value)
    xs = sorted({v for s in all_series for v in s["x"]})
    lines = [f"| {x} | " + " | ".join(s["label"] for s in all_series) + " |", "|---" * (len(all_series) + 1) + "|"]
    for xv in xs:
        cells = []
        for s in all_series:
            if xv in s["x"]:
                i = s["x"].index(xv)
                cells.append(_pm(s["mean"][i], s["sd"][i], s["n"][i], digits))
            else:
                cells.append("")
        lines.append(f"| {xv} | " + " | ".join(cells) + " |")
    return lines


def gap_by(rows: list[dict], x: str) -> list[tuple[Any, float, int]]:
    """LSTM minus simple-RNN mean test accuracy at each value of x, over the seeds both have: (x, gap, seeds)."""
    out = []
    for xv in sorted({row[x] for row in rows}):
        acc = {}
        for row in rows:
            if row[x] == xv and row["model"] in ("lstm", "simple_rnn"):
                acc.setdefault(row["model"], {})[row["seed"]] = row["test_accuracy"]
        seeds = sorted(set(acc.get("lstm", {})) & set(acc.get("simple_rnn", {})))
        if seeds:
            out.append((xv, statistics.fmean(acc["lstm"][s] - acc["simple_rnn"][s] for s in seeds), len(seeds)))
    return out


def sweep_summary_markdown(head: dict, records: list[dict]) -> str:
    """summary.md of a sweep."""
    rows = ok_rows(records)
    failed = [r for r in records if r.get("status") != "ok"]
    s = head.get("settings", {})
    lines = [
        "# Sweep",
        "",
        f"Data: {s.get('data')} (vocabulary {s.get('vocabulary')}, fingerprint {str(s.get('data_fingerprint'))[:12]}); "
        f"{s.get('epochs')} epoch(s), batch size {s.get('batch_size')}; the book's settings otherwise.",
        "",
        f"{len(rows)} cells done, {len(failed)} failed.",
        "",
    ]
    varying = varying_axes(rows)
    if rows and "maxlen" in varying:
        lines += [
            "## Test accuracy against the words kept per review (maxlen)",
            "",
            "Mean ± standard deviation over seeds; n = number of seeds.",
            "",
        ]
        lines += axis_table(rows, "maxlen") + [""]
        gaps = gap_by(rows, "maxlen")
        if gaps and "model" in varying and len(varying) <= 3:
            lines += [
                "LSTM minus simple RNN, same seed: "
                + ", ".join(f"maxlen {xv}: {g:+.4f} (n={n})" for xv, g, n in gaps)
                + ".",
                "",
            ]
        lines += [
            "## Seconds per epoch against maxlen",
            "",
            "Median of each cell's epochs after the first; then mean ± sd over seeds.",
            "",
        ]
        lines += axis_table(rows, "maxlen", "epoch_seconds", digits=2) + [""]
        for se in series(rows, "maxlen", "epoch_seconds"):
            xs = [x for x, vals in zip(se["x"], se["values"]) for _ in vals]
            ys = [v for vals in se["values"] for v in vals]
            if len(set(xs)) > 1:
                a, b = linear_fit(xs, ys)
                lines.append(
                    f"- {se['label']}: seconds per epoch ≈ {a:.2f} + {b * 100:.3f} × maxlen/100 "
                    "(least squares over every cell)"
                )
        lines.append("")
    for axis in ("num_words", "units", "recurrent_dropout", "backend"):
        if rows and axis in varying:
            lines += [f"## Test accuracy against {axis}", ""] + axis_table(rows, axis) + [""]
    if rows:
        lines += [
            "## Every cell",
            "",
            "| model | seed | maxlen | num_words | units | recurrent_dropout | backend | test accuracy | test loss "
            "| s/epoch | s (cell) | worker |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            lines.append(
                f"| {r['model']} | {r['seed']} | {r['maxlen']} | {r['num_words']} | {r['units']} | "
                f"{r['recurrent_dropout']:g} | {r['backend']} | {r['test_accuracy']:.4f} | {r['test_loss']:.4f} | "
                f"{r['epoch_seconds']:.2f} | {r['seconds'] or 0:.1f} | {r['worker']} |"
            )
        lines.append("")
    if failed:
        lines += ["## Failed cells", "", "| key | parameters | error | log |", "|---|---|---|---|"]
        for r in failed:
            params = " ".join(f"{k}={v}" for k, v in r.get("params", {}).items())
            error = str(r.get("error", "")).replace("|", "\\|")
            lines.append(f"| {r['key']} | {params} | {error} | {r.get('log')} |")
        lines.append("")
    return "\n".join(lines)


def write_report(results: "str | os.PathLike", out_dir: "str | os.PathLike") -> list[Path]:
    """summary.md and the figures of a sweep into out_dir (figures/); returns the paths written."""
    head, records = read_sweep(results)
    out_dir = Path(out_dir)
    paths = save_sweep_figures(ok_rows(records), out_dir / "figures")
    write_text(out_dir / "summary.md", sweep_summary_markdown(head, records))
    return [out_dir / "summary.md", *paths]
