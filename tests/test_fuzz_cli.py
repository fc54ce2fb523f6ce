"""A fuzzed command line: whatever flags and values a user types, `reproduce`, `time`, `handouts`, `sweep`,
`train`, `predict` and `report` either start normally or answer with exit status 2 and exactly one
`error:` line, no traceback, and create nothing.

Hypothesis draws the flags (in any order, repeated or not), their values (negative, huge, zero,
non-numeric, empty, unicode, paths that do not exist, files where folders are expected and the
reverse), the switches and the positional arguments. Each example runs `chapter12.run.cli.main` in
this process, stopped at the first step of real work: `reproduce`'s notebook jobs, where what passed
the checks is held against the limits the notebooks will apply; `time`'s first worker, where its
settings must pass their own check; `handouts`' first page; `sweep`'s connection to Dask, where its
grid must hold cells; `train`'s import of Keras, where its cell must be one a results file would
accept; `predict`'s loading of the saved models (the review comes as text, from --file, or on
standard input); `report`'s first figure, once its results file passed the schema
(tests/test_results_schema.py fuzzes those files' contents). The Keras download is replaced by a
tiny local stand-in. Nothing is trained, so the test takes seconds.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from pathlib import Path
from unittest import mock

import nbformat
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, event, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import chapter12.predict as predict_module  # noqa: E402
import chapter12.report.handouts as handouts_module  # noqa: E402
import chapter12.report.sweep as report_module  # noqa: E402
import chapter12.sweep.cell as cell_module  # noqa: E402
import chapter12.sweep.engine as sweep_module  # noqa: E402
import chapter12.run.reproduce as reproduce_module  # noqa: E402
import chapter12.timing as timing_module  # noqa: E402
from chapter12.book import MODEL_KINDS, BookConfig  # noqa: E402
from chapter12.run.cli import main  # noqa: E402
from chapter12.errors import Chapter12Error  # noqa: E402
from chapter12.imdb import load_raw, resolve_source  # noqa: E402
from chapter12.imdb.sources import KerasDownload  # noqa: E402
from chapter12.predict import Encoding, save_encoding  # noqa: E402
from chapter12.report.schema import PARAMS  # noqa: E402

from conftest import WORDS, pack_stanford_targz, write_keras_npz, make_keras_reviews  # noqa: E402
from test_results_schema import good_lines, write  # noqa: E402

EXAMPLES = 500


class Started(Exception):
    """Raised where `reproduce` would begin real work: every check has passed."""


def _time_started(settings, log=print):
    settings.check()  # a worker would refuse nothing that the parent let through
    assert settings.epochs >= 3 and settings.repeats >= 1
    raise Started


def _handouts_started(*args, **kwargs):
    raise Started


def _sweep_started(options):
    grid, _ = sweep_module.make_grid(options)  # what reaches the workers is a grid of checked cells
    assert grid.cells() and all(cell.key for cell in grid.cells())
    raise Started


REAL_TRAIN_HERE = cell_module.train_here


@contextlib.contextmanager
def _keras_blocked():
    """`import keras` raises ImportError while the block runs (None in sys.modules), whether or not it was imported."""
    saved = sys.modules.get("keras")
    sys.modules["keras"] = None
    try:
        yield
    finally:
        if saved is None:
            del sys.modules["keras"]
        else:
            sys.modules["keras"] = saved


def _train_started(params, settings, threads, json_out):
    # What reaches training is one checked cell, as a sweep's results file would record it, and Keras is told
    # its backend before it starts. The real body then checks --json and imports Keras: it is stopped there.
    for name, (ok, what) in PARAMS.items():
        assert ok(params[name]), (name, params[name], what)
    assert threads >= 1 and settings["epochs"] >= 1 and settings["batch_size"] >= 1
    assert os.environ["KERAS_BACKEND"] == params["backend"]
    try:  # the data too: a bad --data found only after Keras started came under its start-up lines
        resolve_source(settings["data"], settings["vocabulary"])
    except Chapter12Error as e:
        raise AssertionError(f"unchecked data reached training: {e}") from None
    with _keras_blocked():
        try:
            REAL_TRAIN_HERE(params, settings, threads, json_out)
        except ImportError as e:
            if "keras" not in str(e):
                raise
            raise Started from None
    raise AssertionError("train_here went on without Keras")


def _predict_started(files):
    assert files and all(path.suffix == ".keras" and path.is_file() for path in files)
    raise Started


def _report_started(rows, folder):
    # What reaches the figures passed the results file's schema: one row per finished cell.
    assert all(0 <= row["test_accuracy"] <= 1 and row["epoch_seconds"] >= 0 for row in rows)
    raise Started


def _started(options, config, source):
    # What reaches the notebooks must pass the limits they will apply: NumPy's seed range (which is
    # Keras's), one run per seed, known models and notebooks, and the book's settings' own checks.
    for seed in options.seeds:
        np.random.RandomState(seed)
    assert len(set(options.seeds)) == len(options.seeds), options.seeds
    assert set(options.models) <= set(MODEL_KINDS) and set(options.only) <= set(reproduce_module.NOTEBOOKS)
    BookConfig(**config.to_dict() | {"metrics": tuple(config.metrics)})
    raise Started


# Places a path value may point at, made once in a folder of their own.
PLACES = [
    "archive",
    "npz",
    "a_file",
    "empty_folder",
    "folder_with_files",
    "missing",
    "missing/deeper",
    "a_file/below",
    "run",
    "saved_run",
    "review",
    "binary",
    "results",
    "results_damaged",
    "results_other_version",
]
FLAGS = {  # the flags that take values, per command
    "reproduce": [
        "--seeds",
        "--epochs",
        "--batch-size",
        "--models",
        "--only",
        "--backend",
        "--repeats",
        "--vocabulary",
        "--data",
        "--out",
    ],
    "time": ["--backends", "--data", "--vocabulary", "--variants", "--epochs", "--repeats", "--batch-size", "--json"],
    "handouts": ["--out"],
    "sweep": [
        "--seeds",
        "--epochs",
        "--batch-size",
        "--models",
        "--maxlen",
        "--num-words",
        "--units",
        "--recurrent-dropout",
        "--backend",
        "--vocabulary",
        "--data",
        "--out",
        "--grid",
        "--workers",
        "--threads-per-worker",
    ],
    "train": [
        "--model",
        "--seed",
        "--maxlen",
        "--num-words",
        "--units",
        "--recurrent-dropout",
        "--backend",
        "--epochs",
        "--batch-size",
        "--data",
        "--vocabulary",
        "--threads",
        "--json",
    ],
    "predict": ["--file"],
    "report": ["--out"],
}
SWITCHES = {
    "reproduce": ["--quick", "--overwrite", "--verbose"],
    "time": ["--quick"],
    "handouts": ["--hide-code", "--answers"],
    "sweep": ["--quick", "--overwrite", "--dry-run"],
    "train": ["--quick"],
    "predict": [],
    "report": ["--notebook", "--distribution"],
}

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
junk = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["0", "-1", "4294967296", "1e3", "1.5", "nan", "", " ", "-", "--", "None"]),
    text,
)
edges = st.one_of(
    st.sampled_from(["-1", "0", "1", "4294967295", "4294967296", "-4294967296", str(2**63), str(-(2**63))]),
    st.integers(min_value=-(2**40), max_value=2**40).map(str),
)
place = st.sampled_from(PLACES).map(lambda p: f"@{p}")  # replaced by the real path in the test
# Plausible values for each flag, mixed with junk: most examples get past the parser, so the checks
# after it (ranges, paths, data, combinations) are what the test exercises.
GOOD = {
    "--seeds": st.integers(min_value=0, max_value=2**32 - 1).map(str),
    "--epochs": st.sampled_from(["1", "2", "3", "5"]),
    "--batch-size": st.sampled_from(["1", "128", "100000"]),
    "--repeats": st.sampled_from(["1", "2"]),
    "--models": st.sampled_from(["simple_rnn", "lstm", "gru", "bidirectional_lstm"]),
    "--only": st.sampled_from(["accuracy", "timing", "maths", "embeddings"]),
    "--backend": st.sampled_from(["tensorflow", "jax", "torch"]),
    "--vocabulary": st.sampled_from(["keras", "clean"]),
    "--data": st.one_of(place, st.sampled_from(["sample", "keras"])),
    "--out": st.one_of(place, st.sampled_from(["run", "run/deeper", "."])),
    "--backends": st.sampled_from(["tensorflow", "jax", "torch"]),
    "--variants": st.sampled_from(["book", "fused"]),
    "--json": st.one_of(place, st.sampled_from(["t.json", "deeper/t.json"])),
    "--maxlen": st.sampled_from(["25", "100", "400"]),
    "--num-words": st.sampled_from(["4", "500", "2500"]),
    "--units": st.sampled_from(["1", "64"]),
    "--recurrent-dropout": st.sampled_from(["0", "0.2", "0.5"]),
    "--grid": place,
    "--workers": st.sampled_from(["1", "2"]),
    "--threads-per-worker": st.sampled_from(["1", "2"]),
    "--model": st.sampled_from(MODEL_KINDS),
    "--seed": st.integers(min_value=0, max_value=2**32 - 1).map(str),
    "--threads": st.sampled_from(["0", "1", "2"]),
    "--file": st.one_of(place, st.just("@review")),
}
MANY = {
    "--seeds",
    "--models",
    "--only",
    "--backends",
    "--variants",
    "--maxlen",
    "--num-words",
    "--units",
    "--recurrent-dropout",
}  # flags that take several values (train's take one)


@st.composite
def flag_use(draw, command):
    flag = draw(st.sampled_from(FLAGS[command]))
    # Most values plausible; the rest at the edges of the ranges, junk, or a stray path.
    value = st.one_of(*[GOOD[flag]] * 4, edges, edges, junk, place)
    many = flag in MANY and command != "train"
    count = draw(st.integers(min_value=1, max_value=3) if many else st.sampled_from([1, 1, 1, 1, 0, 2]))
    return flag, [draw(value) for _ in range(count)]


@st.composite
def command_line(draw):
    """(command, [(flag, values)], switches, positional): a whole command line, drawn. `predict`'s positional
    is (RUN_DIR, the review or None, what standard input holds)."""
    command = draw(
        st.sampled_from(["reproduce", "reproduce", "time", "handouts", "sweep", "train", "predict", "report"])
    )
    flags = draw(st.lists(flag_use(command), max_size=3))
    switches = draw(st.lists(st.sampled_from(SWITCHES[command]), max_size=2)) if SWITCHES[command] else []
    positional = None
    if command == "handouts":
        positional = draw(st.one_of(st.just("@run"), st.just("@run"), place, junk))
    elif command == "report":
        positional = draw(st.one_of(st.just("@results"), st.just("@results"), place, junk))
    elif command == "predict":
        review = st.one_of(st.none(), st.none(), st.sampled_from(["w01x w02x w03x", "a great film", "", "   "]), junk)
        stdin = st.sampled_from(["w01x w02x", "", "\x00\x01", "line\nbreak w03x"])
        positional = (
            draw(st.one_of(st.just("@saved_run"), st.just("@saved_run"), place, junk)),
            draw(review),
            draw(stdin),
        )
    return command, flags, switches, positional


@pytest.fixture(scope="module")
def places(tmp_path_factory):
    base = tmp_path_factory.mktemp("places")
    paths = {
        "archive": pack_stanford_targz(base / "aclImdb_v1.tar.gz"),
        "npz": write_keras_npz(base / "imdb.npz", *make_keras_reviews()),
        "a_file": base / "notes.txt",
        "empty_folder": base / "empty",
        "folder_with_files": base / "full",
    }
    paths["a_file"].write_text("not reviews\n")
    paths["empty_folder"].mkdir()
    paths["folder_with_files"].mkdir()
    (paths["folder_with_files"] / "x.txt").write_text("x")
    paths["missing"] = base / "missing"
    paths["missing/deeper"] = base / "missing" / "deeper"
    paths["a_file/below"] = paths["a_file"] / "below"
    paths["run"] = base / "run"  # what a reproduce run leaves: one executed notebook
    paths["run"].mkdir()
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "print(1)", outputs=[nbformat.v4.new_output("stream", name="stdout", text="1\n")], execution_count=1
            )
        ]
    )
    nbformat.write(notebook, paths["run"] / "03_sentiment_accuracy.ipynb")
    paths["saved_run"] = (
        base / "saved_run"
    )  # what the accuracy notebook keeps: a model (never loaded here), its encoding
    models = paths["saved_run"] / "models"
    models.mkdir(parents=True)
    (models / "lstm-seed0.keras").write_bytes(b"a model")
    save_encoding(
        models,
        Encoding(vocabulary="keras", num_words=20, maxlen=10),
        {word: rank for rank, word in enumerate(WORDS, start=1)},
    )
    paths["review"] = base / "review.txt"
    paths["review"].write_text("w01x w02x w03x\n", encoding="utf-8")
    paths["binary"] = base / "review.bin"
    paths["binary"].write_bytes(b"\x00\xff\xfe\x80 not UTF-8")
    lines = good_lines()  # a sweep's results, sound, with a damaged line, of another schema version
    paths["results"] = write(base / "results.jsonl", lines)
    paths["results_damaged"] = write(base / "damaged.jsonl", [*lines[:2], {**lines[2], "test_accuracy": None}])
    paths["results_other_version"] = write(base / "other.jsonl", [{**lines[0], "schema_version": 2}, *lines[1:]])
    return base, {k: str(v) for k, v in paths.items()}


@contextlib.contextmanager
def _inside(folder: str):
    """contextlib.chdir, which Python 3.10 lacks."""
    old = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(old)


def _listing(*folders: Path) -> set[str]:
    return {str(p) for folder in folders for p in folder.rglob("*")}


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=command_line(), out_given=st.sampled_from([True, True, True, False]))
# The cases a user met before the checks existed, always run besides the drawn ones.
@example(line=("reproduce", [("--seeds", ["-1"])], ["--quick"], None), out_given=True)
@example(line=("reproduce", [("--seeds", ["4294967296"])], ["--quick"], None), out_given=True)
@example(line=("reproduce", [("--seeds", ["3", "3"])], ["--quick"], None), out_given=True)
@example(line=("reproduce", [("--out", ["/proc/chapter12-nope"])], ["--quick"], None), out_given=False)
@example(line=("reproduce", [("--data", ["@a_file/below"])], [], None), out_given=True)
@example(line=("reproduce", [("--data", ["line\nbreak"])], [], None), out_given=True)
@example(line=("time", [("--data", ["/nonexistent"])], [], None), out_given=False)
@example(line=("time", [("--vocabulary", ["clean"])], ["--quick"], None), out_given=False)
@example(line=("handouts", [("--out", ["@a_file/below"])], [], "@run"), out_given=False)
@example(line=("time", [("--json", ["@a_file/below"])], ["--quick"], None), out_given=False)
@example(line=("time", [("--json", ["@a_file"])], ["--quick"], None), out_given=False)  # replaces the file: starts
@example(line=("sweep", [("--data", ["sample"])], [], None), out_given=True)
@example(line=("train", [("--json", ["@empty_folder"])], ["--quick"], None), out_given=False)
@example(line=("train", [("--data", ["/nonexistent"])], [], None), out_given=False)
@example(line=("train", [("--vocabulary", ["clean"])], ["--quick"], None), out_given=False)
@example(line=("predict", [("--file", ["@binary"])], [], ("@saved_run", None, "")), out_given=False)
@example(line=("predict", [("--file", ["@empty_folder"])], [], ("@saved_run", None, "")), out_given=False)
@example(line=("predict", [], [], ("@saved_run", None, "")), out_given=False)
@example(line=("predict", [], [], ("@saved_run", "w01x w02x", "")), out_given=False)
@example(line=("predict", [], [], ("@a_file", "w01x", "")), out_given=False)
@example(line=("report", [], [], "@results_damaged"), out_given=False)
@example(line=("report", [], [], "@results"), out_given=False)
def test_command_line_starts_or_refuses_in_one_line(places, line, out_given):
    base, paths = places
    keras_stand_in = load_raw(paths["npz"])  # the download, without the internet
    command, flags, switches, positional = line

    def value(v):
        return paths[v[1:]] if v.startswith("@") and v[1:] in paths else v

    if isinstance(positional, tuple):  # predict: RUN_DIR, the review or None, what standard input holds
        run_dir, review, stdin_text = positional
        argv = [command, value(run_dir)] + ([review] if review is not None else [])
    else:
        argv, stdin_text = [command] + ([value(positional)] if positional is not None else []), ""
    for flag, vals in flags:
        argv += [flag, *(value(v) for v in vals)]
    argv += switches
    if out_given and command in ("reproduce", "sweep"):
        argv += ["--out", "run_here"]
    with tempfile.TemporaryDirectory() as work, tempfile.TemporaryDirectory() as cache:
        before = _listing(base, Path(work))
        stdout, stderr = io.StringIO(), io.StringIO()
        with (
            mock.patch.dict(os.environ, {"CHAPTER12_CACHE": cache}),
            _inside(work),
            mock.patch.object(reproduce_module, "_jobs", side_effect=_started),
            mock.patch.object(timing_module, "measure_backend", side_effect=_time_started),
            mock.patch.object(handouts_module, "_exporter", side_effect=_handouts_started),
            mock.patch.object(sweep_module, "connect", side_effect=_sweep_started),
            mock.patch.object(cell_module, "train_here", side_effect=_train_started),
            mock.patch.object(predict_module, "load_models", side_effect=_predict_started),
            mock.patch.object(report_module, "save_sweep_figures", side_effect=_report_started),
            mock.patch.object(sys, "stdin", io.StringIO(stdin_text)),
            mock.patch.object(KerasDownload, "raw", lambda self: keras_stand_in),
            contextlib.redirect_stdout(stdout),
            contextlib.redirect_stderr(stderr),
        ):
            os.environ.pop("CHAPTER12_DATA", None)
            try:
                status = main(argv)
            except Started:
                status = "started"
            except SystemExit as e:  # argparse's usage errors
                status = e.code
        after = _listing(base, Path(work))
    err = stderr.getvalue()
    event(
        f"{command}: "
        + (
            "started"
            if status == "started"
            else err.split(";")[0].split(":")[1].strip()[:30]
            if ":" in err
            else str(status)
        )
    )
    assert "Traceback" not in err, (argv, err)
    assert after == before, (argv, sorted(after ^ before))  # nothing created, nothing removed
    if status == "started" or (status == 0 and "--dry-run" in switches):
        json_at = [v for flag, vals in flags if flag == "--json" for v in vals[-1:]]
        # a --json below a file cannot be written (a --json naming the file itself replaces it: that may start)
        assert not (command == "time" and json_at and value(json_at[-1]).startswith(str(paths["a_file"]) + "/")), argv
        return
    lines = err.strip().splitlines()
    assert status == 2, (argv, status, err)
    assert len(lines) == 1 and lines[0].startswith("error: "), (argv, err)
