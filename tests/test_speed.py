"""The engines' speed table (benchmarks/backend_speed.py's runs file): speed-ups within a round, the verdict."""

from __future__ import annotations

import json

import pytest

from chapter12.errors import Chapter12Error
from chapter12.report.speed import ratio_table, read_speed_runs, speed_summary, speed_table, speed_verdict

ENV = {"cpu": "Test CPU", "cpu_count": 2}


def run(engine, round_, simple, lstm, accuracy=0.8):
    """One (round, engine) record; simple and lstm are each model's fastest epoch after the first."""
    backend = engine.partition("+")[0]
    timing = [
        {
            "model": m,
            "median_epoch_seconds": 1.5 * s,
            "min_epoch_seconds": s,
            "first_epoch_seconds": 2 * s,
            "epoch_seconds": [2 * s, s, 1.5 * s, 1.5 * s],
            "test_accuracy": accuracy,
        }
        for m, s in (("simple_rnn", simple), ("lstm", lstm))
    ]
    return {"round": round_, "engine": engine, "timing": timing, "environment": {backend: ENV}}


def test_speedups_are_paired_within_a_round_then_the_median():
    runs = [  # out of order, and torch's round 2 has no TensorFlow round to pair with
        run("jax", 1, 1.0, 5.0),
        run("torch", 2, 1.0, 1.0),
        run("tensorflow", 1, 2.0, 10.0),  # a fast round for everyone
        run("jax", 0, 2.0, 12.0),
        run("tensorflow", 0, 4.0, 12.0),
        run("torch", 0, 8.0, 24.0),
    ]
    rows = {(r["engine"], r["model"]): r for r in speed_summary(runs)}
    assert [k for k in rows] == [(e, m) for e in ("tensorflow", "jax", "torch") for m in ("simple_rnn", "lstm")]
    assert rows[("jax", "simple_rnn")]["speedup"] == 2.0 and rows[("jax", "simple_rnn")]["speedup_range"] == (2.0, 2.0)
    assert rows[("jax", "lstm")]["speedup"] == 1.5 and rows[("jax", "lstm")]["speedup_range"] == (1.0, 2.0)
    assert rows[("jax", "lstm")]["median_epoch_seconds"] == 12.75  # the median of the runs' medians, 18 and 7.5
    assert rows[("torch", "lstm")]["speedup"] == 0.5 and rows[("tensorflow", "lstm")]["speedup"] == 1.0
    table = speed_table(runs)
    assert rows[("torch", "lstm")]["rounds"] == [0, 2] and rows[("torch", "lstm")]["speedup_range"] == (0.5, 0.5)
    assert "| jax | LSTM | 2 | 12.75 | 5.0–18.0 | 17.0 | 1.50 (1.00–2.00) | 0.8000, 0.8000 |" in table
    ratios = ratio_table(runs)  # per round: tensorflow 3 and 5, jax 6 and 5, torch 3
    assert "| tensorflow | 4.00 (3.00–5.00) | 2 |" in ratios and "| jax | 5.50 (5.00–6.00) | 2 |" in ratios
    assert "| torch | 2.00 (1.00–3.00) | 2 |" in ratios
    verdict = speed_verdict(runs)
    assert verdict.startswith("jax trained both models at least 1.5 times faster than TensorFlow on this 2-core")
    assert "Slower than TensorFlow: torch on the simple RNN (0.50); torch on the LSTM (0.50)." in verdict


def test_no_engine_fast_enough_keeps_tensorflow():
    runs = [run("tensorflow", 0, 4.0, 12.0), run("tensorflow+xla", 0, 5.0, 10.0), run("jax", 0, 3.0, 11.0)]
    verdict = speed_verdict(runs)
    assert verdict.startswith("No engine trained both of the book's models at least 1.5 times faster")
    assert "the largest gain was jax on the simple RNN, 1.33 times" in verdict  # 4/3 beats xla's 12/10
    assert "tensorflow+xla on the simple RNN (0.80)" in verdict and verdict.endswith(
        "Sweeps and the notebooks keep TensorFlow."
    )
    slower = speed_verdict([run("tensorflow", 0, 4.0, 12.0), run("torch", 0, 8.0, 24.0)])
    assert ": every engine was slower than TensorFlow on both models. Slower than TensorFlow: torch" in slower
    with pytest.raises(Chapter12Error, match="no engine to compare"):
        speed_verdict([run("tensorflow", 0, 4.0, 12.0)])


def test_a_cut_line_or_a_foreign_line_is_left_out(tmp_path):
    path = tmp_path / "runs.jsonl"
    good = json.dumps(run("tensorflow", 0, 4.0, 12.0))
    again = json.dumps(run("tensorflow", 0, 3.0, 12.0))  # the same round measured again: the last one counts
    foreign = json.dumps({"engine": "theano", "timing": []})
    path.write_text("\n".join([good, good[:40], foreign, "[1]", again]) + "\n")
    [kept] = read_speed_runs(path)
    assert kept["timing"][0]["min_epoch_seconds"] == 3.0
    with pytest.raises(Chapter12Error, match="run benchmarks/backend_speed.py first"):
        read_speed_runs(tmp_path / "missing.jsonl")
