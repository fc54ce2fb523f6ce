"""Where a checkout keeps what chapter12 reads beside the package: the repository, the committed results.

An installed wheel has no checkout around it; these paths then name folders that do not exist, and every
reader of them treats the committed results as optional.
"""

from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
COMMITTED_RESULTS = CHECKOUT / "benchmarks" / "results"
SEEDS_RESULTS = COMMITTED_RESULTS / "seeds" / "results.jsonl"
SWEEP_FULL = COMMITTED_RESULTS / "sweep_full"
