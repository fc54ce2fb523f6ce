"""chapter12.memory's estimate of a cell's peak memory beside the peak resident memory a real cell reaches.

    python benchmarks/bench_memory.py                       # the default cells, on the bundled sample
    python benchmarks/bench_memory.py --cells lstm:400:64:128 simple_rnn:100:64:1024

Each cell (model:maxlen:units:batch_size, num_words the book's) is trained for one epoch by
`python -m chapter12 train --quick` in a process of its own; its peak RSS comes from the kernel
(`os.wait4`, as `/usr/bin/time -v` reads it). The estimate should be above every measurement, by
a factor well under 3: it is for refusing what cannot fit, not for packing a machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from chapter12.book import BookConfig  # noqa: E402
from chapter12.imdb import resolve_source  # noqa: E402
from chapter12.memory import cell_memory, format_bytes  # noqa: E402

DEFAULT_CELLS = [
    "simple_rnn:100:64:128",
    "simple_rnn:400:64:128",
    "lstm:25:64:128",
    "lstm:100:64:128",
    "lstm:400:64:128",
    "lstm:100:256:128",
    "lstm:100:64:1024",
    "gru:400:64:128",
    "bidirectional_lstm:400:64:128",
]


def peak_rss(model: str, maxlen: int, units: int, batch_size: int) -> tuple[int, float]:
    """Peak resident bytes and seconds of one cell, trained for one epoch on the bundled sample."""
    cmd = [
        sys.executable,
        "-m",
        "chapter12",
        "train",
        "--quick",
        "--model",
        model,
        "--maxlen",
        str(maxlen),
        "--units",
        str(units),
        "--batch-size",
        str(batch_size),
        "--epochs",
        "1",
    ]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(REPO))
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        process = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            log.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed:\n{log.read().decode(errors='replace')[-2000:]}")
    return usage.ru_maxrss * 1024, seconds  # Linux gives kilobytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", nargs="+", default=DEFAULT_CELLS, metavar="MODEL:MAXLEN:UNITS:BATCH")
    args = parser.parse_args()
    n_train, n_test = resolve_source("sample").review_counts()
    num_words = BookConfig().num_words
    print(f"bundled sample: {n_train:,} + {n_test:,} reviews, num_words {num_words}, 1 epoch")
    print(f"{'cell':<34} {'estimate':>10} {'measured':>10} {'ratio':>6} {'seconds':>8}")
    for spec in args.cells:
        model, maxlen, units, batch_size = spec.split(":")
        maxlen, units, batch_size = int(maxlen), int(units), int(batch_size)
        estimate = cell_memory(
            model,
            maxlen=maxlen,
            num_words=num_words,
            units=units,
            batch_size=batch_size,
            n_train=n_train,
            n_test=n_test,
        )
        measured, seconds = peak_rss(model, maxlen, units, batch_size)
        print(
            f"{spec:<34} {format_bytes(estimate):>10} {format_bytes(measured):>10} {estimate / measured:6.2f} "
            f"{seconds:8.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
