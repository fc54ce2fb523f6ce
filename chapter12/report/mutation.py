"""The mutation testing records (benchmarks/mutation.py) as the table of docs/testing.md.

A record holds one mutmut run over one module: how many mutants, how many the tests killed, and each survivor
with its diff; `recheck`, when present, says which survivors the tests of a later commit kill. A survivor that no
test kills must be explained in docs/testing.md (tests/test_mutation.py checks that).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from chapter12.errors import Chapter12Error
from chapter12.paths import COMMITTED_RESULTS

MUTATION_RESULTS = COMMITTED_RESULTS / "mutation"


def read_mutation_records(folder: "str | os.PathLike" = MUTATION_RESULTS) -> dict[str, dict]:
    """The records by name (the file's stem), in name order."""
    folder = Path(folder)
    records = {}
    for path in sorted(folder.glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            record["mutants"], record["counts"], record["survivors"]  # noqa: B018 (the fields the table reads)
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise Chapter12Error(f"{path} is not a mutation record ({type(e).__name__}: {e})") from None
        records[path.stem] = record
    if not records:
        raise Chapter12Error(f"{folder} holds no mutation records; run benchmarks/mutation.py first")
    return records


def left_alive(record: dict) -> list[int]:
    """The ids of the survivors that no test kills: all of them before a recheck, else those it left alive."""
    results = record.get("recheck", {}).get("results")
    if results is None:
        return [s["id"] for s in record["survivors"]]
    return [s["id"] for s in record["survivors"] if results.get(str(s["id"])) != "killed"]


def _score(killed: int, mutants: int) -> str:
    return f"{killed}/{mutants} ({100 * killed / mutants:.0f}%)"


def mutation_table(records: dict[str, dict]) -> str:
    """One row per module: mutants, killed at the first run (a timeout counts as killed), killed after the later
    tests, survivors left."""
    rows = [
        "| module | tests | commit | mutants | killed (score) | survived | killed after | score after | left |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    total = killed_total = after_total = 0
    for record in records.values():
        mutants = record["mutants"]
        killed = mutants - len(record["survivors"])  # killed, or timed out
        alive = left_alive(record)
        survived = len(record["survivors"])
        after = mutants - len(alive)
        recheck = record.get("recheck")
        tests = " ".join(f"`{t}`" if t.startswith("tests/") else t for t in record["tests"])
        rows.append(
            f"| `{record['module']}` | {tests} | {record['commit'][:7]} | {mutants} | {_score(killed, mutants)} "
            f"| {survived} | {(survived - len(alive)) if recheck else '—'} "
            f"| {_score(after, mutants) if recheck else '—'} | {len(alive)} |"
        )
        total, killed_total, after_total = total + mutants, killed_total + killed, after_total + after
    rows.append(
        f"| all | | | {total} | {_score(killed_total, total)} | {total - killed_total} "
        f"| {after_total - killed_total} | {_score(after_total, total)} | {total - after_total} |"
    )
    return "\n".join(rows) + "\n"
