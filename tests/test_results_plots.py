"""Summaries over seeds, the Markdown table and the figures are computed from the runs they are given."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")  # no screen in tests

from chapter12.book import BOOK_RESULTS
from chapter12.report.plots import plot_test_accuracy, plot_training_curves, save_figures
from chapter12.report.results import mean_sd, summarize_runs, summary_markdown


def fake_run(model, seed, accuracy, loss=0.5, epochs=3):
    return {
        "model": model,
        "seed": seed,
        "test_accuracy": accuracy,
        "test_loss": loss,
        "history": {
            k: [0.5 + 0.01 * i for i in range(epochs)] for k in ("loss", "accuracy", "val_loss", "val_accuracy")
        },
        "epoch_seconds": [1.0] * epochs,
        "n_train": 80,
        "n_val": 20,
        "n_test": 50,
        "data_source": "test data",
    }


RUNS = [
    fake_run("simple_rnn", 0, 0.70),
    fake_run("simple_rnn", 1, 0.74),
    fake_run("lstm", 0, 0.84),
    fake_run("lstm", 1, 0.86),
]


def test_mean_sd_is_the_sample_standard_deviation():
    stats = mean_sd([0.70, 0.74])
    assert math.isclose(stats["mean"], 0.72)
    assert math.isclose(stats["sd"], math.sqrt(((0.70 - 0.72) ** 2 + (0.74 - 0.72) ** 2) / 1))
    assert mean_sd([0.5])["sd"] is None and mean_sd([])["n"] == 0


def test_summary_groups_by_model_in_order():
    summary = summarize_runs(RUNS)
    assert list(summary) == ["simple_rnn", "lstm"]
    assert math.isclose(summary["lstm"]["test_accuracy"]["mean"], 0.85)
    assert summary["lstm"]["seeds"] == [0, 1]


def test_markdown_puts_book_beside_reproduced():
    text = summary_markdown({"runs": RUNS, "summary": summarize_runs(RUNS), "notebooks": []})
    assert f"| lstm | {BOOK_RESULTS['lstm']['test_accuracy']:.4f} | 0.8500 ± 0.0141 |" in text
    assert "| simple_rnn | 1 | 0.7400 |" in text
    assert "FAILED" not in text


def test_markdown_marks_failed_notebooks():
    text = summary_markdown(
        {
            "runs": [],
            "summary": {},
            "notebooks": [
                {"name": "x.ipynb", "status": "failed", "error": "cell 3: ValueError: bad", "path": "/o/x.ipynb"}
            ],
        }
    )
    assert "**FAILED: x.ipynb** (cell 3: ValueError: bad)" in text and "(no runs finished)" in text


def test_accuracy_bars_show_means_and_the_book():
    fig = plot_test_accuracy(RUNS)
    heights = sorted(round(p.get_height(), 4) for p in fig.axes[0].patches)
    expected = sorted(
        [
            0.72,
            0.85,
            round(BOOK_RESULTS["simple_rnn"]["test_accuracy"], 4),
            round(BOOK_RESULTS["lstm"]["test_accuracy"], 4),
        ]
    )
    assert heights == expected


def test_training_curves_draw_two_lines_per_run():
    fig = plot_training_curves(RUNS)
    assert [len(ax.lines) for ax in fig.axes] == [2 * len(RUNS)] * 2


def test_training_curves_of_one_epoch_show_a_point_per_run_and_more_epochs_plain_lines():
    import copy

    one = copy.deepcopy(RUNS)
    for r in one:
        r["history"] = {key: values[:1] for key, values in r["history"].items()}
    fig = plot_training_curves(one)  # training filled, validation hollow: told apart, as the title says
    for ax in fig.axes:
        kinds = {(line.get_marker(), line.get_markerfacecolor() == "none") for line in ax.lines}
        assert kinds == {("o", False), ("o", True)} and "training (filled) and validation (hollow)" in ax.get_title()
    fig = plot_training_curves(RUNS)
    for ax in fig.axes:
        assert {(line.get_marker(), line.get_linestyle()) for line in ax.lines} == {("None", "-"), ("None", "--")}
        assert "training (solid) and validation (dashed)" in ax.get_title()


def test_save_figures_writes_pngs(tmp_path):
    paths = save_figures(RUNS, tmp_path / "figures")
    assert [p.name for p in paths] == ["training_curves.png", "test_accuracy.png"]
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
