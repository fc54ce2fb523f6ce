"""python -m chapter12 sweep: the grid, results.jsonl, the report, and real Dask clusters.

The training cells run on 4,000 real reviews (tests/conftest.py's small_imdb, through --data) with 1 epoch and
short reviews (small for test speed: each cell is a few seconds, most of it starting TensorFlow in the cell's own
process); the bad-input and dry-run tests, which train nothing, pass --quick.
"""

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chapter12.errors import Chapter12Error
from chapter12.report.records import read_sweep
from chapter12.report.schema import KIND
from chapter12.report.sweep import (
    gap_by,
    linear_fit,
    ok_rows,
    save_sweep_figures,
    series,
    sweep_summary_markdown,
    varying_axes,
)
from chapter12.sweep.cell import available_cores, share_of_cores, train_command
from chapter12.sweep.engine import Progress, predict_seconds
from chapter12.sweep.grid import Grid, Settings, cell_key, read_grid_file
from chapter12.report.records import append_line, done_keys, header, start_file
from conftest import as_from_a_terminal

SETTINGS = Settings(data="sample", data_fingerprint="f" * 64, vocabulary="keras", epochs=1, batch_size=128)
# Small for test speed: 1 epoch in batches of 256. FAST (the bundled sample) where nothing trains: bad input, dry
# runs. The sweeps that train read the 4,000 real reviews of tests/conftest.py's small_imdb fixture (_small).
ONE_EPOCH = ["--epochs", "1", "--batch-size", "256"]
FAST = ["--quick", *ONE_EPOCH]


def _small(small_imdb) -> list[str]:
    return ["--data", str(small_imdb), *ONE_EPOCH]


def _grid(**values) -> Grid:
    return Grid.from_values(values, SETTINGS)


# ----------------------------------------------------------------------------- the grid


def test_the_grid_is_every_combination_once_seeds_slowest():
    grid = _grid(models=["simple_rnn", "lstm"], seeds=[0, 1], maxlen=[25, 50, 25], backend="tensorflow")
    cells = grid.cells()
    assert len(cells) == 2 * 2 * 2  # the repeated 25 counts once
    assert len({c.key for c in cells}) == len(cells)
    assert [c.seed for c in cells] == [0, 0, 0, 0, 1, 1, 1, 1]
    assert grid.varying() == ["models", "seeds", "maxlen"]
    assert cells[0].params() == {
        "model": "simple_rnn",
        "seed": 0,
        "maxlen": 25,
        "num_words": 2500,
        "units": 64,
        "recurrent_dropout": 0.2,
        "backend": "tensorflow",
    }


def test_a_cell_key_changes_with_any_parameter_or_setting_and_nothing_else():
    cell = _grid(models=["lstm"], backend="tensorflow").cells()[0]
    same = Grid.from_values({"models": ["lstm"], "backend": "tensorflow"}, SETTINGS).cells()[0]
    assert cell.key == same.key and len(cell.key) == 16
    params, settings = cell.params(), SETTINGS.to_dict()
    assert cell_key(params, settings) == cell.key
    assert cell_key(dict(params, maxlen=99), settings) != cell.key
    assert cell_key(params, dict(settings, data_fingerprint="0" * 64)) != cell.key  # other data, other cell
    assert cell_key(params, dict(settings, epochs=2)) != cell.key


@pytest.mark.parametrize(
    "values, message",
    [
        ({"maxlen": []}, "the grid is empty: maxlen has no values"),
        ({"models": ["transformer"]}, "unknown model kind 'transformer'"),
        ({"maxlen": [0]}, "maxlen must be at least 1"),
        ({"recurrent_dropout": [1.0]}, "recurrent_dropout must be a number in [0, 1)"),
        ({"backend": ["theano"]}, "unknown backend 'theano'"),
        ({"seeds": "all"}, "seed must be a whole number"),
    ],
)
def test_bad_axis_values_are_refused_with_what_to_do(values, message):
    with pytest.raises(Chapter12Error, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        _grid(**values)


@pytest.mark.parametrize(
    "name, text",
    [
        ("grid.toml", 'models = ["lstm"]\nmaxlen = [25, 50]\nepochs = 2\n'),
        ("grid.yaml", "model: [lstm]\nmaxlen: [25, 50]\nepochs: 2\n"),
        ("grid.json", '{"models": ["lstm"], "maxlen": [25, 50], "epochs": 2}'),
    ],
)
def test_grid_files_in_three_formats_say_the_same(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    assert read_grid_file(path) == {"models": ["lstm"], "maxlen": [25, 50], "epochs": 2}


def test_a_grid_file_with_an_unknown_parameter_or_bad_syntax_is_refused(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text("maxlen = [25]\nlearning_rate = [0.1]\n")
    with pytest.raises(Chapter12Error, match="unknown parameter 'learning_rate'"):
        read_grid_file(path)
    path.write_text("maxlen = [25\n")
    with pytest.raises(Chapter12Error, match="is not valid TOML"):
        read_grid_file(path)


def test_each_cell_gets_its_share_of_the_hosts_cores():
    assert share_of_cores(2, 2) == 1  # 2 workers x 1 thread on 2 cores, or 1 worker x 2 threads
    assert share_of_cores(16, 4) == 4
    assert share_of_cores(2, 8) == 1  # never 0
    assert share_of_cores(8, 0) == 8


def test_the_command_of_a_cell_trains_it_alone():
    cell = _grid(models=["lstm"], maxlen=[40], backend="tensorflow").cells()[0]
    cmd = train_command(cell.params(), SETTINGS.to_dict(), 3, "out.json")
    assert cmd[1:4] == ["-m", "chapter12", "train"]
    text = " ".join(cmd)
    assert "--model lstm" in text and "--maxlen 40" in text and "--threads 3" in text and cmd[-1] == "--quick"


_CHILD = """
import json, os, sys
out, temp = sys.argv[1:]
with open(out, "w") as f:  # what the cell left in the machine's temporary folder while it trained
    json.dump({"temp_while_training": os.listdir(temp)}, f)
"""


@pytest.mark.parametrize("stale", [False, True])
def test_a_cell_leaves_nothing_but_its_log(tmp_path, monkeypatch, stale):
    # A worker killed mid-cell (a stopped sweep's cluster closes its workers) cleans nothing up: while the cell
    # trains, nothing of it may exist outside its log's folder, and once it is done, nothing but the log. A result
    # left there by an earlier attempt is never read as the cell's own, and each attempt has a name of its own.
    import tempfile

    import chapter12.sweep.cell as cell

    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    cell_grid = _grid(models=["lstm"], maxlen=[40], backend="tensorflow").cells()[0]
    log = tmp_path / "logs" / f"{cell_grid.key}.log"
    child = _CHILD if not stale else "raise SystemExit(0)  # ends well, having written nothing"
    monkeypatch.setattr(
        cell, "train_command", lambda params, settings, threads, out: [sys.executable, "-c", child, str(out), str(temp)]
    )
    if stale:  # an earlier attempt in this thread, cut short after its child wrote the result
        log.parent.mkdir()
        cell.result_path(log).write_text(json.dumps({"test_accuracy": 0.99}))
    record = cell.run_cell(cell_grid.key, cell_grid.params(), SETTINGS.to_dict(), str(log))
    if stale:
        assert record["status"] == "failed"
    else:
        assert record["status"] == "ok" and record["result"] == {"temp_while_training": []}
    assert sorted(p.name for p in log.parent.iterdir()) == [log.name] and list(temp.iterdir()) == []


def test_cells_start_seed_by_seed_and_the_dearest_first_within_a_seed():
    from chapter12.sweep.engine import priorities

    cells = _grid(models=["simple_rnn", "lstm"], seeds=[3, 1], maxlen=[25, 400], backend="tensorflow").cells()
    order = [c for _, c in sorted(zip(priorities(cells), cells), key=lambda pc: -pc[0])]
    assert [(c.seed, c.model, c.maxlen) for c in order] == [
        (3, "lstm", 400),
        (3, "simple_rnn", 400),
        (3, "lstm", 25),
        (3, "simple_rnn", 25),
        (1, "lstm", 400),
        (1, "simple_rnn", 400),
        (1, "lstm", 25),
        (1, "simple_rnn", 25),
    ]


def test_the_time_left_is_guessed_from_a_line_through_each_models_cells():
    finished = [("lstm", 25, 60.0), ("lstm", 50, 100.0), ("simple_rnn", 25, 30.0)]
    assert predict_seconds(finished, "lstm", 100) == pytest.approx(180.0)
    assert predict_seconds(finished, "simple_rnn", 400) == pytest.approx(30.0)  # one length: its mean
    assert predict_seconds(finished, "gru", 100) == pytest.approx(190.0 / 3)  # no cell of its own: all
    assert predict_seconds([], "lstm", 100) is None


# ----------------------------------------------------------------------------- results.jsonl


def _cell(key: str, status: str) -> dict:
    """A cell line as the engine writes it (every field the schema asks for)."""
    params = _grid(models="lstm").cells()[0].params()
    if status == "failed":
        return {"key": key, "status": status, "params": params, "error": "x"}
    return {
        "key": key,
        "status": status,
        "params": params,
        "test_accuracy": 0.8,
        "test_loss": 0.4,
        "epoch_seconds": [2.0],
        "history": {"accuracy": [0.7]},
        "n_train": 8,
        "n_val": 2,
        "n_test": 10,
        "seconds": 3.0,
    }


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("stream", [io.StringIO(), _Terminal()], ids=["pipe", "terminal"])
def test_the_progress_says_each_finished_cell_and_how_many_are_left(stream):
    cells = _grid(models=["simple_rnn", "lstm"], seeds=[0, 1], maxlen=[20]).cells()
    progress = Progress(cells[1:], total=4, threads=2, stream=stream)  # one cell was done before
    progress.draw(2)
    ok = {"status": "ok", "test_accuracy": 0.75, "seconds": 12.0, "worker": "tcp://127.0.0.1:1"}
    progress.cell_finished(cells[1], ok, running=2)
    progress.cell_finished(cells[2], {"status": "failed", "error": "boom"}, running=1)
    progress.end()
    text = stream.getvalue()
    assert f"  {cells[1].label()}: ok  accuracy 0.7500 in 12 s on tcp://127.0.0.1:1\n" in text
    assert f"  {cells[2].label()}: FAILED (boom)\n" in text
    if isinstance(stream, _Terminal):  # tqdm's bar, redrawn in place under the finished cells' lines
        assert "\r[" in text and "3/4 cells, 2 done, 1 failed, 1 running" in text
    else:  # a line per finished cell, nothing redrawn
        assert "\r" not in text
        assert text.splitlines()[-1].startswith("3/4 cells, 2 done, 1 failed, 1 running, 0:00")


def test_results_file_header_resume_and_a_line_cut_by_a_crash(tmp_path):
    path = tmp_path / "results.jsonl"
    settings = SETTINGS.to_dict()
    assert done_keys(path, settings) == set()
    start_file(path, settings)
    append_line(path, _cell("a", "ok"))
    append_line(path, _cell("b", "failed"))
    with open(path, "ab") as f:
        f.write(b'{"key": "c", "stat')  # a crash in the middle of a line
    assert done_keys(path, settings) == {"a"}  # the failed cell is tried again, the cut line is not a cell
    start_file(path, settings)  # going on: the cut line goes
    assert path.read_text().endswith("\n") and '"c"' not in path.read_text()
    append_line(path, _cell("b", "ok"))
    head, records = read_sweep(path)
    assert head == header(settings) and head["kind"] == KIND
    assert sorted((r["key"], r["status"]) for r in records) == [("a", "ok"), ("b", "ok")]


def test_a_results_file_of_other_settings_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "results.jsonl"
    start_file(path, dict(SETTINGS.to_dict(), epochs=5))
    before = path.read_bytes()
    with pytest.raises(Chapter12Error, match="holds a sweep with other settings \\(epochs 5 there, 1 here\\)"):
        done_keys(path, SETTINGS.to_dict())
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_sweep_is_refused(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text('{"runs": []}\n')
    with pytest.raises(Chapter12Error, match="not a chapter12 sweep results file"):
        read_sweep(path)
    with pytest.raises(Chapter12Error, match="does not exist"):
        read_sweep(tmp_path / "missing.jsonl")


# ----------------------------------------------------------------------------- the report


def _records(accuracy):
    """Records of a made-up sweep: accuracy(model, maxlen, seed) for 2 models x 3 lengths x 3 seeds."""
    out = []
    for model in ("simple_rnn", "lstm"):
        for maxlen in (25, 50, 100):
            for seed in (0, 1, 2):
                params = {
                    "model": model,
                    "seed": seed,
                    "maxlen": maxlen,
                    "num_words": 2500,
                    "units": 64,
                    "recurrent_dropout": 0.2,
                    "backend": "tensorflow",
                }
                out.append(
                    {
                        "key": f"{model}{maxlen}{seed}",
                        "status": "ok",
                        "params": params,
                        "test_accuracy": accuracy(model, maxlen, seed),
                        "test_loss": 0.5,
                        "epoch_seconds": [9.0, 1.0 + maxlen / 10, 3.0 + maxlen / 10],
                        "seconds": 10.0,
                        "worker": "w",
                        "threads": 1,
                    }
                )
    out.append({"key": "bad", "status": "failed", "params": dict(out[0]["params"], maxlen=400), "error": "boom"})
    return out


def test_series_gives_mean_spread_and_count_over_seeds_per_model():
    records = _records(lambda model, maxlen, seed: (0.8 if model == "lstm" else 0.7) + 0.01 * seed - maxlen / 10000)
    rows = ok_rows(records)
    assert len(rows) == 18 and varying_axes(rows) == ["model", "seed", "maxlen"]
    by_model = {s["group"]["model"]: s for s in series(rows, "maxlen")}
    lstm = by_model["lstm"]
    assert lstm["x"] == [25, 50, 100] and lstm["n"] == [3, 3, 3]
    assert lstm["mean"][0] == pytest.approx(0.81 - 0.0025)
    assert lstm["sd"][0] == pytest.approx(0.01)
    assert [round(g, 6) for _, g, _ in gap_by(rows, "maxlen")] == [0.1, 0.1, 0.1]
    # seconds per epoch: the median of the epochs after the first (the first compiles)
    seconds = {s["group"]["model"]: s for s in series(rows, "maxlen", "epoch_seconds")}["lstm"]
    assert seconds["mean"] == pytest.approx([4.5, 7.0, 12.0])
    assert linear_fit([1, 2, 3], [3, 5, 7]) == pytest.approx((1.0, 2.0))


def test_series_of_another_axis_are_ordered_by_number_not_as_text():
    records = []
    for record in _records(lambda model, maxlen, seed: 0.7):
        if record["status"] == "ok":
            for units in (16, 64):
                records.append(dict(record, key=record["key"] + str(units), params=dict(record["params"], units=units)))
    labels = [s["label"] for s in series(ok_rows(records), "units")]
    assert labels == [f"{name}, maxlen {m}" for name in ("LSTM", "simple RNN") for m in (25, 50, 100)]


def _executed_sweep_notebook(tmp_path, values: dict, accuracy):
    """The sweep notebook executed on made-up results of the grid `values`, accuracy(n, params) for each cell."""
    import nbformat

    from chapter12.sweep.engine import _record, sweep_notebook

    lines = [header(SETTINGS.to_dict())]
    for n, cell in enumerate(Grid.from_values(values, SETTINGS).cells()):
        result = {
            "test_accuracy": accuracy(n, cell.params()),
            "test_loss": 0.6,
            "epoch_seconds": [3.0, 2.0 + cell.maxlen / 50],
            "history": {"accuracy": [0.6], "val_accuracy": [0.6]},
            "n_train": 3200,
            "n_val": 800,
            "n_test": 2000,
            "seconds": {"total": 5.0},
            "backend": "tensorflow",
        }
        ok = {"status": "ok", "worker": "w", "threads": 1, "seconds": 6.0, "log": "l", "result": result}
        lines.append(_record(cell, ok))
    path = tmp_path / "results.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return nbformat.read(sweep_notebook(tmp_path, path), as_version=4)


def test_the_sweep_notebook_says_why_it_leaves_out_the_maxlen_sentences_when_units_vary_too(tmp_path):
    from conftest import computed_statements

    values = {"maxlen": [25, 50, 100], "units": [16, 64], "seeds": [0, 1]}
    executed = _executed_sweep_notebook(tmp_path, values, lambda n, p: 0.6 + 0.001 * n)
    said = "\n".join(computed_statements(executed))
    assert "This sweep varies units as well as maxlen" in said
    printed = "\n".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert "maxlen: [25, 50, 100]" in printed  # ordered by number


def test_the_sweep_notebook_says_each_models_mean_over_its_seeds(tmp_path):
    # 2 models x 3 lengths x 3 seeds: the sentences give the mean of the seeds at each length.
    from conftest import computed_statements

    def accuracy(n, p):
        return 0.7 + (0.001 * p["maxlen"] if p["model"] == "lstm" else 0.0) + 0.01 * p["seed"]

    executed = _executed_sweep_notebook(tmp_path, {"maxlen": [25, 50, 100], "seeds": [0, 1, 2]}, accuracy)
    said = "\n".join(computed_statements(executed))
    assert "The LSTM scores 0.735 at maxlen 25 and 0.810 at maxlen 100 (mean of 3 seed(s))" in said
    assert "The LSTM's lead over the simple RNN (same seeds) is +0.025 at maxlen 25 and +0.100 at maxlen" in said


def test_summary_and_figures_of_a_sweep(tmp_path):
    records = _records(lambda model, maxlen, seed: 0.7 + (0.001 * maxlen if model == "lstm" else 0.0) + 0.01 * seed)
    head = header(SETTINGS.to_dict())
    text = sweep_summary_markdown(head, records)
    assert "18 cells done, 1 failed." in text
    assert "| 100 | 0.8100 ± 0.0100 (n=3) | 0.7100 ± 0.0100 (n=3) |" in text
    assert "maxlen 25: +0.0250 (n=3), maxlen 50: +0.0500 (n=3), maxlen 100: +0.1000 (n=3)" in text
    assert "| bad | " in text and "boom" in text
    paths = save_sweep_figures(ok_rows(records), tmp_path)
    assert [p.name for p in paths] == ["sweep_accuracy_vs_maxlen.png", "sweep_seconds_vs_maxlen.png"]
    assert all(p.stat().st_size > 10_000 for p in paths)


# ----------------------------------------------------------------------------- the command line


def _sweep(args, cwd, env=None, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "chapter12", "sweep", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=kwargs.pop("timeout", 600),
        **kwargs,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lines(path: Path) -> list[dict]:
    text = path.read_text()
    assert text.endswith("\n"), "results.jsonl ends in the middle of a line"
    return [json.loads(line) for line in text.splitlines()]


def _bad_input_cases(tmp_path):
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("maxlen = [25]\ncolour = ['red']\n")
    empty = tmp_path / "empty.toml"
    empty.write_text("maxlen = []\n")
    other = tmp_path / "other"
    other.mkdir()
    from chapter12.imdb import resolve_source

    sample = resolve_source("sample").fingerprint()
    start_file(other / "results.jsonl", dict(SETTINGS.to_dict(), data_fingerprint=sample, epochs=7, batch_size=256))
    return [
        (["--colour", "red"], tmp_path / "a", "unrecognized arguments: --colour red"),
        (["--grid", str(unknown)], tmp_path / "b", "unknown parameter 'colour'"),
        (["--grid", str(empty)], tmp_path / "c", "the grid is empty: maxlen has no values"),
        (["--maxlen", "0"], tmp_path / "d", "maxlen must be at least 1"),
        (["--scheduler", f"tcp://127.0.0.1:{_free_port()}"], tmp_path / "e", "cannot reach the Dask scheduler"),
        (["--scheduler-file", str(tmp_path / "nowhere.json")], tmp_path / "f", "does not exist"),
        ([], other, "holds a sweep with other settings (epochs 7 there, 1 here)"),
    ]


def test_bad_input_gets_one_error_line_exit_2_and_nothing_written(tmp_path):
    for args, out, message in _bad_input_cases(tmp_path):
        before = sorted(p.name for p in out.iterdir()) if out.exists() else None
        contents = (out / "results.jsonl").read_bytes() if before else None
        proc = _sweep([*FAST, "--out", str(out), *args], cwd=tmp_path, timeout=120)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2, (args, proc.stderr)
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], (args, proc.stderr)
        if before is None:
            assert not out.exists(), args
        else:
            assert sorted(p.name for p in out.iterdir()) == before and (out / "results.jsonl").read_bytes() == contents


def test_dry_run_prints_the_grid_and_writes_nothing(tmp_path):
    out = tmp_path / "sweep"
    proc = _sweep([*FAST, "--maxlen", "25", "50", "--seeds", "0", "1", "--out", str(out), "--dry-run"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "grid: 8 cells, 0 done" in proc.stdout
    assert (
        proc.stdout.count(" todo ") == 8
        and "one cell alone: python -m chapter12 train --model simple_rnn" in proc.stdout
    )
    assert not out.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--maxlen", "0"], "maxlen must be at least 1"),
        (["--model", "transformer"], "unknown model kind 'transformer'"),
        (["--backend", "theano"], "unknown backend 'theano'"),
        (["--recurrent-dropout", "1.5"], "recurrent_dropout must be a number in [0, 1)"),
        (["--threads", "-2"], "--threads must be at least 1"),
        (["--json", "."], "is a folder; pass the name of a file"),
    ],
)
def test_train_refuses_bad_input_before_training(tmp_path, args, message):
    proc = subprocess.run(
        [sys.executable, "-m", "chapter12", "train", "--quick", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and message in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and list(tmp_path.iterdir()) == []


def test_report_refuses_what_is_not_a_sweep(tmp_path):
    (tmp_path / "results.jsonl").write_text("hello\n")
    proc = subprocess.run(
        [sys.executable, "-m", "chapter12", "report", str(tmp_path / "results.jsonl")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and "not a chapter12 sweep" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.jsonl"]


def test_a_sweep_with_nothing_left_to_train_starts_no_cluster_and_reports(tmp_path, monkeypatch, capsys):
    import chapter12.run.cli as cli
    import chapter12.sweep.engine as engine

    out = tmp_path / "sweep"
    args = ["sweep", *FAST, "--models", "simple_rnn", "lstm", "--maxlen", "20", "--out", str(out), "--no-notebook"]
    # Every cell of the grid done before (made-up results, as the engine writes them).
    grid, _ = engine.make_grid(cli._sweep_options(cli._parser().parse_args(args)))
    settings = grid.settings.to_dict()
    out.mkdir()
    start_file(out / "results.jsonl", settings)
    for cell in grid.cells():
        append_line(out / "results.jsonl", dict(_cell(cell.key, "ok"), params=cell.params(), worker="w", threads=1))
    before = (out / "results.jsonl").read_bytes()

    def no_cluster(options):
        raise AssertionError("a cluster was started (or a scheduler reached) with nothing to train")

    monkeypatch.setattr(engine, "connect", no_cluster)
    capsys.readouterr()
    assert cli.main(args) == 0
    said = capsys.readouterr().out
    assert "sweep: 2 cells (2 done before, 0 to run): nothing to train" in said and "Dask" not in said
    assert (out / "results.jsonl").read_bytes() == before  # nothing added, nothing rewritten
    assert (out / "summary.md").read_text().count("| lstm |") == 1  # the report is made again


def test_a_local_sweep_stopped_by_ctrl_c_resumes_reports_and_makes_a_handout(tmp_path, small_imdb):
    # The command (1 epoch, 20 and 40 words, 4,000 reviews, one seed: for test speed) on a fresh local
    # cluster: Ctrl-C once a cell is done, the same command again to finish it (report, notebook), then the
    # handouts. (Seeds averaged in the report and the notebook: the in-process tests above, on more seeds.)
    out = tmp_path / "sweep"
    args = [*_small(small_imdb), "--models", "simple_rnn", "lstm", "--maxlen", "20", "40", "--seeds", "0"]
    args += ["--out", str(out)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "chapter12", "sweep", *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=as_from_a_terminal,
    )
    results = out / "results.jsonl"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if results.exists() and len(results.read_text().splitlines()) >= 2:  # header + a cell
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the sweep ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr[-3000:]
    # One worker per core this process may use (2 here; 1 where the run is pinned to one core).
    assert f"4 cells (0 done before, 4 to run) on local cluster, {available_cores()} worker(s) x 1 thread(s)" in stdout
    assert "Dask dashboard: http://127.0.0.1:" in stdout
    assert "error: interrupted;" in stderr and "run the same command again" in stderr
    assert "Traceback" not in stderr  # the workers ignore the terminal's Ctrl-C; the client closes them
    first = _lines(results)[1:]
    assert 1 <= len(first) < 4 and text_ends_whole(results)

    again = _sweep(args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"4 cells ({len(first)} done before, {4 - len(first)} to run)" in again.stdout
    assert "absl" not in again.stdout + again.stderr  # the notebook's TensorFlow start-up lines go to sweep.log
    lines = _lines(results)
    cells = lines[1:]
    assert lines[0]["kind"] == KIND and len(cells) == 4 and {c["status"] for c in cells} == {"ok"}
    assert len({c["key"] for c in cells}) == 4  # every cell once
    assert cells[: len(first)] == first  # what was done before is kept as it was, and not redone
    assert not {c["key"] for c in first} & {c["key"] for c in cells[len(first) :]}
    assert all(0.3 < c["test_accuracy"] < 1.0 and len(c["epoch_seconds"]) == 1 for c in cells)
    # One single-threaded worker per core: each cell may use one core.
    assert {c["threads"] for c in cells} == {share_of_cores(available_cores(), available_cores())} == {1}
    assert (out / "summary.md").read_text().count("| simple_rnn |") == 2
    assert (out / "figures" / "sweep_accuracy_vs_maxlen.png").exists()
    # The sweep notebook ran on these results and every computed sentence was produced.
    import nbformat

    nb = nbformat.read(out / "sweep.ipynb", as_version=4)
    said = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("metadata", {}).get("chapter12") == "computed"
    ]
    assert len(said) >= 4
    text = " ".join(o["data"]["text/markdown"] for o in said)
    lstm40 = [c["test_accuracy"] for c in cells if c["params"]["model"] == "lstm" and c["params"]["maxlen"] == 40]
    assert f"{lstm40[0]:.3f} at maxlen 40" in text
    # (The same command once more, with nothing left to do: test_a_sweep_with_nothing_left_to_train_starts_no_
    # cluster_and_reports, in-process. That the kept lines of a real run count as done, the rerun above shows.)
    from chapter12.report.handouts import make_handouts

    pages = make_handouts(out)
    assert (out / "handouts" / "sweep.html") in pages


def text_ends_whole(path: Path) -> bool:
    return path.read_bytes().endswith(b"\n")


def test_a_failing_cell_is_recorded_and_the_others_finish(tmp_path, small_imdb):
    # A worker whose torch is broken: the torch cell fails as it imports Keras, the TensorFlow cell is trained.
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "torch.py").write_text("raise ImportError('this torch is broken on purpose')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(broken), os.environ.get("PYTHONPATH")])))
    out = tmp_path / "sweep"
    proc = _sweep(
        [
            *_small(small_imdb),
            "--models",
            "lstm",
            "--maxlen",
            "20",
            "--backend",
            "tensorflow",
            "torch",
            "--out",
            str(out),
            "--no-notebook",
        ],
        cwd=tmp_path,
        env=env,
    )
    assert proc.returncode == 1, proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "1 of 2 cells failed" in errors[0]
    cells = {c["params"]["backend"]: c for c in _lines(out / "results.jsonl")[1:]}
    assert cells["tensorflow"]["status"] == "ok"
    assert cells["torch"]["status"] == "failed" and "this torch is broken on purpose" in cells["torch"]["error"]
    assert Path(cells["torch"]["log"]).exists()
    assert "## Failed cells" in (out / "summary.md").read_text()


def _start(cmd, log: Path):
    return subprocess.Popen(cmd, stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)


def test_a_real_cluster_through_a_scheduler_file_survives_a_killed_worker(tmp_path, small_imdb):
    """A dask scheduler and two dask workers (no nanny), each its own process on 127.0.0.1. One worker is
    killed while it trains a cell; the cell is trained again on the other, and every cell is done once."""
    import psutil
    from distributed import Client

    scheduler_file = tmp_path / "scheduler.json"
    ports = [_free_port(), _free_port()]
    procs = [
        _start(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(_free_port()),
                "--no-dashboard",
                "--scheduler-file",
                str(scheduler_file),
            ],
            tmp_path / "scheduler.log",
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        for i, port in enumerate(ports):
            procs.append(
                _start(
                    [
                        sys.executable,
                        "-m",
                        "distributed.cli.dask_worker",
                        "--scheduler-file",
                        str(scheduler_file),
                        "--no-nanny",
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                        "--listen-address",
                        f"tcp://127.0.0.1:{port}",
                        "--name",
                        f"w{i}",
                    ],
                    tmp_path / f"worker{i}.log",
                )
            )
        with Client(scheduler_file=str(scheduler_file), timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
            out = tmp_path / "sweep"
            sweep = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "chapter12",
                    "sweep",
                    *_small(small_imdb),
                    "--models",
                    "simple_rnn",
                    "lstm",
                    "--maxlen",
                    "20",
                    "40",
                    "60",
                    "--seeds",
                    "0",
                    "--out",
                    str(out),
                    "--no-notebook",
                    "--scheduler-file",
                    str(scheduler_file),
                ],
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            victim = f"tcp://127.0.0.1:{ports[1]}"
            killed_children = None
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and sweep.poll() is None and killed_children is None:
                results = out / "results.jsonl"
                finished = {c["worker"] for c in _lines(results)[1:]} if results.exists() else set()
                # Once both workers have finished a cell, kill the second while it trains another.
                if len(finished) == 2 and client.processing().get(victim):
                    worker = psutil.Process(procs[2].pid)
                    killed_children = worker.children(recursive=True)
                    if killed_children:
                        worker.kill()
                time.sleep(0.2)
            assert killed_children, "the second worker was never seen training a cell"
            stdout, stderr = sweep.communicate(timeout=300)
        assert sweep.returncode == 0, stderr[-3000:]
        assert "on scheduler tcp://127.0.0.1:" in stdout
        cells = _lines(out / "results.jsonl")[1:]
        assert len(cells) == 6 and len({c["key"] for c in cells}) == 6 and {c["status"] for c in cells} == {"ok"}
        assert {c["worker"] for c in cells} == {f"tcp://127.0.0.1:{p}" for p in ports}
        # The killed worker's training process went with it (it does not compete with the second attempt).
        _, alive = psutil.wait_procs(killed_children, timeout=10)
        assert not alive
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def test_two_attempts_at_one_cell_never_share_a_result_file(tmp_path):
    # A cluster that outlives a stopped sweep goes on with the attempt the stop left running, beside the new
    # sweep's attempt at the same cell (same log): the one must not remove or read the other's result.
    import threading

    from chapter12.sweep.cell import result_path

    log = tmp_path / "logs" / "cell.log"
    paths = [result_path(log)]
    other = threading.Thread(target=lambda: paths.append(result_path(log)))
    other.start()
    other.join()
    assert paths[0] != paths[1] and {p.parent for p in paths} == {log.parent}
    assert all(p.name.startswith("cell.log.") and p.name.endswith(".result.json") for p in paths)
