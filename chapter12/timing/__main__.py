"""The timing worker: `python -m chapter12.timing SETTINGS.json RESULT.json`, run by measure_backend.

Each backend is measured in a process of its own, because Keras picks its backend once, when it is
first imported.
"""

import json
import sys
from pathlib import Path

from chapter12.errors import Chapter12Error
from chapter12.files import write_json
from chapter12.timing.measure import TimingSettings, worker


def run_worker(argv: list[str]) -> int:
    """Measure what SETTINGS.json asks for and write the measurements to RESULT.json."""
    if len(argv) != 2:
        print("usage: python -m chapter12.timing SETTINGS.json RESULT.json", file=sys.stderr)
        return 2
    settings = TimingSettings(**json.loads(Path(argv[0]).read_text())).check()
    write_json(Path(argv[1]), worker(settings, log=lambda line: print(line, flush=True)))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(run_worker(sys.argv[1:]))
    except Chapter12Error as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
