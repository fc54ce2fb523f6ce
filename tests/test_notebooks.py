"""Every notebook runs under papermill on tiny settings, through the real `reproduce` entry point."""

from __future__ import annotations

import json
import os

import nbformat
import papermill
import pytest

from chapter12.config import BookConfig
from chapter12.reproduce import NOTEBOOKS, ReproduceOptions, notebooks_dir, reproduce

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
    assigned = [line.split("=")[0].strip() for line in tagged[0].source.splitlines()
                if "=" in line and not line.lstrip().startswith("#")]
    # papermill --help-notebook must see every parameter with its comment as help.
    inspected = papermill.inspect_notebook(str(path))
    assert list(inspected) == assigned
    for name, info in inspected.items():
        assert info["help"], f"parameter {name} has no comment"


def test_accuracy_notebook_defaults_are_the_books():
    params = papermill.inspect_notebook(str(notebooks_dir() / NOTEBOOKS["accuracy"][0]))
    book = BookConfig()
    for name in ("num_words", "maxlen", "embedding_dim", "units", "dropout", "recurrent_dropout",
                 "batch_size", "epochs", "validation_split"):
        assert float(params[name]["default"]) == getattr(book, name), name


def test_reproduce_quick_writes_everything(tmp_path):
    out = tmp_path / "out"
    # epochs=1 and a large batch: small for test speed; the bundled sample keeps it offline.
    status = reproduce(ReproduceOptions(out=out, quick=True, epochs=1, batch_size=256, seeds=[0, 1],
                                        only=["accuracy", "maths"]), log=lambda *a: None)
    assert status == 0
    results = json.loads((out / "results.json").read_text())
    assert {(r["model"], r["seed"]) for r in results["runs"]} == {(m, s) for m in ("simple_rnn", "lstm") for s in (0, 1)}
    for run in results["runs"]:
        assert len(run["history"]["val_accuracy"]) == len(run["epoch_seconds"]) == 1
        assert run["n_test"] == 2000 and run["n_train"] + run["n_val"] == 4000
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
    assert "\x08" not in text and "━" not in text  # no progress bars in the executed notebook
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # the staging folder was moved, not left
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~umask  # shared like any new folder, not private to its maker
    assert results["config"]["vocabulary"] == "keras"
    assert "gradient" in json.dumps(results["notebook_results"]["rnn_lstm_maths.ipynb"])  # the other notebook's results


def test_failing_notebook_is_reported_and_keeps_the_old_run(tmp_path, monkeypatch, capsys):
    import chapter12.reproduce as rep

    out = tmp_path / "out"
    out.mkdir()
    (out / "results.json").write_text("previous")
    original = rep._jobs

    def bad_jobs(*args):
        jobs = original(*args)
        jobs[0].parameters["units"] = -3  # a bad value injected past the CLI's checks
        return jobs

    monkeypatch.setattr(rep, "_jobs", bad_jobs)
    status = reproduce(ReproduceOptions(out=out, quick=True, epochs=1, overwrite=True, only=["accuracy", "maths"]),
                       log=lambda *a: None)
    assert status == 1
    assert "open" in capsys.readouterr().err
    summary = (out / "summary.md").read_text()
    assert "FAILED: sentiment_accuracy.ipynb" in summary and "units must be at least 1" in summary
    results = json.loads((out / "results.json").read_text())
    assert [nb["status"] for nb in results["notebooks"]] == ["failed", "ok"]
    assert "rnn_lstm_maths.ipynb" in results["notebook_results"]  # the notebook that worked kept its results
    assert (out / NOTEBOOKS["accuracy"][0]).exists()  # the executed notebook, to open and read
