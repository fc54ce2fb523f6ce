"""Trained models kept by a run, `python -m chapter12 predict`, and the measurements of the inside notebook."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from chapter12.errors import Chapter12Error
from chapter12.imdb.words import keras_word_index
from chapter12.predict import (
    Encoded,
    Encoding,
    Prediction,
    encode,
    predict,
    read_encoding,
    report,
    save_encoding,
    save_model,
    saved_models,
)
from chapter12.teaching.inside import embedding_gradient_norms, mean_by_steps_back, steps_holding, word_by_word
from conftest import computed_statements, env_without

keras = pytest.importorskip("keras")


@pytest.fixture(scope="module")
def run(quick_run):
    """The session's quick run (tests/conftest.py): the accuracy notebook saved both models for seeds 0 and 1."""
    return quick_run


def _cli(*args, stdin=None, cwd=None):
    env = env_without("CHAPTER12_DATA")
    return subprocess.run(
        [sys.executable, "-m", "chapter12", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def _one_error(result):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.stderr, result.stderr
    return lines[0]


# ----------------------------------------------------------------------------- encoding


def test_encode_follows_load_data():
    index = {"good": 1, "film": 2, "rare": 600}
    encoding = Encoding(vocabulary="keras", num_words=100, maxlen=6)
    encoded = encode("A good film, a RARE film!", encoding, index)
    # "a" is not in this index: dropped; "rare" is beyond num_words: 2 ([OOV]); 1 marks the start.
    assert encoded.indices == [0, 1, 4, 5, 2, 5]
    assert encoded.words == ["[START]", "good", "film", "[OOV:rare]", "film"]
    assert encoded.dropped == ["a", "a"] and encoded.unknown == ["rare"] and encoded.cut == 0


def test_encode_keeps_the_last_maxlen_indices():
    encoded = encode("good " * 10, Encoding(vocabulary="keras", num_words=100, maxlen=4), {"good": 1})
    assert encoded.indices == [4, 4, 4, 4] and encoded.cut == 7  # 11 indices (start + 10 words), the last 4 kept
    assert encoded.words == ["good"] * 4


def test_encode_with_keras_word_index_matches_its_ranks():
    index = keras_word_index()
    encoded = encode("this movie was not good", Encoding(vocabulary="keras", num_words=2500, maxlen=10), index)
    assert encoded.indices[-5:] == [index[w] + 3 for w in ("this", "movie", "was", "not", "good")]
    assert encoded.indices[-6] == 1 and encoded.indices[:4] == [0] * 4


# ----------------------------------------------------------------------------- saved models and predict


def test_the_run_keeps_its_models_and_lists_them(run):
    results = json.loads((run / "results.json").read_text())
    files = [r["model_file"] for r in results["runs"]]
    assert sorted(files) == [f"models/{m}-seed{s}.keras" for m in ("lstm", "simple_rnn") for s in (0, 1)]
    assert files == [f"models/{r['model']}-seed{r['seed']}.keras" for r in results["runs"]]
    assert all((run / f).stat().st_size > 100_000 for f in files)
    encoding, word_index = read_encoding(run / "models")
    assert (encoding.vocabulary, encoding.num_words, encoding.maxlen) == ("keras", 2500, 100)
    assert word_index == keras_word_index()


def test_predict_equals_model_predict_on_the_encoded_text(run):
    text = "The acting was wonderful and the story moving, but the ending? Zorblaxian nonsense."
    encoded, predictions = predict(run, text)
    assert [p.model for p in predictions] == ["lstm-seed0", "lstm-seed1", "simple_rnn-seed0", "simple_rnn-seed1"]
    assert "zorblaxian" in encoded.dropped
    for p, path in zip(predictions, saved_models(run)):
        assert 0.0 <= p.probability <= 1.0
        model = keras.saving.load_model(path, compile=False)
        expected = float(model.predict(np.array([encoded.indices]), verbose=0)[0, 0])
        assert p.probability == pytest.approx(expected, abs=1e-6)


def test_predict_on_the_command_line(run, tmp_path, capsys, monkeypatch):
    long_review = "a truly wonderful film " * 40  # 161 indices: cut to the last 100
    result = _cli("predict", str(run), long_review)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("P(positive) = ") == 4  # each saved model: two models, two seeds
    assert "cut: the first 61 words were cut off to keep the last 100" in result.stdout
    review = tmp_path / "review.txt"
    review.write_text("It was a masterpiece of tedium.", encoding="utf-8")
    # The same review from a file and from standard input, in this process (the entry point is tested above).
    import io

    from chapter12.run.cli import main

    assert main(["predict", str(run), "--file", str(review)]) == 0
    from_file = capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("It was a masterpiece of tedium."))
    assert main(["predict", str(run)]) == 0
    from_stdin = capsys.readouterr().out
    assert from_file == from_stdin and from_file.count("P(positive) = ") == 4


def test_predict_answers_bad_input_with_one_line(run, tmp_path):
    assert "is not a folder" in _one_error(_cli("predict", str(tmp_path / "nowhere"), "good"))
    (tmp_path / "other").mkdir()
    assert "holds no saved models" in _one_error(_cli("predict", str(tmp_path / "other"), "good"))
    assert "the review is empty" in _one_error(_cli("predict", str(run), "   "))
    assert "none of the words" in _one_error(_cli("predict", str(run), "zorblax quuxly flibbertigibbetz"))
    assert "cannot read the review" in _one_error(_cli("predict", str(run), "--file", str(tmp_path / "missing.txt")))
    assert "either as text or with --file" in _one_error(_cli("predict", str(run), "good", "--file", "x"))


def test_a_damaged_encoding_file_is_one_line(run, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    (copy / "models" / "encoding.json").write_text('{"vocabulary": "keras"}')
    with pytest.raises(Chapter12Error, match="cannot be read"):
        predict(copy, "a good film")


def test_a_damaged_model_file_is_one_line(run, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    damaged = sorted((copy / "models").glob("*.keras"))[0]
    damaged.write_bytes(b"not a zip")  # Keras's own error was a traceback (found by the fuzzed command line)
    with pytest.raises(Chapter12Error, match=f"{damaged.name} is not a Keras model that can be loaded"):
        predict(copy, "a good film")


# ----------------------------------------------------------------------------- the committed reference (fast)

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
needs_reference = pytest.mark.skipif(not (REFERENCE / "models").is_dir(), reason="reference/ is not in this checkout")


@needs_reference
def test_the_reference_lists_its_models_and_reads_its_encoding():
    assert [p.name for p in saved_models(REFERENCE)] == ["lstm-seed0.keras", "simple_rnn-seed0.keras"]
    encoding, word_index = read_encoding(REFERENCE / "models")
    assert encoding == Encoding(vocabulary="keras", num_words=2500, maxlen=100)
    assert (encoding.index_from, encoding.start_char, encoding.oov_char) == (3, 1, 2)
    assert word_index == keras_word_index()


@needs_reference
def test_predict_on_the_reference_is_each_models_own_answer_on_the_encoded_text():
    # 12 known words (and Zorblaxian, dropped) ten times, after the start marker: 121 indices, the first 21 cut
    text = "A wonderful film with a moving story, but the ending was Zorblaxian nonsense. " * 10
    encoded, predictions = predict(REFERENCE, text)
    assert len(encoded.indices) == 100 and encoded.cut == 21 and encoded.dropped == ["zorblaxian"] * 10
    expected_indices = encode(text, *read_encoding(REFERENCE / "models")).indices
    assert encoded.indices == expected_indices
    assert [p.model for p in predictions] == ["lstm-seed0", "simple_rnn-seed0"]
    for p, path in zip(predictions, saved_models(REFERENCE)):
        model = keras.saving.load_model(path, compile=False)
        answer = float(model.predict(np.array([expected_indices]), verbose=0)[0, 0])
        assert p.probability == pytest.approx(answer, abs=1e-6)
    assert predictions[0].probability != pytest.approx(predictions[1].probability, abs=1e-4)  # two models, two answers


@needs_reference
def test_predict_refuses_what_it_cannot_read_in_one_line(tmp_path):
    import shutil

    def refusal(call, *args):
        with pytest.raises(Chapter12Error) as refused:
            call(*args)
        return str(refused.value)

    nowhere, empty = tmp_path / "nowhere", tmp_path / "empty"
    assert refusal(saved_models, nowhere) == (
        f"{nowhere} is not a folder; pass the --out folder of a `python -m chapter12 reproduce` run"
    )
    (empty / "models").mkdir(parents=True)
    (empty / "models" / ".lstm-seed0.part.keras").write_bytes(b"partial")  # left by a stopped save: not a model
    assert refusal(saved_models, empty) == (
        f"{empty} holds no saved models (models/*.keras); run `python -m chapter12 reproduce --out {empty}` with "
        "the accuracy notebook first"
    )
    assert refusal(predict, REFERENCE, " \n\t ") == (
        "the review is empty; pass some text, a file with --file, or text on standard input"
    )
    assert refusal(predict, REFERENCE, "zorblax quuxly flibbertigibbetz") == (
        "none of the words of the review is in the run's vocabulary (keras); write it in English words"
    )
    copy = tmp_path / "copy"
    shutil.copytree(REFERENCE / "models", copy / "models")
    (copy / "models" / "encoding.json").unlink()
    with pytest.raises(Chapter12Error) as refused:
        predict(copy, "a good film")
    assert str(refused.value) == (
        f"{copy / 'models'} holds no saved models' encoding (encoding.json is missing); pass the --out folder of a "
        "reproduce run that ran the accuracy notebook"
    )
    (copy / "models" / "encoding.json").write_text('{"vocabulary": "keras", "word_index": "x"}')
    with pytest.raises(Chapter12Error) as refused:
        read_encoding(copy / "models")
    assert str(refused.value).startswith(f"{copy / 'models' / 'encoding.json'} cannot be read (TypeError: ")
    assert str(refused.value).endswith("); run reproduce again")
    shutil.copy(REFERENCE / "models" / "encoding.json", copy / "models")
    (copy / "models" / "simple_rnn-seed0.keras").write_bytes(b"not a zip")
    damaged = copy / "models" / "simple_rnn-seed0.keras"
    with pytest.raises(Exception) as keras_says:
        keras.saving.load_model(damaged)
    reason = str(keras_says.value).splitlines()[0]
    assert refusal(predict, copy, "a good film") == (
        f"{damaged} is not a Keras model that can be loaded ({reason}); delete it, or run reproduce again"
    )


def test_an_encoding_saved_is_the_encoding_read(tmp_path):
    encoding = Encoding(vocabulary="clean", num_words=50, maxlen=7)
    index = {"good": 1, "film": 2, "über": 3}
    path = save_encoding(tmp_path, encoding, index)
    assert path == tmp_path / "encoding.json" and read_encoding(tmp_path) == (encoding, index)
    assert json.loads(path.read_text())["word_index"] == "word_index.json.gz"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["encoding.json", "word_index.json.gz"]  # no partial files


def test_the_same_encoding_saved_twice_is_the_same_bytes(tmp_path):
    """A regenerated reference must differ only where a result moved: the word index is written in word order
    and gzipped without a timestamp, whatever the order of the dict and the time of day."""
    encoding = Encoding(vocabulary="keras", num_words=50, maxlen=7)
    for folder, index in (("a", {"film": 2, "good": 1}), ("b", {"good": 1, "film": 2})):
        (tmp_path / folder).mkdir()
        save_encoding(tmp_path / folder, encoding, index)
    for name in ("encoding.json", "word_index.json.gz"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    raw = (tmp_path / "a" / "word_index.json.gz").read_bytes()
    assert raw[4:8] == bytes(4)  # gzip's MTIME field: no timestamp


@pytest.mark.parametrize(
    "changes", [{"num_words": 3}, {"maxlen": 0}, {"vocabulary": "nltk"}], ids=["num_words", "maxlen", "vocabulary"]
)
def test_an_impossible_encoding_is_refused(changes):
    with pytest.raises(Chapter12Error):
        Encoding(**({"vocabulary": "keras", "num_words": 4, "maxlen": 1} | changes))
    Encoding(vocabulary="keras", num_words=4, maxlen=1)  # the smallest that holds one word


def test_an_encoding_is_a_fixed_value_and_its_checks_name_the_field():
    import dataclasses

    encoding = Encoding(vocabulary="keras", num_words=2500, maxlen=100)
    with pytest.raises(dataclasses.FrozenInstanceError):
        encoding.maxlen = 200  # the models were trained on one encoding: it cannot drift after reading
    assert {encoding: 1}[Encoding(vocabulary="keras", num_words=2500, maxlen=100)] == 1
    with pytest.raises(Chapter12Error, match="^num_words must be at least 4, got 3$"):
        Encoding(vocabulary="keras", num_words=3, maxlen=100)
    with pytest.raises(Chapter12Error, match="^maxlen must be at least 1, got 0$"):
        Encoding(vocabulary="keras", num_words=2500, maxlen=0)


def test_an_encoded_text_starts_with_nothing_dropped_and_nothing_cut():
    first, second = Encoded(indices=[1], words=["[START]"]), Encoded(indices=[1], words=["[START]"])
    assert (first.dropped, first.cut) == ([], 0)
    first.dropped.append("zorb")
    assert second.dropped == []  # each its own list


def test_a_word_is_kept_below_num_words_and_unknown_from_it_on():
    encoding = Encoding(vocabulary="keras", num_words=10, maxlen=5)
    encoded = encode("six seven", encoding, {"six": 6, "seven": 7})  # indices 9 (kept) and 10 (not)
    assert encoded.indices == [0, 0, 1, 9, 2] and encoded.words == ["[START]", "six", "[OOV:seven]"]


def test_save_model_leaves_the_model_or_nothing(tmp_path):
    class Fails:
        def save(self, path):
            Path(path).write_bytes(b"half")
            raise OSError("disk full")

    folder = tmp_path / "run" / "models"  # neither exists yet
    model = _tiny_model()
    target = save_model(model, folder, "lstm", 3)  # a real Keras model: Keras insists on the .keras suffix
    assert target == folder / "lstm-seed3.keras"
    assert save_model(_tiny_model(seed=1), folder, "lstm", 3) == target  # saved again into the same folder
    again = keras.saving.load_model(target, compile=False)
    np.testing.assert_array_equal(again.layers[0].get_weights()[0], _tiny_model(seed=1).layers[0].get_weights()[0])
    good = target.read_bytes()
    with pytest.raises(OSError, match="^disk full$"):
        save_model(Fails(), folder, "lstm", 3)
    assert target.read_bytes() == good  # the good file stays
    assert sorted(p.name for p in folder.iterdir()) == ["lstm-seed3.keras"]  # and no partial file


@needs_reference
def test_predict_loads_the_models_for_answers_only_and_prints_nothing(capfd):
    from chapter12.predict import load_models

    models = load_models(saved_models(REFERENCE))
    assert list(models) == ["lstm-seed0", "simple_rnn-seed0"]
    assert not any(model.compiled for model in models.values())  # no optimizer state: only answers are asked for
    capfd.readouterr()
    predict(REFERENCE, "a good film")
    assert capfd.readouterr().out == ""  # no progress bar before the report


def test_the_report_says_each_answer_and_each_words_fate():
    words = ["[START]", "good", "[OOV:rare]", "[OOV:odd]"]
    encoded = Encoded(indices=[1, 4, 2, 2], words=words, dropped=["zorb", "quux"], cut=2)
    text = report(encoded, [Prediction("lstm-seed0", 0.5), Prediction("simple_rnn-seed0", 0.4999)])
    assert text.splitlines() == [
        "lstm-seed0               P(positive) = 0.500  (positive)",
        "simple_rnn-seed0         P(positive) = 0.500  (negative)",
        "",
        "as the models read it: [START] good [OOV:rare] [OOV:odd]",
        "cut: the first 2 words were cut off to keep the last 4",
        "unknown (outside the vocabulary's most frequent words, read as [OOV]): rare, odd",
        "not in the vocabulary at all (dropped, as in the training data): zorb, quux",
    ]
    plain = report(Encoded(indices=[1, 4], words=["[START]", "good"]), [Prediction("m", 0.9)])
    assert plain.splitlines()[2:] == ["as the models read it: [START] good"]


# ----------------------------------------------------------------------------- the measurements


def _tiny_model(seed=0):
    # Small for test speed: 20 words, vectors of 4, 3 units, 6 positions.
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input(shape=(6,), dtype="int32"),
            keras.layers.Embedding(20, 4),
            keras.layers.SimpleRNN(3),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )


def test_embedding_gradient_equals_finite_differences():
    model = _tiny_model()
    x = np.array([[0, 0, 1, 5, 7, 9], [1, 3, 3, 8, 2, 11]], dtype="int32")
    norms = embedding_gradient_norms(model, x)
    embedding, rnn, dense = model.layers
    vectors = np.asarray(embedding(x), dtype=np.float64)

    def output(v):
        return np.asarray(dense(rnn(v.astype("float32"))), dtype=np.float64)[:, 0]

    eps = 1e-2
    for m in range(len(x)):
        for t in range(x.shape[1]):
            grad = []
            for d in range(vectors.shape[2]):
                plus, minus = vectors.copy(), vectors.copy()
                plus[m, t, d] += eps
                minus[m, t, d] -= eps
                grad.append((output(plus)[m] - output(minus)[m]) / (2 * eps))
            assert norms[m, t] == pytest.approx(np.linalg.norm(grad), abs=1e-3)


def test_word_by_word_ends_at_the_models_answer():
    model = _tiny_model()
    review = np.array([0, 0, 1, 5, 7, 9], dtype="int32")
    curve = word_by_word(model, review)
    assert len(curve) == 4  # the start marker and three words
    assert curve[-1] == pytest.approx(float(model.predict(review[None], verbose=0)[0, 0]), abs=1e-6)
    assert curve[0] == pytest.approx(float(model.predict(np.array([[0, 0, 0, 0, 0, 1]]), verbose=0)[0, 0]), abs=1e-6)


def test_means_by_steps_back_leave_out_padding():
    x = np.array([[0, 0, 1, 4], [1, 5, 6, 7]])
    norms = np.array([[9.0, 9.0, 1.0, 2.0], [4.0, 3.0, 2.0, 1.0]])
    mean, count = mean_by_steps_back(norms, x)
    np.testing.assert_allclose(mean, [1.5, 1.5, 3.0, 4.0])  # k = 1 .. 4; padding (the 9s) left out
    assert count.tolist() == [2, 2, 1, 1]
    assert steps_holding(0.5, [4.0, 3.0, 2.0, 1.0]) == 2 and steps_holding(0.3, [4.0, 3.0, 2.0, 1.0]) == 1
    with pytest.raises(Chapter12Error):
        steps_holding(0.5, [0.0, 0.0])


# ----------------------------------------------------------------------------- the notebook


def test_inside_notebook_reads_the_runs_models(run, more_notebooks):
    # The session's run of the notebook on the quick run's models (tests/conftest.py, MORE_NOTEBOOKS).
    import nbformat

    from chapter12.report.notebooks import NOTEBOOKS, read_results

    filename, results_file = NOTEBOOKS["inside"]
    out = more_notebooks / "out"
    results = read_results(out / results_file)
    said = "\n".join(computed_statements(nbformat.read(more_notebooks / filename, as_version=4)))
    reach = results["reach"]
    assert set(reach) == {"simple_rnn", "lstm", "simple_rnn, untrained", "lstm, untrained"}
    assert f"half of the trained simple RNN's gradient falls on its last {reach['simple_rnn']['half']} words" in said
    assert 1 <= reach["lstm"]["half"] <= reach["lstm"]["ninety"] <= 100
    assert (out / "figures" / "inside_how_far_back.png").stat().st_size > 0
    assert len(results["word_by_word"]) == 2  # one test review and the typed one
    gaps = [row["lstm"] - row["simple_rnn"] for row in results["by_length"].values()]
    grows = len(gaps) > 1 and all(b - a > 0.01 for a, b in zip(gaps, gaps[1:]))
    close = len(gaps) > 1 and max(gaps) - min(gaps) <= 0.02
    verdict = "It grows from shorter" if grows else "The groups lie within 0.02" if close else "It does not grow"
    assert verdict in said  # the sentence follows the run's own numbers
    # the bridge to the maths notebook: its factors (read from the run folder) and this run's reach, before and after
    maths = read_results(run / "maths_results.json")["vanishing_gradient"]
    assert f"an untrained LSTM {maths['lstm']['per_step']:.3f}." in said
    before, after = reach["lstm, untrained"]["half"], reach["lstm"]["half"]
    where = "further back" if after > before else "nearer the end" if after < before else "not at all"
    assert (
        f"Training moved the LSTM's half-way point from the last {before} words to the last {after} ({where})" in said
    )


def test_last_crossing():
    from chapter12.teaching.inside import last_crossing

    assert last_crossing([0.8, 0.7, 0.4, 0.6, 0.3]) == 4 and last_crossing([0.9, 0.8]) is None
