"""How long the test tiers take in a fresh clone: the record behind the times docs/testing.md gives.

    git clone -q . /tmp/fresh && make -C /tmp/fresh install
    python benchmarks/suite_times.py /tmp/fresh check test

Runs `make TIER` in the clone (installed beforehand, so that the install is not timed), with pytest writing a
JUnit XML report through PYTEST_ADDOPTS, and writes benchmarks/results/suite/TIER.json: the wall time of
`make TIER` (lint included), pytest's counts, the ten slowest tests (each test's setup, call and teardown
together, as the JUnit report adds them; a module's or the session's fixture counts in the test that first
needed it), whether ../shared was beside the clone (without it the tests that read the Stanford archive and
Keras's ground truth skip), the commit and the machine. Time it with nothing else running: the tiers share the
machine's cores.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from chapter12.environment import cpu_name

OUT = Path(__file__).resolve().parent / "results" / "suite"
TIERS = ("check", "test")


def _test_id(classname: str, name: str) -> str:
    """pytest's id of a JUnit test case: classname `tests.test_x` or `tests.test_x.TestK`, name `test_y[p]`."""
    parts = classname.split(".")
    module = next((i for i, part in enumerate(parts) if part.startswith("test_")), len(parts) - 1)
    return "::".join(["/".join(parts[: module + 1]) + ".py", *parts[module + 1 :], name])


def measure(clone: Path, tier: str) -> dict:
    if subprocess.run(["git", "-C", str(clone), "status", "--porcelain"], capture_output=True, text=True).stdout:
        sys.exit(f"error: {clone} has changes; time a clean clone of one commit")
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "junit.xml"
        env = dict(os.environ, PYTEST_ADDOPTS=f"--junitxml={report} -o junit_duration_report=total")
        started = time.perf_counter()
        done = subprocess.run(["make", "-C", str(clone), tier], env=env)
        wall = time.perf_counter() - started
        if done.returncode:
            sys.exit(f"error: make {tier} failed (status {done.returncode}); nothing recorded")
        suite = ET.parse(report).getroot()
        suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
        cases = [
            (float(c.get("time", 0)), _test_id(c.get("classname", ""), c.get("name", "")))
            for c in suite.iter("testcase")
        ]
    cases.sort(reverse=True)
    commit = subprocess.run(["git", "-C", str(clone), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    return {
        "tier": tier,
        "commit": commit.strip(),
        "date": datetime.date.today().isoformat(),
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "wall_seconds": round(wall, 1),
        "tests": int(suite.get("tests", 0)),
        "failures": int(suite.get("failures", 0)) + int(suite.get("errors", 0)),
        "skipped": int(suite.get("skipped", 0)),
        "shared_data": (clone.parent / "shared" / "data").is_dir(),
        "slowest": [{"test": name, "seconds": round(seconds, 1)} for seconds, name in cases[:10]],
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("clone", type=Path, help="a clean clone, installed (make install)")
    p.add_argument("tiers", nargs="+", choices=TIERS)
    args = p.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    for tier in args.tiers:
        record = measure(args.clone.resolve(), tier)
        tmp = OUT / f".{tier}.json.part"
        tmp.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        tmp.replace(OUT / f"{tier}.json")
        print(f"make {tier}: {record['wall_seconds'] / 60:.1f} min, {record['tests']} tests; wrote {OUT / tier}.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
