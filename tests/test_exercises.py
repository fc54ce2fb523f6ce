"""The notebooks' exercises, checked as a student would run them: the check each exercise gives must run,
and its answer must state what the check shows. One test per exercise fixed so far (issue 19 lists the rest).
Small models, built but untrained, in this process: seconds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).parents[1]
NOTEBOOKS = ROOT / "notebooks"


def exercise_text(notebook: str) -> tuple[str, str]:
    """The Exercises cell and the folded answers after it."""
    cells = json.loads((NOTEBOOKS / notebook).read_text())["cells"]
    i = next(i for i, c in enumerate(cells) if "".join(c["source"]).startswith("## Exercises"))
    return "".join(cells[i]["source"]), "".join(cells[i + 1]["source"])


def test_maths_1_a_large_forget_bias_in_the_lstms_own_parameters_keeps_the_gate_at_1():
    import keras

    from chapter12.teaching.scratch import lstm_forward, params_from_keras, to_book_layout

    exercise, answer = exercise_text("01_rnn_lstm_maths.ipynb")
    assert 'lstm_params["b_f"] = lstm_params["b_f"] + 30.0' in exercise
    layer = keras.layers.LSTM(8, return_sequences=True)
    x = np.random.default_rng(0).normal(size=(4, 12, 3)).astype("float32")
    layer(x)
    lstm_params = params_from_keras(layer)
    lstm_params["b_f"] = lstm_params["b_f"] + 30.0  # the exercise's line
    run = lstm_forward(to_book_layout(x), None, lstm_params)
    assert run.gates["gamma_f"].min() > 0.999
    # the answer: with a forget gate of 1 the cell state only adds, c<t> = c<t-1> + Γ_u * c~<t>
    assert "c_t = c_prev + gamma_u * c_tilde" in answer
    added = run.gates["gamma_u"] * run.gates["c_tilde"]
    assert np.allclose(np.diff(run.c, axis=-1), added[..., 1:], atol=1e-4)


def test_inside_1_word_by_word_reads_an_encoded_review_as_the_exercise_writes_it():
    from chapter12 import BookConfig, build_model, get_word_index, resolve_source
    from chapter12.predict import Encoding, encode
    from chapter12.teaching.inside import word_by_word

    exercise, _ = exercise_text("04_inside_the_models.ipynb")
    assert "np.array(encode(text, encoding, word_index).indices)" in exercise
    source = resolve_source("sample", "keras")
    word_index = get_word_index(source)
    config = BookConfig()
    encoding = Encoding(vocabulary=source.vocabulary, num_words=config.num_words, maxlen=config.maxlen)
    trained = {"lstm": build_model("lstm", config, maxlen=config.maxlen)}
    text = "The first hour is dull and boring, but the ending is wonderful and I loved it."
    curve = word_by_word(trained["lstm"], np.array(encode(text, encoding, word_index).indices))
    words = len(re.findall(r"[a-z]+", text.lower()))
    assert curve.shape == (words + 1,)  # one probability after each word, [START] included
    assert ((curve > 0) & (curve < 1)).all()


@pytest.mark.parametrize("trainable, expected", [(True, 1), (False, 0)])
def test_embeddings_4_a_built_layer_counts_its_trainable_tables(trainable, expected):
    import keras

    exercise, answer = exercise_text("02_word_embeddings.ipynb")
    assert "layer.build()" in exercise
    assert "`trainable=True` has 1 trainable weight tensor" in answer and "the frozen one 0" in answer
    layer = keras.layers.Embedding(2500, 128, trainable=trainable)
    layer.build()
    assert len(layer.trainable_weights) == expected and len(layer.weights) == 1


def test_accuracy_4_and_the_timing_prose_state_what_recurrent_dropout_does_to_kerass_lstm():
    import keras

    _, answer = exercise_text("03_sentiment_accuracy.ipynb")
    assert "two matrix products per step instead of eight" in " ".join(answer.split())
    # what the answer and the timing notebook say, read off the installed Keras
    assert keras.layers.LSTM(4, recurrent_dropout=0.2).cell.implementation == 1  # one product per gate
    assert keras.layers.LSTM(4, recurrent_dropout=0.0).cell.implementation == 2  # the gates packed
    timing = "".join("".join(c["source"]) for c in json.loads((NOTEBOOKS / "05_timing.ipynb").read_text())["cells"])
    assert "sets `implementation = 1`" in timing and "keeps `implementation = 2`" in timing


def test_inside_2_maxlen_is_a_parameter_that_sets_the_trained_models_length():
    import papermill

    exercise, _ = exercise_text("04_inside_the_models.ipynb")
    assert "set `maxlen = 200` and `run_dir = None` in the\n   parameters cell" in exercise
    declared = papermill.inspect_notebook(str(NOTEBOOKS / "04_inside_the_models.ipynb"))
    assert declared["maxlen"]["default"] == "100" and declared["maxlen"]["inferred_type_name"] == "int"
    cells = json.loads((NOTEBOOKS / "04_inside_the_models.ipynb").read_text())["cells"]
    code = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert "BookConfig(epochs=epochs or default_epochs(quick), maxlen=maxlen)" in code


def test_accuracy_2_names_the_last_cell_that_sets_data_before_training():
    exercise, _ = exercise_text("03_sentiment_accuracy.ipynb")
    assert "right after the one that runs `data = pad_data(loaded, config, source)`" in exercise
    cells = json.loads((NOTEBOOKS / "03_sentiment_accuracy.ipynb").read_text())["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    named = next(i for i, s in enumerate(sources) if "data = pad_data(loaded, config, source)" in s)
    trains = next(i for i, s in enumerate(sources) if "train_and_evaluate(" in s)  # the training cell
    # no cell between the named one and the training assigns data again
    assert not any(re.search(r"^data = ", s, flags=re.M) for s in sources[named + 1 : trains + 1])
    assert named < trains


def test_the_maths_notebook_says_truly_that_its_name_task_needs_no_memory():
    from chapter12.teaching.toy import NAME_SENTENCES

    label_of: dict[str, set[int]] = {}
    for sentence, labels in NAME_SENTENCES:
        for word, label in zip(sentence.split(), labels):
            label_of.setdefault(word, set()).add(label)
    assert all(len(labels) == 1 for labels in label_of.values())  # a word's label never depends on its context
    cells = json.loads((NOTEBOOKS / "01_rnn_lstm_maths.ipynb").read_text())["cells"]
    text = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert "with no recurrence at all, could solve it" in text


def test_maths_4_a_closed_forget_gate_underflows_float32_as_the_answer_says():
    _, answer = exercise_text("01_rnn_lstm_maths.ipynb")
    assert "factor per step 0.000" in answer and "smallest number float32 can hold (about 1e-45)" in answer
    # sigma(-3) ~ 0.047 per step: a unit gradient passes below float32's smallest subnormal within 40 steps
    factor = 1 / (1 + np.exp(3.0))
    shrunk = np.float32(1.0)
    steps = 0
    while shrunk > 0:
        shrunk = np.float32(shrunk * np.float32(factor))
        steps += 1
    assert 20 < steps < 60  # "a few dozen steps back", exactly 0 after


def test_sweep_1_and_3_quote_the_committed_runs_of_the_sample_and_of_the_full_data():
    """The numbers of the sweep answers are those of benchmarks/results/quick_setting and .../seeds."""
    import statistics

    from chapter12.report.distribution import committed_seeds, runs_by_group
    from chapter12.report.records import read_sweep

    _, answer = exercise_text("06_sweep.ipynb")
    answer = " ".join(answer.split())
    rows = [json.loads(line) for line in (NOTEBOOKS.parent / "benchmarks/results/quick_setting/runs.jsonl").open()]
    at_six = {
        model: [r["test_accuracy_by_epoch"][5] for r in rows if r["n_train"] == 16000 and r["model"] == model]
        for model in ("simple_rnn", "lstm")
    }
    rnn, lstm = at_six["simple_rnn"], at_six["lstm"]
    assert len(rnn) == len(lstm) == 3
    assert (
        f"the LSTM scored {min(lstm):.3f} to {max(lstm):.3f} and the simple RNN {min(rnn):.3f} to {max(rnn):.3f}"
        in answer
    )
    assert min(lstm) > max(rnn), "the LSTM wins with every seed, as answer 1 says"
    sd = f"sd {statistics.stdev(rnn):.3f} for the simple RNN and {statistics.stdev(lstm):.3f} for the LSTM"
    assert sd in answer
    assert (
        f"simple RNN's sd at 100 words was {statistics.stdev(rnn):.3f} and the LSTM's {statistics.stdev(lstm):.3f}"
        in answer
    )
    groups = runs_by_group(read_sweep(committed_seeds())[1])
    full = {m: statistics.stdev(r["test_accuracy"] for r in groups[(m, "tensorflow")]) for m in ("simple_rnn", "lstm")}
    n = len(groups[("simple_rnn", "tensorflow")])
    assert f"{full['simple_rnn']:.3f} and {full['lstm']:.3f} over {n} seeds on the full data" in answer


def test_maths_3_a_wider_simple_rnn_keeps_more_of_its_gradient_and_the_lstm_barely_moves():
    import keras

    from chapter12.teaching.gradients import input_gradient_norms, per_step_factor
    from chapter12.teaching.toy import random_sequences

    _, answer = exercise_text("01_rnn_lstm_maths.ipynb")
    assert "the simple RNN's factor rises towards 1, and the LSTM's barely moves" in answer
    x = random_sequences(16, 100, 8, seed=0)  # the notebook's defaults: 16 sequences of 100 steps, 8 features
    factors = {}
    for kind, cls in (("simple_rnn", keras.layers.SimpleRNN), ("lstm", keras.layers.LSTM)):
        for units in (32, 128):  # the default gradient_units, and the exercise's
            keras.utils.set_random_seed(0)
            factors[kind, units] = per_step_factor(input_gradient_norms(cls(units), x))
    rise = factors["simple_rnn", 128] - factors["simple_rnn", 32]
    assert rise > 0.05  # measured: 0.716 -> 0.823
    assert abs(factors["lstm", 128] - factors["lstm", 32]) < rise / 2  # measured: 0.831 -> 0.834


@pytest.mark.skipif(not (ROOT / "reference" / "models").is_dir(), reason="no committed reference models")
def test_inside_1_on_the_reference_models_both_end_positive_the_lstm_holds_the_start_longer():
    import keras

    from chapter12.predict import encode, read_encoding
    from chapter12.teaching.inside import word_by_word

    exercise, _ = exercise_text("04_inside_the_models.ipynb")
    answer = _answer("04_inside_the_models.ipynb", 1)
    text = re.search(r'`text = "([^"]+)"`', exercise).group(1)
    encoding, word_index = read_encoding(ROOT / "reference" / "models")
    indices = np.array(encode(text, encoding, word_index).indices)
    curves = {}
    for kind in ("simple_rnn", "lstm"):
        model = keras.saving.load_model(ROOT / "reference" / "models" / f"{kind}-seed0.keras", compile=False)
        curves[kind] = word_by_word(model, indices)

    def back_above_half(p):  # the word after which the curve stays above 0.5
        return max(i for i in range(1, len(p)) if p[i - 1] <= 0.5 < p[i])

    rnn, lstm = curves["simple_rnn"], curves["lstm"]
    assert rnn[-1] > 0.5 and lstm[-1] > 0.5 and all(p > 0.5 for p in rnn[back_above_half(rnn) :])
    assert f"both end positive (the simple RNN at {rnn[-1]:.2f}, the LSTM at {lstm[-1]:.2f})" in answer
    assert lstm.min() < rnn.min() and f"the LSTM fell lower ({lstm.min():.2f} against {rnn.min():.2f})" in answer
    assert back_above_half(lstm) > back_above_half(rnn)  # the LSTM holds on to the start for longer
    assert (
        f"crossed back above 0.5 for good at word {back_above_half(lstm)}, the simple RNN at word "
        f"{back_above_half(rnn)}" in answer
    )


EXERCISE_RUNS = ROOT / "benchmarks" / "results" / "exercises"


def _answer(notebook: str, number: int) -> str:
    """Answer `number` of a notebook's exercises, on one line."""
    _, answers = exercise_text(notebook)
    found = re.search(rf"^{number}\. (.*?)(?=^\d+\. |^</details>)", answers, re.S | re.M)
    return " ".join(found.group(1).split())


def test_timing_1_quotes_the_batch_size_runs_and_says_only_what_they_show():
    """benchmarks/exercise_runs.py batch-size: the ratios at batch 128 and 512, recomputed from the runs."""
    from chapter12.timing import timing_summary

    runs = json.loads((EXERCISE_RUNS / "timing_batch_size.json").read_text())["runs"]
    answer = _answer("05_timing.ipynb", 1)
    ranges = {}
    for batch in (128, 512):
        mine = [r | {"repeat": r["round"]} for r in runs if r["batch_size"] == batch]
        [row] = timing_summary(mine)
        assert row["n"] == 3
        ranges[batch] = (row["ratio_min"], row["ratio_max"])
        said = f"{row['ratio_median']:.2f} ({row['ratio_min']:.2f}–{row['ratio_max']:.2f}) at batch {batch}"
        assert said in answer
    (lo1, hi1), (lo2, hi2) = ranges.values()
    overlap = max(lo1, lo2) <= min(hi1, hi2)
    assert ("The two ranges overlap" in answer) == overlap


def test_sweep_2_quotes_the_units_sweep_and_names_the_model_it_hurt_more():
    """benchmarks/exercise_runs.py units: mean test accuracy per model at 16 and 64 units, maxlen 200, 3 seeds."""
    import statistics

    from chapter12.report.records import read_sweep

    _, records = read_sweep(EXERCISE_RUNS / "sweep_units.jsonl")
    answer = _answer("06_sweep.ipynb", 2)
    means, drops = {}, {}
    for model in ("simple_rnn", "lstm"):
        for units in (16, 64):
            acc = [
                r["test_accuracy"]
                for r in records
                if r["status"] == "ok"
                and r["params"]["model"] == model
                and r["params"]["units"] == units
                and r["params"]["maxlen"] == 200
            ]
            assert len(acc) == 3, (model, units)
            means[model, units] = statistics.mean(acc)
        drops[model] = means[model, 64] - means[model, 16]
        name = {"simple_rnn": "simple RNN", "lstm": "LSTM"}[model]
        assert f"the {name} from {means[model, 64]:.3f} to {means[model, 16]:.3f}" in answer
    worse = max(drops, key=drops.get)
    assert f"the {'simple RNN' if worse == 'simple_rnn' else 'LSTM'} lost more" in answer
    # and how much: the LSTM's loss against its own spread between seeds; the simple RNN no worse
    lstm64 = [r["test_accuracy"] for r in records if r["params"]["model"] == "lstm" and r["params"]["units"] == 64]
    assert (
        f"only {drops['lstm']:.3f}, less than its seeds' standard deviation ({statistics.stdev(lstm64):.3f}" in answer
    )
    assert drops["lstm"] < statistics.stdev(lstm64)
    assert ("the simple RNN did no worse" in answer) == (drops["simple_rnn"] <= 0)


def test_sweep_4_quotes_the_line_and_the_run_at_800_words():
    """benchmarks/exercise_runs.py maxlen-cost: the least-squares line through 25-200 words, against the run."""
    results = json.loads((EXERCISE_RUNS / "sweep_maxlen_cost.json").read_text())
    answer = _answer("06_sweep.ipynb", 4)
    ratios = {}
    for model, name in (("simple_rnn", "simple RNN"), ("lstm", "LSTM")):
        seconds = results["seconds_per_epoch"][model]
        xs = [25.0, 50.0, 100.0, 200.0]
        ys = [seconds[str(int(x))] for x in xs]
        slope, intercept = np.polyfit(xs, ys, 1)
        predicted, measured = slope * 800 + intercept, seconds["800"]
        said = f"the {name} {predicted:.1f} s, measured {measured:.1f} s ({measured / predicted:.1f} times the line)"
        assert said in answer
        ratios[model] = measured / predicted
    # the verdict sentence: within 15% counts as "held", beyond 1.7 times as "almost a factor of two"
    assert ("the line held for the LSTM" in answer) == (abs(ratios["lstm"] - 1) < 0.15)
    assert ("missed the simple RNN by almost a factor of two" in answer) == (1.7 < ratios["simple_rnn"] < 2)


def test_timing_4_quotes_each_engines_ratio_from_the_speed_runs():
    """benchmarks/results/backend_speed/runs.jsonl: the LSTM / simple RNN ratio per engine, as answer 4 gives it."""
    from chapter12.report.speed import read_speed_runs, time_ratios

    answer = _answer("05_timing.ipynb", 4)
    names = {"tensorflow": "TensorFlow", "tensorflow+xla": "TensorFlow with XLA", "jax": "JAX", "torch": "torch"}
    rows = time_ratios(read_speed_runs())
    assert {r["engine"] for r in rows} == set(names)
    for row in rows:
        assert f"{row['ratio']:.2f} on {names[row['engine']]}" in answer
    assert f"over {min(r['n'] for r in rows)} rounds per engine" in answer
