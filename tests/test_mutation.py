"""The mutation testing records (benchmarks/mutation.py): the table of docs/testing.md is computed from them, and
every survivor that no test kills is explained there by its id."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chapter12.errors import Chapter12Error
from chapter12.report.mutation import left_alive, mutation_table, read_mutation_records

ROOT = Path(__file__).resolve().parents[1]
TESTING = ROOT / "docs" / "testing.md"


def _explained(text: str) -> dict[str, set[int]]:
    """The ids explained in docs/testing.md: lines `- **name** #3, #4: why`."""
    explained: dict[str, set[int]] = {}
    for name, ids in re.findall(r"^- \*\*(\w+)\*\* ((?:#\d+(?:, )?)+)", text, flags=re.M):
        explained.setdefault(name, set()).update(int(i) for i in re.findall(r"#(\d+)", ids))
    return explained


def test_every_record_is_whole_and_names_a_module_of_the_package():
    records = read_mutation_records()
    assert records
    for name, record in records.items():
        assert (ROOT / record["module"]).is_file(), name
        assert sum(record["counts"].values()) == record["mutants"], name
        assert record["counts"].get("untested", 0) == 0 or record["stopped_after_minutes"], name
        assert len(record["survivors"]) == record["counts"].get("survived", 0) + record["counts"].get("suspicious", 0)
        for s in record["survivors"]:
            assert s["diff"].startswith(f"--- {record['module']}\n"), (name, s["id"])


def test_every_survivor_left_alive_is_explained_in_the_docs_and_nothing_else_is():
    explained = _explained(TESTING.read_text(encoding="utf-8"))
    records = read_mutation_records()
    assert set(explained) <= set(records), f"explanations for modules without a record: {set(explained) - set(records)}"
    for name, record in records.items():
        assert set(left_alive(record)) == explained.get(name, set()), (
            f"{name}: the survivors no test kills must each be explained in docs/testing.md as "
            f"'- **{name}** #ID: why', and only those"
        )


def test_the_table_counts_the_survivors_and_what_the_later_tests_killed(tmp_path):
    survivor = {"id": 0, "status": "survived", "line": 1, "diff": "--- m.py\n"}
    first = {
        "module": "chapter12/a.py",
        "tests": ["tests/test_a.py"],
        "commit": "a" * 40,
        "mutants": 10,
        "counts": {"killed": 7, "timeout": 1, "survived": 2},
        "survivors": [dict(survivor, id=3), dict(survivor, id=5)],
        "recheck": {"commit": "b" * 40, "results": {"3": "killed", "5": "survived"}},
    }
    second = dict(first, module="chapter12/b.py", mutants=6, counts={"killed": 3, "survived": 1, "untested": 2})
    second["survivors"] = [dict(survivor, id=9)]
    del second["recheck"]
    rewritten = dict(first, module="chapter12/c.py", mutants=2, counts={"killed": 1, "survived": 1})
    rewritten |= {
        "survivors": [dict(survivor, id=1)],
        "recheck": {"commit": "c" * 40, "results": {"1": "does not apply"}},
    }
    nothing = dict(second, module="chapter12/d.py", mutants=3, counts={"untested": 3}, survivors=[])
    for name, record in {"a": first, "b": second, "c": rewritten, "d": nothing}.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(record))
    records = read_mutation_records(tmp_path)
    assert left_alive(records["a"]) == [5] and left_alive(records["b"]) == [9]
    assert left_alive(records["c"]) == []  # its line was rewritten: the mutant is gone
    rows = mutation_table(records).splitlines()
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows[2:]]
    # the timeout counts as killed: 8 of 10 at first, 9 after the recheck killed #3
    assert cells[0][3:] == ["10", "8/10 (80%)", "2", "1 (bbbbbbb)", "9/10 (90%)", "1"]
    assert cells[1][3:] == ["4 of 6", "3/4 (75%)", "1", "—", "—", "1"]  # stopped early: 2 not tested
    assert cells[2][3:] == ["2", "1/2 (50%)", "1", "1 (ccccccc)", "2/2 (100%)", "0"]
    assert cells[3][3:] == ["0 of 3", "—", "0", "—", "—", "0"]  # stopped before any mutant was tested
    assert cells[4][3:] == ["16", "12/16 (75%)", "4", "2", "14/16 (88%)", "2"]


def test_a_folder_without_records_or_with_a_broken_one_is_one_error(tmp_path):
    with pytest.raises(Chapter12Error, match="no mutation records"):
        read_mutation_records(tmp_path)
    (tmp_path / "x.json").write_text('{"module": "m"}')
    with pytest.raises(Chapter12Error, match="not a mutation record"):
        read_mutation_records(tmp_path)
