"""A sweep's results.jsonl is read by rule (chapter12/report/schema.py): `report` refuses a damaged line
with one `error:` line that names the file, the line and the field, and writes nothing; a resumed sweep
skips it with a note, takes it out of the file and runs its cell again. Hypothesis then fuzzes `report`
with drawn headers and cell lines. Everything runs in this process on files of a few lines: seconds.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import io
import json
import tempfile
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from chapter12.report.schema import PARAMS, SETTINGS as SETTINGS_RULES, cell_problem, header_problem  # noqa: E402
from chapter12.report.records import read_sweep, scan_sweep  # noqa: E402
from chapter12.report.sweep import AXIS_ORDER  # noqa: E402
from chapter12.run.cli import main  # noqa: E402
from chapter12.sweep.engine import _killed_record, _record  # noqa: E402
from chapter12.sweep.grid import AXES, Grid, Settings, param_name  # noqa: E402
from chapter12.report.records import done_keys, header, start_file  # noqa: E402

SETTINGS = Settings(data="sample", data_fingerprint="f" * 64, vocabulary="keras", epochs=2, batch_size=128)
CELLS = Grid.from_values({"models": ["simple_rnn", "lstm", "gru"], "backend": ["tensorflow"]}, SETTINGS).cells()
# The committed sweeps (benchmarks/results/quick_setting/runs.jsonl is one line per run, no sweep).
COMMITTED = sorted((Path(__file__).parents[1] / "benchmarks" / "results").rglob("results.jsonl"))


def finished(cell) -> dict:
    """The line the engine writes for a cell that trained (2 epochs on the sample)."""
    result = {
        "test_accuracy": 0.81,
        "test_loss": 0.43,
        "epoch_seconds": [3.2, 2.9],
        "history": {"accuracy": [0.7, 0.8], "loss": [0.6, 0.45]},
        "n_train": 3200,
        "n_val": 800,
        "n_test": 2000,
        "seconds": {"start": 1.0, "data": 0.5, "train_and_test": 6.0, "total": 7.5},
        "backend": "tensorflow",
    }
    return _record(
        cell,
        {
            "status": "ok",
            "worker": "tcp://127.0.0.1:4000",
            "threads": 1,
            "seconds": 8.25,
            "log": "logs/a.log",
            "result": result,
        },
    )


def failed(cell) -> dict:
    """The line the engine writes for a cell whose training process failed."""
    return _record(
        cell,
        {
            "status": "failed",
            "worker": "tcp://127.0.0.1:4000",
            "threads": 1,
            "seconds": 1.5,
            "log": "logs/b.log",
            "error": "boom",
            "log_tail": ["error: boom"],
        },
    )


def good_lines() -> list:
    """A sound results file: the header, two finished cells and a failed one."""
    return [header(SETTINGS.to_dict()), finished(CELLS[0]), finished(CELLS[1]), failed(CELLS[2])]


def write(path: Path, lines: list) -> Path:
    """Write lines (dicts as JSON, str as they are) one per line."""
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


def report(capsys, path: Path, out: Path) -> tuple[int, list[str]]:
    """`python -m chapter12 report PATH --out OUT` in this process: (status, stderr lines)."""
    status = main(["report", str(path), "--out", str(out)])
    return status, capsys.readouterr().err.strip().splitlines()


# ----------------------------------------------------------------------------- the schema and its writers


def test_the_schema_holds_the_grids_axes_and_settings():
    assert set(PARAMS) == {param_name(axis) for axis in AXES} == set(AXIS_ORDER)
    assert set(SETTINGS_RULES) == {f.name for f in dataclasses.fields(Settings)}


def test_what_the_engine_writes_and_the_committed_sweeps_pass_the_schema():
    assert header_problem(header(SETTINGS.to_dict())) is None
    for record in good_lines()[1:] + [_record(CELLS[0], _killed_record(CELLS[0], RuntimeError("lost")))]:
        assert cell_problem(record) is None, record
    assert COMMITTED  # the full-data sweep and the layout runs
    for path in COMMITTED:
        head, records = read_sweep(path)
        assert records and all(cell_problem(r) is None for r in records), path


def test_a_sound_file_gives_its_report(tmp_path, capsys):
    path = write(tmp_path / "results.jsonl", good_lines())
    status, err = report(capsys, path, tmp_path / "out")
    assert status == 0 and err == []
    assert "2 cells done, 1 failed." in (tmp_path / "out" / "summary.md").read_text()


# ----------------------------------------------------------------------------- hand-edited files


def _set(field, value):
    def edit(record):
        where, name = (record["params"], field[7:]) if field.startswith("params.") else (record, field)
        if value is _DROP:
            del where[name]
        else:
            where[name] = value

    return edit


_DROP = object()
NAN, INF = float("nan"), float("inf")
# (what was done to line 3, a finished cell; the words the error must hold)
CELL_EDITS = [
    (_set("test_accuracy", _DROP), "line 3: test_accuracy missing"),
    (_set("test_accuracy", "0.8"), "line 3: test_accuracy must be a number in [0, 1], got '0.8'"),
    (_set("test_accuracy", 1.5), "line 3: test_accuracy must be a number in [0, 1], got 1.5"),
    (_set("test_accuracy", True), "line 3: test_accuracy must be a number in [0, 1], got True"),
    (_set("test_loss", NAN), "line 3: test_loss must be a number in [0, 1e9], got nan"),
    (_set("seconds", INF), "line 3: seconds must be a number in [0, 1e9], got inf"),
    (_set("seconds", -2), "line 3: seconds must be a number in [0, 1e9], got -2"),
    (_set("params.seed", True), "line 3: params.seed must be a whole number from 0 to 2**32 - 1, got True"),
    (_set("params.seed", -1), "line 3: params.seed must be a whole number from 0 to 2**32 - 1, got -1"),
    (_set("params.maxlen", 100.0), "line 3: params.maxlen must be a whole number from 1 to 2**31 - 1, got 100.0"),
    (_set("params.model", "transformer"), "line 3: params.model must be one of simple_rnn, lstm, gru"),
    (_set("params.recurrent_dropout", 1), "line 3: params.recurrent_dropout must be a number in [0, 1), got 1"),
    (_set("params.units", _DROP), "line 3: params.units missing"),
    (_set("params.colour", "red"), "line 3: params has 'colour', which is not an axis of a sweep"),
    (_set("params", [1, 2]), "line 3: params must be an object of the cell's axes, got [1, 2]"),
    (_set("status", "done"), "line 3: status must be ok or failed, got 'done'"),
    (_set("key", ""), "line 3: key must be a non-empty string, got ''"),
    (_set("key", 7), "line 3: key must be a non-empty string, got 7"),
    (_set("epoch_seconds", []), "line 3: epoch_seconds must be a list of numbers in [0, 1e9], one per epoch"),
    (_set("history", {"loss": ["low"]}), "line 3: history must be an object of lists of numbers in [-1e9, 1e9]"),
    (_set("n_test", -1), "line 3: n_test must be a whole number >= 0, got -1"),
    (_set("threads", True), "line 3: threads must be a whole number >= 1 or null, got True"),
    (_set("status", "failed"), "line 3: error missing"),
    (_set("worker", "\ud800"), "line 3: worker must be a string or null, got '\\ud800'"),
]
RAW_LINES = [  # line 3 replaced by text that is not a cell
    ('{"key": "x", "status": "o', "line 3: not a cell record (not a JSON object)"),
    ("[1, 2]", "line 3: not a cell record (not a JSON object)"),
    ("[" * 100_000 + "]" * 100_000, "line 3: not a cell record (not a JSON object)"),
]
HEADER_EDITS = [  # (what was done to the header; the words the error must hold)
    (lambda h: h.pop("settings"), "line 1: settings missing"),
    (lambda h: h["settings"].update(epochs=0), "line 1: settings.epochs must be a whole number >= 1, got 0"),
    (lambda h: h["settings"].update(vocabulary=None), "line 1: settings.vocabulary must be one of keras, clean"),
    (lambda h: h.update(settings="all"), "line 1: settings must be an object, got 'all'"),
    (lambda h: h.update(schema_version=True), "was written by another version of chapter12 (schema True"),
    (lambda h: h.update(kind="chapter12-run"), "is not a chapter12 sweep results file"),
]


def _refused_in_one_line(capsys, tmp_path, lines, expected):
    path = write(tmp_path / "results.jsonl", lines)
    status, err = report(capsys, path, tmp_path / "out")
    assert status == 2, err
    assert len(err) == 1 and err[0].startswith(f"error: {path}"), err
    assert expected in err[0], err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("edit, expected", CELL_EDITS, ids=[e for _, e in CELL_EDITS])
def test_a_hand_edited_cell_line_is_one_error_line_and_nothing_is_written(tmp_path, capsys, edit, expected):
    lines = good_lines()
    edit(lines[2])
    _refused_in_one_line(capsys, tmp_path, lines, expected)


@pytest.mark.parametrize("text, expected", RAW_LINES, ids=["cut", "a list", "nested too deep"])
def test_a_line_that_is_not_a_record_is_one_error_line(tmp_path, capsys, text, expected):
    lines = good_lines()
    lines[2] = text
    _refused_in_one_line(capsys, tmp_path, lines, expected)


@pytest.mark.parametrize("edit, expected", HEADER_EDITS, ids=[e for _, e in HEADER_EDITS])
def test_a_hand_edited_header_is_one_error_line(tmp_path, capsys, edit, expected):
    lines = good_lines()
    edit(lines[0])
    _refused_in_one_line(capsys, tmp_path, lines, expected)


def test_the_error_says_what_to_do_and_counts_blank_lines(tmp_path, capsys):
    lines = good_lines()
    del lines[2]["test_accuracy"]
    lines.insert(1, "")
    path = write(tmp_path / "results.jsonl", lines)
    status, err = report(capsys, path, tmp_path)  # --out beside the results: nothing new there either
    assert status == 2 and err == [
        f"error: {path}, line 4: test_accuracy missing; the file was edited or damaged; "
        "fix or delete that line, or run the sweep again to redo its cell"
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["results.jsonl"]


# ----------------------------------------------------------------------------- resuming a sweep


def test_a_resumed_sweep_skips_damaged_lines_with_a_note_and_takes_them_out(tmp_path, capsys):
    lines = good_lines()
    del lines[2]["test_accuracy"]
    lines.insert(3, '{"key": "half a line')
    path = write(tmp_path / "results.jsonl", lines)
    with open(path, "a") as f:
        f.write('{"key": "cut by a crash')  # no newline: never a finished line
    assert done_keys(path, SETTINGS.to_dict()) == {CELLS[0].key}  # the damaged cell runs again
    assert capsys.readouterr().err.splitlines() == [
        f"note: skipped 2 damaged lines of {path} (lines 3, 4; line 3: test_accuracy missing); the sweep takes "
        "them out of the file and runs their cells again"
    ]
    head, records, damaged = scan_sweep(path)
    assert [n for n, _ in damaged] == [3, 4] and {r["key"] for r in records} == {CELLS[0].key, CELLS[2].key}
    start_file(path, SETTINGS.to_dict())  # as the sweep does before it appends
    assert [json.loads(line) for line in path.read_text().splitlines()] == [lines[0], lines[1], lines[4]]
    assert read_sweep(path) == (head, records)  # the report at the end of the sweep reads it strictly
    assert done_keys(path, SETTINGS.to_dict()) == {CELLS[0].key} and capsys.readouterr().err == ""


# ----------------------------------------------------------------------------- fuzzed files

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6),
    st.sampled_from(["", "ok", "failed", "lstm", "tensorflow", "\ud800", "\u2028", "日本語", "NaN", "0.5"]),
    st.lists(st.one_of(st.integers(-3, 3), st.floats(), st.lists(st.integers(), max_size=2)), max_size=3),
    st.dictionaries(st.sampled_from(["accuracy", "loss", "x", ""]), st.lists(st.floats(), max_size=2), max_size=2),
)


@st.composite
def edited(draw, record: dict) -> dict:
    """record with up to three fields (or fields of its params or settings) dropped or replaced by junk."""
    record = copy.deepcopy(record)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        inner = [k for k in ("params", "settings") if isinstance(record.get(k), dict)]
        where = record[inner[0]] if inner and draw(st.booleans()) else record
        name = draw(st.sampled_from(sorted(where) + ["extra"]))
        if draw(st.booleans()):
            where.pop(name, None)
        else:
            where[name] = draw(junk)
    return record


@st.composite
def results_file(draw) -> bytes:
    """The bytes of a results file: a header and cell lines, each sound or edited, sometimes a raw line."""
    head = draw(st.one_of(*[st.just(header(SETTINGS.to_dict()))] * 3, edited(header(SETTINGS.to_dict()))))
    cells = draw(
        st.lists(st.sampled_from(good_lines()[1:]).flatmap(lambda r: st.one_of(st.just(r), edited(r))), max_size=4)
    )
    lines = [json.dumps(x) for x in [head, *cells]]
    if draw(st.integers(min_value=0, max_value=4)) == 0:  # a raw line somewhere
        raw = draw(
            st.one_of(
                st.text(max_size=20, alphabet=st.characters(blacklist_categories=("Cs",))),
                st.sampled_from(["{}", "null", "NaN", '{"kind": "chapter12-sweep"}', "[" * 5000]),
            )
        )
        lines.insert(draw(st.integers(min_value=0, max_value=len(lines))), raw)
    data = "\n".join(lines).encode("utf-8") + draw(st.sampled_from([b"\n"] * 6 + [b"", b"\n\xff\xfe\n"]))
    return data


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=results_file())
def test_report_of_a_drawn_results_file_writes_it_or_refuses_in_one_line(data):
    with tempfile.TemporaryDirectory() as folder:
        path, out = Path(folder) / "results.jsonl", Path(folder) / "out"
        path.write_bytes(data)
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            status = main(["report", str(path), "--out", str(out)])
        err = stderr.getvalue()
        event("written" if status == 0 else err.replace(str(path), "FILE").split(";")[0][:50])
        assert "Traceback" not in err, err
        if status == 0:
            assert err == "" and (out / "summary.md").is_file()
            return
        lines = err.strip().splitlines()
        assert status == 2, (status, err)
        assert len(lines) == 1 and lines[0].startswith("error: ") and str(path) in lines[0], err
        assert not out.exists()
