"""The book's numbers as a distribution: many seeds of the book's two models on one or more Keras backends,
read from a sweep's results.jsonl. For each model and backend: mean, standard deviation, every seed's value,
a bootstrap interval of the mean and the book's number as a percentile of the runs; whether two backends'
means differ (a permutation test, with the smallest difference it could have found); which simple RNN runs
stalled, by a rule fixed before looking at them, and how their training curves differ from the others'."""

from __future__ import annotations

import math
import os
import statistics
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from chapter12.book import BOOK_RESULTS
from chapter12.files import atomic_write, write_text
from chapter12.paths import SEEDS_RESULTS
from chapter12.report.records import read_sweep
from chapter12.report.results import mean_sd
from chapter12.report.sweep import MODEL_NAMES

# The book's value is called an unusual draw when a draw from the runs' distribution lands at least as far out
# (in rank, either side) with probability below 5%; said only with this many runs. Note that with n runs this
# probability is at least 2 / (n + 1): 20 runs cannot call a value unusual, 40 can.
UNUSUAL_BELOW = 0.05
MIN_RUNS_VERDICT = 10
# The book prints its accuracies with 5 decimals (0.84408): runs are rounded to that before they are compared.
BOOK_DECIMALS = 5
# Two backends' means are compared only when each has this many runs (with 2 against 2, a permutation test
# cannot go below p = 1/3).
MIN_RUNS_COMPARE = 5
# A simple RNN run has stalled when its test accuracy lies more than this below the median of its backend's runs.
STALL_MARGIN = 0.05
# z for a two-sided 5% test, and for 80% power.
_Z_ALPHA, _Z_POWER = 1.959964, 0.841621


def bootstrap_mean_interval(
    values: Iterable[float], level: float = 0.95, resamples: int = 10_000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean (resampling the runs with replacement), repeatable by seed."""
    values = np.asarray(list(values), dtype=float)
    if values.size < 2:
        raise ValueError("a bootstrap interval needs at least 2 values")
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, values.size, size=(resamples, values.size))].mean(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def percentile_of(value: float, values: Iterable[float]) -> float:
    """Where value falls among the runs, 0-100: the share below it, ties counted half."""
    values = list(values)
    if not values:
        raise ValueError("no runs to place the value among")
    below = sum(v < value for v in values)
    equal = sum(v == value for v in values)
    return 100.0 * (below + 0.5 * equal) / len(values)


def rank_p_value(value: float, values: Iterable[float]) -> float:
    """Two-sided probability that one more draw from the runs' distribution ranks at least as far out as value:
    2 * min(below + 1, above + 1) / (n + 1), capped at 1 (ties counted half on each side)."""
    values = list(values)
    if not values:
        raise ValueError("no runs to place the value among")
    equal = sum(v == value for v in values)
    below = sum(v < value for v in values) + 0.5 * equal
    above = sum(v > value for v in values) + 0.5 * equal
    return min(1.0, 2 * min(below + 1, above + 1) / (len(values) + 1))


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjustment of several p-values (the family-wise error stays at the level used)."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def permutation_test(a: Iterable[float], b: Iterable[float], permutations: int = 20_000, seed: int = 0) -> float:
    """Two-sided p-value for 'a and b have equal means': the share of random relabellings of the pooled runs
    whose difference of means is at least as large as the observed one (the observed labelling counted in)."""
    a, b = np.asarray(list(a), dtype=float), np.asarray(list(b), dtype=float)
    if a.size < 2 or b.size < 2:
        raise ValueError("a permutation test needs at least 2 runs on each side")
    observed = abs(a.mean() - b.mean())
    pooled = np.concatenate([a, b])
    rng = np.random.default_rng(seed)
    order = np.argsort(rng.random((permutations, pooled.size)), axis=1)
    shuffled = pooled[order]
    diffs = np.abs(shuffled[:, : a.size].mean(axis=1) - shuffled[:, a.size :].mean(axis=1))
    return float((1 + np.sum(diffs >= observed - 1e-12)) / (permutations + 1))


def detectable_difference(a: Iterable[float], b: Iterable[float]) -> float:
    """The difference of means a two-sided 5% test finds with 80% power, given these runs' spreads and counts
    (normal approximation): smaller true differences may go unseen."""
    a, b = list(a), list(b)
    se = math.sqrt(statistics.variance(a) / len(a) + statistics.variance(b) / len(b))
    return (_Z_ALPHA + _Z_POWER) * se


def runs_by_group(records: Iterable[dict]) -> dict[tuple[str, str], list[dict]]:
    """The finished cells at the book's settings, grouped by (model, backend), each group sorted by seed."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in records:
        if r.get("status") != "ok":
            continue
        p = r["params"]
        groups.setdefault((p["model"], p.get("backend", "tensorflow")), []).append(r)
    return {k: sorted(v, key=lambda r: r["params"]["seed"]) for k, v in sorted(groups.items())}


def group_stats(runs: list[dict], model: str) -> dict[str, Any]:
    """n, mean, sd, min, max, bootstrap interval, the seeds' values and the book's percentile for one group."""
    values = [r["test_accuracy"] for r in runs]
    stats: dict[str, Any] = {
        **mean_sd(values),
        "interval": bootstrap_mean_interval(values) if len(values) >= MIN_RUNS_VERDICT else None,
        "seeds": {r["params"]["seed"]: r["test_accuracy"] for r in runs},
    }
    book = BOOK_RESULTS.get(model, {}).get("test_accuracy")
    if book is not None:
        stats["book"] = book
        rounded = [round(v, BOOK_DECIMALS) for v in values]
        stats["book_percentile"] = percentile_of(book, rounded)
        stats["book_above"] = sum(v > book for v in rounded)
        stats["book_p"] = rank_p_value(book, rounded)
        stats["book_typical"] = stats["book_p"] >= UNUSUAL_BELOW if len(values) >= MIN_RUNS_VERDICT else None
    return stats


def stalled(runs: list[dict], margin: float = STALL_MARGIN) -> list[bool]:
    """For each run: whether its test accuracy lies more than margin below the median of these runs."""
    median = statistics.median(r["test_accuracy"] for r in runs)
    return [r["test_accuracy"] < median - margin for r in runs]


def last_rises(runs: list[dict], key: str = "accuracy") -> list[float]:
    """Each run's change of a history curve over its last epoch (runs with fewer than 2 epochs left out)."""
    curves = [r.get("history", {}).get(key) or [] for r in runs]
    return [c[-1] - c[-2] for c in curves if len(c) > 1]


def mean_curve(runs: list[dict], key: str) -> list[float]:
    """The mean over runs of one history curve (e.g. 'accuracy'), epoch by epoch."""
    curves = [r["history"][key] for r in runs if r.get("history", {}).get(key)]
    if not curves:
        return []
    length = min(len(c) for c in curves)
    return [statistics.fmean(c[i] for c in curves) for i in range(length)]


def _pct(v: float) -> str:
    return f"{v:.4f}"


def _book_sentence(model: str, backend: str, s: dict) -> str:
    name, book = MODEL_NAMES.get(model, model), _pct(s["book"])
    if s["book_typical"] is None:
        return (
            f"- {name}, {backend}: {s['n']} run(s) so far, too few to say (a verdict needs {MIN_RUNS_VERDICT}); "
            f"{s['book_above']} of them scored higher than the book's {book}."
        )
    where = (
        "above all"
        if s["book_above"] == 0
        else "below all"
        if s["book_above"] == s["n"]
        else f"inside the range of the {s['n']} runs ({s['book_above']} scored higher);"
    )
    if s["book_above"] in (0, s["n"]):
        where += f" {s['n']} runs;"
    verdict = "an ordinary draw" if s["book_typical"] else "an unusual draw"
    return (
        f"- {name}, {backend}: the book's {book} lies {where} percentile {s['book_percentile']:.0f}. One more run "
        f"lands at least as far out with probability {s['book_p']:.2f}: {verdict}."
    )


def distribution_markdown(records: list[dict]) -> str:
    """The tables and the plain statements, computed from the runs."""
    groups = runs_by_group(records)
    lines = [
        "# The book's numbers as a distribution",
        "",
        "Test accuracy of the book's models (Keras-exact data, book settings) over seeds, per Keras backend. "
        f"Interval: 95% percentile bootstrap of the mean (10,000 resamples; from {MIN_RUNS_VERDICT} runs on). "
        f"Book percentile: the share of runs (rounded to the book's {BOOK_DECIMALS} decimals) below the book's "
        "value, ties half. The book's value is called unusual when one more run would land at least as far out, "
        f"in rank and on either side, with probability below {UNUSUAL_BELOW} (2 min(below + 1, above + 1) / "
        "(n + 1)); with n runs that probability cannot go below 2 / (n + 1).",
        "",
        "| model | backend | runs | mean | sd | min | max | 95% interval of the mean | book | book percentile |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    stats = {key: group_stats(runs, key[0]) for key, runs in groups.items()}
    for (model, backend), s in stats.items():
        interval = f"{_pct(s['interval'][0])}-{_pct(s['interval'][1])}" if s["interval"] else "—"
        sd = _pct(s["sd"]) if s["sd"] is not None else "—"
        book = _pct(s["book"]) if "book" in s else "—"
        pct = f"{s['book_percentile']:.0f}" if "book" in s else "—"
        lines.append(
            f"| {MODEL_NAMES.get(model, model)} | {backend} | {s['n']} | {_pct(s['mean'])} | {sd} | "
            f"{_pct(s['min'])} | {_pct(s['max'])} | {interval} | {book} | {pct} |"
        )
    lines += ["", "## Is the book's value an ordinary draw?", ""]
    lines += [_book_sentence(model, backend, s) for (model, backend), s in stats.items() if "book" in s]
    lines += ["", "## Do the backends agree?", ""]
    lines += backend_comparison(groups)
    lines += _stall_lines(groups)
    lines += ["", "## Every run", "", "| model | backend | seed | test accuracy |", "|---|---|---|---|"]
    for (model, backend), s in stats.items():
        for seed, value in s["seeds"].items():
            lines.append(f"| {MODEL_NAMES.get(model, model)} | {backend} | {seed} | {value:.4f} |")
    return "\n".join(lines) + "\n"


def backend_comparison(groups: dict[tuple[str, str], list[dict]]) -> list[str]:
    """For each model, every pair of backends with enough runs: a permutation test of equal means (Holm-adjusted
    over all pairs) and the difference it would find 80% of the time; the pairs with too few runs, named."""
    lines: list[str] = []
    pending, tests = [], []
    for model in dict.fromkeys(m for m, _ in groups):
        backends = [b for m, b in groups if m == model]
        for i, first in enumerate(backends):
            for second in backends[i + 1 :]:
                a = [r["test_accuracy"] for r in groups[(model, first)]]
                b = [r["test_accuracy"] for r in groups[(model, second)]]
                if len(a) < MIN_RUNS_COMPARE or len(b) < MIN_RUNS_COMPARE:
                    pending.append(
                        f"- {MODEL_NAMES.get(model, model)}: {first} (n={len(a)}) against {second} (n={len(b)}): not "
                        f"compared yet (each needs {MIN_RUNS_COMPARE} runs)."
                    )
                    continue
                tests.append((model, first, a, second, b, permutation_test(a, b)))
    if tests:
        lines.append(
            f"Permutation tests of equal means, {len(tests)} in all; p is adjusted for their number (Holm). The "
            "difference each test would find about 80% of the time is a normal approximation (it understates "
            "it for few runs)."
        )
        lines.append("")
    for (model, first, a, second, b, _), adjusted in zip(tests, holm([t[-1] for t in tests])):
        said = "differ" if adjusted < 0.05 else "do not differ detectably"
        lines.append(
            f"- {MODEL_NAMES.get(model, model)}: {first} {_pct(statistics.fmean(a))} (n={len(a)}) against "
            f"{second} {_pct(statistics.fmean(b))} (n={len(b)}): the means {said} (adjusted p = {adjusted:.3f}); "
            f"a difference of about {detectable_difference(a, b):.4f} would be found 80% of the time."
        )
    lines += pending
    if not tests:
        lines.append(f"- No two backends have {MIN_RUNS_COMPARE} or more runs of a model yet: no test of their means.")
    return lines


def _stall_lines(groups: dict[tuple[str, str], list[dict]]) -> list[str]:
    lines = [
        "",
        "## Stalled simple RNN runs",
        "",
        f"Rule, fixed before looking at the runs: a simple RNN run has stalled when its test accuracy lies more "
        f"than {STALL_MARGIN} below the median of its backend's runs. Curves: mean over the runs of each kind, "
        "epoch by epoch.",
        "",
    ]
    for (model, backend), runs in groups.items():
        if model != "simple_rnn" or len(runs) < 3:
            continue
        flags = stalled(runs)
        slow = [r for r, f in zip(runs, flags) if f]
        healthy = [r for r, f in zip(runs, flags) if not f]
        seeds = f" (seeds {', '.join(str(r['params']['seed']) for r in slow)})" if slow else ""
        lines.append(f"**{backend}**: {len(slow)} of {len(runs)} runs stalled{seeds}.")
        lines.append("")
        epochs = len(mean_curve(runs, "accuracy"))
        if not slow or not healthy or epochs < 2:
            continue
        lines += ["| curve | runs | " + " | ".join(f"epoch {i + 1}" for i in range(epochs)) + " |"]
        lines += ["|---|---|" + "---|" * epochs]
        for key in ("accuracy", "val_accuracy"):
            for name, kind in (("stalled", slow), ("healthy", healthy)):
                curve = mean_curve(kind, key)
                lines.append(f"| {key} | {name} | " + " | ".join(f"{v:.3f}" for v in curve) + " |")
        rises, others = last_rises(slow), last_rises(healthy)
        if not rises or not others:
            continue
        lines += [
            "",
            f"In the last epoch the stalled runs' training accuracy changed by {min(rises):+.3f} to "
            f"{max(rises):+.3f}, the healthy runs' by {min(others):+.3f} to {max(others):+.3f}: "
            + (
                "every stalled run was still rising when training ended."
                if min(rises) > 0
                else "at least one stalled run had stopped rising."
            ),
            "",
        ]
    return lines


def plot_distribution(records: list[dict]):
    """One panel per model: each backend's runs as dots, their mean with its bootstrap interval, and the book's
    value as a dashed line."""
    import matplotlib.pyplot as plt

    groups = runs_by_group(records)
    models = list(dict.fromkeys(m for m, _ in groups))
    fig, axes = plt.subplots(1, len(models), figsize=(4.2 * len(models), 4), squeeze=False)
    rng = np.random.default_rng(0)
    for ax, model in zip(axes[0], models):
        backends = [b for m, b in groups if m == model]
        for x, backend in enumerate(backends):
            runs = groups[(model, backend)]
            values = np.array([r["test_accuracy"] for r in runs])
            flags = stalled(runs) if model == "simple_rnn" and len(runs) >= 3 else [False] * len(runs)
            jitter = rng.uniform(-0.12, 0.12, size=values.size)
            colours = ["tab:red" if f else "tab:blue" for f in flags]
            ax.scatter(x + jitter, values, s=18, c=colours, alpha=0.8, zorder=3)
            if values.size > 1 and values.size < MIN_RUNS_VERDICT:  # too few runs for a bootstrap interval
                ax.plot(x + 0.3, values.mean(), "o", color="black", zorder=4)
            elif values.size > 1:
                low, high = bootstrap_mean_interval(values)
                ax.errorbar(
                    x + 0.3,
                    values.mean(),
                    yerr=[[values.mean() - low], [high - values.mean()]],
                    fmt="o",
                    color="black",
                    capsize=4,
                    zorder=4,
                )
        book = BOOK_RESULTS.get(model, {}).get("test_accuracy")
        if book is not None:
            ax.axhline(book, ls="--", color="tab:green", label=f"book {book:.4f}")
            ax.legend(loc="lower right", fontsize=8)
        ax.set_xticks(range(len(backends)), [f"{b}\n(n={len(groups[(model, b)])})" for b in backends])
        ax.set_xlim(-0.5, len(backends) - 0.3)
        ax.set_title(MODEL_NAMES.get(model, model))
        ax.set_ylabel("test accuracy")
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(
        f"Runs over seeds (dots; red: stalled), mean (black), 95% bootstrap interval from {MIN_RUNS_VERDICT} runs",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def write_distribution(results: "str | os.PathLike", out_dir: "str | os.PathLike") -> list[Path]:
    """distribution.md and figures/distribution.png from a sweep's results; returns the paths written."""
    _, records = read_sweep(results)
    out_dir = Path(out_dir)
    write_text(out_dir / "distribution.md", distribution_markdown(records))
    figure = out_dir / "figures" / "distribution.png"
    fig = plot_distribution(records)
    atomic_write(figure, lambda f: fig.savefig(f, format="png", dpi=120))
    import matplotlib.pyplot as plt

    plt.close(fig)
    return [out_dir / "distribution.md", figure]


def committed_seeds() -> Path | None:
    """The project's own seeds sweep (benchmarks/results/seeds/results.jsonl) in a checkout, else None (an
    installed wheel does not carry it)."""
    path = SEEDS_RESULTS
    return path if path.exists() else None


def spread_paragraph(records: list[dict], backend: str = "tensorflow") -> str:
    """Sentences on the spread of the simple RNN and the LSTM over seeds and on the stalled simple RNN runs,
    every number computed from the records ('' when the backend has fewer than 3 runs of each model)."""
    groups = runs_by_group(records)
    rnn, lstm = groups.get(("simple_rnn", backend), []), groups.get(("lstm", backend), [])
    if len(rnn) < 3 or len(lstm) < 3:
        return ""
    r, m = group_stats(rnn, "simple_rnn"), group_stats(lstm, "lstm")
    text = (
        f"Over {r['n']} seeds on {backend} the simple RNN's test accuracy runs from {r['min']:.4f} to "
        f"{r['max']:.4f} (sd {r['sd']:.4f}), the LSTM's over {m['n']} seeds from {m['min']:.4f} to {m['max']:.4f} "
        f"(sd {m['sd']:.4f}): the simple RNN's spread is {r['sd'] / m['sd']:.1f} times the LSTM's. "
        f"The book's single runs sit at percentile {r['book_percentile']:.0f} (simple RNN, {r['book']:.4f}) and "
        f"{m['book_percentile']:.0f} (LSTM, {m['book']:.4f}) of these runs"
    )
    if r["book_typical"] is None or m["book_typical"] is None:
        text += f" (too few runs to call them typical or not: that needs {MIN_RUNS_VERDICT}). "
    elif r["book_typical"] and m["book_typical"]:
        text += ": both are ordinary draws. "
    else:
        text += ": at least one of them is an unusual draw. "
    flags = stalled(rnn)
    slow = [x for x, f in zip(rnn, flags) if f]
    healthy = [x for x, f in zip(rnn, flags) if not f]
    if not slow:
        return text + f"No simple RNN run lies more than {STALL_MARGIN} below the median, so none stalled."
    first, last = mean_curve(slow, "accuracy"), mean_curve(healthy, "accuracy")
    rises, others = last_rises(slow), last_rises(healthy)
    text += (
        f"{len(slow)} of {len(rnn)} simple RNN runs stalled (test accuracy more than {STALL_MARGIN} below the median)."
    )
    if len(first) < 2 or len(last) < 2 or not rises or not others:
        return text
    text += (
        f" Their training accuracy after the first epoch was {first[0]:.3f}, the others' {last[0]:.3f}; after "
        f"epoch {len(first)} it was {first[-1]:.3f} against {last[-1]:.3f}. In the last epoch it changed by "
        f"{min(rises):+.3f} to {max(rises):+.3f} (the others': {min(others):+.3f} to {max(others):+.3f})"
    )
    parts = []
    if abs(first[0] - last[0]) <= 0.01 and first[1] < last[1] - 0.01:
        parts.append(
            "the stalled runs were level with the others after the first epoch and fell behind from the second"
        )
    parts.append(
        "every stalled run was still rising when training ended"
        if min(rises) > 0
        else "at least one stalled run had stopped rising"
    )
    return text + ": " + "; ".join(parts) + "."


def run_against_distribution(summary: dict, records: list[dict], backend: str = "tensorflow") -> str:
    """One sentence placing a run's mean test accuracies (a results.json summary) among the runs over seeds of
    one backend: the gap to their mean and the percentile ('' when neither model is in both)."""
    groups = runs_by_group(records)
    parts = []
    for model in ("simple_rnn", "lstm"):
        runs = groups.get((model, backend), [])
        if not runs or model not in summary:
            continue
        s = group_stats(runs, model)
        mine = summary[model]["test_accuracy"]["mean"]
        where = "below" if mine < s["mean"] else "above"
        pct = percentile_of(mine, [r["test_accuracy"] for r in runs])
        parts.append(
            f"the {MODEL_NAMES.get(model, model)}'s {mine:.4f} lies {abs(mine - s['mean']):.4f} {where} the mean of "
            f"those {s['n']} runs ({s['mean']:.4f}), at their percentile {pct:.0f}"
        )
    return ("Against these runs, " + "; ".join(parts) + ".") if parts else ""
