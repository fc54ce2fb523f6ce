"""Every notebook runs under papermill on tiny settings, through the real `reproduce` entry point."""

from __future__ import annotations

import ast
import json
import os
import re

import nbformat
import papermill
import pytest

from chapter12.book import BookConfig
from chapter12.notebook.execute import notebooks_dir
from chapter12.run.reproduce import NOTEBOOKS, ReproduceOptions, reproduce
from conftest import SHORT_MATHS, computed_statements

NOTEBOOK_FILES = sorted(notebooks_dir().glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.name)
def test_committed_notebooks_have_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name} has outputs: strip them"


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.name)
def test_one_commented_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assigned = [
        line.split("=")[0].split(":")[0].strip()
        for line in tagged[0].source.splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    ]
    # papermill --help-notebook must see every parameter with its type and its comment as help.
    inspected = papermill.inspect_notebook(str(path))
    assert list(inspected) == assigned
    for name, info in inspected.items():
        assert info["help"], f"parameter {name} has no comment"
        assert info["inferred_type_name"] != "None", f"parameter {name} has no type annotation"
        default = ast.literal_eval(info["default"])
        kind = info["inferred_type_name"].strip('"')
        if kind.startswith("Optional["):
            inner = {"str": str, "int": int}[kind[len("Optional[") : -1]]
            assert default is None or isinstance(default, inner), name
        else:  # the annotation says what the default is: papermill -y must be given the same
            outer = {"bool": bool, "int": int, "float": (int, float), "str": str}.get(kind, list)
            assert isinstance(default, outer), f"{name}: {kind} but {default!r}"


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.name)
def test_each_notebook_states_computed_facts_and_ends_with_exercises_and_hidden_answers(path):
    nb = nbformat.read(path, as_version=4)
    assert any("say(" in c.source for c in nb.cells if c.cell_type == "code"), "no computed statement"
    headings = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## Exercises")]
    assert len(headings) == 1
    exercises = [line for line in nb.cells[headings[0]].source.splitlines() if re.match(r"\d+\. \*\*", line)]
    assert 3 <= len(exercises) <= 5
    answers = nb.cells[headings[0] + 1]
    assert "answers" in answers.metadata.get("tags", []) and answers.source.startswith("<details>")
    assert len(re.findall(r"^\d+\. ", answers.source, flags=re.M)) == len(exercises)


def test_accuracy_notebook_defaults_are_the_books():
    params = papermill.inspect_notebook(str(notebooks_dir() / NOTEBOOKS["accuracy"][0]))
    book = BookConfig()
    for name in (
        "num_words",
        "maxlen",
        "embedding_dim",
        "units",
        "dropout",
        "recurrent_dropout",
        "batch_size",
        "validation_split",
    ):
        assert float(params[name]["default"]) == getattr(book, name), name
    # epochs: None, which the notebook turns into the book's 5 on the full data and QUICK_EPOCHS on the sample
    assert params["epochs"]["default"] == "None"
    code = "".join(c.source for c in nbformat.read(notebooks_dir() / NOTEBOOKS["accuracy"][0], as_version=4).cells)
    assert "epochs = default_epochs(quick)" in code
    from chapter12.imdb.sample import QUICK_EPOCHS, default_epochs

    assert (default_epochs(True), default_epochs(False)) == (QUICK_EPOCHS, book.epochs)


def test_reproduce_quick_writes_everything(quick_run):
    out = quick_run  # accuracy and maths, seeds 0 and 1, epochs=1 and batches of 256 (tests/conftest.py)
    # made once for the whole session, however many pytest-xdist processes read it
    assert len((out.parent.parent / "quick.built").read_text().splitlines()) == 1
    results = json.loads((out / "results.json").read_text())
    assert {(r["model"], r["seed"]) for r in results["runs"]} == {
        (m, s) for m in ("simple_rnn", "lstm") for s in (0, 1)
    }
    for run in results["runs"]:
        assert len(run["history"]["val_accuracy"]) == len(run["epoch_seconds"]) == 1
        assert run["n_test"] == 2000 and run["n_train"] + run["n_val"] == 16000
        assert 0.0 <= run["test_accuracy"] <= 1.0
        for key in ("test_loss", "history", "n_train", "n_val"):
            assert key in run
    assert results["book"]["results"]["lstm"]["test_accuracy"] == 0.84408
    assert results["config"]["epochs"] == 1
    assert {"python", "keras", "backend", "backend_version", "device"} <= set(results["environment"])
    assert results["summary"]["lstm"]["test_accuracy"]["n"] == 2
    summary = (out / "summary.md").read_text()
    assert "| lstm | 0.8441 |" in summary and "FAILED" not in summary
    assert (out / "figures" / "test_accuracy.png").stat().st_size > 0
    assert (out / "figures" / "training_curves.png").stat().st_size > 0
    executed = nbformat.read(out / NOTEBOOKS["accuracy"][0], as_version=4)
    text = "\n".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert "default padding keeps the LAST 100: True" in text
    said = "\n".join(computed_statements(executed))
    assert "The LSTM layer holds 49,408 weights, 4.00 times the simple RNN's 12,352" in said
    lstm_mean = results["summary"]["lstm"]["test_accuracy"]["mean"]
    assert f"the LSTM's mean test accuracy, {lstm_mean:.4f}" in said  # the sentence carries this run's number
    images = [c for c in executed.cells if any("image/png" in o.get("data", {}) for o in c.get("outputs", []))]
    assert len(images) >= 3  # the training curves, the test accuracy bars, the spread over seeds
    spread = next(c for c in executed.cells if c.get("id") == "spread-over-seeds-figure")
    assert any("image/png" in o.get("data", {}) for o in spread.outputs)  # the figure is drawn in the notebook
    from chapter12.report.distribution import committed_seeds, spread_paragraph
    from chapter12.report.records import read_sweep

    seeds = committed_seeds()
    if seeds is not None:  # the paragraph is the one computed from the committed sweep, word for word
        tensorflow = [r for r in read_sweep(seeds)[1] if r["params"].get("backend", "tensorflow") == "tensorflow"]
        assert spread_paragraph(tensorflow) in said
    maths = computed_statements(nbformat.read(out / NOTEBOOKS["maths"][0], as_version=4))
    assert len(maths) >= 7
    assert "\x08" not in text and "━" not in text  # no progress bars in the executed notebook
    assert [p.name for p in out.parent.iterdir()] == ["run"]  # the staging folder was moved, not left
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~umask  # shared like any new folder, not private to its maker
    assert results["config"]["vocabulary"] == "keras"
    # the other notebook's results
    assert "gradient" in json.dumps(results["notebook_results"]["01_rnn_lstm_maths.ipynb"])


def test_failing_notebook_is_reported_and_keeps_the_old_run(tmp_path, monkeypatch, capsys):
    import chapter12.run.reproduce as rep

    out = tmp_path / "out"
    out.mkdir()
    (out / "results.json").write_text("previous")
    original = rep._jobs

    def bad_jobs(*args):
        jobs = original(*args)
        jobs[0].parameters["units"] = -3  # a bad value injected past the CLI's checks
        # The maths notebook on settings of its own, which the command line does not offer: short sequences for
        # test speed, and the proof that what papermill injects reaches the notebook's code.
        jobs[1].parameters.update(SHORT_MATHS)
        return jobs

    monkeypatch.setattr(rep, "_jobs", bad_jobs)
    status = reproduce(
        ReproduceOptions(out=out, quick=True, epochs=1, overwrite=True, only=["accuracy", "maths"]), log=lambda *a: None
    )
    assert status == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    # One line that names the notebook, the failing cell and the last lines of its error.
    assert len(errors) == 1 and "03_sentiment_accuracy.ipynb failed (cell " in errors[0], errors
    assert "last lines:" in errors[0] and "units must be at least 1" in errors[0] and "open " in errors[0]
    summary = (out / "summary.md").read_text()
    assert "FAILED: 03_sentiment_accuracy.ipynb" in summary and "units must be at least 1" in summary
    results = json.loads((out / "results.json").read_text())
    assert [nb["status"] for nb in results["notebooks"]] == ["failed", "ok"]
    maths = results["notebook_results"]["01_rnn_lstm_maths.ipynb"]  # the notebook that worked kept its results
    assert maths["vanishing_gradient"]["steps"] == 30 and maths["name_task"]["max_abs_diff_loss"] < 1e-6
    assert (out / NOTEBOOKS["accuracy"][0]).exists()  # the executed notebook, to open and read


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.name)
def test_first_cell_says_how_to_install_chapter12_where_it_is_missing(path, tmp_path):
    import subprocess
    import sys

    first = next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    guard = first.source.split("from chapter12 import")[0]
    # -S: no site-packages, so chapter12 cannot be imported, as in a kernel of another Python.
    result = subprocess.run([sys.executable, "-S", "-c", guard], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: chapter12 is not installed") and "make lab" in last
