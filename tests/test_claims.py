"""The claims ledger (chapter12/report/claims.yaml, chapter12/report/claims.py, `python -m chapter12 claims`).

The verdicts must follow the numbers: every rule is moved across each of its thresholds and must change the
verdict; a changed results file must change the printed verdict; a missing number reads "not measured";
docs/claims.md is what the command gives on the committed reference.
"""

import json
import shutil
from pathlib import Path

import pytest

from chapter12.errors import Chapter12Error
from chapter12.report.claims import (
    LEDGER,
    NOT_MEASURED,
    VERDICTS,
    evaluate_claims,
    load_ledger,
    passes,
    rule_in_words,
    verdict_of,
)
from chapter12.run.cli import main

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference"
CLAIMS = load_ledger()


def test_the_ledger_covers_at_least_twelve_claims_of_the_chapter():
    assert len(CLAIMS) >= 12
    assert len({c.id for c in CLAIMS}) == len(CLAIMS)
    chapter = ROOT.parent / "shared" / "book" / "chapter-12.3-recurrent-neural-networks.txt"
    for claim in CLAIMS:
        assert all(s.strip().startswith("12.3.") for s in claim.section.split(","))
        if chapter.is_file():  # paraphrased, never copied: no run of eight words from the chapter
            words = " ".join(chapter.read_text(encoding="utf-8").lower().split())
            mine = claim.claim.lower().split()
            assert not any(" ".join(mine[i : i + 8]) in words for i in range(len(mine) - 7)), claim.id
    measured = [c for c in CLAIMS if c.rules]
    assert len(measured) >= 12  # at least twelve verdicts come from a number


def test_every_figure_named_as_a_file_exists():
    for claim in CLAIMS:
        path = claim.figure.split(",")[0].strip()
        if path.startswith(("benchmarks/", "reference/")):
            assert (ROOT / path).is_file(), f"{claim.id}: {path}"


def _failing(test):
    """A value that fails one condition."""
    ((op, limit),) = test.items()
    if op in ("below", "at_most"):
        return limit + abs(limit) + 1
    if op in ("above", "at_least"):
        return limit - abs(limit) - 1
    if op == "between":
        return limit[1] + abs(limit[1]) + 1
    if isinstance(limit, bool):
        return not limit
    if isinstance(limit, (int, float)):
        return limit + 1
    return [] if isinstance(limit, list) else f"not {limit}"


def _passing(test):
    ((op, limit),) = test.items()
    return {
        "below": lambda: limit - abs(limit) * 0.5 - 1e-12,
        "above": lambda: limit + abs(limit) * 0.5 + 1e-12,
        "at_most": lambda: limit,
        "at_least": lambda: limit,
        "between": lambda: (limit[0] + limit[1]) / 2,
        "equals": lambda: limit,
    }[op]()


@pytest.mark.parametrize("claim", [c for c in CLAIMS if c.rules], ids=lambda c: c.id)
def test_each_rule_gives_its_verdict_and_each_threshold_crossed_changes_it(claim):
    for i, rule in enumerate(claim.rules):
        values = {}
        for earlier in claim.rules[:i]:  # earlier rules must not match first
            for name, test in earlier["if"].items():
                values.setdefault(name, _failing(test))
        for name, test in rule["if"].items():
            values[name] = _passing(test)
            assert passes(test, values[name])
        assert verdict_of(claim, values) == rule["verdict"], (claim.id, i, values)
        for name, test in rule["if"].items():
            crossed = dict(values, **{name: _failing(test)})
            assert verdict_of(claim, crossed) != rule["verdict"], (claim.id, i, name, crossed)


def test_a_missing_number_is_not_measured_never_guessed():
    evaluations = evaluate_claims([], seeds=None, sweep=None, committed={})
    for e in evaluations:
        if e.claim.rules:
            assert e.verdict == NOT_MEASURED, e.claim.id
            assert "(not measured)" in e.text
        else:
            assert e.verdict in VERDICTS


def test_rules_read_as_words():
    claim = next(c for c in CLAIMS if c.id == "lstm-doubles-the-time")
    assert rule_in_words(claim) == (
        "holds if book between 1.5 and 2.5; holds with a condition if book > 2.5 and fused between 1.5 and 2.5; "
        "otherwise does not hold"
    )


def _claims_output(run_dir, capsys):
    assert main(["claims", str(run_dir)]) == 0
    out = capsys.readouterr().out
    return {block.split(" (")[0]: block for block in out.split("\n\n")}


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="no committed reference run")
def test_a_changed_results_file_changes_the_printed_verdict(tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(REFERENCE, run, ignore=shutil.ignore_patterns("*.ipynb", "models", "figures"))
    before = _claims_output(run, capsys)
    assert "vanishing-gradient-shallow (12.3.2): HOLDS" in before["vanishing-gradient-shallow"]

    maths = json.loads((run / "maths_results.json").read_text())
    maths["vanishing_gradient"]["simple_rnn"]["ratio"] = 0.5  # the gradient barely shrinks: the claim fails
    (run / "maths_results.json").write_text(json.dumps(maths))
    accuracy = json.loads((run / "accuracy_results.json").read_text())
    accuracy["errata"] = {
        "padding_keeps": "first", "most_frequent_index": 4, "smallest_word_index": 4, "largest_index": 2499,
        "num_words": 2500, "longest_review": 2494, "lengths_same_with_num_words_100": False,
        "largest_index_with_num_words_100": 99,
    }  # fmt: skip
    (run / "accuracy_results.json").write_text(json.dumps(accuracy))
    after = _claims_output(run, capsys)
    assert "vanishing-gradient-shallow (12.3.2): DOES NOT HOLD" in after["vanishing-gradient-shallow"]
    assert "0.5 of the gradient" in after["vanishing-gradient-shallow"].replace("5.0e-01", "0.5")
    assert "truncation-keeps-first-words (12.3.4): HOLDS" in after["truncation-keeps-first-words"]
    assert "most-frequent-word-index (12.3.4): ERRATUM" in after["most-frequent-word-index"]
    # had a smaller num_words shortened the reviews, the measurement would no longer show the erratum
    assert "num-words-is-review-length (12.3.4): NOT MEASURED" in after["num-words-is-review-length"]
    assert "num-words-is-review-length (12.3.4): ERRATUM" in before["num-words-is-review-length"]
    assert "truncation-keeps-first-words (12.3.4): ERRATUM" in before["truncation-keeps-first-words"]


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="no committed reference run")
def test_docs_claims_page_is_what_the_command_gives(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(["claims", "reference", "--check", "docs/claims.md"]) == 0, capsys.readouterr().out
    page = (ROOT / "docs" / "claims.md").read_text(encoding="utf-8")
    for e in evaluate_claims(["reference"]):
        assert f"**{e.verdict}**" in page and e.text in page


def test_check_fails_on_a_stale_page_and_write_makes_it_current(tmp_path, capsys):
    page = tmp_path / "claims.md"
    assert main(["claims", "--check", str(page)]) == 1
    assert "does not exist; make it with --write" in capsys.readouterr().out
    page.write_text("old\n")
    assert main(["claims", "--check", str(page)]) == 1
    assert "out of date" in capsys.readouterr().out
    assert main(["claims", "--write", str(page)]) == 0
    assert main(["claims", "--check", str(page)]) == 0


@pytest.mark.parametrize(
    "args, words",
    [
        (["claims", "no/such/run"], "is not a folder"),
        (["claims", "--write", "."], "is a folder"),
    ],
)
def test_bad_arguments_get_one_line(args, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda t: t.replace("verdict: holds\n", "verdict: maybe\n", 1), "unknown verdicts"),
        (lambda t: t.replace("left_to_right: {below", "nowhere: {below", 1), "not among its values"),
        (lambda t: t.replace("id: vanishing-gradient-shallow", "id: bidirectional-april", 1), "used twice"),
        (lambda t: t.replace("{below: 1.0e-3}", "{smaller: 1.0e-3}", 1), "must be one of"),
        (lambda t: t.replace("results: maths,", "results: nothing,", 1), "unknown results kind"),
        (lambda t: t.replace("committed: word2vec,", "committed: glove,", 1), "unknown committed results"),
        (lambda t: t + "\n  - [unclosed\n", "cannot read the claims ledger"),
    ],
)
def test_a_broken_ledger_is_named(tmp_path, change, words):
    broken = tmp_path / "claims.yaml"
    broken.write_text(change(LEDGER.read_text(encoding="utf-8")))
    with pytest.raises(Chapter12Error, match=words):
        load_ledger(broken)


def test_a_quick_run_measures_every_claim_not_marked_full_data_only(quick_run, more_notebooks):
    # quick_run executed the accuracy and maths notebooks, more_notebooks the embeddings notebook and the inside
    # notebook (on quick_run's models; tests/conftest.py). The timing claim is checked in tests/test_timing.py.
    more = more_notebooks / "out"
    kinds = {"accuracy", "maths", "embeddings", "inside"}
    evaluations = {e.claim.id: e for e in evaluate_claims([quick_run, more], seeds=None, sweep=None, committed={})}
    checked = []
    for claim in CLAIMS:
        if claim.full_data_only or not claim.rules:
            continue
        assert _results_kinds(claim.values.values()) <= kinds | {"timing"}, claim.id
        if "timing" in _results_kinds(claim.values.values()):
            continue
        assert evaluations[claim.id].verdict != NOT_MEASURED, (claim.id, evaluations[claim.id].missing)
        checked.append(claim.id)
    assert len(checked) >= 10


def _results_kinds(specs):
    kinds = set()
    for spec in specs:
        if "results" in spec:
            kinds.add(spec["results"])
        for part in spec.get("difference") or spec.get("ratio") or []:
            kinds |= _results_kinds([part])
        if "run_accuracy" in spec:
            kinds.add("accuracy")
        if "timing" in spec:
            kinds.add("timing")
    return kinds
