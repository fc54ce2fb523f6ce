"""The README's numbers, computed from the committed results files, never typed.

Each generated block of README.md sits between two markers,

    <!-- generated: NAME (python -m chapter12.report.readme --write README.md) -->
    ...
    <!-- end: NAME -->

and `blocks()` computes every block from the files under benchmarks/results/. `--write` rewrites the
blocks in place (atomically); `--check` exits 1 when a block differs from what the files give, which is
what tests/test_readme_numbers.py asserts.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
from pathlib import Path

from chapter12.book import BOOK_RESULTS
from chapter12.files import write_text
from chapter12.paths import CHECKOUT, COMMITTED_RESULTS, SEEDS_RESULTS
from chapter12.paths import SWEEP_FULL as SWEEP_FULL_DIR
from chapter12.report.claims import evaluate_claims, tally
from chapter12.report.mutation import MUTATION_RESULTS, mutation_table, read_mutation_records
from chapter12.report.results import timing_table_markdown
from chapter12.report.speed import SPEED_RUNS, ratio_table, read_speed_runs, speed_table, speed_verdict
from chapter12.report.padding import PADDING_RUNS, data_sets, padding_sentences, padding_table, read_padding_runs
from chapter12.report.word2vec import (
    WORD2VEC_RESULTS,
    chapter_words_sentence,
    frozen_sentence,
    neighbours_table,
    read_word2vec_results,
)
from chapter12.report.distribution import (
    STALL_MARGIN,
    backend_comparison,
    group_stats,
    runs_by_group,
    spread_paragraph,
    stalled,
)
from chapter12.report.records import read_sweep
from chapter12.report.sweep import gap_by, ok_rows

ROOT = CHECKOUT
SEEDS = SEEDS_RESULTS
SWEEP_FULL = SWEEP_FULL_DIR / "results.jsonl"
REFERENCE = ROOT / "reference"
SUITE_TIMES = COMMITTED_RESULTS / "suite"  # benchmarks/suite_times.py's records of the test tiers
MODEL_NAMES = {"simple_rnn": "simple RNN", "lstm": "LSTM"}
BLOCK = re.compile(r"(<!-- generated: (?P<name>[\w-]+) [^\n]*-->\n)(?P<body>.*?)(<!-- end: (?P=name) -->)", re.S)


def book_table(seeds_file: Path = SEEDS, backend: str = "tensorflow") -> str:
    """Book against reproduced: test accuracy and loss over the seeds of one backend."""
    _, records = read_sweep(seeds_file)
    groups = runs_by_group(records)
    lines = [
        f"| model | book | reproduced: mean ± sd over {backend} seeds | lowest – highest | book's percentile |",
        "|---|---|---|---|---|",
    ]
    verdicts: list[str] = []
    stalls = ""
    for model in ("simple_rnn", "lstm"):
        runs = groups.get((model, backend), [])
        if not runs:
            continue
        s = group_stats(runs, model)
        book = BOOK_RESULTS[model]
        lines.append(
            f"| {MODEL_NAMES[model]} accuracy | {book['test_accuracy']:.4f} | {s['mean']:.4f} ± {s['sd']:.4f} "
            f"({s['n']} seeds) | {s['min']:.4f} – {s['max']:.4f} | {s['book_percentile']:.0f} |"
        )
        verdicts.append(_verdict(MODEL_NAMES[model], s))
        if model == "simple_rnn":
            n_stalled = sum(stalled(runs))
            stalls = (
                f"{n_stalled} of {len(runs)} simple RNN runs stalled (test accuracy more than {STALL_MARGIN} below "
                "the median of the runs)."
            )
    lines += ["", " ".join(verdicts) + (" " + stalls if stalls else "")]
    return "\n".join(lines) + "\n"


def _verdict(name: str, s: dict) -> str:
    if s.get("book_typical") is None:
        return f"{name}: {s['n']} runs, too few to say whether the book's value is a typical draw."
    word = "an ordinary draw" if s["book_typical"] else "an unusual draw"
    return (
        f"The book's {name} is {word} of these runs (one more run lands at least as far out with probability "
        f"{s['book_p']:.2f}; with {s['n']} runs it cannot fall below {2 / (s['n'] + 1):.3f})."
    )


def lead_table(sweep_file: Path = SWEEP_FULL) -> str:
    """The LSTM's lead over the simple RNN (test accuracy, mean over seeds) at each review length."""
    _, records = read_sweep(sweep_file)
    rows = ok_rows(records)
    gaps = gap_by(rows, "maxlen")
    means = {}
    for row in rows:
        means.setdefault((row["model"], row["maxlen"]), []).append(row["test_accuracy"])
    head = "| words kept (maxlen) | " + " | ".join(str(x) for x, _, _ in gaps) + " |"
    rule = "|---" * (len(gaps) + 1) + "|"
    cells = {
        model: " | ".join(f"{sum(means[model, x]) / len(means[model, x]):.3f}" for x, _, _ in gaps)
        for model in ("simple_rnn", "lstm")
    }
    lead = " | ".join(f"**{100 * g:+.1f}**" for _, g, _ in gaps)
    short, long = gaps[:2], gaps[-2:]
    sentence = (
        f"The LSTM leads by {_points(short)} points at {_words(short)} words and by {_points(long)} points at "
        f"{_words(long)} words."
    )
    seeds = sorted({n for _, _, n in gaps})
    return (
        "\n".join(
            [
                head,
                rule,
                f"| simple RNN | {cells['simple_rnn']} |",
                f"| LSTM | {cells['lstm']} |",
                f"| LSTM's lead, points | {lead} |",
                "",
                f"(test accuracy, mean over {'/'.join(map(str, seeds))} seeds per cell, full data, book settings)",
                "",
                sentence,
            ]
        )
        + "\n"
    )


def _points(gaps: list) -> str:
    low, high = sorted(100 * g for _, g, _ in gaps)[:: len(gaps) - 1] if len(gaps) > 1 else [100 * gaps[0][1]] * 2
    return f"{low:.0f}" if round(low) == round(high) else f"{low:.0f} to {high:.0f}"


def _words(gaps: list) -> str:
    return " and ".join(str(x) for x, _, _ in gaps)


def claims_table(reference: Path = REFERENCE) -> str:
    """The claims ledger's verdicts on the committed reference run and results, one row per claim."""
    evaluations = evaluate_claims([reference] if reference.is_dir() else [])
    lines = ["| section | the chapter says | verdict |", "|---|---|---|"]
    lines += [f"| {e.claim.section} | {' '.join(e.claim.claim.split())} | {e.verdict} |" for e in evaluations]
    return "\n".join(lines + ["", tally(evaluations)]) + "\n"


def backends_table(seeds_file: Path = SEEDS) -> str:
    """Each model's test accuracy on each backend (mean ± sd, runs), and the tests of equal means between them."""
    groups = runs_by_group(read_sweep(seeds_file)[1])
    backends = sorted({b for _, b in groups}, key=lambda b: (b == "tensorflow", b))
    lines = ["| model | " + " | ".join(backends) + " |", "|---" * (len(backends) + 1) + "|"]
    for model in ("lstm", "simple_rnn"):
        cells = []
        for backend in backends:
            runs = groups.get((model, backend), [])
            s = group_stats(runs, model) if runs else None
            sd = f" ± {s['sd']:.4f}" if s and s["sd"] is not None else ""
            cells.append(f"{s['mean']:.4f}{sd} ({s['n']} runs)" if s else "—")
        lines.append(f"| {MODEL_NAMES[model]} | " + " | ".join(cells) + " |")
    return "\n".join(lines + [""] + backend_comparison(groups)) + "\n"


def padding_block(runs_file: Path = PADDING_RUNS) -> str:
    """Both models with zeros in front or behind, masked or not: the table and its sentences."""
    rows = read_padding_runs(runs_file)
    return padding_table(rows) + "\n" + "\n\n".join(padding_sentences(rows, d) for d in data_sets(rows)) + "\n"


def seeds_block(seeds_file: Path = SEEDS, backend: str = "tensorflow") -> str:
    """The book's experiment over the seeds of one backend: the table with the bootstrap interval and the
    book's percentile, the spread and stall sentences (as the accuracy notebook computes them), the stalled seeds."""
    _, records = read_sweep(seeds_file)
    records = [r for r in records if r.get("params", {}).get("backend", "tensorflow") == backend]
    groups = runs_by_group(records)
    lines = [
        "| model | runs | mean | sd | min – max | 95% bootstrap interval of the mean | book | book's percentile |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for model in ("lstm", "simple_rnn"):
        runs = groups.get((model, backend), [])
        if not runs:
            continue
        st = group_stats(runs, model)
        interval = f"{st['interval'][0]:.4f} – {st['interval'][1]:.4f}" if st["interval"] else "—"
        lines.append(
            f"| {MODEL_NAMES[model]} | {st['n']} | {st['mean']:.4f} | {st['sd']:.4f} | {st['min']:.4f} – "
            f"{st['max']:.4f} | {interval} | {BOOK_RESULTS[model]['test_accuracy']:.4f} | {st['book_percentile']:.0f} |"
        )
    text = "\n".join(lines) + "\n\n" + spread_paragraph(records, backend)
    rnn = groups.get(("simple_rnn", backend), [])
    seeds = [r["params"]["seed"] for r, flag in zip(rnn, stalled(rnn)) if flag]
    if seeds:
        text += f" The stalled runs are those of seeds {', '.join(str(s) for s in sorted(seeds))}."
    return text + "\n"


def inside_block(reference: Path = REFERENCE) -> str:
    """The inside notebook's measurements in the reference run: the models, how far back each looks (trained and
    untrained), the lead by review length and the word-by-word examples, as a table and computed sentences."""

    inside = json.loads((reference / "inside_results.json").read_text(encoding="utf-8"))
    seed = inside["config"]["model_seed"]
    runs = json.loads((reference / "results.json").read_text(encoding="utf-8"))["runs"]
    accuracy = {r["model"]: r["test_accuracy"] for r in runs if r["seed"] == seed}
    env = inside["environment"]
    reach = inside["reach"]
    half = {key: value["half"] for key, value in reach.items()}
    rows = [
        ("simple_rnn", "simple RNN, trained", True),
        ("lstm", "LSTM, trained", True),
        ("simple_rnn, untrained", "simple RNN, untrained", False),
        ("lstm, untrained", "LSTM, untrained", False),
    ]
    lines = [
        f"The models: simple RNN {accuracy['simple_rnn']:.4f}, LSTM {accuracy['lstm']:.4f} test accuracy (seed {seed} "
        f"of the reference run, {env['cpu_count']}-core {env['cpu']}).",
        "",
        "| model | half of the gradient on the last ... words | 90% on the last ... words |",
        "|---|---|---|",
    ]
    for key, name, bold in rows:
        h = f"**{reach[key]['half']}**" if bold else str(reach[key]["half"])
        lines.append(f"| {name} | {h} | {reach[key]['ninety']} |")

    def decades(key: str) -> float:
        mean = [v for v in reach[key]["mean"] if v]
        return math.log10(mean[0] / min(mean))

    further = "the LSTM" if half["lstm"] > half["simple_rnn"] else "the simple RNN"
    sentences = [
        f"Trained, half of the LSTM's gradient falls on its last {half['lstm']} words and the simple RNN's on its last "
        f"{half['simple_rnn']}: {further} looks further back.",
        f"Untrained, the simple RNN's half falls on its last {half['simple_rnn, untrained']} words and the LSTM's on "
        f"its last {half['lstm, untrained']}, and the untrained LSTM's gradient falls by "
        f"{decades('lstm, untrained'):.1f} decades over the 100 steps (the trained LSTM's by "
        f"{decades('lstm'):.1f}, the trained simple RNN's by {decades('simple_rnn'):.1f}).",
        f"Training multiplied the LSTM's reach by {half['lstm'] / half['lstm, untrained']:.1f} and the simple RNN's "
        f"by {half['simple_rnn'] / half['simple_rnn, untrained']:.2f}.",
    ]
    mean = reach["simple_rnn"]["mean"]
    lowest = min(v for v in mean if v)
    if mean.index(lowest) + 1 < len(mean):
        sentences.append(
            f"The trained simple RNN's curve is lowest at k = {mean.index(lowest) + 1}, and its value at k = "
            f"{len(mean)} is {mean[-1] / lowest:.1f} times that lowest value."
        )
    groups = inside["by_length"]
    leads = {name: g["lstm"] - g["simple_rnn"] for name, g in groups.items()}
    sentences.append(
        "The LSTM's lead in test accuracy by review length: "
        + "; ".join(f"{lead:+.3f} on {name}, {groups[name]['count']:,} reviews" for name, lead in leads.items())
        + f"; largest on {max(leads, key=leads.get).split(' (')[0]} reviews."
    )
    if "disagreements" in inside:
        d = inside["disagreements"]
        sentences.append(
            f"Of the {d['test_reviews']:,} test reviews, the LSTM gets {d['lstm_right_rnn_wrong']:,} right that the "
            f"simple RNN gets wrong, and the simple RNN {d['rnn_right_lstm_wrong']:,} that the LSTM gets wrong."
        )
    for title, curves in inside["word_by_word"].items():
        sentences.append(
            f"On {title}, the simple RNN ends at P(positive) = {curves['simple_rnn'][-1]:.2f} and the LSTM at "
            f"{curves['lstm'][-1]:.2f}."
        )
    return "\n".join(lines) + "\n\n" + " ".join(sentences) + "\n"


def timing_block(reference: Path = REFERENCE) -> str:
    """The timing notebook's measurement in the reference run: its three tables and what they say, computed."""

    measured = json.loads((reference / "timing_results.json").read_text(encoding="utf-8"))
    env = next(iter(measured["environment"].values()))
    ratio = {row["variant"]: row for row in measured["timing_summary"] if row["backend"] == "tensorflow"}
    entries = [e for e in measured["timing"] if e["backend"] == "tensorflow"]

    def median(variant: str, model: str, key: str) -> float:
        return statistics.median(e[key] for e in entries if (e["variant"], e["model"]) == (variant, model))

    peak = measured["matmul_flops_per_second"]["tensorflow"]
    shares = [median(v, m, "achieved_flops_per_second") / peak for v in ratio for m in ("simple_rnn", "lstm")]
    book_rate = [median("book", m, "achieved_flops_per_second") / 1e9 for m in ("simple_rnn", "lstm")]
    sentences = [
        f"Measured on {env['cpu_count']} cores of an {env['cpu']}, Keras {env['keras']} on TensorFlow "
        f"{env['backend_version']}, {entries[0]['n_train']:,} training reviews, {len(entries[0]['epoch_seconds'])} "
        f"epochs per run, {ratio['book']['n']} interleaved repeats.",
        f"The book variant's LSTM took {ratio['book']['ratio_median']:.2f} times the simple RNN's time per epoch "
        f"and the fused variant's {ratio['fused']['ratio_median']:.2f} (the arithmetic: 4.00; the book: roughly 2).",
        f"In the book variant the simple RNN ran at {book_rate[0]:.1f} GFLOP/s and the LSTM at {book_rate[1]:.1f}.",
        f"Without the recurrent dropout the LSTM's epoch took {median('fused', 'lstm', 'median_epoch_seconds'):.2f} s "
        f"against {median('book', 'lstm', 'median_epoch_seconds'):.2f} s, the simple RNN's "
        f"{median('fused', 'simple_rnn', 'median_epoch_seconds'):.2f} s against "
        f"{median('book', 'simple_rnn', 'median_epoch_seconds'):.2f} s.",
        f"The timed LSTM runs scored {median('book', 'lstm', 'test_accuracy'):.4f} (book) and "
        f"{median('fused', 'lstm', 'test_accuracy'):.4f} (fused) on the test reviews.",
        f"The recurrent layers reached {min(shares):.0%} to {max(shares):.0%} of the speed the same CPU reached on one "
        f"{measured.get('config', {}).get('matmul_size', 2048)}² matrix product ({peak / 1e9:.0f} GFLOP/s).",
    ]
    return timing_table_markdown(measured) + "\n" + " ".join(sentences) + "\n"


def backend_speed_block(runs_file: Path = SPEED_RUNS) -> str:
    """The book's models per epoch on TensorFlow, TensorFlow with XLA, JAX and torch, and whether to switch."""
    runs = read_speed_runs(runs_file)
    return speed_table(runs) + "\n" + speed_verdict(runs) + "\n\n" + ratio_table(runs)


def word2vec_block(results_file: Path = WORD2VEC_RESULTS) -> str:
    """word2vec on the reviews: neighbours, the chapter's example, frozen against learned embedding."""
    results = read_word2vec_results(results_file)
    cosines = "; ".join(
        f"{pair.replace('/', ' and ')} {results['models']['skip-gram']['cosines'][pair]:.2f} (skip-gram), "
        f"{results['models']['cbow']['cosines'][pair]:.2f} (CBOW)"
        for pair in results["models"]["skip-gram"]["cosines"]
    )
    table = neighbours_table(results, ["good", "bad", "boring"]).rstrip("\n")
    return (
        "\n".join(
            [table, "", f"Cosines: {cosines}.", "", chapter_words_sentence(results), "", frozen_sentence(results)]
        )
        + "\n"
    )


def reference_time_block(reference: Path = REFERENCE) -> str:
    """How long the reference run's notebooks took, from the seconds papermill's run recorded for each."""
    results = json.loads((reference / "results.json").read_text(encoding="utf-8"))
    env = results["environment"]
    notebooks = results["notebooks"]
    minutes = sum(n["seconds"] for n in notebooks) / 60
    each = ", ".join(f"{n['name'].removesuffix('.ipynb')} {n['seconds'] / 60:.1f}" for n in notebooks)
    return (
        f"The {len(notebooks)} notebooks of the committed reference took {minutes:.1f} minutes on a "
        f"{env['cpu_count']}-core {env['cpu']} ({each}; `reference/results.json`); `make reference` also executes the "
        "sweep notebook on the committed sweep and copies the files.\n"
    )


def suite_times_block(folder: Path = SUITE_TIMES) -> str:
    """The test tiers' wall times in a fresh clone and the slowest tests of `make test` (benchmarks/suite_times.py)."""
    files = [folder / f"{tier}.json" for tier in ("check", "test")]
    if not all(f.is_file() for f in files):
        return "Not measured in a fresh clone yet: `python benchmarks/suite_times.py CLONE check test` records it.\n"
    records = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    rows = ["| command | minutes | tests passed | skipped | commit | machine |", "|---|---|---|---|---|---|"]
    for r in records:
        rows.append(
            f"| `make {r['tier']}` | {r['wall_seconds'] / 60:.1f} | {r['tests'] - r['skipped'] - r['failures']} "
            f"| {r['skipped']} | {r['commit'][:7]} | {r['cpu_count']}-core {r['cpu']}, {r['date']} |"
        )
    slowest = ["| seconds | test (`make test`, setup included) |", "|---|---|"]
    slowest += [f"| {t['seconds']:.1f} | `{t['test']}` |" for t in records[1]["slowest"]]
    return "\n".join(rows) + "\n\n" + "\n".join(slowest) + "\n"


def mutation_block(folder: Path = MUTATION_RESULTS) -> str:
    """The mutation testing records as one table (docs/testing.md)."""
    return mutation_table(read_mutation_records(folder))


def blocks() -> dict[str, str]:
    """Every generated block of the README and of the docs (GENERATED_PAGES), by name."""
    return {
        "book-table": book_table(),
        "lead-by-length": lead_table(),
        "claims": claims_table(),
        "backends": backends_table(),
        "padding": padding_block(),
        "word2vec": word2vec_block(),
        "backend-speed": backend_speed_block(),
        "seeds": seeds_block(),
        "timing": timing_block(),
        "inside": inside_block(),
        "reference-time": reference_time_block(),
        "mutation": mutation_block(),
        "suite-times": suite_times_block(),
    }


def fill(text: str, generated: dict[str, str]) -> str:
    """text with every generated block replaced by its computed body (unknown block names are an error)."""

    def repl(m: re.Match) -> str:
        name = m.group("name")
        if name not in generated:
            raise KeyError(f"README block {name!r} has no generator; known: {sorted(generated)}")
        return m.group(1) + generated[name] + m.group(4)

    return BLOCK.sub(repl, text)


def stale(text: str, generated: dict[str, str]) -> list[str]:
    """Names of the blocks whose body differs from what the results files give."""
    return [m.group("name") for m in BLOCK.finditer(text) if generated.get(m.group("name")) != m.group("body")]


def cli(argv=None) -> int:
    p = argparse.ArgumentParser(description="Fill the README's generated blocks from benchmarks/results/.")
    p.add_argument("readme", type=Path, nargs="?", default=ROOT / "README.md")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the blocks in place")
    mode.add_argument("--check", action="store_true", help="exit 1 when a block differs from the results files")
    args = p.parse_args(argv)
    text = args.readme.read_text(encoding="utf-8")
    generated = blocks()
    if args.check:
        names = stale(text, generated)
        if names:
            print(
                f"error: {args.readme}: block(s) {', '.join(names)} differ from benchmarks/results/; "
                "run python -m chapter12.report.readme --write",
                file=sys.stderr,
            )
            return 1
        return 0
    write_text(args.readme, fill(text, generated))
    return 0


if __name__ == "__main__":
    sys.exit(cli())
