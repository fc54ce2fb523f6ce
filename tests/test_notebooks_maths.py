"""The maths and word-embedding notebooks measure what they claim: read from the session's runs (quick_run and
more_notebooks of tests/conftest.py), and run under papermill on a user's own vectors and tiny data."""

from __future__ import annotations

import ast
import json
import math
import os

import nbformat
import papermill
import pytest

from chapter12.notebook.kernel import current_interpreter_kernel
from chapter12.notebook.execute import notebooks_dir
from chapter12.report.notebooks import NOTEBOOKS
from conftest import WORDS, computed_statements

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _execute(name, tmp_path, parameters):
    """Run notebook `name` of NOTEBOOKS into tmp_path; return its results JSON and the executed notebook."""
    filename, results_file = NOTEBOOKS[name]
    parameters = {"output_dir": str(tmp_path / "out"), **parameters}
    with current_interpreter_kernel() as kernel:
        papermill.execute_notebook(
            str(notebooks_dir() / filename),
            str(tmp_path / filename),
            parameters=parameters,
            kernel_name=kernel,
            cwd=str(tmp_path),
            progress_bar=False,
        )
    results = json.loads((tmp_path / "out" / results_file).read_text(encoding="utf-8"))
    return results, nbformat.read(tmp_path / filename, as_version=4)


def _printed(nb) -> str:
    return "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def test_notebooks_are_registered_and_take_only_offered_parameters():
    offered = {"data_source", "quick", "models", "seeds", "epochs", "batch_size", "output_dir", "verbose"}
    for name, expected in (
        ("maths", {"output_dir"}),
        ("embeddings", {"data_source", "quick", "epochs", "batch_size", "output_dir", "verbose"}),
    ):
        declared = papermill.inspect_notebook(str(notebooks_dir() / NOTEBOOKS[name][0]))
        assert set(declared) & offered == expected, name


def test_maths_notebook_measures_what_it_says(quick_run):
    # The session's quick run executed the notebook with its own defaults (tests/conftest.py); the checks below
    # read that run instead of a run of their own.
    filename, results_file = NOTEBOOKS["maths"]
    results = json.loads((quick_run / results_file).read_text(encoding="utf-8"))
    nb = nbformat.read(quick_run / filename, as_version=4)

    for kind in ("simple_rnn", "lstm"):
        for name, diff in results["scratch_vs_keras"][kind].items():
            assert diff < 1e-5, (kind, name, diff)
    assert results["name_task"]["max_abs_diff_loss"] < 1e-6
    vanishing = results["vanishing_gradient"]
    assert vanishing["steps"] == int(_default("maths", "seq_len"))
    assert vanishing["simple_rnn"]["ratio"] < vanishing["lstm"]["ratio"] < 1
    assert vanishing["lstm_open_forget_gate"]["per_step"] > vanishing["lstm"]["per_step"]
    assert abs(vanishing["lstm_mean_forget_gate"] - 1 / (1 + math.exp(-1))) < 0.05
    bidirectional = results["bidirectional"]
    left_to_right = bidirectional["p_april_left_to_right"]
    assert abs(left_to_right[0] - left_to_right[1]) < 1e-6  # it cannot tell the two sentences apart
    assert bidirectional["max_later_gradient_left_to_right"] == 0.0
    assert bidirectional["max_later_gradient_bidirectional"] > 0.0
    assert "the simple RNN's gradient fades faster than the LSTM's: True" in _printed(nb)
    assert {"python", "keras", "backend"} <= set(results["environment"])
    said = "\n".join(computed_statements(nb))
    assert "the simple RNN's fades faster" in said
    assert f"{results['scratch_vs_keras']['lstm']['a']:.1e}" in said  # the sentence carries the measured difference
    assert "```python\ndef lstm_cell_forward" in _markdown_outputs(nb)  # the LSTM's equations, shown as code
    ends = results["forget_gate_ends"]  # a forget gate of 1 keeps the cell state, one of 0 wipes it
    assert ends["open"]["largest_change"] < 1e-9 and ends["shut"]["largest_left"] < 1e-9
    assert ends["largest_cell_entry"] > 0.01  # there was a state to keep
    exploding = results["exploding_gradient"]
    assert exploding["per_step"] > vanishing["simple_rnn"]["per_step"]  # W_aa doubled: more of the gradient survives
    assert exploding["first_step_unclipped"] == pytest.approx(0.1 * exploding["first_gradient_norm"], rel=1e-3)
    assert exploding["first_step_clipped"] <= 0.1 * (1 + 1e-4)  # learning rate x clip_norm
    assert f"clipped, by {exploding['first_step_clipped']:.3f} (the limit is 0.1 x 1)" in said


def _markdown_outputs(nb) -> str:
    return "\n".join(
        "".join(o["data"]["text/markdown"])
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "text/markdown" in o.get("data", {})
    )


def _check_common(results, words, neighbours=3, mapped=6):
    assert results["one_hot"] == {"distances": [round(math.sqrt(2), 6)], "cosines": [0.0]}
    assert list(results["neighbours"]) == words  # the made-up word is left out
    assert all(len(lst) == neighbours for lst in results["neighbours"].values())
    assert results["cosine_similarity"][f"{words[0]}/{words[0]}"] == pytest.approx(1.0)
    assert len(results["pca"]["coords"]) == mapped
    assert 0.0 <= results["test_accuracy"] <= 1.0


def _default(name, parameter):
    return ast.literal_eval(papermill.inspect_notebook(str(notebooks_dir() / NOTEBOOKS[name][0]))[parameter]["default"])


def test_embeddings_notebook_with_its_demonstration_glove_file(more_notebooks):
    # The session's run of the notebook (tests/conftest.py, MORE_NOTEBOOKS): 4,000 real reviews (small_imdb), one
    # epoch in batches of 256, 40 words of the demonstration GloVe file: for test speed; the default words.
    filename, results_file = NOTEBOOKS["embeddings"]
    results = json.loads((more_notebooks / "out" / results_file).read_text(encoding="utf-8"))
    nb = nbformat.read(more_notebooks / filename, as_version=4)
    words = _default("embeddings", "words")
    assert words == ["excellent", "awful", "boring", "wonderful", "worst"]  # 2 positive, 3 negative
    mapped = _default("embeddings", "positive_words") + _default("embeddings", "negative_words")
    _check_common(results, words, neighbours=6, mapped=len(mapped))  # all 24 are among the 2,497 words
    said = "\n".join(computed_statements(nb))
    same, opposite = results["mean_cosine_same_sentiment"], results["mean_cosine_opposite_sentiment"]
    verdict = ", as the expectation says." if same > opposite else ": not what the expectation says"
    assert (
        f"pairs with the same sentiment have a mean cosine similarity of {same:.3f} (4 pairs); "
        f"pairs of opposite sentiment {opposite:.3f} (6 pairs){verdict}" in said
    )
    pretrained = results["pretrained"]
    assert pretrained["rows_found"] == 40 and pretrained["coverage"] == pytest.approx(40 / 2497)
    assert pretrained["max_abs_diff_round_trip"] <= 5.1e-7  # six decimals in the file
    assert len((more_notebooks / "out" / "demo_glove.txt").read_text(encoding="utf-8").splitlines()) == 40


def test_embeddings_notebook_with_the_users_own_vectors(tmp_path, tiny_npz):
    # The 30-review npz of conftest instead of the sample: small for test speed; its words are w01x, w02x, ...
    words = WORDS[:2]
    path = tmp_path / "mine.txt"  # a user's file in GloVe's format, one word outside the vocabulary
    path.write_text(f"{words[0]} 1 0 0 0\n{words[1]} 0 1 0 0\nnotawordatall 0 0 1 0\n", encoding="utf-8")

    results, nb = _execute(
        "embeddings",
        tmp_path,
        {
            "data_source": str(tiny_npz),
            "quick": False,
            "epochs": 1,
            "verbose": 0,
            "words": [*words, "notawordatall"],
            "neighbours": 3,
            "positive_words": WORDS[:3],
            "negative_words": WORDS[3:6],
            "vectors_path": str(path),
        },
    )

    _check_common(results, words)
    said = "\n".join(computed_statements(nb))
    # w01x and w02x are both on the positive list: one pair, of the same sentiment, and no verdict
    assert results["mean_cosine_opposite_sentiment"] is None
    same = results["mean_cosine_same_sentiment"]
    assert (
        f"Among the chosen words, pairs with the same sentiment have a mean cosine similarity of {same:.3f} (1 pair)."
        in said
    )
    pretrained = results["pretrained"]
    assert pretrained["file_words_in_vocabulary"] == 2 and pretrained["rows_found"] == 2
    assert pretrained["max_abs_diff_round_trip"] is None
    assert f"('{words[0]}') unchanged" in _printed(nb)
    assert not (tmp_path / "out" / "demo_glove.txt").exists()
