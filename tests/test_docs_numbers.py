"""Numbers typed into the docs' prose, outside the generated blocks, checked against the committed files they
come from (issue 20): a new measurement that contradicts a sentence fails here until the sentence is rewritten."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def docs_text(name: str) -> str:
    """A page of docs/ on one line (the prose wraps anywhere)."""
    return " ".join((ROOT / "docs" / name).read_text(encoding="utf-8").split())


def test_the_stall_probes_paragraph_is_what_stalls_json_holds():
    runs = {r["seed"]: r for r in json.loads((RESULTS / "stalls" / "stalls.json").read_text())["runs"]}
    text = docs_text("results.md")
    assert f"`benchmarks/stalls.py` trained {['', 'one', 'two', 'three', 'four', 'five', 'six'][len(runs)]}" in text
    for seed in (12, 18):  # stalled in the sweep, healthy when trained again
        assert runs[seed]["sweep_test_accuracy"] < 0.7 < runs[seed]["test_accuracy"]
    said = (
        f"seeds 12 and 18, stalled in the sweep ({runs[12]['sweep_test_accuracy']:.4f}, "
        f"{runs[18]['sweep_test_accuracy']:.4f}), reached {runs[12]['test_accuracy']:.4f} and "
        f"{runs[18]['test_accuracy']:.4f}; seed 13, the sweep's best ({runs[13]['sweep_test_accuracy']:.4f}), "
        f"reached {runs[13]['test_accuracy']:.4f}"
    )
    assert said in text
    weakest = sorted(runs.values(), key=lambda r: r["test_accuracy"])[:2]
    others = sorted(r["steps_holding_90"] for r in runs.values() if r not in weakest)
    assert (
        f"the two weakest ({weakest[0]['test_accuracy']:.4f} and {weakest[1]['test_accuracy']:.4f}) put 90% of their "
        f"output's gradient on their last {weakest[0]['steps_holding_90']} and {weakest[1]['steps_holding_90']} words, "
        f"the other four on their last {others[0]} to {others[-1]}" in text
    )
    assert max(r["steps_holding_90"] for r in weakest) < min(others)


def _sweep_full():
    """Every cell of the committed full-data sweep; the page says none failed."""
    from chapter12.report.records import read_sweep

    _, records = read_sweep(RESULTS / "sweep_full" / "results.jsonl")
    assert records and all(r["status"] == "ok" for r in records)
    return records


def test_the_full_sweeps_accuracy_table_and_its_reading_are_what_the_sweep_holds():
    import statistics

    records = _sweep_full()
    text = docs_text("sweeps.md")

    def cell(model, maxlen, seed=None):
        return [
            r
            for r in records
            if r["params"]["model"] == model
            and r["params"]["maxlen"] == maxlen
            and (seed is None or r["params"]["seed"] == seed)
        ]

    means = {}
    for maxlen in (25, 50, 100, 200, 400):
        row = []
        for model in ("simple_rnn", "lstm"):
            acc = [r["test_accuracy"] for r in cell(model, maxlen)]
            assert len(acc) == 3
            means[model, maxlen] = statistics.mean(acc)
            row.append(f"{statistics.mean(acc):.4f} ± {statistics.stdev(acc):.4f}")
        lead = statistics.mean(
            cell("lstm", maxlen, s)[0]["test_accuracy"] - cell("simple_rnn", maxlen, s)[0]["test_accuracy"]
            for s in (0, 1, 2)
        )
        train = [statistics.mean(r["history"]["accuracy"][-1] for r in cell(m, maxlen)) for m in ("simple_rnn", "lstm")]
        label = f"{maxlen} (the book's)" if maxlen == 100 else str(maxlen)
        assert f"| {label} | {row[0]} | {row[1]} | {lead:+.3f} | {train[0]:.3f} / {train[1]:.3f} |" in text
    rnn = " → ".join(f"{means['simple_rnn', n]:.3f}" for n in (50, 100, 200, 400))
    assert f"every extra word makes the simple RNN worse ({rnn})" in text
    assert f"the LSTM gains up to 200 words ({means['lstm', 200]:.3f})" in text
    assert max(means["lstm", n] for n in (25, 50, 100, 200, 400)) == means["lstm", 200]
    seed2 = cell("lstm", 400, 2)[0]["history"]
    assert (
        f"seed 2 reached {seed2['val_accuracy'][3]:.3f} validation accuracy in its 4th epoch and then fell to "
        f"{seed2['val_accuracy'][4]:.3f} in its 5th (its training accuracy too: {seed2['accuracy'][3]:.3f} → "
        f"{seed2['accuracy'][4]:.3f})" in text
    )
    s0, s1 = (cell("lstm", 400, s)[0]["test_accuracy"] for s in (0, 1))
    assert f"Seeds 0 and 1 score {s0:.3f} and {s1:.3f}" in text


def test_the_full_sweeps_seconds_per_epoch_are_those_of_the_cells_started_after_the_tests():
    """The cut-off the page gives: cells that started after 18:33:10 UTC (finished minus seconds); and the
    sweep's count and wall time."""
    import statistics
    from datetime import datetime, timedelta

    records = _sweep_full()
    text = docs_text("sweeps.md")
    starts = [datetime.fromisoformat(r["finished"]) - timedelta(seconds=r["seconds"]) for r in records]
    wall = max(datetime.fromisoformat(r["finished"]) for r in records) - min(starts)
    minutes, seconds_left = divmod(round(wall.total_seconds()), 60)
    assert f"{len(records)} cells, none failed, {minutes} min {seconds_left} s" in text
    assert "for the cells that started after 18:33:10" in text
    cutoff = datetime.fromisoformat("2026-11-26T18:33:10+00:00")
    late = [r for r in records if datetime.fromisoformat(r["finished"]) - timedelta(seconds=r["seconds"]) >= cutoff]
    lines, points = [], {"simple_rnn": [], "lstm": []}
    for maxlen in (25, 50, 100, 200, 400):
        seconds = {}
        for model in ("simple_rnn", "lstm"):
            cells = [r for r in late if r["params"]["model"] == model and r["params"]["maxlen"] == maxlen]
            each = [statistics.median(r["epoch_seconds"][1:]) for r in cells]
            seconds[model] = statistics.mean(each)
            points[model] += [(maxlen, e) for e in each]
            n = f" (n={len(each)})" if len(each) == 1 else ""
            lines.append((model, maxlen, f"{seconds[model]:.1f}{n}"))
        rnn, lstm = (t for m, n, t in lines if n == maxlen)
        assert f"| {maxlen} | {rnn} | {lstm} | {seconds['lstm'] / seconds['simple_rnn']:.1f} |" in text
    import numpy as np

    said = {(m, n): float(t.split()[0]) for m, n, t in lines}  # "3.9 (n=1)" -> 3.9
    grow = {m: said[m, 400] / said[m, 25] for m in points}
    assert f"costs {grow['simple_rnn']:.1f} and {grow['lstm']:.1f} times the seconds per epoch" in text
    slopes = {m: np.polyfit(*zip(*p), 1)[0] * 100 for m, p in points.items()}
    assert (
        f"{slopes['simple_rnn']:.1f} s per 100 words for the simple RNN and {slopes['lstm']:.1f} s per 100 words "
        "for the LSTM" in text
    )


def test_the_worker_layout_table_is_what_the_layout_runs_printed_and_kept():

    from chapter12.report.records import read_sweep

    folder = RESULTS / "sweep_layout"
    printed = (folder / "printed.txt").read_text()
    text = docs_text("sweeps.md")
    walls = [float(x) for x in re.findall(r"run 1: \d worker\(s\) x \d thread\(s\): ([\d.]+) s", printed)]
    assert len(walls) == 4  # two invocations, each 1 x 2 then 2 x 1
    for run, (one_by_two, two_by_one) in enumerate(zip(walls[::2], walls[1::2]), start=1):
        assert f"| {run} | {one_by_two:.1f} s | {two_by_one:.1f} s | {one_by_two / two_by_one:.3f} |" in text
    cells = {name: read_sweep(folder / name)[1] for name in ("run1-1x2.jsonl", "run2-1x2.jsonl", "run2-2x1.jsonl")}
    sums = sorted(sum(r["seconds"] for r in records) for records in cells.values())
    assert f"the cells' own seconds add up to {sums[0]:.0f} to {sums[-1]:.0f} s" in text
    assert f"no less than {sums[0] / 2:.0f} to {sums[-1] / 2:.0f} s" in text

    def seconds(model, maxlen):
        return sorted(
            r["seconds"]
            for records in cells.values()
            for r in records
            if (r["params"]["model"], r["params"]["maxlen"]) == (model, maxlen)
        )

    lstm50, lstm400 = seconds("lstm", 50), seconds("lstm", 400)
    assert f"the LSTM at 50 words {lstm50[0]:.0f} to {lstm50[-1]:.0f} s" in text
    assert f"the LSTM at 400 words, {lstm400[0]:.0f} to {lstm400[-1]:.0f} s" in text


def test_usage_says_truly_that_the_simple_rnn_stayed_near_chance_on_4000_reviews():
    """docs/usage.md: "with 4,000 reviews it stayed near chance up to 10 epochs" (quick_setting's runs)."""
    rows = [json.loads(line) for line in (RESULTS / "quick_setting" / "runs.jsonl").open()]
    small = [r for r in rows if r["model"] == "simple_rnn" and r["n_train"] == 4000]
    assert len(small) == 3 and all(len(r["test_accuracy_by_epoch"]) == 10 for r in small)
    assert max(a for r in small for a in r["test_accuracy_by_epoch"]) < 0.6  # chance is 0.5 on balanced reviews
    assert "with 4,000 reviews it stayed near chance up to 10 epochs" in docs_text("usage.md")


def test_the_inside_block_says_what_its_results_file_holds(tmp_path):
    """chapter12.report.readme.inside_block on a made-up reference: every sentence follows the numbers."""
    from chapter12.report import readme

    curve = [1.0 * 0.9**k for k in range(100)]
    curve[-1] = curve[49] * 3  # lowest at k = 99, the last value three times that
    inside = {
        "config": {"model_seed": 0},
        "environment": {"cpu_count": 2, "cpu": "Test CPU"},
        "reach": {
            "simple_rnn": {"mean": curve, "half": 6, "ninety": 20},
            "lstm": {"mean": [1.0] * 50 + [0.1] * 50, "half": 30, "ninety": 80},
            "simple_rnn, untrained": {"mean": [1.0] * 100, "half": 24, "ninety": 70},
            "lstm, untrained": {"mean": [1.0, 1e-8] + [1e-8] * 98, "half": 3, "ninety": 10},
        },
        "by_length": {
            "short (up to 50 words)": {"simple_rnn": 0.8, "lstm": 0.85, "count": 10},
            "long (over 100, cut)": {"simple_rnn": 0.7, "lstm": 0.8, "count": 1000},
        },
        "disagreements": {"test_reviews": 1010, "lstm_right_rnn_wrong": 120, "rnn_right_lstm_wrong": 40},
        "word_by_word": {"the typed review": {"simple_rnn": [0.7, 0.6], "lstm": [0.6, 0.2]}},
    }
    runs = [
        {"model": "simple_rnn", "seed": 0, "test_accuracy": 0.7},
        {"model": "lstm", "seed": 0, "test_accuracy": 0.8},
    ]
    (tmp_path / "inside_results.json").write_text(json.dumps(inside))
    (tmp_path / "results.json").write_text(json.dumps({"runs": runs}))
    text = " ".join(readme.inside_block(tmp_path).split())
    assert "simple RNN 0.7000, LSTM 0.8000 test accuracy (seed 0 of the reference run, 2-core Test CPU)" in text
    assert "| simple RNN, trained | **6** | 20 |" in text and "| LSTM, untrained | 3 | 10 |" in text
    assert "on its last 6: the LSTM looks further back" in text
    assert "the untrained LSTM's gradient falls by 8.0 decades" in text
    assert "Training multiplied the LSTM's reach by 10.0 and the simple RNN's by 0.25" in text
    assert f"lowest at k = {curve.index(min(curve)) + 1}, and its value at k = 100 is" in text
    assert (
        "+0.050 on short (up to 50 words), 10 reviews; +0.100 on long (over 100, cut), 1,000 reviews; largest on long"
        in text
    )
    assert "the LSTM gets 120 right that the simple RNN gets wrong, and the simple RNN 40" in text
    assert "On the typed review, the simple RNN ends at P(positive) = 0.60 and the LSTM at 0.20." in text
    inside["reach"]["simple_rnn"]["half"] = 40
    (tmp_path / "inside_results.json").write_text(json.dumps(inside))
    assert "on its last 40: the simple RNN looks further back" in " ".join(readme.inside_block(tmp_path).split())


def test_usage_says_truly_how_close_the_cells_in_code_came_to_keras():
    """docs/usage.md's notebook table: the maths notebook's own cells against Keras, in the reference run."""
    measured = json.loads((ROOT / "reference" / "maths_results.json").read_text())["scratch_vs_keras"]
    largest = max(v for model in measured.values() for v in model.values())
    assert largest < 1e-6
    assert "(the reference run measured differences below 1e-6)" in docs_text("usage.md")


def test_the_full_sweeps_wall_time_is_from_its_first_start_to_its_last_finish():
    from datetime import datetime, timedelta

    cells = [json.loads(line) for line in (RESULTS / "sweep_full" / "results.jsonl").read_text().splitlines()[1:]]
    starts = [datetime.fromisoformat(c["finished"]) - timedelta(seconds=c["seconds"]) for c in cells]
    wall = max(datetime.fromisoformat(c["finished"]) for c in cells) - min(starts)
    minutes, seconds = divmod(round(wall.total_seconds()), 60)
    failed = sum(c["status"] != "ok" for c in cells)
    assert failed == 0
    assert f"{len(cells)} cells, none failed, {minutes} min {seconds} s." in docs_text("sweeps.md")


def test_the_sizes_the_docs_give_are_the_files_and_the_limit():
    from chapter12.run.publish import LIMIT_BYTES

    files = ROOT / "chapter12" / "imdb" / "files"
    sample = f"{(files / 'imdb_sample.npz').stat().st_size / 1e6:.1f} MB"
    index = f"{(files / 'keras_imdb_word_index.json.gz').stat().st_size / 1e6:.1f} MB"
    assert f"({sample}, with Keras's word index {index} beside it)" in docs_text("usage.md")
    assert f"({sample}, plus Keras's word index, {index})" in docs_text("data.md")
    assert f"refuses a reference over {LIMIT_BYTES / 2**20:.0f} MB" in docs_text("usage.md")


def test_the_bounds_bad_input_names_are_the_codes():
    from chapter12.sweep import scheduler

    text = docs_text("bad-input.md")
    connect, greet = f"{scheduler.CONNECT_SECONDS:g}", f"{scheduler.GREETING_SECONDS:g}"
    assert f"with the client's {connect} s bound, and waits at most {greet} s" in text
    assert f"sent no Dask greeting in {greet} s" in text
    assert scheduler.CONNECT_SECONDS + scheduler.GREETING_SECONDS <= 20  # "one line within about 20 s"
    pause = re.search(r"time\.sleep\((\d+)\)", (ROOT / "tests" / "test_interrupt.py").read_text()).group(1)
    assert f"each file waits {pause} s before it is moved into place" in text
