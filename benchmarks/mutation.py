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
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from chapter12.environment import cpu_name

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "mutation"
PYTHON = ROOT / ".venv" / "bin" / "python"

# name -> (module, pytest arguments): the test files that cover the module, fast enough to run once per mutant
TARGETS = {
    "train": ("chapter12/train.py", ["tests/test_train.py", "-m", "not slow"]),
    "models": ("chapter12/models.py", ["tests/test_models.py"]),
    # predict's tests that wait minutes for the session's quick run are left out: what they check about predict is
    # checked in the fast tier on the committed reference
    "predict": ("chapter12/predict.py", ["tests/test_predict.py", "-m", "not slow"]),
    "keras_steps": ("chapter12/imdb/keras_steps.py", ["tests/test_data.py", "tests/test_keras_exact.py"]),
    "ragged": ("chapter12/imdb/ragged.py", ["tests/test_data.py", "tests/test_keras_exact.py"]),
    "words": ("chapter12/imdb/words.py", ["tests/test_data.py", "tests/test_keras_exact.py"]),
    # the reader of Keras's pickled imdb.npz: the data tests and the bad files of the fault tests
    "safe_npz": ("chapter12/imdb/safe_npz.py", ["tests/test_data.py", "tests/test_faults.py", "-m", "not slow"]),
    "scratch": ("chapter12/teaching/scratch.py", ["tests/test_scratch.py", "tests/test_gradients.py"]),
    # the data layer's front: test_data.py loads, test_train.py prepares and pads what the runs train on
    "load": ("chapter12/imdb/load.py", ["tests/test_data.py", "tests/test_train.py", "-m", "not slow"]),
    # the cache of prepared Stanford reviews: the data tests, and the fast fault tests (damaged caches)
    "cache": ("chapter12/imdb/cache.py", ["tests/test_data.py", "tests/test_faults.py", "-m", "not slow"]),
    # reading and tokenizing the Stanford reviews: the data tests, Keras's own arrays rebuilt from the archive
    # (../shared), and the fast fault tests (damaged and hostile archives)
    "stanford": (
        "chapter12/imdb/stanford.py",
        [
            "tests/test_data.py",
            "tests/test_faults.py",
            "tests/test_keras_exact.py",
            *("--deselect", "tests/test_faults.py::test_overwrite_replaces_the_old_run_completely"),
            *("--deselect", "tests/test_faults.py::test_papermill_parameter_of_the_wrong_type"),
            *("--deselect", "tests/test_faults.py::test_time_passes_a_worker_error_on_once"),
        ],
    ),
    # where the data comes from ($CHAPTER12_DATA, a path, the sample, the Keras download) and its fingerprint
    "sources": ("chapter12/imdb/sources.py", ["tests/test_data.py", "tests/test_faults.py", "-m", "not slow"]),
    # the bundled sample's draw, and the epochs a run takes by default
    "sample": (
        "chapter12/imdb/sample.py",
        ["tests/test_data.py", "tests/test_notebooks.py::test_accuracy_notebook_defaults_are_the_books"],
    ),
}
STATUSES = {
    "ok_killed": "killed",
    "bad_survived": "survived",
    "bad_timeout": "timeout",
    "ok_suspicious": "suspicious",
    "skipped": "skipped",
    "untested": "untested",
}


def _pytest_argv(tests: list[str]) -> list[str]:
    """The one pytest command line of both mutmut's runner and recheck: stop at the first failure."""
    return [str(PYTHON), "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]


def _pytest(worktree: Path, tests: list[str], timeout: float | None = None) -> tuple[str, str]:
    """Run the tests in the worktree: ("passed" | "failed" | "timed out", the line that says why)."""
    try:
        done = subprocess.run(
            _pytest_argv(tests),
            cwd=worktree,
            env=dict(os.environ, PYTHONPATH=str(worktree)),  # see _runner
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return "timed out", f"no answer in {timeout:.0f} s"
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    why = next((line for line in lines if line.startswith(("FAILED", "ERROR"))), lines[-1] if lines else "")
    return ("passed" if done.returncode == 0 else "failed"), why


def _check_setting(worktree: Path, tests: list[str]) -> None:
    """The worktree must be clean, and see ../shared where its tests read the Keras ground truth from it."""
    if _git(worktree, "status", "--porcelain", "--untracked-files=no").strip():
        sys.exit(f"error: {worktree} has uncommitted changes; mutate a clean worktree of one commit")
    if any("keras_exact" in t for t in tests) and not (worktree.parent / "shared" / "data").is_dir():
        sys.exit(
            f"error: {worktree.parent / 'shared'} is missing, so tests/test_keras_exact.py would skip; "
            f"link it: ln -s /path/to/shared {worktree.parent / 'shared'}"
        )


def _runner(worktree: Path, tests: list[str]) -> str:
    """mutmut's runner: the tests in the worktree, every failing status made 1 (mutmut 2 counts only 1 as killed).

    PYTHONPATH names the worktree, so that the processes the tests start (a `python -m chapter12` command, a
    notebook's kernel) import the worktree's code too, and not the checkout that the virtual environment's
    editable install points at. Before 2026-12-07 only the test process itself did: a mutant that only such a
    process would have met survived (the records before then are the more conservative for it)."""
    where = shlex.quote(str(worktree))
    return f"cd {where} && PYTHONPATH={where} {shlex.join(_pytest_argv(tests))} >/dev/null 2>&1 || exit 1"


def _git(worktree: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(worktree), *args], check=True, capture_output=True, text=True).stdout


def run(name: str, worktree: Path, mutmut: str, minutes: float | None = None) -> dict:
    module, tests = TARGETS[name]
    _check_setting(worktree, tests)
    started = datetime.datetime.now()
    options = ["--paths-to-mutate", module, "--runner", f"sh -c {shlex.quote(_runner(worktree, tests))}"]
    deadline = time.monotonic() + minutes * 60 if minutes else None
    process = subprocess.Popen([mutmut, "run", *options], cwd=worktree, start_new_session=True)
    if _wait(process, worktree, module, deadline):
        # A resumed run can end with a few mutants still untested (seen: the dataclass decorators of sources.py,
        # after a run stopped by --minutes); mutmut tests one when asked for it by its id.
        for mutant_id in _untested(worktree, module):
            process = subprocess.Popen([mutmut, "run", str(mutant_id), *options], cwd=worktree, start_new_session=True)
            if not _wait(process, worktree, module, deadline):
                break
    rows = _mutants(worktree, module)
    counts: dict[str, int] = {}
    survivors = []
    for mutant_id, status, line in rows:
        counts[STATUSES[status]] = counts.get(STATUSES[status], 0) + 1
        if status in ("bad_survived", "ok_suspicious"):  # a timeout is a mutant the tests noticed
            diff = subprocess.run(
                [mutmut, "show", str(mutant_id)], cwd=worktree, capture_output=True, text=True, check=True
            ).stdout
            survivors.append({"id": mutant_id, "status": STATUSES[status], "line": line + 1, "diff": diff})
    if counts.get("untested") and not minutes:
        sys.exit(f"error: {counts['untested']} mutants of {module} were not tested; run again (it resumes)")
    record = {
        "module": module,
        "tests": tests,
        "commit": _git(worktree, "rev-parse", "HEAD").strip(),
        "date": started.date().isoformat(),
        "minutes": round((datetime.datetime.now() - started).total_seconds() / 60, 1),
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "mutmut": subprocess.run([mutmut, "version"], capture_output=True, text=True).stdout.strip(),
        "mutants": len(rows),
        "stopped_after_minutes": minutes if counts.get("untested") else None,
        "counts": counts,
        "survivors": survivors,
    }
    _write(name, record)
    return record


def _wait(process: subprocess.Popen, worktree: Path, module: str, deadline: float | None) -> bool:
    """Wait for mutmut; past the deadline stop it and put the module back. True if it ended on its own."""
    try:
        process.wait(timeout=None if deadline is None else max(deadline - time.monotonic(), 0))
        return True
    except subprocess.TimeoutExpired:  # stopped: mutmut leaves the mutant it was testing on disk
        os.killpg(process.pid, signal.SIGTERM)
        process.wait()
        _git(worktree, "checkout", "--", module)
        Path(worktree, module + ".bak").unlink(missing_ok=True)
        return False


def _mutants(worktree: Path, module: str) -> list[tuple[int, str, int]]:
    """(id, mutmut's status, line number from 0) of each mutant of `module` in the worktree's mutmut cache."""
    db = sqlite3.connect(worktree / ".mutmut-cache")
    try:
        return db.execute(
            "select Mutant.id, Mutant.status, Line.line_number from Mutant join Line on Mutant.line = Line.id "
            "join SourceFile on Line.sourcefile = SourceFile.id where SourceFile.filename = ? order by Mutant.id",
            (module,),
        ).fetchall()
    finally:
        db.close()


def _untested(worktree: Path, module: str) -> list[int]:
    return [mutant_id for mutant_id, status, _ in _mutants(worktree, module) if status == "untested"]


def _trimmed(diff: str) -> str:
    """mutmut's diff of a change near the end of a file ends with context lines for lines past the file's end,
    which no patch can match: cut them (git apply --recount then counts the hunk again)."""
    lines = diff.splitlines()
    while lines and lines[-1] in ("", " "):
        lines.pop()
    # A change to a file's last line: mutmut shows an empty line past the end as removed and added again ("-",
    # "+" closing each side of the hunk), which the file does not have. Cut both.
    if lines and lines[-1] == "+":
        first_added = len(lines) - 1
        while first_added > 0 and lines[first_added - 1].startswith("+"):
            first_added -= 1
        if first_added > 0 and lines[first_added - 1] == "-":
            del lines[-1], lines[first_added - 1]
    return "\n".join(lines) + "\n"


def recheck(name: str, worktree: Path, ids: list[int] | None = None) -> dict:
    """Apply each survivor of the record to the worktree's commit and run the module's tests against it.

    The tests must pass on the commit as it is first (else every mutant would read "killed"); each run gets ten
    times that long. A survivor whose diff no longer applies (its line was rewritten) is recorded as such.
    With `ids`, only those survivors are checked again, at the commit of the record's recheck."""
    path = OUT / f"{name}.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    module, tests = record["module"], TARGETS[name][1]  # the tests of now, which may have grown
    _check_setting(worktree, tests)
    head = _git(worktree, "rev-parse", "HEAD").strip()
    if ids is not None and record.get("recheck", {}).get("commit") != head:
        sys.exit(f"error: --ids checks survivors again at the commit of the record's recheck; {worktree} is at {head}")
    started = time.perf_counter()
    status, why = _pytest(worktree, tests)
    if status != "passed":
        sys.exit(f"error: the tests fail on {worktree} without any mutant ({why}); fix that first")
    timeout = max(60.0, 10 * (time.perf_counter() - started))
    results, evidence = {}, {}
    if ids is not None:
        results, evidence = record["recheck"]["results"], record["recheck"]["evidence"]
    for s in record["survivors"]:
        key = str(s["id"])
        if ids is not None and s["id"] not in ids:
            continue
        applied = subprocess.run(
            ["git", "-C", str(worktree), "apply", "--recount", "-p0", "-"],
            input=_trimmed(s["diff"]),
            text=True,
            capture_output=True,
        )
        if applied.returncode:
            results[key], evidence[key] = "does not apply", applied.stderr.strip().splitlines()[0]
        else:
            try:
                status, evidence[key] = _pytest(worktree, tests, timeout)
            finally:
                _git(worktree, "checkout", "--", module)
            results[key] = "survived" if status == "passed" else "killed"
        print(f"mutant {key} (line {s['line']}): {results[key]} ({evidence[key]})", flush=True)
    record["recheck"] = {
        "commit": head,
        "date": datetime.date.today().isoformat(),
        "tests": tests,
        "results": results,
        "evidence": evidence,
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
    p.add_argument(
        "--minutes",
        type=float,
        help="run: stop after this long and record the mutants tested so far (mutmut tests "
        "them in the file's order); running again resumes",
    )
    p.add_argument(
        "--ids",
        type=int,
        nargs="+",
        help="recheck: only these survivors, again at the commit of the record's recheck (after a fix to this script)",
    )
    args = p.parse_args(argv)
    worktree = args.worktree.resolve()
    if args.action == "run":
        run(args.name, worktree, args.mutmut, args.minutes)
    else:
        recheck(args.name, worktree, args.ids)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
