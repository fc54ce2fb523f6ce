"""chapter12.process: a child that trains and hands back JSON, as the timing worker and a sweep's cell use it.
The children here are tiny Python scripts (no Keras), so these tests take a fraction of a second each."""

import os
import sys

import pytest

from chapter12.process import run_child


def _run(tmp_path, script, **kwargs):
    out = tmp_path / "result.json"
    return run_child([sys.executable, "-c", script, str(out)], dict(os.environ), out, **kwargs), out


def test_a_child_that_succeeds_hands_back_its_json_and_every_line_reaches_the_log_and_the_callback(tmp_path):
    seen = []
    script = (
        "import json, sys; print('Epoch 1/2'); "
        "print('I0000 00:00:1712345678.123456 4242 cpu_feature_guard.cc:210] This TensorFlow binary is optimized'); "
        "json.dump({'test_accuracy': 0.75}, open(sys.argv[1], 'w'))"
    )
    finished, _ = _run(tmp_path, script, log_file=tmp_path / "log", on_line=seen.append)
    assert finished.returncode == 0 and finished.result == {"test_accuracy": 0.75}
    assert seen[0] == "Epoch 1/2" and len(seen) == 2
    assert (tmp_path / "log").read_text().splitlines() == seen
    assert finished.tail == ["Epoch 1/2"]  # the backend's start-up line is not a reason to show anyone


@pytest.mark.parametrize(
    "script, why",
    [
        (
            "import sys; print('Epoch 1'); print('error: maxlen is bad; use 10', file=sys.stderr); sys.exit(2)",
            "maxlen is bad; use 10",
        ),
        ("raise ImportError('no torch')", "ImportError: no torch"),
        ("import sys; sys.exit(1)", "the process printed nothing"),
        # exit 0 without its result: a failure too, said by its last line
        ("print('done, but nothing written')", "done, but nothing written"),
    ],
)
def test_a_child_that_fails_says_why_in_one_line(tmp_path, script, why):
    finished, out = _run(tmp_path, script)
    assert finished.result is None and finished.error() == why
    assert not out.exists()


def test_an_interrupted_parent_kills_the_child(tmp_path):
    pids = []

    def interrupt(line):
        pids.append(int(line))
        raise KeyboardInterrupt  # Ctrl-C arriving while the child runs

    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path, "import os, time; print(os.getpid(), flush=True); time.sleep(60)", on_line=interrupt)
    with pytest.raises(ProcessLookupError):  # killed and reaped: no such process any more
        os.kill(pids[0], 0)
