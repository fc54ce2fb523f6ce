"""Build the bundled sample: a balanced, seeded draw of real Stanford reviews in Keras's vocabulary.

The sample keeps the ranks of Keras's word index (the full training set's ranks), so index 4 is
still "the" and a model trained on the sample sees the same vocabulary cut as the full experiment.
Rebuild it with: python -m chapter12 make-sample ../shared/data/aclImdb_v1_labeled.tar.gz
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from chapter12.book import QUICK_EPOCHS  # the quick run's epochs (the book's 5 on the full data); see below
from chapter12.errors import Chapter12Error
from chapter12.imdb.ragged import RawImdb, save_raw_npz
from chapter12.imdb.sources import SAMPLE_FILE, resolve_source

# The smallest draw measured in which the book's simple RNN learns on the sample (test accuracy at least 0.62 with
# seeds 0, 1 and 2; 4,000, 8,000 and 12,000 training reviews did not reach it in 5 epochs, nor 4,000 and 8,000 in
# 10): 16,000 training reviews and QUICK_EPOCHS (6) epochs. benchmarks/quick_setting.py measures it;
# benchmarks/results/quick_setting/ holds the runs.
SAMPLE_TRAIN = 16000
SAMPLE_TEST = 2000
SAMPLE_SEED = 2024
# The timing notebook's quick run times the sample's first 4,000 training reviews (3,200 after the validation split):
# a ratio of times needs no more, and the quick run stays short.
QUICK_TIMING_REVIEWS = 4000


def default_epochs(quick: bool) -> int:
    """The epochs of a run that leaves them to chapter12: QUICK_EPOCHS on the bundled sample, the book's 5 on the
    full data (the accuracy and inside notebooks, the sweep and the padding runs all ask here)."""
    from chapter12.book import BookConfig

    return QUICK_EPOCHS if quick else BookConfig.epochs


def _balanced_draw(y: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    picks = []
    for label in (0, 1):
        pool = np.flatnonzero(y == label)
        if len(pool) < n // 2:
            raise Chapter12Error(f"only {len(pool)} reviews with label {label}; the sample needs {n // 2}")
        picks.append(rng.choice(pool, size=n // 2, replace=False))
    return np.sort(np.concatenate(picks))


def build_sample(
    source: str | Path,
    out_dir: str | Path,
    n_train: int = SAMPLE_TRAIN,
    n_test: int = SAMPLE_TEST,
    seed: int = SAMPLE_SEED,
) -> list[Path]:
    """Write imdb_sample.npz into out_dir from a Stanford archive or folder (Keras's vocabulary)."""
    src = resolve_source(source, vocabulary="keras")
    if src.kind != "stanford":
        raise Chapter12Error(f"the sample is drawn from the Stanford reviews; {src.describe()} is not that")
    raw = src.raw()
    rng = np.random.default_rng(seed)
    train = _balanced_draw(raw.y_train, n_train, rng)
    test = _balanced_draw(raw.y_test, n_test, rng)
    sample = RawImdb(raw.x_train.take(train), raw.y_train[train], raw.x_test.take(test), raw.y_test[test])
    npz = Path(out_dir) / SAMPLE_FILE
    save_raw_npz(npz, sample, compress=True)
    return [npz]
