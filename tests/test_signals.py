"""SIGTERM (`kill`, a batch system's time limit, a container stop) and SIGHUP (a closed terminal) get what
Ctrl-C gets in every command: one `error:` line saying what was kept and how to go on, exit status 128 + the
signal's number, no traceback, nothing half-written, no process of the run left alive; a sweep keeps its
finished cells and a rerun goes on from them. (`reproduce` at four moments: tests/test_interrupt.py.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import chapter12.run.cli as cli
from chapter12.errors import Stopped, exit_status, how_stopped

psutil = pytest.importorskip("psutil")

from conftest import as_from_a_terminal, descendants, still_alive  # noqa: E402


# ----------------------------------------------------------------------------- in this process


@pytest.mark.parametrize(
    "command, argv, kept",
    [
        ("reproduce", ["reproduce", "--quick", "--out", "o"], "nothing was written to the output folder"),
        ("sweep", ["sweep", "--quick", "--out", "o"], "the cells finished before are kept in --out"),
        ("time", ["time", "--quick"], "nothing was written; run the same command again to measure"),
        ("train", ["train", "--quick"], "nothing was written; run the same command again to train"),
        ("handouts", ["handouts", "run"], "the pages written so far are complete"),
        ("report", ["report", "results.jsonl"], "the files written so far are complete"),
        ("predict", ["predict", "run", "good"], "no file was left half-written"),
    ],
)
@pytest.mark.parametrize(
    "signum, how",
    [
        (signal.SIGINT, "interrupted"),
        (signal.SIGTERM, "stopped by SIGTERM"),
        (signal.SIGHUP, "stopped by SIGHUP (the terminal was closed)"),
    ],
)
def test_each_command_says_what_a_signal_left(monkeypatch, capsys, command, argv, kept, signum, how):
    def stopped(args):
        raise KeyboardInterrupt if signum == signal.SIGINT else Stopped(signum)

    monkeypatch.setattr(cli, "_run", stopped)
    assert cli.main(argv) == 128 + signum
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {how}; {kept}"), lines
    assert "run the same command again" in lines[0]


def test_exit_status_and_words():
    assert exit_status(KeyboardInterrupt()) == 130
    assert exit_status(Stopped(signal.SIGTERM)) == 143 and exit_status(Stopped(signal.SIGHUP)) == 129
    assert how_stopped(Stopped(signal.SIGTERM)) == "stopped by SIGTERM"


def test_stop_signals_raise_once_then_let_clean_up_finish_and_leave_nohup_alone(monkeypatch, terminal_signals):
    hits = []
    with cli.stop_signals():
        with pytest.raises(Stopped) as caught:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)  # the handler runs at the next bytecode
        assert caught.value.signum == signal.SIGTERM
        os.kill(os.getpid(), signal.SIGHUP)  # a second signal during clean-up is ignored
        time.sleep(0.1)
        hits.append("clean-up finished")
    assert hits == ["clean-up finished"]
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL and signal.getsignal(signal.SIGHUP) == signal.SIG_DFL
    # Started under nohup: SIGHUP stays ignored.
    old = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with cli.stop_signals():
            os.kill(os.getpid(), signal.SIGHUP)
            time.sleep(0.1)
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, old)


def test_after_ctrl_c_a_sigterm_or_sighup_does_not_cut_the_clean_up_short(terminal_signals):
    cleaned = []
    with cli.stop_signals():
        with pytest.raises(KeyboardInterrupt) as caught:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
        assert not isinstance(caught.value, Stopped)
        os.kill(os.getpid(), signal.SIGTERM)  # a supervisor's SIGTERM, or the terminal closed, during clean-up
        os.kill(os.getpid(), signal.SIGHUP)
        time.sleep(0.1)
        cleaned.append(True)
        with pytest.raises(KeyboardInterrupt):  # a second Ctrl-C still interrupts
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
    assert cleaned == [True]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_signal_held_back_while_the_local_cluster_starts_closes_it(monkeypatch):
    import chapter12.sweep.engine as engine
    import distributed

    closed = []

    class Cluster:
        def __init__(self, **kwargs):
            os.kill(os.getpid(), signal.SIGTERM)  # arrives while the workers start: held back until they are up
            time.sleep(0.2)  # a real start takes seconds: the signal is surely taken in before it ends

        def close(self, timeout=None):
            closed.append("cluster")

    class Client:
        def __init__(self, cluster):
            pass

        def close(self, timeout=None):
            closed.append("client")

    monkeypatch.setattr(distributed, "LocalCluster", Cluster)
    monkeypatch.setattr(distributed, "Client", Client)
    with cli.stop_signals(), pytest.raises(Stopped):
        engine.connect(engine.SweepOptions(out=Path("unused"), workers=1))
    assert closed == ["client", "cluster"]


def test_a_cell_stopped_on_its_worker_is_not_recorded_and_the_sweep_says_so(tmp_path, monkeypatch, capsys):
    """A batch system that stops a remote worker's cell (SIGTERM): no result line, not a failure either, and the
    sweep ends with status 1 and one line saying how many to run again."""
    from distributed import Client, LocalCluster

    import chapter12.sweep.engine as engine
    from chapter12.sweep.grid import Grid, Settings
    from chapter12.report.records import start_file

    grid = Grid.from_values(
        {"models": ["simple_rnn", "lstm"], "backend": "tensorflow"},
        Settings(data="sample", data_fingerprint="f" * 64, vocabulary="keras", epochs=1, batch_size=128),
    )
    cells = grid.cells()
    settings = grid.settings.to_dict()
    results = tmp_path / "results.jsonl"
    start_file(results, settings)

    def stopped_cell(key, params, settings, log_file=None, threads_by_host=None):
        return {"key": key, "params": params, "status": "interrupted", "error": "stopped", "seconds": 1.0}

    monkeypatch.setattr(engine, "run_cell", stopped_cell)
    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        status = engine._run(client, cells, settings, tmp_path, results, len(cells), 0)
    assert status == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: 2 of 2 cells were stopped on their workers by a signal and are not recorded; "
        "run the same command again to retry them"
    ]
    assert len(results.read_text().splitlines()) == 1  # the header alone


def test_a_result_the_schema_refuses_is_kept_as_a_failed_cell():
    """A run that diverged (a NaN loss) is written as a failed cell, so every reader still accepts the file."""
    import chapter12.sweep.engine as engine
    from chapter12.report.schema import cell_problem
    from chapter12.sweep.grid import Grid, Settings

    cell = Grid.from_values({"models": ["lstm"], "backend": "tensorflow"}, Settings()).cells()[0]
    result = {
        "test_accuracy": 0.5,
        "test_loss": float("nan"),
        "epoch_seconds": [1.0],
        "history": {"loss": [0.7]},
        "n_train": 8,
        "n_val": 2,
        "n_test": 10,
    }
    record = engine._record(cell, {"status": "ok", "result": result, "seconds": 2.0, "worker": "w"})
    assert record["status"] == "failed" and "test_loss" in record["error"]
    assert cell_problem(record) is None
    good = engine._record(cell, {"status": "ok", "result": dict(result, test_loss=0.4), "seconds": 2.0, "worker": "w"})
    assert good["status"] == "ok" and cell_problem(good) is None


def test_signals_sent_while_the_local_cluster_starts_are_delivered_after(monkeypatch):
    from chapter12.sweep.engine import _signals_deferred

    got = []
    old = signal.signal(signal.SIGTERM, lambda signum, frame: got.append(signum))
    try:
        with _signals_deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.1)
            assert got == []  # held back while the processes start
        time.sleep(0.1)
        assert got == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, old)


# ----------------------------------------------------------------------------- real processes


def _stop_when(proc, ready, signum: int, to_group: bool, timeout: float = 300) -> tuple[str, set[int]]:
    """Wait until ready() (polling), send the signal, and return the run's output and every process it had."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None and not ready():
        seen |= descendants(proc.pid)
        time.sleep(0.2)
    assert proc.poll() is None, "the run ended before it could be stopped"
    seen |= descendants(proc.pid)
    (os.killpg if to_group else os.kill)(proc.pid, signum)
    try:
        output, _ = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"the run did not end 120 s after {signal.Signals(signum).name}")
    time.sleep(1)
    return output, seen


def _start(args, cwd, log: Path):
    return subprocess.Popen(
        [sys.executable, "-m", "chapter12", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
        preexec_fn=as_from_a_terminal,
    )


# SIGTERM as `kill PID` sends it (to the client alone); SIGHUP as a closed terminal does (to every process of the
# group: the workers and their cells ignore it, the client closes them).
@pytest.mark.parametrize("name, to_group", [("SIGTERM", False), ("SIGHUP", True)])
def test_a_sweep_stopped_by_a_signal_keeps_its_cells_and_resumes(tmp_path, name, to_group, capsys, small_imdb):
    signum = getattr(signal, name)
    out = tmp_path / "sweep"
    # Small for test speed: 1 epoch, 4,000 reviews cut at 20 words; 4 cells, stopped once one is done.
    args = [
        "sweep",
        "--data",
        str(small_imdb),
        "--epochs",
        "1",
        "--models",
        "simple_rnn",
        "lstm",
        "--maxlen",
        "20",
        "--seeds",
        "0",
        "1",
        "--out",
        str(out),
        "--no-notebook",
    ]
    results = out / "results.jsonl"
    proc = _start(args, tmp_path, tmp_path / "log")
    output, seen = _stop_when(
        proc, lambda: results.exists() and len(results.read_text().splitlines()) >= 2, signum, to_group
    )
    assert proc.returncode == 128 + signum, output[-3000:]
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert (
        len(errors) == 1
        and errors[0].startswith(f"error: stopped by {name}")
        and "cells are done and kept" in errors[0]
    )
    assert "run the same command again" in errors[0]
    assert "Traceback" not in output and "leaked" not in output, output[-3000:]
    assert still_alive(seen) == [], "processes of the sweep still alive"
    text = results.read_text()
    assert text.endswith("\n")
    kept = [json.loads(line) for line in text.splitlines()[1:]]
    assert kept and all(c["status"] == "ok" for c in kept)  # a stopped cell is not recorded as failed
    capsys.readouterr()
    assert cli.main([*args, "--dry-run"]) == 0  # what a rerun would do, in this process (no cluster, no training)
    assert f"grid: 4 cells, {len(kept)} done" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["train", "time"])
def test_train_and_time_stopped_by_sigterm_leave_nothing(tmp_path, command):
    json_out = tmp_path / "result.json"
    # Long enough to be stopped in the middle: train runs 50 epochs of 20-word reviews; time's worker is
    # stopped as it starts its timed runs.
    args = {
        "train": ["train", "--quick", "--maxlen", "20", "--epochs", "50", "--json", str(json_out)],
        "time": ["time", "--quick", "--epochs", "3", "--json", str(json_out)],
    }[command]
    proc = _start(args, tmp_path, tmp_path / "log")
    lines: list[str] = []
    seen: set[int] = set()
    for line in proc.stdout:
        lines.append(line)
        seen |= descendants(proc.pid)
        if "Epoch 2/" in line or "matmul at" in line:  # train's second epoch; time's worker starts timing
            break
    else:
        pytest.fail(f"the run ended before it could be stopped: {lines[-5:]}")
    seen |= descendants(proc.pid)
    os.kill(proc.pid, signal.SIGTERM)  # as `kill PID`: this process alone, not its children
    rest, _ = proc.communicate(timeout=120)
    time.sleep(1)
    output = "".join(lines) + rest
    assert proc.returncode == 143, output[-3000:]
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert errors == [f"error: stopped by SIGTERM; {cli._KEPT[command]}"], output[-3000:]
    assert "Traceback" not in output
    assert still_alive(seen) == [], f"processes of {command} still alive (a worker it started?)"
    assert not json_out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []
