"""The mutation testing records (benchmarks/mutation.py) as the table of docs/testing.md.

A record holds one mutmut run over one module: how many mutants, how many the tests killed, and each survivor
with its diff; `recheck`, when present, says which survivors the tests of a later commit kill. A survivor that no
test kills must be explained in docs/testing.md (tests/test_mutation.py checks that).
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

from chapter12.errors import Chapter12Error
from chapter12.paths import COMMITTED_RESULTS

MUTATION_RESULTS = COMMITTED_RESULTS / "mutation"
FIELDS = ("module", "tests", "commit", "mutants", "counts", "survivors")  # what every record holds


def read_mutation_records(folder: "str | os.PathLike" = MUTATION_RESULTS) -> dict[str, dict]:
    """The records by name (the file's stem), in name order."""
    folder = Path(folder)
    records = {}
    for path in sorted(folder.glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            lacking = [key for key in FIELDS if key not in record]
            if lacking:
                raise KeyError(", ".join(lacking))
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise Chapter12Error(f"{path} is not a mutation record ({type(e).__name__}: {e})") from None
        records[path.stem] = record
    if not records:
        raise Chapter12Error(f"{folder} holds no mutation records; run benchmarks/mutation.py first")
    return records


def left_alive(record: dict) -> list[int]:
    """The ids of the survivors that no test kills: all of them before a recheck, else those it left alive (one
    whose diff no longer applies is gone: its line was rewritten)."""
    results = record.get("recheck", {}).get("results")
    if results is None:
        return [s["id"] for s in record["survivors"]]
    return [s["id"] for s in record["survivors"] if results.get(str(s["id"])) not in ("killed", "does not apply")]


def _score(killed: int, mutants: int) -> str:
    return f"{killed}/{mutants} ({100 * killed / mutants:.0f}%)" if mutants else "—"


def mutation_table(records: dict[str, dict]) -> str:
    """One row per module: mutants tested (of all, where the run was stopped early), killed at the first run (a
    timeout counts as killed), killed after the later tests, survivors left. A module without a recheck counts
    its first run's kills in the last row's "score after" too."""
    rows = [
        "| module | tests | commit | mutants | killed (score) | survived | killed after | score after | left |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    total = killed_total = after_total = 0
    for record in records.values():
        counts = record["counts"]
        untested = counts.get("untested", 0) + counts.get("skipped", 0)  # a run stopped early (--minutes)
        mutants = record["mutants"] - untested
        killed = counts.get("killed", 0) + counts.get("timeout", 0)
        alive = left_alive(record)
        survived = len(record["survivors"])
        after = mutants - len(alive)
        recheck = record.get("recheck")
        recheck_commit = recheck["commit"][:7] if recheck else ""
        tests = f"`{shlex.join(record['tests'])}`"
        rows.append(
            f"| `{record['module']}` | {tests} | {record['commit'][:7]} "
            f"| {mutants}{f' of {mutants + untested}' if untested else ''} | {_score(killed, mutants)} "
            f"| {survived} | {f'{survived - len(alive)} ({recheck_commit})' if recheck else '—'} "
            f"| {_score(after, mutants) if recheck else '—'} | {len(alive)} |"
        )
        total, killed_total, after_total = total + mutants, killed_total + killed, after_total + after
    rows.append(
        f"| all | | | {total} | {_score(killed_total, total)} | {total - killed_total} "
        f"| {after_total - killed_total} | {_score(after_total, total)} | {total - after_total} |"
    )
    return "\n".join(rows) + "\n"
