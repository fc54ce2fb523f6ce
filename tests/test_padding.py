"""Padding in front or behind, with or without a mask: the models' mask_zero, and the summary of the runs
(chapter12/report/padding.py, benchmarks/padding_masking.py)."""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from chapter12.errors import Chapter12Error
from chapter12.models import build_model
from chapter12.report.padding import PADDING_RUNS, padding_sentences, padding_table, read_padding_runs


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm"])
def test_a_mask_makes_the_padding_position_irrelevant(kind):
    import keras

    keras.utils.set_random_seed(0)
    words = [1, 14, 22, 16, 43, 530]
    front = np.array([[0] * 4 + words])
    behind = np.array([words + [0] * 4])
    masked = build_model(kind, mask_zero=True, maxlen=10)
    assert masked.layers[0].mask_zero is True
    np.testing.assert_allclose(masked.predict(front, verbose=0), masked.predict(behind, verbose=0), atol=1e-6)
    plain = build_model(kind, maxlen=10)  # the book's: the zeros are read like any word
    assert plain.layers[0].mask_zero is False
    assert abs(float(plain.predict(front, verbose=0)[0, 0]) - float(plain.predict(behind, verbose=0)[0, 0])) > 1e-6


def _rows(values):
    """Runs with test accuracies given as {(model, padding, mask_zero): [accuracy per seed]}."""
    return [
        {"data": "sample", "padding": p, "mask_zero": m, "model": model, "seed": s, "test_accuracy": a}
        for (model, p, m), accuracies in values.items()
        for s, a in enumerate(accuracies)
    ]


def test_the_sentences_follow_the_numbers():
    values = {
        ("simple_rnn", "pre", False): [0.70, 0.72],
        ("simple_rnn", "post", False): [0.50, 0.52],
        ("simple_rnn", "post", True): [0.69, 0.71],
        ("lstm", "pre", False): [0.82],
        ("lstm", "post", False): [0.80],
        ("lstm", "post", True): [0.81],
    }
    said = padding_sentences(_rows(values), "sample")
    assert "for the simple RNN, zeros behind the review give 0.510 against 0.710" in said
    assert "(-20.0 points), and 0.700 when they are masked" in said
    assert "cost the simple RNN more than the LSTM (20.0 against 2.0 points)" in said
    values[("lstm", "post", False)] = [0.83]  # the LSTM gains: no cost to compare
    assert "cost the simple RNN 20.0 points and did not hurt the LSTM." in padding_sentences(_rows(values), "sample")
    values[("lstm", "post", False)] = [0.40]  # now the LSTM loses more
    assert "cost the LSTM more than the simple RNN (42.0 against 20.0 points)" in padding_sentences(
        _rows(values), "sample"
    )
    table = padding_table(_rows(values))
    assert "| simple RNN | 0.7100 (2) | 0.5100 (2) | — | 0.7000 (2) |" in table
    assert "do not cover" in padding_sentences(_rows(values), "full")


def test_a_broken_runs_file_is_named(tmp_path):
    path = tmp_path / "runs.jsonl"
    good = {"data": "sample", "padding": "pre", "mask_zero": False, "model": "lstm", "seed": 0, "test_accuracy": 0.8}
    path.write_text(json.dumps(good) + "\n{not json\n")
    with pytest.raises(Chapter12Error, match="line 2: not JSON"):
        read_padding_runs(path)
    path.write_text(json.dumps(good | {"mask_zero": "no"}) + "\n")
    with pytest.raises(Chapter12Error, match="line 1: missing or wrong mask_zero"):
        read_padding_runs(path)
    with pytest.raises(Chapter12Error, match="run benchmarks/padding_masking.py first"):
        read_padding_runs(tmp_path / "none.jsonl")


@pytest.mark.skipif(not PADDING_RUNS.is_file(), reason="no committed padding runs")
def test_the_committed_runs_cover_every_setting_on_the_sample():
    rows = read_padding_runs()
    covered = {(r["model"], r["padding"], r["mask_zero"]) for r in rows if r["data"] == "sample"}
    assert covered == {(m, p, z) for m in ("simple_rnn", "lstm") for p in ("pre", "post") for z in (False, True)}


def test_ties_and_a_missing_setting_are_said_as_they_are():
    values = {
        ("simple_rnn", "pre", False): [0.70],
        ("simple_rnn", "post", False): [0.60],
        ("simple_rnn", "post", True): [0.69],
        ("lstm", "pre", False): [0.80],
        ("lstm", "post", False): [0.70],
        ("lstm", "post", True): [0.79],
    }
    said = padding_sentences(_rows(values), "sample")
    assert "changed both models by the same 10.0 points" in said and "more than" not in said
    values[("lstm", "post", False)] = [0.80]  # no change at all: +0.0, never -0.0
    assert "(+0.0 points)" in padding_sentences(_rows(values), "sample")
    del values[("lstm", "post", True)]  # the LSTM lacks a masked run: it is neither described nor compared
    said = padding_sentences(_rows(values), "sample")
    assert "LSTM" not in said and "simple RNN" in said


def test_a_line_that_is_not_a_run_is_named(tmp_path):
    path = tmp_path / "runs.jsonl"
    path.write_text("[1, 2]\n")
    with pytest.raises(Chapter12Error, match="line 1: not a run"):
        read_padding_runs(path)
