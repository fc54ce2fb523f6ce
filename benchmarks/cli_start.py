"""What the command's start costs: importing papermill (which every `reproduce`, `sweep` and `handouts` does), with
jsonschema's IRI format checker (rfc3987_syntax, whose Lark grammars are built as it is imported) and without it,
as `python -m chapter12` now starts (chapter12.run.cli._without_the_iri_format_checker).

    python benchmarks/cli_start.py [--repeats 7]

Each import runs in a fresh process, the two kinds interleaved; the figures are medians of wall time.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

KINDS = {
    "import papermill (as installed)": "import papermill",
    "import papermill, rfc3987_syntax kept out (python -m chapter12)": (
        "from chapter12.run.cli import _without_the_iri_format_checker as w; w(); import papermill"
    ),
    "python alone": "pass",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    seconds: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for _ in range(args.repeats):
        for kind, code in KINDS.items():
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            seconds[kind].append(time.perf_counter() - t0)
    base = statistics.median(seconds["import papermill (as installed)"])
    for kind, values in seconds.items():
        median = statistics.median(values)
        print(f"{median:6.2f} s  ({median / base:4.2f} of the first)  {kind}  [{args.repeats} runs]")


if __name__ == "__main__":
    main()
