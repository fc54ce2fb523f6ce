"""The chapter's figures: training curves and test accuracy against the book's values."""

from __future__ import annotations

from chapter12.book import BOOK_RESULTS, BOOK_TIME_RATIO
from chapter12.report.results import summarize_runs
from chapter12.timing.measure import timing_summary

_COLORS = {"simple_rnn": "tab:orange", "lstm": "tab:blue", "gru": "tab:green", "bidirectional_lstm": "tab:purple"}


def plot_training_curves(runs: list[dict]):
    """Loss and accuracy per epoch, training (solid) and validation (dashed), one line per run."""
    import matplotlib.pyplot as plt

    # A line through one point draws nothing: runs of one epoch are drawn as points, filled for training and
    # hollow for validation.
    one_epoch = all(len(r["history"]["loss"]) == 1 for r in runs)
    training = {"marker": "o"} if one_epoch else {}
    validation = {"marker": "o", "markerfacecolor": "none"} if one_epoch else {"linestyle": "--"}
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for metric, ax in zip(("loss", "accuracy"), axes):
        for r in runs:
            color = _COLORS.get(r["model"], "gray")
            epochs = range(1, len(r["history"][metric]) + 1)
            ax.plot(epochs, r["history"][metric], color=color, alpha=0.8, **training)
            ax.plot(epochs, r["history"][f"val_{metric}"], color=color, alpha=0.8, **validation)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        kinds = "(filled) and validation (hollow)" if one_epoch else "(solid) and validation (dashed)"
        ax.set_title(f"{metric}: training {kinds}")
        ax.grid(alpha=0.3)
    from matplotlib.lines import Line2D

    models = list(dict.fromkeys(r["model"] for r in runs))
    handles = [Line2D([], [], color=_COLORS.get(m, "gray"), label=m) for m in models]
    handles += [
        Line2D([], [], color="black", label="training", **training),
        Line2D([], [], color="black", label="validation", **validation),
    ]
    n_seeds = len({r["seed"] for r in runs})
    axes[1].legend(
        handles=handles,
        fontsize=8,
        loc="lower right",
        title=f"one {'point' if one_epoch else 'line'} per run ({n_seeds} seed{'s' if n_seeds != 1 else ''})",
    )
    fig.tight_layout()
    return fig


def plot_test_accuracy(runs: list[dict]):
    """Bars of mean test accuracy with ±1 sd error bars and each seed as a dot, beside the book's value."""
    import matplotlib.pyplot as plt

    summary = summarize_runs(runs)
    models = list(summary)
    fig, ax = plt.subplots(figsize=(1.8 + 2.2 * len(models), 4))
    width = 0.38
    for i, model in enumerate(models):
        stats = summary[model]["test_accuracy"]
        ax.bar(
            i - width / 2,
            stats["mean"],
            width,
            yerr=stats["sd"] or 0,
            capsize=6,
            color=_COLORS.get(model, "gray"),
            label="reproduced (mean ± sd)" if i == 0 else None,
        )
        seeds = [r["test_accuracy"] for r in runs if r["model"] == model]
        ax.plot([i - width / 2] * len(seeds), seeds, "k.", label="one seed" if i == 0 else None)
        ax.text(
            i - width / 2, stats["mean"] + (stats["sd"] or 0) + 0.01, f"{stats['mean']:.3f}", ha="center", fontsize=9
        )
        if model in BOOK_RESULTS:
            book = BOOK_RESULTS[model]["test_accuracy"]
            ax.bar(
                i + width / 2,
                book,
                width,
                color="lightgray",
                edgecolor="black",
                hatch="//",
                label="book" if i == 0 else None,
            )
            ax.text(i + width / 2, book + 0.01, f"{book:.3f}", ha="center", fontsize=9)
    ax.set_xticks(range(len(models)), models)
    ax.set_ylim(0.4, 1.0)
    ax.axhline(0.5, color="gray", linewidth=0.8, linestyle=":")  # chance on balanced labels
    ax.set_ylabel("test accuracy")
    n = max((summary[m]["test_accuracy"]["n"] for m in models), default=0)
    ax.set_title(f"Test accuracy: reproduced ({n} seed{'s' if n != 1 else ''}) vs book")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def save_figures(runs: list[dict], folder, timing: list[dict] | None = None) -> list:
    """Draw the accuracy figures (and the timing figure, given timing entries) as PNGs into folder; returns the
    paths."""
    from pathlib import Path

    import matplotlib.pyplot as plt

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    drawings = []
    if runs:
        drawings += [
            ("training_curves.png", lambda: plot_training_curves(runs)),
            ("test_accuracy.png", lambda: plot_test_accuracy(runs)),
        ]
    if timing:
        drawings.append(("timing.png", lambda: plot_timing(timing, BOOK_TIME_RATIO)))
    paths = []
    for name, draw in drawings:
        fig = draw()
        fig.savefig(folder / name, dpi=110)
        plt.close(fig)
        paths.append(folder / name)
    return paths


def plot_timing(entries: list[dict], book_ratio: float | None = None):
    """Median seconds per epoch (bars, min–max whiskers) per model and variant, and the LSTM/RNN ratio per variant."""
    import matplotlib.pyplot as plt

    groups = list(dict.fromkeys((e["backend"], e["variant"]) for e in entries))
    models = list(dict.fromkeys(e["model"] for e in entries))
    fig, (ax, ax_ratio) = plt.subplots(1, 2, figsize=(12, 4), gridspec_kw={"width_ratios": [2, 1]})
    width = 0.8 / max(len(models), 1)
    for g, (backend, variant) in enumerate(groups):
        for m, model in enumerate(models):
            mine = [e for e in entries if (e["backend"], e["variant"], e["model"]) == (backend, variant, model)]
            if not mine:
                continue
            medians = sorted(e["median_epoch_seconds"] for e in mine)
            middle = medians[len(medians) // 2]
            low = min(e["min_epoch_seconds"] for e in mine)
            high = max(e["max_epoch_seconds"] for e in mine)
            x = g + (m - (len(models) - 1) / 2) * width
            ax.bar(
                x,
                middle,
                width,
                yerr=[[middle - low], [high - middle]],
                capsize=5,
                color=_COLORS.get(model, "gray"),
                label=model if g == 0 else None,
            )
            ax.text(x, high, f"{middle:.1f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(groups)), [f"{b}\n{v}" for b, v in groups])
    ax.set_ylabel("seconds per epoch (median; whiskers min–max)")
    ax.set_title("Training time per epoch, first epoch excluded")
    ax.legend(fontsize=8)
    summary = timing_summary(entries)
    labels = [f"{s['backend']}\n{s['variant']}" for s in summary]
    for i, s in enumerate(summary):
        ax_ratio.bar(
            i,
            s["ratio_median"],
            0.6,
            color="tab:gray",
            yerr=[[s["ratio_median"] - s["ratio_min"]], [s["ratio_max"] - s["ratio_median"]]],
            capsize=5,
        )
        ax_ratio.text(i, s["ratio_max"], f"{s['ratio_median']:.2f}×", ha="center", va="bottom", fontsize=9)
    if book_ratio:
        ax_ratio.axhline(book_ratio, color="black", linestyle="--", label=f"book: roughly {book_ratio:g}×")
        ax_ratio.legend(fontsize=8, loc="lower right")
    ax_ratio.set_xticks(range(len(summary)), labels)
    ax_ratio.set_ylabel("LSTM time / simple RNN time")
    ax_ratio.set_title("How much slower is the LSTM?")
    fig.tight_layout()
    return fig
