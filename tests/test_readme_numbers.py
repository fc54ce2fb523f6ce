"""The README's numbers come from the committed results files, and its links resolve.

The README's measured numbers sit in generated blocks (chapter12/report/readme.py); these tests fail when a
block differs from what benchmarks/results/ gives, and show that a changed result changes the block.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chapter12.report import readme
from chapter12.report.site import slug

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "benchmarks" / "README.md"]


GENERATED_PAGES = [README, *(ROOT / "docs" / page for page in ("results.md", "testing.md", "usage.md"))]


def test_the_generated_blocks_are_what_the_results_files_give():
    names = set()
    for page in GENERATED_PAGES:
        on_page = [m.group("name") for m in readme.BLOCK.finditer(page.read_text("utf-8"))]
        assert len(on_page) == len(set(on_page)), f"{page.name}: a block appears twice"
        names |= set(on_page)
    assert names == set(readme.blocks()), "every generator has its block on one of GENERATED_PAGES"
    for page in GENERATED_PAGES:
        assert readme.stale(page.read_text(encoding="utf-8"), readme.blocks()) == [], f"run: {readme.__name__} --write"
        assert readme.cli([str(page), "--check"]) == 0


def test_the_backends_table_follows_the_runs(tmp_path):
    records = [json.loads(line) for line in readme.SEEDS.read_text().splitlines()]
    head, runs = records[0], records[1:]
    jax_rnn = [r for r in runs if r["params"].get("backend") == "jax" and r["params"]["model"] == "simple_rnn"]
    assert len(jax_rnn) >= 5
    kept = [r for r in runs if r not in jax_rnn[1:]]  # one JAX simple RNN run left: too few to compare
    changed = tmp_path / "results.jsonl"
    changed.write_text("\n".join(json.dumps(r) for r in [head, *kept]) + "\n")
    table = readme.backends_table(changed)
    one = jax_rnn[0]["test_accuracy"]
    assert f"| simple RNN | {one:.4f} (1 runs) |" in table
    assert "simple RNN: jax (n=1) against tensorflow (n=20): not compared yet (each needs 5 runs)." in table
    assert "- simple RNN: jax 0." not in table  # no test of means with a single run


def test_a_changed_result_changes_the_table_and_the_verdict(tmp_path):
    lines = readme.SEEDS.read_text().splitlines()
    records = [json.loads(line) for line in lines]
    lstm = [
        r
        for r in records
        if r.get("status") == "ok"
        and r["params"]["model"] == "lstm"
        and r["params"].get("backend", "tensorflow") == "tensorflow"
    ]
    assert len(lstm) >= 10
    before = readme.book_table(readme.SEEDS)
    assert "The book's LSTM is an ordinary draw" in before
    # 40 runs, every one far below the book's 0.8441: the book's LSTM becomes an unusual draw (with 20 runs a
    # rank test cannot go below 2/21, so the count matters as much as the values)
    others = [r for r in records if r not in lstm]
    template = lstm[0]
    many = [
        {
            **template,
            "key": f"{template['key']}-{k}",
            "params": {**template["params"], "seed": k},
            "test_accuracy": 0.70,
        }
        for k in range(40)
    ]
    changed = tmp_path / "results.jsonl"
    changed.write_text("\n".join(json.dumps(r) for r in others + many) + "\n")
    after = readme.book_table(changed)
    assert "| LSTM accuracy | 0.8441 | 0.7000 ± 0.0000 (40 seeds)" in after
    assert "probability 0.05; with 40 runs it cannot fall below 0.049)" in after
    assert "The book's LSTM is an unusual draw" in after
    text = README.read_text(encoding="utf-8")
    assert readme.stale(text, {**readme.blocks(), "book-table": after}) == ["book-table"]
    filled = readme.fill(text, {**readme.blocks(), "book-table": after})
    assert "0.7000 ± 0.0000" in filled and filled.count("<!-- end: book-table -->") == 1


def test_the_lead_sentence_follows_the_numbers(tmp_path):
    head, *cells = [json.loads(line) for line in readme.SWEEP_FULL.read_text().splitlines()]
    for r in cells:
        if r.get("status") == "ok" and r["params"]["model"] == "simple_rnn":
            r["test_accuracy"] = 0.5  # the LSTM now leads everywhere by its own accuracy minus 0.5
    changed = tmp_path / "results.jsonl"
    changed.write_text("\n".join(json.dumps(r) for r in [head, *cells]) + "\n")
    table = readme.lead_table(changed)
    assert "| simple RNN | 0.500 | 0.500 | 0.500 | 0.500 | 0.500 |" in table
    assert "**+25.7** | **+29.7** | **+33.9** | **+34.4** | **+31.1**" in table
    assert "The LSTM leads by 26 to 30 points at 25 and 50 words and by 31 to 34 points at 200 and 400 words." in table


def test_an_unknown_block_is_an_error():
    with pytest.raises(KeyError, match="no generator"):
        readme.fill("<!-- generated: nonsense (x) -->\nold\n<!-- end: nonsense -->", readme.blocks())


def test_the_readme_is_a_front_door():
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 200


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)  # a "# comment" in code is no heading
    return {slug(m.group(1)) for m in re.finditer(r"^#+ (.+)$", text, re.M)}


@pytest.mark.parametrize("page", [README, *DOCS], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_resolves(page):
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        file, _, anchor = target.partition("#")
        path = (page.parent / file).resolve() if file else page
        if not path.exists():
            broken.append(f"{target}: no such file")
        elif anchor and path.suffix == ".md" and anchor not in _anchors(path):
            broken.append(f"{target}: no heading with that anchor")
    assert broken == []


def test_the_licence_and_the_citation_say_what_they_cover():
    import yaml

    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in licence and "CC BY 4.0" in licence and "Maas" in licence
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0" and citation["title"] and citation["authors"]
    assert any(r["authors"][0]["family-names"] == "Maas" and r["year"] == 2011 for r in citation["references"])


def test_the_suite_times_block_reads_the_tiers_records(tmp_path):
    assert "Not measured in a fresh clone yet" in readme.suite_times_block(tmp_path)
    record = {"commit": "f" * 40, "date": "2026-12-06", "cpu": "AMD EPYC", "cpu_count": 2, "failures": 0}
    slowest = [{"test": "tests/test_a.py::test_b[x]", "seconds": 61.25}]
    (tmp_path / "check.json").write_text(
        json.dumps(record | {"tier": "check", "wall_seconds": 95.0, "tests": 700, "skipped": 1, "slowest": []})
    )
    (tmp_path / "test.json").write_text(
        json.dumps(record | {"tier": "test", "wall_seconds": 450.0, "tests": 800, "skipped": 2, "slowest": slowest})
    )
    lines = readme.suite_times_block(tmp_path).splitlines()
    assert lines[2] == "| `make check` | 1.6 | 699 | 1 | fffffff | 2-core AMD EPYC, 2026-12-06 |"
    assert lines[3] == "| `make test` | 7.5 | 798 | 2 | fffffff | 2-core AMD EPYC, 2026-12-06 |"
    assert lines[-1] == "| 61.2 | `tests/test_a.py::test_b[x]` |"
