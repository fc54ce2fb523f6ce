"""Timing: the epoch timer, the FLOP counts, the ratio summary, backend selection and the timing notebook."""

from __future__ import annotations

import importlib.util
import json
import math

import papermill
import nbformat
import pytest

from chapter12 import BookConfig, build_model
from chapter12.errors import Chapter12Error
from conftest import computed_statements
from chapter12.notebook.kernel import current_interpreter_kernel
from chapter12.notebook.execute import notebooks_dir
from chapter12.run.reproduce import NOTEBOOKS, ReproduceOptions, _jobs, check_options
from chapter12.checks import check_backend
from chapter12.report.results import timing_table_markdown
from chapter12.timing.measure import timing_summary
from chapter12.timing import (
    TimingSettings,
    installed_backends,
    measure_backend,
    merge_measurements,
    recurrent_step_flops,
    summarize_epochs,
    training_flops_per_epoch,
)


def test_epoch_timer_records_each_epoch_with_its_own_clock(monkeypatch):
    import chapter12.train as experiment

    clock = iter([10.0, 12.5, 20.0, 21.0])  # begin, end, begin, end
    monkeypatch.setattr(experiment.time, "perf_counter", lambda: next(clock))
    timer = experiment.EpochTimer()
    for epoch in range(2):
        timer.on_epoch_begin(epoch)
        timer.on_epoch_end(epoch)
    assert timer.epoch_seconds == [2.5, 1.0]


def test_epoch_timer_in_a_real_fit():
    import numpy as np

    from chapter12.train import EpochTimer

    model = build_model("simple_rnn", BookConfig(num_words=20, embedding_dim=2, units=2))  # tiny: test speed
    timer = EpochTimer()
    x = np.random.default_rng(0).integers(0, 20, size=(16, 5))
    model.fit(x, np.arange(16) % 2, epochs=3, batch_size=8, callbacks=[timer], verbose=0)
    assert len(timer.epoch_seconds) == 3 and all(s > 0 for s in timer.epoch_seconds)


def test_flops_by_hand_for_a_tiny_model():
    # embedding 2, units 3: one gate costs 2 * 3 * (2 + 3) = 30 FLOPs per step; the LSTM has four.
    assert recurrent_step_flops("simple_rnn", 2, 3) == 30
    assert recurrent_step_flops("lstm", 2, 3) == 120
    assert recurrent_step_flops("gru", 2, 3) == 90
    config = BookConfig(maxlen=4, embedding_dim=2, units=3)
    # forward per review: 4 steps * 30 + the Dense unit's 2 * 3; training is 3 x forward; 10 reviews.
    assert training_flops_per_epoch("simple_rnn", config, 10) == 3 * 10 * (4 * 30 + 6)
    assert training_flops_per_epoch("lstm", config, 10) == 3 * 10 * (4 * 120 + 6)


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm"])
def test_flops_per_step_are_two_per_weight_of_the_keras_layer(kind):
    layer = build_model(kind).layers[1]
    biases = {"simple_rnn": 64, "lstm": 4 * 64}[kind]
    assert recurrent_step_flops(kind, 128, 64) == 2 * (layer.count_params() - biases)


def test_flops_refuse_models_without_a_formula():
    with pytest.raises(Chapter12Error, match="FLOPs are counted"):
        recurrent_step_flops("bidirectional_lstm", 2, 3)


def test_first_epoch_is_reported_apart():
    stats = summarize_epochs([9.0, 2.0, 4.0, 3.0])
    assert stats == {
        "first_epoch_seconds": 9.0,
        "median_epoch_seconds": 3.0,
        "min_epoch_seconds": 2.0,
        "max_epoch_seconds": 4.0,
    }
    with pytest.raises(Chapter12Error, match="at least 2 epochs"):
        summarize_epochs([5.0])


def entry(model, variant, repeat, median, backend="tensorflow"):
    return {
        "model": model,
        "variant": variant,
        "backend": backend,
        "device": "CPU",
        "repeat": repeat,
        "median_epoch_seconds": median,
        "min_epoch_seconds": median,
        "max_epoch_seconds": median,
        "first_epoch_seconds": median * 2,
        "samples_per_second": 100 / median,
        "test_accuracy": 0.5,
        "flops_per_epoch": 10**9,
        "achieved_flops_per_second": 10**9 / median,
    }


def test_ratio_pairs_models_within_each_repeat():
    entries = [
        entry("simple_rnn", "book", 0, 2.0),
        entry("lstm", "book", 0, 6.0),
        entry("simple_rnn", "book", 1, 4.0),
        entry("lstm", "book", 1, 8.0),
        entry("simple_rnn", "fused", 0, 1.0),
        entry("lstm", "fused", 0, 5.0),
    ]
    summary = {s["variant"]: s for s in timing_summary(entries)}
    assert summary["book"]["n"] == 2
    assert math.isclose(summary["book"]["ratio_median"], 2.5)  # the median of 3.0 and 2.0
    assert (summary["book"]["ratio_min"], summary["book"]["ratio_max"]) == (2.0, 3.0)
    assert summary["fused"]["ratio_median"] == 5.0
    table = timing_table_markdown({"timing": entries, "matmul_flops_per_second": {"tensorflow": 10**10}})
    assert "| tensorflow | CPU | book | 2.50 (2.00–3.00) | 2 | roughly 2 | 4.00 |" in table
    assert "| tensorflow | book | lstm | 1.0 | 0.1 | 10.0 | 1.5% |" in table  # median of 1/6 and 1/8 GFLOP/s


def test_backend_selection_errors():
    assert "tensorflow" in installed_backends()
    with pytest.raises(Chapter12Error, match="unknown backend 'theano'"):
        check_backend("theano")
    missing = [b for b in ("jax", "torch") if importlib.util.find_spec(b) is None]
    for backend in missing:
        with pytest.raises(Chapter12Error, match=f"the {backend} backend is not installed; pip install"):
            check_backend(backend)


def test_reproduce_passes_the_backend_to_the_timing_notebook(tmp_path, monkeypatch):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    options = ReproduceOptions(out=tmp_path / "o", quick=True, only=["timing"], repeats=3)
    jobs = _jobs(options, check_options(options), "sample")
    assert jobs[0].parameters["backends"] == ["tensorflow"] and jobs[0].parameters["repeats"] == 3
    assert "seeds" not in jobs[0].parameters  # only what the notebook declares
    with pytest.raises(Chapter12Error, match="needs --epochs 3 or more"):
        check_options(ReproduceOptions(out=tmp_path / "o", quick=True, only=["timing"], epochs=2))
    with pytest.raises(Chapter12Error, match="unknown backend"):
        check_options(ReproduceOptions(out=tmp_path / "o", quick=True, backend="cntk"))


@pytest.mark.parametrize(
    "backend, where", [("tensorflow", "own process"), ("torch", "own process"), ("tensorflow", "this process")]
)
def test_measure_backend(backend, where, monkeypatch):
    # In its own process unless this process has loaded that backend already (a notebook's kernel).
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed (optional backend)")
    import chapter12.timing.measure as measure

    if where == "own process":
        monkeypatch.setattr(measure, "loaded_backend", lambda: None)
        monkeypatch.setattr(measure, "worker", None)  # would fail if called here
    else:
        import keras

        assert keras.backend.backend() == "tensorflow"
        monkeypatch.setattr(measure, "run_child", None)  # would fail if a process were started
    settings = TimingSettings(
        backend=backend, variants=["book"], epochs=3, repeats=1, quick=True, max_reviews=200, matmul_size=128
    )  # tiny: small for test speed
    lines = []
    measured = merge_measurements([measure_backend(settings, log=lines.append)])
    assert any("GFLOP/s" in line for line in lines) and any("repeat 0" in line for line in lines)
    assert {e["backend"] for e in measured["timing"]} == {backend}
    assert [e["model"] for e in measured["timing"]] == ["simple_rnn", "lstm"]  # interleaved order
    for e in measured["timing"]:
        assert len(e["epoch_seconds"]) == 3 and e["median_epoch_seconds"] > 0 and e["n_train"] == 160
    assert measured["environment"][backend]["backend"] == backend
    assert measured["timing_summary"][0]["backend"] == backend and measured["matmul_flops_per_second"][backend] > 0


def test_timing_notebook_under_papermill(tmp_path):
    params = dict(quick=True, variants=["book"], epochs=3, repeats=1, matmul_size=256, output_dir=str(tmp_path))
    with current_interpreter_kernel() as kernel:  # small settings: test speed
        papermill.execute_notebook(
            str(notebooks_dir() / NOTEBOOKS["timing"][0]),
            str(tmp_path / "05_timing.ipynb"),
            parameters=params,
            kernel_name=kernel,
            progress_bar=False,
            cwd=str(tmp_path),
        )
    results = json.loads((tmp_path / "timing_results.json").read_text())
    assert results["kind"] == "timing" and results["schema_version"] == 1
    said = "\n".join(computed_statements(nbformat.read(tmp_path / "05_timing.ipynb", as_version=4)))
    ratio = results["timing_summary"][0]["ratio_median"]
    assert f"the LSTM's epochs took {ratio:.2f} times the simple RNN's" in said
    assert "This run timed only the book variant" in said
    prose = "\n".join(c.source for c in nbformat.read(notebooks_dir() / NOTEBOOKS["timing"][0], as_version=4).cells)
    assert "7.8 to 25" not in prose and "falls between" not in prose  # no unsourced figure, no typed-in result
    assert {e["model"] for e in results["timing"]} == {"simple_rnn", "lstm"}
    assert {e["n_train"] for e in results["timing"]} == {3200}  # the sample's first 4,000 reviews, less validation
    assert results["timing_summary"][0]["variant"] == "book" and results["book_time_ratio"] == 2.0
    assert results["matmul_flops_per_second"]["tensorflow"] > 0
    from chapter12.report.claims import Sources, load_ledger, value_of

    claim = next(c for c in load_ledger() if c.id == "lstm-doubles-the-time")  # the ledger reads this very number
    assert value_of(claim.values["book"], Sources([tmp_path], seeds=None, sweep=None)) == ratio


def test_xla_is_a_setting_of_tensorflow_and_rounds_take_seeds_of_their_own(monkeypatch):
    # benchmarks/backend_speed.py times TensorFlow with XLA (jit_compile=True) as an engine of its own.
    for bad, match in [
        (dict(jit_compile="yes"), "jit_compile must be true or false"),
        (dict(backend="jax", jit_compile=True), "TensorFlow's XLA switch; on jax leave it off"),
        (dict(seed_offset=-1), "seed_offset must be a whole number >= 0"),
    ]:
        if bad.get("backend", "tensorflow") not in installed_backends():
            continue
        with pytest.raises(Chapter12Error, match=match):
            TimingSettings(quick=True, **bad).check()
    import chapter12.timing.measure as measure

    monkeypatch.setattr(measure, "loaded_backend", lambda: None)  # in a process of its own, as the benchmark runs
    settings = TimingSettings(
        models=["simple_rnn"],  # the quicker of the two to compile: XLA is the setting under test, not the model
        variants=["book"],
        epochs=3,
        repeats=1,
        quick=True,
        max_reviews=200,
        matmul_size=128,
        jit_compile=True,
        seed_offset=2,
    )
    measured = merge_measurements([measure_backend(settings, log=lambda line: None)])
    [entry] = measured["timing"]
    assert entry["jit_compile"] is True and entry["repeat"] == 2 and entry["backend"] == "tensorflow"
    assert measure.engine_name(entry) == "tensorflow+xla" and measure.engine_name(entry | {"jit_compile": False}) == (
        "tensorflow"
    )


def test_fit_compiles_with_xla_only_when_asked():
    from chapter12.imdb import prepare_data
    from chapter12.train import fit

    config = BookConfig(epochs=1, maxlen=20)
    data = prepare_data(config, quick=True)
    small = type(data)(data.x_train[:100], data.y_train[:100], data.x_test[:10], data.y_test[:10], data.source)
    assert fit("simple_rnn", small, config, seed=0, validate=False, jit_compile=True).model.jit_compile is True
    import keras
    import tensorflow as tf

    if keras.backend.backend() == "tensorflow" and not tf.config.list_physical_devices("GPU"):
        assert fit("simple_rnn", small, config, seed=0, validate=False).model.jit_compile is False  # "auto" on a CPU
