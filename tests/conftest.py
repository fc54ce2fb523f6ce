"""Shared fixtures: tiny IMDB data built inside the test, in every format chapter12 reads.

Most of it is small on purpose (a few dozen reviews, a vocabulary of 60 words) so that the data
tests run in well under a second each on a 2-core machine; `small_imdb` (4,000 real reviews) is
for the tests that train, and `quick_run` is the session's one quick reproduction.
"""

import gzip
import io
import json
import os
import signal
import subprocess
import sys
import tarfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

# ----------------------------------------------------------------------------- Keras-format npz

N_WORDS = 60  # ranks 1..60: small, yet larger than the num_words cuts the tests use
N_TRAIN = 30
N_TEST = 20
WORDS = [f"w{rank:02d}x" for rank in range(1, N_WORDS + 1)]  # made-up words: rank r -> WORDS[r - 1]


def _object_array(lists):
    # np.array(list_of_lists, dtype=object) would make a 2-D array if all lengths matched;
    # filling an empty object array keeps it 1-D with one Python list per review, as in imdb.npz.
    array = np.empty(len(lists), dtype=object)
    for i, seq in enumerate(lists):
        array[i] = list(seq)
    return array


def make_keras_reviews(seed=0):
    """(x_train, y_train, x_test, y_test): Python lists of ranks, lengths 1..40, labels 0/1."""
    rng = np.random.default_rng(seed)

    def split(n, first_len):
        # Lengths cycle through 1..40 so that maxlen filters keep some reviews and drop others.
        lengths = [(first_len + 7 * i) % 40 + 1 for i in range(n)]
        # Skewed ranks (small ranks more frequent), as real word ranks are.
        xs = [[int(min(N_WORDS, 1 + rng.geometric(0.08))) for _ in range(k)] for k in lengths]
        ys = np.array([i % 2 for i in range(n)], dtype=np.int64)
        rng.shuffle(ys)
        return xs, ys

    x_train, y_train = split(N_TRAIN, 0)
    x_test, y_test = split(N_TEST, 3)
    return x_train, y_train, x_test, y_test


def write_keras_npz(path, x_train, y_train, x_test, y_test, word_index=True):
    """Write an imdb.npz as Keras's file is written (object arrays, hence pickled) and its word index."""
    np.savez(
        path,
        x_train=_object_array(x_train),
        y_train=np.asarray(y_train),
        x_test=_object_array(x_test),
        y_test=np.asarray(y_test),
    )
    if word_index:
        index = {word: rank for rank, word in enumerate(WORDS, start=1)}
        (path.parent / "imdb_word_index.json").write_text(json.dumps(index), encoding="utf-8")
    return path


@pytest.fixture
def tiny_reviews():
    """The lists behind `tiny_npz`, for tests that want to check values by hand."""
    return make_keras_reviews()


@pytest.fixture
def tiny_npz(tmp_path, tiny_reviews):
    """A Keras-format imdb.npz (30 train / 20 test reviews) with imdb_word_index.json beside it."""
    folder = tmp_path / "keras_npz"
    folder.mkdir()
    return write_keras_npz(folder / "imdb.npz", *tiny_reviews)


# ----------------------------------------------------------------------------- Stanford layout

# (split, label folder, file name, text). A handful of short reviews: small for test speed.
# "movie" is the most frequent training word (7 times), "the" second (6 times) -- see
# test_ranks_follow_training_frequency. "zyzzyva" and "quux" only appear in the test split.
STANFORD_REVIEWS = [
    ("train", "pos", "0_9.txt", "A great movie!<br /><br />I don't think the movie was long. Movie, MOVIE."),
    ("train", "pos", "1_8.txt", "Loved the acting; it's a GREAT movie."),
    ("train", "pos", "2_10.txt", "The best film. Don't miss it!"),
    ("train", "neg", "0_1.txt", "Bad movie.<br />The plot didn't work."),
    ("train", "neg", "1_2.txt", "Boring, boring film; the worst movie."),
    ("train", "neg", "2_3.txt", "I didn't like the acting (at all)."),
    ("test", "pos", "0_7.txt", "A great film, zyzzyva!<br />Loved it."),
    ("test", "pos", "1_9.txt", "The movie's music: great."),
    ("test", "neg", "0_4.txt", "Bad, bad quux movie."),
    ("test", "neg", "1_1.txt", "The worst acting I have seen."),
]


def write_stanford_folder(root, reviews=STANFORD_REVIEWS):
    """Write reviews as <root>/aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt; return the aclImdb folder."""
    acl = root / "aclImdb"
    for split in ("train", "test"):
        for label in ("pos", "neg"):
            (acl / split / label).mkdir(parents=True, exist_ok=True)
    for split, label, name, text in reviews:
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        (acl / split / label / name).write_bytes(data)
    # Stanford's archive holds more than the labelled reviews; these must be ignored.
    (acl / "README").write_text("Large Movie Review Dataset v1.0\n")
    (acl / "train" / "urls_pos.txt").write_text("http://example.com/\n")
    return acl


def _add_bytes(archive, name, data, **fields):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0  # fixed, so the archive's bytes (and its cache key) are reproducible
    for key, value in fields.items():
        setattr(info, key, value)
    archive.addfile(info, io.BytesIO(data))


def pack_stanford_targz(path, reviews=STANFORD_REVIEWS, extra_members=()):
    """Pack reviews into a gzipped tar laid out as aclImdb_v1.tar.gz; extra_members are
    (name, bytes, {TarInfo fields}) added after the reviews. Reproducible bytes (mtime 0)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for folder in ("aclImdb", "aclImdb/train", "aclImdb/test"):
            _add_bytes(archive, folder, b"", type=tarfile.DIRTYPE, mode=0o755)
        _add_bytes(archive, "aclImdb/README", b"Large Movie Review Dataset v1.0\n")
        for split, label, name, text in reviews:
            data = text if isinstance(text, bytes) else text.encode("utf-8")
            _add_bytes(archive, f"aclImdb/{split}/{label}/{name}", data)
        for name, data, fields in extra_members:
            _add_bytes(archive, name, data, **fields)
    path.write_bytes(gzip.compress(buffer.getvalue(), mtime=0))
    return path


@pytest.fixture
def tiny_stanford(tmp_path):
    """The aclImdb/ folder of STANFORD_REVIEWS (train and test, pos and neg)."""
    return write_stanford_folder(tmp_path / "stanford")


@pytest.fixture
def tiny_targz(tmp_path):
    """The same reviews as `tiny_stanford`, packed as aclImdb_v1.tar.gz."""
    return pack_stanford_targz(tmp_path / "aclImdb_v1.tar.gz")


@pytest.fixture
def make_targz(tmp_path):
    """A function (name, reviews=..., extra_members=...) -> path of a fresh .tar.gz in tmp_path."""

    def make(name="aclImdb_v1.tar.gz", reviews=STANFORD_REVIEWS, extra_members=()):
        return pack_stanford_targz(tmp_path / name, reviews, extra_members)

    return make


# ----------------------------------------------------------------------------- real reviews, few of them

SMALL_TRAIN, SMALL_TEST = 4000, 1000

# The maths notebook on short sequences and few steps, settings the command line does not offer: small for test
# speed, where what is under test is not the maths (a failing neighbour, a full disk).
SHORT_MATHS = {"seq_len": 30, "train_steps": 60, "n_sequences": 4, "sgd_steps_count": 5}


@pytest.fixture(scope="session")
def small_imdb(tmp_path_factory) -> Path:
    """An imdb.npz of real reviews, for the tests that check what a run does rather than what it learns (the Ctrl-C
    runs, the local and real-cluster sweeps, --overwrite, more_notebooks' embeddings run, the JupyterLab student's
    copy): the first 2,000 negative and 2,000 positive training reviews of the bundled sample and the first 500 +
    500 of its test reviews, in Keras's format (object arrays of word ranks) with Keras's word index beside it. An
    epoch on it takes about a quarter of an epoch of `--quick` (16,000 reviews), and `--data` reads it as it would
    a user's own imdb.npz."""
    from chapter12.imdb import resolve_source

    sample = resolve_source("sample", "keras")
    raw = sample.raw()

    def first(y, n):
        return np.sort(np.concatenate([np.flatnonzero(y == label)[: n // 2] for label in (0, 1)]))

    train, test = first(raw.y_train, SMALL_TRAIN), first(raw.y_test, SMALL_TEST)
    assert (len(train), len(test)) == (SMALL_TRAIN, SMALL_TEST)  # the sample has enough reviews of each label
    folder = tmp_path_factory.mktemp("small_imdb")
    path = write_keras_npz(
        folder / "imdb.npz",
        raw.x_train.take(train).to_lists(),
        raw.y_train[train],
        raw.x_test.take(test).to_lists(),
        raw.y_test[test],
        word_index=False,  # Keras's own, not the made-up one of the tiny fixtures
    )
    (folder / "imdb_word_index.json").write_text(json.dumps(sample.word_index()), encoding="utf-8")
    return path


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A private CHAPTER12_CACHE folder, so the user's own cache is never read or written."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("CHAPTER12_CACHE", str(folder))
    monkeypatch.delenv("CHAPTER12_DATA", raising=False)
    return folder


def computed_statements(nb) -> list[str]:
    """The computed sentences an executed notebook showed; fails if a cell that calls say() showed none."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert not [o for o in cell.outputs if o.get("output_type") == "error"], cell.source[:200]
        mine = [
            "".join(o["data"]["text/markdown"])
            for o in cell.outputs
            if o.get("metadata", {}).get("chapter12") == "computed" and o.get("data", {}).get("text/markdown")
        ]
        if "say(" in cell.source:
            assert mine and all(text.strip() for text in mine), (
                f"no computed statement from the cell:\n{cell.source[:300]}"
            )
        found += mine
    return found


# ----------------------------------------------------------------------------- processes a run leaves


def descendants(pid: int) -> set[int]:
    """The processes started by process pid, its children's children included (none if it is gone)."""
    import psutil

    try:
        return {child.pid for child in psutil.Process(pid).children(recursive=True)}
    except psutil.Error:
        return set()


def still_alive(pids: set[int]) -> list[int]:
    """Those of pids that still run (zombies, which only wait to be reaped, do not count)."""
    import psutil

    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            pass
    return alive


# ----------------------------------------------------------------------------- tiers

# The fast tier (`make check`, about a minute: unit tests, the command line in-process, the fuzzers) leaves
# out what is marked `slow`: tests that execute a notebook, train in a process of their own, start a Dask
# cluster or a browser, or read the bundled Keras ground truth whole. `make test` runs everything.
# Whole files, or "file::test" (a parametrized case as "file::test[id]").
SLOW = {
    "test_full.py",
    "test_claims.py::test_a_quick_run_measures_every_claim_not_marked_full_data_only",
    "test_interrupt.py",
    "test_notebooks.py",
    "test_notebooks_maths.py",
    "test_jupyterlab.py",
    "test_full_disk.py",
    "test_predict.py::test_the_run_keeps_its_models_and_lists_them",
    "test_predict.py::test_predict_equals_model_predict_on_the_encoded_text",
    "test_predict.py::test_predict_on_the_command_line",
    "test_predict.py::test_predict_answers_bad_input_with_one_line",
    "test_predict.py::test_a_damaged_encoding_file_is_one_line",
    "test_predict.py::test_a_damaged_model_file_is_one_line",
    "test_predict.py::test_inside_notebook_reads_the_runs_models",
    "test_keras_exact.py",
    "test_wheel.py",
    "test_site.py",
    "test_publish.py::test_predict_answers_from_the_committed_reference",
    "test_terminal.py::test_quick_run_is_quiet_and_logs_everything",
    "test_sweep.py::test_a_local_sweep_stopped_by_ctrl_c_resumes_reports_and_makes_a_handout",
    "test_sweep.py::test_a_real_cluster_through_a_scheduler_file_survives_a_killed_worker",
    "test_sweep.py::test_a_failing_cell_is_recorded_and_the_others_finish",
    "test_signals.py::test_a_sweep_stopped_by_a_signal_keeps_its_cells_and_resumes",
    "test_signals.py::test_train_and_time_stopped_by_sigterm_leave_nothing",
    "test_timing.py::test_timing_notebook_under_papermill",
    "test_timing.py::test_measure_backend",
    "test_timing.py::test_xla_is_a_setting_of_tensorflow_and_rounds_take_seeds_of_their_own",
    "test_faults.py::test_overwrite_replaces_the_old_run_completely",
    "test_faults.py::test_papermill_parameter_of_the_wrong_type",
    "test_faults.py::test_time_passes_a_worker_error_on_once",
    "test_handouts.py::test_handout_renders_in_headless_chromium",
    "test_handouts.py::test_pdf_handouts_are_a4_and_show_the_figure",
    "test_train.py::test_a_run_is_the_books_fit_with_validation_split[lstm]",
    "test_train.py::test_lstm_run",
}


def pytest_collection_modifyitems(config, items):
    """Mark the tests of SLOW `slow`. A listed file that does not exist, or a listed test of a collected file that
    is not in it, fails the run: it was renamed, and would silently join the fast tier. This hook sees every
    collected test before `-m` and `-k` deselect any, so the check holds under `make check` and `make test` too."""
    here = Path(__file__).parent
    missing = sorted({name.split("::")[0] for name in SLOW} - {p.name for p in here.glob("test_*.py")})
    if missing:
        raise pytest.UsageError(f"tests/conftest.py SLOW names files that do not exist: {missing}")
    names, files = set(), set()
    for item in items:
        file = item.path.name
        keys = {file, f"{file}::{item.originalname}", f"{file}::{item.name}"}
        names |= keys
        files.add(file)
        if keys & SLOW:
            item.add_marker(pytest.mark.slow)
    # The files with slow tests first, each file's tests kept together and in order: under pytest-xdist the two
    # processes start on the long tests and finish on the short ones, and with `--dist worksteal` (the Makefile)
    # a process that runs out of work takes half of what the other has left.
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)
    stale = sorted(
        n
        for n in SLOW - names
        if "::" in n
        and n.split("::")[0] in files
        and not any("::" in str(arg) for arg in config.args)  # tests picked by id: the others were not collected
    )
    if stale:
        raise pytest.UsageError(f"tests/conftest.py SLOW names tests that do not exist: {stale}")


def as_from_a_terminal() -> None:
    """preexec_fn of a command that the test stops by a signal: it starts as a command typed in a terminal does,
    with Ctrl-C and SIGHUP at their defaults, even where the suite itself runs under `nohup` (SIGHUP ignored) or
    as a background job of a script (SIGINT ignored); a process keeps what it inherits ignored, and chapter12
    leaves an ignored signal alone (tests/test_signals.py)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


@pytest.fixture
def terminal_signals():
    """Ctrl-C and SIGHUP at their defaults in this process for one test (see as_from_a_terminal), as they were
    after."""
    before = {s: signal.signal(s, signal.SIG_DFL) for s in (signal.SIGINT, signal.SIGHUP)}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


def env_without(*names: str) -> dict[str, str]:
    """This process's environment less the variables named: for a command run as a user would run it."""
    return {k: v for k, v in os.environ.items() if k not in names}


def _made_once(tmp_path_factory, name: str, make) -> Path:
    """The session's folder `name`, made by make(folder) in the first process that asks for it.

    Under pytest-xdist (make test) every process asks: the first makes it under the session's shared temporary
    folder while holding a file lock, the others wait for the lock and read it. `<name>.built` beside the folder
    lists the process that made it (tests/test_notebooks.py checks that one did)."""
    import fcntl

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    out = shared / name / "run"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / f"{name}.built").exists():
            out.parent.mkdir(exist_ok=True)
            if out.exists():  # a process before this one failed to make it: try again from nothing, with its error
                import shutil

                shutil.rmtree(out)
            make(out)
            with open(shared / f"{name}.built", "a") as built:
                built.write(os.environ.get("PYTEST_XDIST_WORKER", "main") + "\n")
    return out


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory):
    """One quick reproduction, shared by every test that reads a run folder: the accuracy and maths notebooks,
    seeds 0 and 1, one epoch in batches of 256 (small for test speed), on the bundled sample. Tests read it and
    never change it; a test that changes a run copies it first. Made once in the session (_made_once).

    It is made as a user makes it, by the command in a terminal-less process of its own, with neither
    CHAPTER12_DATA nor TF_CPP_MIN_LOG_LEVEL set; what the command printed is kept beside the session's folder
    `quick/` (`quick_run_output`), for the test of what a quiet run shows. Nothing but the run is in `quick/`:
    tests/test_notebooks.py checks that reproduce left nothing beside its output folder."""

    def make(out):
        env = env_without("CHAPTER12_DATA", "TF_CPP_MIN_LOG_LEVEL")
        argv = ["reproduce", "--quick", "--epochs", "1", "--batch-size", "256", "--seeds", "0", "1"]
        argv += ["--only", "accuracy", "maths", "--out", str(out)]
        result = subprocess.run(
            [sys.executable, "-m", "chapter12", *argv], cwd=out.parent, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
        for name, text in (("stdout", result.stdout), ("stderr", result.stderr)):  # beside the folder `quick/`
            (out.parent.parent / f"quick.{name}").write_text(text, encoding="utf-8")

    return _made_once(tmp_path_factory, "quick", make)


@pytest.fixture(scope="session")
def quick_run_output(quick_run) -> tuple[str, str]:
    """What the command that made quick_run printed: (stdout, stderr)."""
    return tuple(
        (quick_run.parent.parent / f"quick.{name}").read_text(encoding="utf-8") for name in ("stdout", "stderr")
    )


# The embeddings notebook on small_imdb, one epoch in batches of 256, with a demonstration GloVe file of 40 words (for
# test speed) and its own default words (the claims test needs pairs of the same and of opposite sentiment); the
# inside notebook on quick_run's models.
MORE_NOTEBOOKS = {
    "embeddings": {"quick": False, "epochs": 1, "batch_size": 256, "verbose": 0, "glove_words": 40},
    "inside": {"quick": True, "n_reviews": 20, "n_disagree": 1, "interactive": False},
}


@pytest.fixture(scope="session")
def more_notebooks(tmp_path_factory, quick_run, small_imdb):
    """The two notebooks that quick_run leaves out, executed once in the session into one folder: each executed
    notebook under its own name, their results (and the GloVe file, the figures) under `out/`. Read by the claims
    test, the embeddings test and the inside test; never changed. Made once in the session (_made_once)."""
    from chapter12.notebook.execute import NotebookJob, run_notebook
    from chapter12.report.notebooks import NOTEBOOKS

    given = {"embeddings": {"data_source": str(small_imdb)}, "inside": {"run_dir": str(quick_run)}}

    def make(folder):
        folder.mkdir()
        for kind, parameters in MORE_NOTEBOOKS.items():
            job = NotebookJob(
                NOTEBOOKS[kind].filename,
                parameters | given[kind] | {"output_dir": str(folder / "out")},
                NOTEBOOKS[kind].results_file,
            )
            record = run_notebook(job, folder, folder / "notebooks.log")  # the runner reproduce uses
            assert record["status"] == "ok", record

    return _made_once(tmp_path_factory, "more", make)
