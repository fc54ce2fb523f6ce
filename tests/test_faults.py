"""Bad input and faults: each gets one clear line (exit status non-zero) and loses nothing good.

Every test here goes through the real command line (`python -m chapter12 ...`) where the
fault reaches it, since that is what a teacher sees; the library-level behaviour of the same
faults is tested in test_data.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tarfile
import textwrap

import numpy as np
import pytest

from conftest import (
    STANFORD_REVIEWS,
    pack_stanford_targz,
    write_keras_npz,
    write_stanford_folder,
    make_keras_reviews,
    env_without,
)


def cli(*args, tmp_path, extra_env=None, timeout=120):
    env = env_without("CHAPTER12_DATA")
    env["CHAPTER12_CACHE"] = str(tmp_path / "cache")
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "chapter12", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def reproduce_with(data, tmp_path, *more):
    return cli("reproduce", "--data", str(data), "--out", str(tmp_path / "out"), *more, tmp_path=tmp_path)


def assert_clean_failure(result, tmp_path, *needles):
    """One line on stderr starting with 'error:', no traceback, non-zero exit, no output folder, no partials."""
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert not (tmp_path / "out").exists()
    leftovers = [p for p in tmp_path.rglob("*") if p.name.endswith(".part") or ".partial-" in p.name]
    assert leftovers == []


# ----------------------------------------------------------------------------- data paths


def test_missing_path(tmp_path):
    assert_clean_failure(reproduce_with(tmp_path / "missing.tar.gz", tmp_path), tmp_path, "does not exist", "--quick")


def test_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    assert_clean_failure(reproduce_with(tmp_path / "empty", tmp_path), tmp_path, "is empty")


def test_folder_with_train_but_no_test(tmp_path):
    (tmp_path / "aclImdb" / "train" / "pos").mkdir(parents=True)
    assert_clean_failure(reproduce_with(tmp_path / "aclImdb", tmp_path), tmp_path, "has train/ but no test/")


def test_archive_truncated_in_the_middle_of_a_member(tmp_path):
    reviews = STANFORD_REVIEWS + [("train", "pos", "9_9.txt", "long review " * 2000)]
    full = pack_stanford_targz(tmp_path / "full.tar.gz", reviews).read_bytes()
    cut = tmp_path / "aclImdb_v1.tar.gz"
    cut.write_bytes(full[: len(full) // 2])
    assert_clean_failure(
        reproduce_with(cut, tmp_path), tmp_path, "may be truncated", "download aclImdb_v1.tar.gz again"
    )
    assert not any((tmp_path / "cache").glob("*.npz"))  # nothing cached from a broken archive


def test_archive_member_escaping_the_folder(tmp_path):
    archive = pack_stanford_targz(tmp_path / "evil.tar.gz", extra_members=[("aclImdb/../../x.txt", b"boo", {})])
    assert_clean_failure(reproduce_with(archive, tmp_path), tmp_path, "points outside")
    assert not (tmp_path.parent / "x.txt").exists()


def test_time_passes_a_worker_error_on_once(tmp_path):
    # The archive is found (so the parent starts a worker) but cut short: the worker's one error line
    # reaches the user once, without TensorFlow's start-up lines around it.
    reviews = STANFORD_REVIEWS + [("train", "pos", "9_9.txt", "long review " * 2000)]
    full = pack_stanford_targz(tmp_path / "full.tar.gz", reviews).read_bytes()
    cut = tmp_path / "aclImdb_v1.tar.gz"
    cut.write_bytes(full[: len(full) // 2])
    result = cli("time", "--data", str(cut), tmp_path=tmp_path)
    assert result.returncode == 2
    assert (result.stdout + result.stderr).count("error:") == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: timing on tensorflow failed: cannot read"), result.stderr
    assert "I0000" not in result.stderr and "cuInit" not in result.stderr


# ----------------------------------------------------------------------------- vocabulary and word index


def test_unknown_vocabulary_name(tmp_path):
    result = cli("reproduce", "--quick", "--vocabulary", "fancy", "--out", str(tmp_path / "out"), tmp_path=tmp_path)
    assert result.returncode == 2
    assert_clean_failure(result, tmp_path, "--vocabulary", "keras", "clean")


@pytest.mark.parametrize("command", ["reproduce", "time"])
def test_clean_vocabulary_on_data_without_text(tmp_path, command):
    # The bundled sample holds word ranks, not text: the clean tokenizer has nothing to read.
    args = ["--out", str(tmp_path / "out")] if command == "reproduce" else []
    result = cli(command, "--quick", "--vocabulary", "clean", *args, tmp_path=tmp_path)
    assert result.returncode == 2
    assert_clean_failure(result, tmp_path, "clean vocabulary", "--vocabulary keras")
    assert (result.stdout + result.stderr).count("error:") == 1  # refused before any worker could say it again


@pytest.mark.parametrize("text", ['["the", "a"]', '{"the": "1"}', '{"the": 0}', '{"the": -1}', '{"the": 1.0}', "{oops"])
def test_word_index_that_is_not_word_to_positive_int(tmp_path, text):
    npz = write_keras_npz(tmp_path / "imdb.npz", *make_keras_reviews())
    (tmp_path / "imdb_word_index.json").write_text(text, encoding="utf-8")
    result = reproduce_with(npz, tmp_path, "--only", "accuracy")
    assert result.returncode == 2
    assert_clean_failure(result, tmp_path, "imdb_word_index.json", "get a fresh copy")


def test_archive_link_pointing_outside(tmp_path):
    archive = pack_stanford_targz(
        tmp_path / "link.tar.gz",
        extra_members=[("aclImdb/train/pos/99_9.txt", b"", {"type": tarfile.SYMTYPE, "linkname": "/etc/passwd"})],
    )
    assert_clean_failure(reproduce_with(archive, tmp_path), tmp_path, "is a link")


def test_review_with_invalid_utf8_follows_the_documented_policy(tmp_path):
    # Policy (README), clean vocabulary: invalid bytes become U+FFFD, which is no word; the rest counts.
    from chapter12.imdb.stanford import prepare_stanford

    reviews = list(STANFORD_REVIEWS)
    reviews[0] = ("train", "pos", "0_9.txt", b"great \xff\xfe movie")
    raw, vocabulary = prepare_stanford(write_stanford_folder(tmp_path, reviews), "clean")
    first = [vocabulary[r - 1] for r in raw.x_train.values[raw.x_train.offsets[0] : raw.x_train.offsets[1]]]
    assert "great" in vocabulary and "\ufffd" not in "".join(vocabulary)
    assert first == ["great", "movie"]


def test_npz_whose_pickle_would_run_code(tmp_path):
    marker = tmp_path / "PWNED"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    x = np.empty(2, dtype=object)
    x[0], x[1] = [1, 2], Exploit()
    np.savez(tmp_path / "imdb.npz", x_train=x, y_train=np.array([0, 1]), x_test=x, y_test=np.array([0, 1]))
    assert_clean_failure(reproduce_with(tmp_path / "imdb.npz", tmp_path), tmp_path, "refusing to load", "posix.system")
    assert not marker.exists()


def test_npz_missing_keys(tmp_path):
    np.savez(tmp_path / "imdb.npz", x_train=np.zeros((2, 3)), y_train=np.array([0, 1]))
    assert_clean_failure(reproduce_with(tmp_path / "imdb.npz", tmp_path), tmp_path, "lacks the arrays x_test, y_test")


def test_npz_with_labels_other_than_0_and_1(tmp_path):
    x_train, y_train, x_test, y_test = make_keras_reviews()
    write_keras_npz(tmp_path / "imdb.npz", x_train, np.where(y_train == 1, 5, 0), x_test, y_test)
    assert_clean_failure(reproduce_with(tmp_path / "imdb.npz", tmp_path), tmp_path, "labels 0 and 1 only", "[0, 5]")


def test_word_index_json_that_does_not_parse(tmp_path):
    write_keras_npz(tmp_path / "imdb.npz", *make_keras_reviews())
    (tmp_path / "imdb_word_index.json").write_text('{"the": 1,')
    assert_clean_failure(reproduce_with(tmp_path / "imdb.npz", tmp_path), tmp_path, "is not valid JSON")


# ----------------------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    "flags, needle",
    [
        (["--epochs", "0"], "epochs must be at least 1"),
        (["--batch-size", "0"], "batch_size must be at least 1"),
        (["--models", "cnn"], "unknown model kind 'cnn'"),
        (["--backend", "theano"], "unknown backend 'theano'"),
        (["--seeds", "1.5"], "invalid int value: '1.5'"),
        (["--only", "everything"], "unknown notebook 'everything'"),
        (["--repeats", "0"], "repeats must be at least 1"),
        (["--seeds", "-1"], "seed must be between 0 and 2**32 - 1, got -1"),
        (["--seeds", str(2**32)], "seed must be between 0 and 2**32 - 1"),
        (["--seeds", "0", "1", "0"], "seed 0 is given twice"),
    ],
    ids=[
        "epochs-0",
        "batch-0",
        "model",
        "backend",
        "seed",
        "notebook",
        "repeats",
        "seed-negative",
        "seed-huge",
        "seed-twice",
    ],
)
def test_bad_cli_parameters(flags, needle, tmp_path):
    result = cli("reproduce", "--quick", "--out", str(tmp_path / "out"), *flags, tmp_path=tmp_path)
    assert result.returncode == 2
    assert_clean_failure(result, tmp_path, needle)
    assert list(tmp_path.iterdir()) == []  # refused before any kernel started: not even a cache


@pytest.mark.parametrize("where", ["proc", "under-a-file"])
def test_out_where_no_folder_can_be_made(tmp_path, where):
    if where == "proc" and not os.path.isdir("/proc"):
        pytest.skip("no /proc on this system")
    (tmp_path / "a_file").write_text("")
    out = "/proc/chapter12-nope" if where == "proc" else str(tmp_path / "a_file" / "out")
    result = cli("reproduce", "--quick", "--out", out, tmp_path=tmp_path)
    assert result.returncode == 2
    assert_clean_failure(result, tmp_path, "--out", "choose")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


def test_out_inside_the_data_folder(tmp_path):
    data = write_stanford_folder(tmp_path / "data")
    result = cli("reproduce", "--data", str(data), "--out", str(data / "run"), tmp_path=tmp_path)
    assert result.returncode == 2
    assert_clean_failure(result, tmp_path, "inside the data folder")
    assert not (data / "run").exists()


@pytest.mark.parametrize(
    "settings, needle",
    [
        ({"num_words": 3}, "num_words must be at least 4"),
        ({"maxlen": 0}, "maxlen must be at least 1"),
        ({"maxlen": -5}, "maxlen must be at least 1"),
        ({"validation_split": 0.0}, "validation_split must be a number strictly between 0 and 1"),
        ({"validation_split": 1.0}, "validation_split must be a number strictly between 0 and 1"),
        ({"epochs": "five"}, "epochs must be a whole number"),
    ],
)
def test_bad_settings_in_the_library(settings, needle):
    from chapter12 import BookConfig, Chapter12Error

    with pytest.raises(Chapter12Error, match=needle):
        BookConfig(**settings)


def test_papermill_parameter_of_the_wrong_type(tmp_path):
    import papermill

    from chapter12.notebook.kernel import current_interpreter_kernel
    from chapter12.notebook.execute import notebooks_dir

    with current_interpreter_kernel() as kernel, pytest.raises(papermill.PapermillExecutionError) as info:
        papermill.execute_notebook(
            str(notebooks_dir() / "03_sentiment_accuracy.ipynb"),
            str(tmp_path / "nb.ipynb"),
            parameters={"quick": True, "epochs": "5"},
            kernel_name=kernel,
            progress_bar=False,
            cwd=str(tmp_path),
        )
    assert info.value.ename == "Chapter12Error" and "epochs must be a whole number, got '5'" in info.value.evalue


# ----------------------------------------------------------------------------- the cache


def test_two_processes_prepare_the_same_archive_at_once(tmp_path):
    reviews = [
        ("train" if i % 2 else "test", "pos" if i % 4 < 2 else "neg", f"{i}_7.txt", f"review {i} good bad " * 50)
        for i in range(3000)
    ]  # enough work that the two preparations overlap
    archive = pack_stanford_targz(tmp_path / "aclImdb_v1.tar.gz", reviews)
    script = "import sys, chapter12; (a, b), _ = chapter12.load_imdb(source=sys.argv[1]); print(len(a))"
    env = dict(os.environ, CHAPTER12_CACHE=str(tmp_path / "cache"))
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(archive)], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0] and outputs == ["1500", "1500"]
    files = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert len(files) == 1 and files[0].endswith(".npz")
    with np.load(tmp_path / "cache" / files[0], allow_pickle=False) as f:
        assert len(f["train_offsets"]) == 1501


def test_interrupt_while_writing_the_cache_leaves_no_partial_file(tmp_path, tiny_targz):
    # The child blocks in the middle of writing the cache file; then it gets SIGINT, as from Ctrl-C.
    # The child handles Ctrl-C as an interactive Python does, even where it was started with SIGINT
    # ignored (a job run in the background by a non-interactive shell inherits that).
    script = textwrap.dedent("""
        import signal, sys, time, numpy as np, chapter12.imdb as imdb
        signal.signal(signal.SIGINT, signal.default_int_handler)
        def slow_savez(f, **arrays):
            f.write(b"PK half a file")
            print("writing", flush=True)
            time.sleep(60)
        np.savez = slow_savez
        imdb.load_raw(sys.argv[1])
    """)
    env = dict(os.environ, CHAPTER12_CACHE=str(tmp_path / "cache"))
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(tiny_targz)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
    assert proc.returncode != 0
    assert list((tmp_path / "cache").iterdir()) == []


def test_corrupted_cache_is_detected_and_rebuilt(tmp_path, tiny_targz):
    env = {"CHAPTER12_CACHE": str(tmp_path / "cache")}
    script = "import sys, chapter12; (a, b), _ = chapter12.load_imdb(source=sys.argv[1]); print(sum(map(len, a)))"
    first = subprocess.run(
        [sys.executable, "-c", script, str(tiny_targz)], env=os.environ | env, capture_output=True, text=True
    )
    (cache_file,) = (tmp_path / "cache").iterdir()
    cache_file.write_bytes(cache_file.read_bytes()[:100])
    second = subprocess.run(
        [sys.executable, "-c", script, str(tiny_targz)], env=os.environ | env, capture_output=True, text=True
    )
    assert "is damaged" in second.stdout and "rebuilding" in second.stdout
    assert second.stdout.strip().splitlines()[-1] == first.stdout.strip()
    assert cache_file.stat().st_size > 100


# ----------------------------------------------------------------------------- runs


def test_overwrite_replaces_the_old_run_completely(tmp_path, small_imdb):
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale_from_last_week.ipynb").write_text("{}")
    result = cli(
        "reproduce",
        "--data",
        str(small_imdb),  # 4,000 real reviews (tests/conftest.py): small for test speed
        "--only",
        "accuracy",
        "--epochs",
        "1",
        "--models",
        "simple_rnn",
        "--out",
        str(out),
        "--overwrite",
        tmp_path=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert not (out / "stale_from_last_week.ipynb").exists()  # the runs are not mixed
    assert [r["model"] for r in json.loads((out / "results.json").read_text())["runs"]] == ["simple_rnn"]


def test_a_run_that_stops_early_removes_the_folders_it_created_for_out(tmp_path, monkeypatch):
    """--out a/b/run where a/ did not exist: a run that fails before it finishes leaves no a/ behind (found by
    the fuzzed command line: `reproduce --out run/deeper` left run/)."""
    from chapter12.run import reproduce as reproduce_module

    def stop(*args):
        raise RuntimeError("stopped before the first notebook")

    monkeypatch.setattr(reproduce_module, "_jobs", stop)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "kept").mkdir()
    options = reproduce_module.ReproduceOptions(out="a/b/run", quick=True, only=["maths"])
    with pytest.raises(RuntimeError, match="stopped before"):
        reproduce_module.reproduce(options, log=lambda *_: None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept"]
    options = reproduce_module.ReproduceOptions(out="kept/run", quick=True, only=["maths"])
    with pytest.raises(RuntimeError, match="stopped before"):
        reproduce_module.reproduce(options, log=lambda *_: None)
    assert (tmp_path / "kept").is_dir() and list((tmp_path / "kept").iterdir()) == []  # there before: kept
