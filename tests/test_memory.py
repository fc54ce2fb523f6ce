"""chapter12.memory: a cell's memory is estimated from its settings and the data's size, and a cell that cannot
fit this machine is refused before anything starts, with one line that says how much it would take.

The estimate against measured peak memory is in benchmarks/bench_memory.py (memory, like time, is not
asserted in tests). Nothing here trains: each command is stopped by the check, in well under a second.
"""

import ast
from pathlib import Path

import pytest

import chapter12.memory
from chapter12.book import MODEL_KINDS, BookConfig
from chapter12.errors import Chapter12Error
from chapter12.imdb.sources import BundledSample, KerasDownload, NpzFile, StanfordReviews
from chapter12.memory import cell_memory, check_memory, format_bytes, machine_memory, weight_count
from chapter12.report.records import read_sweep
from chapter12.run.cli import main

BOOK = BookConfig()
GIB = 1 << 30
FULL = {"n_train": 25_000, "n_test": 25_000}  # the IMDB reviews: Keras's download, imdb.npz, the Stanford archive
SAMPLE = {"n_train": 4_000, "n_test": 2_000}
SWEEP_FULL = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "sweep_full" / "results.jsonl"


def _estimate(model="lstm", **changes):
    settings = (
        dict(maxlen=BOOK.maxlen, num_words=BOOK.num_words, units=BOOK.units, batch_size=BOOK.batch_size, **FULL)
        | changes
    )
    return cell_memory(model, **settings)


@pytest.mark.parametrize("model", MODEL_KINDS)
def test_the_estimate_grows_with_maxlen_units_num_words_and_the_data(model):
    for setting, values in (
        ("maxlen", (25, 100, 400, 10**8)),
        ("units", (16, 64, 256)),
        ("num_words", (500, 2500, 10_000)),
        ("n_train", (4_000, 25_000)),
    ):
        estimates = [_estimate(model, **{setting: v}) for v in values]
        assert estimates == sorted(estimates) and len(set(estimates)) == len(estimates), (setting, estimates)


def test_a_batch_larger_than_the_data_costs_what_all_the_training_reviews_cost_at_once():
    # Keras cuts a batch at the end of the data: 20,000 reviews are fitted (the last 5,000 validate).
    assert _estimate(batch_size=10**9) == _estimate(batch_size=20_000) > _estimate(batch_size=4_096)


def test_the_weights_counted_are_those_of_the_chapters_models():
    # Embedding 2500 x 128, SimpleRNN 128x64 + 64x64 + biases, Dense 64 + 1 (the LSTM: four gates, two ways).
    rnn = weight_count("simple_rnn", num_words=2500, units=64)
    assert 2500 * 128 + 128 * 64 + 64 * 64 + 64 + 65 <= rnn <= 2500 * 128 + 128 * 64 + 64 * 64 + 128 + 65
    lstm = weight_count("lstm", num_words=2500, units=64) - 2500 * 128 - 65
    assert lstm >= 4 * (128 * 64 + 64 * 64 + 64)
    assert weight_count("bidirectional_lstm", num_words=2500, units=64) - 2500 * 128 - 129 == 2 * lstm


def test_the_evaluation_batch_is_trains():
    # Read from train.py's source: importing it would start Keras, seconds for one number.
    tree = ast.parse((Path(chapter12.memory.__file__).parent / "train.py").read_text(encoding="utf-8"))
    used = [
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["EVALUATION_BATCH_SIZE"]
    ]
    assert used == [chapter12.memory.EVALUATION_BATCH_SIZE]


def _real_sweep_cells() -> tuple[list[dict], int, dict]:
    """The cells of the project's largest sweep that was run, its batch size and its data's sizes."""
    head, records = read_sweep(SWEEP_FULL)
    ok = [r for r in records if r["status"] == "ok"]
    sizes = {"n_train": ok[0]["n_train"] + ok[0]["n_val"], "n_test": ok[0]["n_test"]}
    return [r["params"] for r in ok], head["settings"]["batch_size"], sizes


@pytest.mark.parametrize("available", [None, 8 * GIB], ids=["this machine", "8 GiB"])
def test_the_books_settings_and_the_projects_sweeps_are_accepted(available):
    book = [{"model": m, "maxlen": BOOK.maxlen, "num_words": BOOK.num_words, "units": BOOK.units} for m in MODEL_KINDS]
    for data in (FULL, SAMPLE):
        check_memory(book, batch_size=BOOK.batch_size, **data, available=available)
    cells, batch_size, sizes = _real_sweep_cells()
    assert sizes == FULL and max(c["maxlen"] for c in cells) == 400
    check_memory(cells, batch_size=batch_size, **sizes, available=available)


def test_the_widest_axes_a_sweep_here_uses_fit_8_gib():
    # Every model, maxlen up to 400, units up to 256 and num_words up to 10,000 on the full data.
    cells = [{"model": m, "maxlen": 400, "num_words": 10_000, "units": 256} for m in MODEL_KINDS]
    assert check_memory(cells, batch_size=BOOK.batch_size, **FULL, available=8 * GIB) < 8 * GIB


@pytest.mark.parametrize(
    "changes, named",
    [
        ({"maxlen": 10**8}, "maxlen 100000000 would need about "),
        ({"units": 100_000}, "units 100000 would need about "),
        ({"num_words": 10**12}, "num words 1000000000000 would need about "),
        ({"batch_size": 10**9, "units": 1024}, "batch size 1000000000 would need about "),
    ],
)
def test_what_cannot_fit_is_refused_naming_the_setting_the_size_and_the_machine(changes, named):
    cell = {"model": "lstm", "maxlen": BOOK.maxlen, "num_words": BOOK.num_words, "units": BOOK.units}
    batch_size = changes.pop("batch_size", BOOK.batch_size)
    with pytest.raises(Chapter12Error) as refused:
        check_memory([cell | changes], batch_size=batch_size, **FULL, available=8 * GIB)
    message = str(refused.value)
    flag = "--" + named.split(" would")[0].rsplit(" ", 1)[0].replace(" ", "-")
    assert message.startswith(named) and "this machine has 8.0 GiB" in message, message
    assert message.endswith(f"choose a smaller {flag}"), message


def test_a_machine_too_small_for_the_books_settings_is_told_so():
    cell = {"model": "lstm", "maxlen": BOOK.maxlen, "num_words": BOOK.num_words, "units": BOOK.units}
    refused = r"^one cell would need about 1\.\d GiB .*; use a machine with more memory$"
    with pytest.raises(Chapter12Error, match=refused):
        check_memory([cell], batch_size=BOOK.batch_size, **SAMPLE, available=GIB // 2)


def test_sizes_are_written_in_binary_units_even_past_the_last():
    assert [format_bytes(n) for n in (0, 1023, 1536, 8 * GIB, 3 * 1024**5)] == [
        "0 B",
        "1023 B",
        "1.5 KiB",
        "8.0 GiB",
        "3.0 PiB",
    ]
    assert format_bytes(10**400) == "over 1000 YiB"


def test_this_machines_memory_is_at_most_its_physical_memory():
    import os

    assert 0 < machine_memory() <= os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def test_each_source_counts_its_reviews_as_raw_gives_them(tiny_npz, tiny_targz, cache):
    assert KerasDownload().review_counts() == (25_000, 25_000)  # known without the download
    for source in (BundledSample(), NpzFile(tiny_npz), StanfordReviews(tiny_targz)):
        raw = source.raw()
        assert source.review_counts() == (len(raw.x_train), len(raw.x_test)), source


# ----------------------------------------------------------------------------- the commands, in-process


def _one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert captured.out == "", captured.out  # nothing started, nothing listed
    return lines[0]


def test_a_sweep_too_big_for_this_machine_is_refused_before_its_dry_run(tmp_path, capsys):
    out = tmp_path / "sweep"
    assert main(["sweep", "--quick", "--maxlen", "100", "100000000", "--out", str(out), "--dry-run"]) == 2
    line = _one_error_line(capsys)
    assert line.startswith("error: maxlen 100000000 would need about ") and " TiB of memory" in line, line
    assert "this machine has" in line and line.endswith("choose a smaller --maxlen")
    assert not out.exists()


def test_train_too_big_for_this_machine_is_refused_before_keras_starts(tmp_path, capsys, monkeypatch):
    import chapter12.sweep.cell

    def trained(*args, **kwargs):
        raise AssertionError("train_here was called")

    monkeypatch.setattr(chapter12.sweep.cell, "train_here", trained)
    json_out = tmp_path / "cell.json"
    assert main(["train", "--quick", "--maxlen", "100000000", "--json", str(json_out)]) == 2
    assert _one_error_line(capsys).startswith("error: maxlen 100000000 would need about ")
    assert list(tmp_path.iterdir()) == []


def test_reproduce_with_a_batch_of_all_the_reviews_is_refused_on_a_small_machine(tmp_path, capsys, monkeypatch):
    # The sample's 3,200 training reviews in one batch of the book's LSTM: about 3.6 GiB (2.8 GiB measured).
    monkeypatch.setattr(chapter12.memory, "machine_memory", lambda: 2 * GIB)
    out = tmp_path / "run"
    assert main(["reproduce", "--quick", "--batch-size", "1000000000", "--out", str(out)]) == 2
    line = _one_error_line(capsys)
    assert line.startswith("error: batch size 1000000000 would need about ") and "has 2.0 GiB" in line, line
    assert line.endswith("choose a smaller --batch-size") and not out.exists()
