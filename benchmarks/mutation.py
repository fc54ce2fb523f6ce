"""Mutation testing of the code the book's numbers rest on (issue 18), kept as records that docs/testing.md shows.

    python benchmarks/mutation.py run train --worktree /tmp/mut      # mutmut over one module, then the record
    python benchmarks/mutation.py recheck train --worktree /tmp/mut2  # each survivor again, on a later commit

`run` needs mutmut 2.5.1 in a virtual environment of its own (`--mutmut`, default /tmp/mm/bin/mutmut; it is not
a project dependency) and a git worktree of the commit under test (`git worktree add --detach /tmp/mut HEAD`),
so that the checkout stays clean. It runs mutmut on the module against the test selection TARGETS gives it,
with a runner that maps every failing pytest status to 1 (mutmut 2 counts a mutant as killed only on status 1,
and pytest exits 2 on a collection error), then writes benchmarks/results/mutation/<name>.json: the counts, and
each survivor's diff. `recheck` applies each survivor's diff to a worktree of a later commit (the module's lines
must be unchanged around it), runs the same tests, and records which survivors the later tests kill. The
survivors that no test kills are explained in docs/testing.md by id; tests/test_mutation.py checks that.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "mutation"
PYTHON = ROOT / ".venv" / "bin" / "python"

# name -> (module, pytest arguments): the test files that cover the module, fast enough to run once per mutant
TARGETS = {
    "train": ("chapter12/train.py", ["tests/test_train.py", "-m", "not slow"]),
    "models": ("chapter12/models.py", ["tests/test_models.py"]),
    "predict": (
        "chapter12/predict.py",
        ["tests/test_predict.py", "tests/test_publish.py", "-k", "test_encode or committed_reference"],
    ),
    "keras_steps": ("chapter12/imdb/keras_steps.py", ["tests/test_data.py", "tests/test_keras_exact.py"]),
    "ragged": ("chapter12/imdb/ragged.py", ["tests/test_data.py", "tests/test_keras_exact.py"]),
    "words": ("chapter12/imdb/words.py", ["tests/test_data.py", "tests/test_keras_exact.py"]),
    "scratch": ("chapter12/teaching/scratch.py", ["tests/test_scratch.py"]),
}
STATUSES = {
    "ok_killed": "killed",
    "bad_survived": "survived",
    "bad_timeout": "timeout",
    "ok_suspicious": "suspicious",
    "skipped": "skipped",
    "untested": "untested",
}


def _runner(worktree: Path, tests: list[str]) -> str:
    quoted = " ".join(shlex.quote(a) for a in tests)
    return f"cd {worktree} && {PYTHON} -m pytest -x -q -p no:cacheprovider {quoted} >/dev/null 2>&1 || exit 1"


def _git(worktree: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(worktree), *args], check=True, capture_output=True, text=True).stdout


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def run(name: str, worktree: Path, mutmut: str) -> dict:
    module, tests = TARGETS[name]
    if _git(worktree, "status", "--porcelain", "--untracked-files=no").strip():
        sys.exit(f"error: {worktree} has uncommitted changes; mutate a clean worktree of one commit")
    started = datetime.datetime.now()
    subprocess.run(
        [mutmut, "run", "--paths-to-mutate", module, "--runner", f"sh -c {shlex.quote(_runner(worktree, tests))}"],
        cwd=worktree,
        check=False,
    )
    db = sqlite3.connect(worktree / ".mutmut-cache")
    rows = db.execute(
        "select Mutant.id, Mutant.status, Line.line_number from Mutant join Line on Mutant.line = Line.id "
        "join SourceFile on Line.sourcefile = SourceFile.id where SourceFile.filename = ? order by Mutant.id",
        (module,),
    ).fetchall()
    counts: dict[str, int] = {}
    survivors = []
    for mutant_id, status, line in rows:
        counts[STATUSES[status]] = counts.get(STATUSES[status], 0) + 1
        if status in ("bad_survived", "ok_suspicious"):  # a timeout is a mutant the tests noticed
            diff = subprocess.run(
                [mutmut, "show", str(mutant_id)], cwd=worktree, capture_output=True, text=True, check=True
            ).stdout
            survivors.append({"id": mutant_id, "status": STATUSES[status], "line": line + 1, "diff": diff})
    if counts.get("untested"):
        sys.exit(f"error: {counts['untested']} mutants of {module} were not tested; run again (it resumes)")
    record = {
        "module": module,
        "tests": tests,
        "commit": _git(worktree, "rev-parse", "HEAD").strip(),
        "date": started.date().isoformat(),
        "minutes": round((datetime.datetime.now() - started).total_seconds() / 60, 1),
        "cpu": _cpu(),
        "cpu_count": __import__("os").cpu_count(),
        "mutmut": subprocess.run([mutmut, "version"], capture_output=True, text=True).stdout.strip(),
        "mutants": len(rows),
        "counts": counts,
        "survivors": survivors,
    }
    _write(name, record)
    return record


def recheck(name: str, worktree: Path) -> dict:
    """Apply each survivor of the record to the worktree's commit and run the module's tests against it."""
    path = OUT / f"{name}.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    module, tests = record["module"], TARGETS[name][1]  # the tests of now, which may have grown
    results = {}
    for s in record["survivors"]:
        applied = subprocess.run(["git", "-C", str(worktree), "apply", "-p0", "-"], input=s["diff"], text=True)
        if applied.returncode:
            sys.exit(f"error: mutant {s['id']} no longer applies to {module}; run `run {name}` on this commit")
        try:
            status = subprocess.run(["sh", "-c", _runner(worktree, tests)]).returncode
        finally:
            _git(worktree, "checkout", "--", module)
        results[str(s["id"])] = "killed" if status else "survived"
        print(f"mutant {s['id']} (line {s['line']}): {results[str(s['id'])]}", flush=True)
    record["recheck"] = {
        "commit": _git(worktree, "rev-parse", "HEAD").strip(),
        "date": datetime.date.today().isoformat(),
        "tests": tests,
        "results": results,
    }
    _write(name, record)
    return record


def _write(name: str, record: dict) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = OUT / f".{name}.json.part"
    tmp.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    tmp.replace(OUT / f"{name}.json")
    print(f"wrote {OUT / f'{name}.json'}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("action", choices=["run", "recheck"])
    p.add_argument("name", choices=sorted(TARGETS))
    p.add_argument("--worktree", type=Path, required=True, help="a git worktree of the commit to mutate")
    p.add_argument("--mutmut", default="/tmp/mm/bin/mutmut", help="the mutmut 2.5.1 executable")
    args = p.parse_args(argv)
    worktree = args.worktree.resolve()
    if args.action == "run":
        run(args.name, worktree, args.mutmut)
    else:
        recheck(args.name, worktree)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
