"""The book's numbers as a distribution (chapter12/report/distribution.py): the statistics against cases worked
by hand, the verdicts flipping when the runs move across their rules, and `report --distribution` writing its
table and figure from a results file. In-process, on a few synthetic runs and the committed seeds sweep."""

from __future__ import annotations

import itertools
import json
import math
import statistics
from pathlib import Path

import pytest

from chapter12.book import BOOK_RESULTS
from chapter12.report.distribution import (
    STALL_MARGIN,
    holm,
    rank_p_value,
    bootstrap_mean_interval,
    detectable_difference,
    distribution_markdown,
    group_stats,
    percentile_of,
    permutation_test,
    runs_by_group,
    stalled,
)
from chapter12.report.records import header, read_sweep
from chapter12.run.cli import main
from chapter12.sweep.engine import _record
from chapter12.sweep.grid import Grid, Settings

SEEDS = Path(__file__).parents[1] / "benchmarks" / "results" / "seeds" / "results.jsonl"
BOOK_LSTM = BOOK_RESULTS["lstm"]["test_accuracy"]


def run(model: str, seed: int, accuracy: float, backend: str = "tensorflow", curve=(0.6, 0.7)) -> dict:
    """A finished cell as far as the distribution reads it."""
    return {
        "status": "ok",
        "params": {"model": model, "seed": seed, "backend": backend},
        "test_accuracy": accuracy,
        "history": {"accuracy": list(curve), "val_accuracy": list(curve)},
    }


# ----------------------------------------------------------------------------- the statistics


def test_the_bootstrap_interval_holds_the_mean_narrows_with_more_runs_and_repeats_by_seed():
    values = [0.80, 0.82, 0.83, 0.84, 0.85, 0.81, 0.86]
    low, high = bootstrap_mean_interval(values)
    assert low < statistics.fmean(values) < high
    assert min(values) < low and high < max(values)
    assert bootstrap_mean_interval(values) == (low, high)
    wide = high - low
    low4, high4 = bootstrap_mean_interval(values * 4)
    assert high4 - low4 < wide * 0.7  # four times the runs: about half the width
    assert bootstrap_mean_interval([0.5, 0.5, 0.5]) == (0.5, 0.5)
    with pytest.raises(ValueError):
        bootstrap_mean_interval([0.5])


def test_the_percentile_counts_runs_below_and_ties_half():
    assert percentile_of(0.5, [0.1, 0.2, 0.3, 0.9]) == 75.0
    assert percentile_of(0.3, [0.1, 0.2, 0.3, 0.9]) == 62.5
    assert percentile_of(0.0, [0.1, 0.2]) == 0.0 and percentile_of(1.0, [0.1, 0.2]) == 100.0
    with pytest.raises(ValueError):
        percentile_of(0.5, [])


def exact_permutation_p(a, b) -> float:
    """Every relabelling of the pooled runs, counted: the p-value the random test estimates."""
    pooled = list(a) + list(b)
    observed = abs(statistics.fmean(a) - statistics.fmean(b))
    hits = total = 0
    for chosen in itertools.combinations(range(len(pooled)), len(a)):
        first = [pooled[i] for i in chosen]
        second = [pooled[i] for i in range(len(pooled)) if i not in chosen]
        hits += abs(statistics.fmean(first) - statistics.fmean(second)) >= observed - 1e-12
        total += 1
    return hits / total


@pytest.mark.parametrize(
    "a, b",
    [
        ([1, 2, 3, 4], [5, 6, 7, 8]),  # apart: 2 of 70 labellings as extreme, p = 0.029
        ([1, 3, 5, 7], [2, 4, 6, 8]),  # interleaved: p near 1
        ([0.82, 0.84, 0.83, 0.85, 0.81], [0.83, 0.86, 0.85, 0.87]),
    ],
)
def test_the_permutation_test_matches_every_relabelling_counted(a, b):
    assert permutation_test(a, b) == pytest.approx(exact_permutation_p(a, b), abs=0.01)


def test_the_permutation_test_tells_apart_backends_whose_means_differ():
    rng_a = [0.835 + 0.01 * math.sin(i) for i in range(20)]
    assert permutation_test(rng_a, [v + 0.02 for v in rng_a]) < 0.001
    assert permutation_test(rng_a, list(reversed(rng_a))) == 1.0
    with pytest.raises(ValueError):
        permutation_test([0.8], [0.8, 0.9])


def test_the_detectable_difference_is_2_8_standard_errors():
    a, b = [0.80, 0.82, 0.84], [0.81, 0.85, 0.83, 0.87]
    se = math.sqrt(statistics.variance(a) / 3 + statistics.variance(b) / 4)
    assert detectable_difference(a, b) == pytest.approx(2.8016 * se, rel=1e-4)


def test_a_run_stalls_only_more_than_the_margin_below_the_median():
    values = [0.70, 0.72, 0.74, 0.76, 0.72 - STALL_MARGIN - 0.001]  # median 0.72
    runs = [run("simple_rnn", i, acc) for i, acc in enumerate(values)]
    assert stalled(runs) == [False, False, False, False, True]
    runs[-1]["test_accuracy"] = 0.72 - STALL_MARGIN + 0.001
    assert stalled(runs) == [False] * 5


# ----------------------------------------------------------------------------- the verdicts


def lstm_runs(values, backend="tensorflow"):
    return [run("lstm", i, v, backend) for i, v in enumerate(values)]


def test_the_rank_p_value_and_holm_against_cases_worked_by_hand():
    assert rank_p_value(0.5, [0.1, 0.2, 0.3, 0.9]) == pytest.approx(2 * 2 / 5)  # 1 above: 2 * (1 + 1) / 5
    assert rank_p_value(1.0, [0.1] * 20) == pytest.approx(2 / 21)  # above all 20: the smallest 20 runs allow
    assert rank_p_value(1.0, [0.1] * 40) == pytest.approx(2 / 41) and 2 / 41 < 0.05
    assert rank_p_value(0.5, [0.5, 0.5]) == 1.0
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_the_books_lstm_is_ordinary_among_20_runs_and_unusual_only_outside_40():
    spread = [BOOK_LSTM - 0.01 + 0.001 * i for i in range(20)]  # 0.8341 ... 0.8531: the book near the middle
    stats = group_stats(lstm_runs(spread), "lstm")
    assert stats["book_typical"] and stats["n"] == 20 and stats["book_above"] == 9
    text = distribution_markdown(lstm_runs(spread))
    assert "the book's 0.8441 lies inside the range of the 20 runs (9 scored higher)" in text
    assert "an ordinary draw" in text
    below = [BOOK_LSTM - 0.03 + 0.0005 * i for i in range(20)]  # all 20 runs under the book's value
    stats = group_stats(lstm_runs(below), "lstm")
    assert stats["book_percentile"] == 100.0 and stats["book_p"] == pytest.approx(2 / 21) and stats["book_typical"]
    assert "lies above all 20 runs; percentile 100" in distribution_markdown(lstm_runs(below))
    far = [BOOK_LSTM - 0.03 + 0.0005 * i for i in range(40)]
    assert not group_stats(lstm_runs(far), "lstm")["book_typical"]
    assert "probability 0.05: an unusual draw" in distribution_markdown(lstm_runs(far))
    over = [BOOK_LSTM + 0.001 + 0.0005 * i for i in range(40)]  # all above: percentile 0, the other side
    stats = group_stats(lstm_runs(over), "lstm")
    assert stats["book_percentile"] == 0.0 and not stats["book_typical"]
    # runs are compared at the book's 5 decimals: a run of 0.844081 ties with 0.84408
    assert group_stats(lstm_runs([0.844081] * 10), "lstm")["book_percentile"] == 50.0


def test_the_interval_is_a_95_percent_one():
    values = [0.83 + 0.01 * math.sin(7 * i) for i in range(200)]
    low, high = bootstrap_mean_interval(values)
    expected = 2 * 1.96 * statistics.pstdev(values) / math.sqrt(len(values))
    assert high - low == pytest.approx(expected, rel=0.1)  # a 90% interval would be 16% narrower


def test_backends_are_compared_and_their_verdict_follows_the_runs():
    base = [0.835 + 0.008 * math.sin(3 * i) for i in range(10)]
    same = distribution_markdown(lstm_runs(base) + lstm_runs(list(reversed(base)), "jax"))
    assert "the means do not differ detectably" in same and "adjusted p = 1.000" in same
    apart = distribution_markdown(lstm_runs(base) + lstm_runs([v - 0.02 for v in base], "jax"))
    assert "the means differ (adjusted p = 0.000)" in apart and "Permutation tests of equal means, 1 in all" in apart
    one = distribution_markdown(lstm_runs(base))
    assert "no test of their means" in one
    few = distribution_markdown(lstm_runs(base) + lstm_runs(base[:4], "jax"))
    assert "LSTM: jax (n=4) against tensorflow (n=10): not compared yet (each needs 5 runs)." in few
    assert "LSTM, jax: 4 run(s) so far, too few to say (a verdict needs 10)" in few


def test_the_stall_section_names_the_stalled_seeds_and_says_whether_they_still_learn():
    healthy = [run("simple_rnn", i, 0.74 + 0.005 * i, curve=(0.6, 0.7, 0.75)) for i in range(5)]
    slow = [run("simple_rnn", 5, 0.60, curve=(0.55, 0.6, 0.62)), run("simple_rnn", 6, 0.61, curve=(0.55, 0.6, 0.64))]
    text = distribution_markdown(healthy + slow)
    assert "2 of 7 runs stalled (seeds 5, 6)" in text
    assert "changed by +0.020 to +0.040, the healthy runs' by +0.050 to +0.050: every stalled run was still" in text
    assert "| accuracy | stalled | 0.550 | 0.600 | 0.630 |" in text
    slow[0]["history"]["accuracy"] = [0.55, 0.6, 0.6]
    assert "at least one stalled run had stopped rising" in distribution_markdown(healthy + slow)


# ----------------------------------------------------------------------------- the command and the committed runs


def test_report_distribution_writes_the_table_and_the_figure(tmp_path, capsys):
    settings = Settings(data="sample", data_fingerprint="f" * 64, vocabulary="keras", epochs=2, batch_size=128)
    cells = Grid.from_values({"models": ["simple_rnn", "lstm"], "seeds": [0, 1, 2]}, settings).cells()
    lines = [header(settings.to_dict())]
    for n, cell in enumerate(cells):
        result = {
            "test_accuracy": 0.70 + 0.01 * n,
            "test_loss": 0.5,
            "epoch_seconds": [3.0, 2.9],
            "history": {"accuracy": [0.6, 0.7], "val_accuracy": [0.6, 0.65]},
            "n_train": 3200,
            "n_val": 800,
            "n_test": 2000,
            "seconds": {"total": 7.5},
            "backend": "tensorflow",
        }
        lines.append(
            _record(cell, {"status": "ok", "worker": "w", "threads": 1, "seconds": 8.0, "log": "l", "result": result})
        )
    path = tmp_path / "results.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert main(["report", str(path), "--out", str(tmp_path / "out"), "--distribution"]) == 0
    text = (tmp_path / "out" / "distribution.md").read_text()
    assert "| LSTM | tensorflow | 3 |" in text and "| simple RNN | tensorflow | 3 |" in text
    assert (tmp_path / "out" / "figures" / "distribution.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "distribution.md" in capsys.readouterr().out


@pytest.mark.skipif(not SEEDS.exists(), reason="the committed seeds sweep is not in this checkout")
def test_the_committed_seeds_hold_20_tensorflow_runs_of_each_model_at_the_books_settings():
    head, records = read_sweep(SEEDS)
    assert head["settings"]["epochs"] == 5 and head["settings"]["vocabulary"] == "keras"
    groups = runs_by_group(records)
    for model in ("simple_rnn", "lstm"):
        runs = groups[(model, "tensorflow")]
        assert [r["params"]["seed"] for r in runs] == list(range(20))
        assert {(r["params"]["maxlen"], r["params"]["num_words"], r["params"]["units"]) for r in runs} == {
            (100, 2500, 64)
        }


def test_the_accuracy_notebook_states_the_stall_rule_the_code_applies():
    notebook = json.loads((Path(__file__).parents[1] / "notebooks" / "03_sentiment_accuracy.ipynb").read_text())
    text = "".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown")
    assert f"more than {STALL_MARGIN} below the median" in text


def test_a_run_is_placed_among_the_committed_seeds():
    from chapter12.report.distribution import committed_seeds, run_against_distribution
    from chapter12.report.records import read_sweep

    _, records = read_sweep(committed_seeds())
    low_high = {"simple_rnn": {"test_accuracy": {"mean": 0.60}}, "lstm": {"test_accuracy": {"mean": 0.90}}}
    text = run_against_distribution(low_high, records)
    rnn = statistics.fmean(
        r["test_accuracy"]
        for r in records
        if r.get("status") == "ok" and r["params"]["model"] == "simple_rnn" and r["params"]["backend"] == "tensorflow"
    )
    assert f"the simple RNN's 0.6000 lies {rnn - 0.60:.4f} below the mean of those 20 runs" in text
    assert "at their percentile 0" in text and "the LSTM's 0.9000 lies" in text and "at their percentile 100" in text
    assert run_against_distribution({"gru": {"test_accuracy": {"mean": 0.8}}}, records) == ""
