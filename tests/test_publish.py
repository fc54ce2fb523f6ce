"""`python -m chapter12 publish`: a reproduce run made into the committed reference.

Fast: a synthetic run folder (a notebook with papermill's metadata, results, two seeds' model files). The
committed reference itself, where it exists, is checked by the last two tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from chapter12.errors import Chapter12Error
from chapter12.run import publish as publish_module
from chapter12.run.cli import main
from chapter12.run.publish import clean_notebook, publish

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "reference"


def _run(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    (run / "models").mkdir(parents=True)
    (run / "figures").mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    nb.metadata["papermill"] = {
        "start_time": "2026-12-02T10:00:00",
        "end_time": "2026-12-02T10:01:00",
        "duration": 60.0,
        "input_path": "/tmp/x/in.ipynb",
        "output_path": "/tmp/x/out.ipynb",
        "parameters": {"quick": False},
        "environment_variables": {},
        "version": "2.6.0",
    }
    cell = nb.cells[0]
    cell.outputs = [nbformat.v4.new_output("stream", text="1\n")]
    cell.metadata["papermill"] = {"start_time": "t0", "end_time": "t1", "duration": 1.0, "status": "completed"}
    cell.metadata["execution"] = {"iopub.status.busy": "t0", "iopub.status.idle": "t1"}
    nbformat.write(nb, run / "03_sentiment_accuracy.ipynb")
    results = {
        "config": {"seeds": [3, 4]},
        "environment": {"python": "3.11.7", "executable": "/home/x/python"},
        "timing_environment": {"tensorflow": {"python": "3.11.7", "executable": "/home/x/python"}},
    }
    (run / "results.json").write_text(json.dumps(results))
    (run / "summary.md").write_text("# summary\n")
    (run / "reproduce.log").write_text("log\n")
    (run / "accuracy_results.json").write_text("{}")
    (run / "figures" / "test_accuracy.png").write_bytes(b"\x89PNG")
    for name in ("lstm-seed3.keras", "lstm-seed4.keras", "simple_rnn-seed3.keras", "encoding.json"):
        (run / "models" / name).write_bytes(b"x")
    (run / "models" / "word_index.json.gz").write_bytes(b"x")
    return run


def test_publish_keeps_what_a_reader_needs_without_what_changes_every_run(tmp_path):
    run = _run(tmp_path)
    out = publish(run, tmp_path / "reference", command="make reference DATA=x")

    nb = nbformat.read(out / "03_sentiment_accuracy.ipynb", as_version=4)
    assert nb.metadata["papermill"] == {"parameters": {"quick": False}, "version": "2.6.0"}
    assert nb.cells[0].metadata == {"papermill": {"status": "completed"}}
    assert nb.cells[0].outputs[0]["text"] == "1\n"  # the outputs are the point
    kept = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert "reproduce.log" not in kept and "models/lstm-seed4.keras" not in kept  # one seed's models only
    for name in (
        "results.json",
        "summary.md",
        "accuracy_results.json",
        "figures/test_accuracy.png",
        "models/lstm-seed3.keras",
        "models/simple_rnn-seed3.keras",
        "models/encoding.json",
        "models/word_index.json.gz",
        "provenance.json",
    ):
        assert name in kept
    if publish_module.SWEEP_FULL.is_dir():
        assert "sweep_full/results.jsonl" in kept
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["command"] == "make reference DATA=x" and prov["packages"]["keras"]
    assert "executable" not in prov["environment"]  # a path of the publishing machine says nothing to a reader
    assert "/home/x/python" not in (out / "results.json").read_text()
    assert list(tmp_path.glob(".reference.partial-*")) == []


def test_publish_refuses_to_replace_without_overwrite_and_keeps_the_old_on_failure(tmp_path, monkeypatch):
    run = _run(tmp_path)
    out = publish(run, tmp_path / "reference")
    with pytest.raises(Chapter12Error, match="--overwrite"):
        publish(run, out)
    monkeypatch.setattr(publish_module, "LIMIT_BYTES", 10)
    with pytest.raises(Chapter12Error, match="over the"):
        publish(run, out, overwrite=True)
    assert (out / "provenance.json").exists() and list(tmp_path.glob(".reference.*")) == []


def test_publish_through_the_command_line(tmp_path, capsys):
    run = _run(tmp_path)
    assert main(["publish", str(run), "--out", str(tmp_path / "ref")]) == 0
    assert (tmp_path / "ref" / "provenance.json").exists()
    assert main(["publish", str(tmp_path / "nothing"), "--out", str(tmp_path / "ref2")]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "results.json" in err[0]
    assert not (tmp_path / "ref2").exists()


def test_clean_notebook_leaves_a_notebook_without_papermill_alone():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("x")])
    before = nbformat.writes(nb)
    assert clean_notebook(nb) is nb and nbformat.writes(nb) == before


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="no committed reference/ in this checkout")
def test_the_committed_reference_is_readable_without_running_anything():
    notebooks = sorted(REFERENCE.glob("*.ipynb"))
    assert len(notebooks) >= 5
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        assert nb.metadata["papermill"]["parameters"].get("quick", False) is False, path.name  # full data
        assert "start_time" not in nb.metadata["papermill"]
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(c.get("execution_count") for c in code), f"{path.name}: every code cell ran"
        errors = [o for c in code for o in c.outputs if o.get("output_type") == "error"]
        assert errors == [], path.name
    images = sum(
        "image/png" in o.get("data", {})
        for path in notebooks
        for c in nbformat.read(path, as_version=4).cells
        for o in c.get("outputs", [])
    )
    assert images >= 8, "the figures are in the notebooks"
    size = sum(p.stat().st_size for p in REFERENCE.rglob("*") if p.is_file())
    assert size <= publish_module.LIMIT_BYTES
    prov = json.loads((REFERENCE / "provenance.json").read_text())
    assert prov["commit"] and prov["packages"]["keras"]


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="no committed reference/ in this checkout")
def test_predict_answers_from_the_committed_reference(capsys):
    assert main(["predict", str(REFERENCE), "A wonderful film, the best I have seen this year."]) == 0
    out = capsys.readouterr().out
    assert "lstm-seed0" in out and "simple_rnn-seed0" in out and "P(positive)" in out
