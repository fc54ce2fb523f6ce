"""word2vec on the reviews' text (benchmarks/word2vec_imdb.py): its committed results, read and put in words.

The embeddings notebook compares them with the embedding its own LSTM learns from the labels; the claims
ledger reads the chapter's pumpkin/apple/nurse example from them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from chapter12.errors import Chapter12Error
from chapter12.paths import COMMITTED_RESULTS

WORD2VEC_RESULTS = COMMITTED_RESULTS / "word2vec" / "results.json"
ARCHITECTURES = ("skip-gram", "cbow")
NAMES = {"skip-gram": "skip-gram", "cbow": "CBOW"}
_REQUIRED = ("settings", "corpus", "chapter_words", "models", "frozen_vs_learned")


def read_word2vec_results(path: "str | os.PathLike" = WORD2VEC_RESULTS) -> dict:
    """The results file of benchmarks/word2vec_imdb.py, checked for what the notebook and the ledger read."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise Chapter12Error(f"cannot read {path} ({e}); run benchmarks/word2vec_imdb.py first") from None
    missing = [k for k in _REQUIRED if not isinstance(data, dict) or k not in data]
    missing += [f"models.{a}" for a in ARCHITECTURES if a not in data.get("models", {})] if not missing else []
    if missing:
        raise Chapter12Error(f"{path} lacks {', '.join(missing)}; run benchmarks/word2vec_imdb.py again")
    return data


def neighbours_table(results: dict, words: list[str], own: dict[str, list[str]] | None = None, n: int = 5) -> str:
    """Markdown: each word's n nearest neighbours in skip-gram and CBOW and, given `own` (word -> neighbours in
    order, from an embedding learned from the labels), in that embedding too."""
    head = ["word", "skip-gram (context)", "CBOW (context)"] + (
        ["this notebook's LSTM (labels)"] if own is not None else []
    )
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for word in words:
        cells = [
            ", ".join(o for o, _ in results["models"][a]["neighbours"].get(word, [])[:n]) or "—" for a in ARCHITECTURES
        ]
        if own is not None:
            cells.append(", ".join(own.get(word, [])[:n]) or "—")
        lines.append(f"| {word} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def antonym_sentence(results: dict, own_cosines: dict[str, float]) -> str:
    """How close each kind of vector puts opposite words, from skip-gram's cosines and the notebook's own."""
    pairs = [p for p in results["models"]["skip-gram"]["cosines"] if p in own_cosines and p != "excellent/wonderful"]
    if not pairs:
        return "None of the antonym pairs has a vector in this notebook's table, so there is nothing to compare."
    parts = [
        f"{pair.replace('/', ' and ')}: {results['models']['skip-gram']['cosines'][pair]:.2f} in skip-gram, "
        f"{results['models']['cbow']['cosines'][pair]:.2f} in CBOW, {own_cosines[pair]:.2f} here"
        for pair in pairs
    ]
    closer = sum(all(results["models"][a]["cosines"][p] > own_cosines[p] for a in ARCHITECTURES) for p in pairs)
    verdict = (
        "every pair sits closer in both kinds of context vectors than in the vectors learned from the labels"
        if closer == len(pairs)
        else "no pair sits closer in both kinds of context vectors than here"
        if closer == 0
        else f"{closer} of the {len(pairs)} pairs sit closer in both kinds of context vectors than here"
    )
    return "Cosine of opposite words (" + "; ".join(parts) + f"): {verdict}."


def chapter_words_sentence(results: dict) -> str:
    """The chapter's example in the context vectors: is pumpkin nearer to apple than apple to nurse?"""
    found = results["chapter_words"]
    counts = ", ".join(f"{w} {c:,}" for w, c in found["counts"].items())
    parts = []
    for a in ARCHITECTURES:
        if a in found:
            near, far = found[a]["pumpkin/apple"], found[a]["apple/nurse"]
            word = "nearer to" if near > far else "no nearer to"
            parts.append(f"in {NAMES[a]}, pumpkin is {word} apple ({near:.2f}) than apple is to nurse ({far:.2f})")
    if not parts:
        return f"The three words are too rare in the training reviews for word2vec's vocabulary ({counts})."
    where = f" (times each word occurs in the training reviews: {counts})."
    return "The chapter's example, " + "; ".join(parts) + where


def frozen_sentence(results: dict) -> str:
    """The book's LSTM with skip-gram's vectors frozen, against the same LSTM learning its own embedding."""
    f = results["frozen_vs_learned"]
    learned, frozen = f["learned"]["test_accuracy"], f["frozen_skip_gram"]["test_accuracy"]
    return (
        f"On the full data (seed {f['seed']}, the book's settings), the LSTM scored {learned:.4f} learning its own "
        f"embedding and {frozen:.4f} with its embedding frozen at skip-gram's vectors ({f['rows_with_a_vector']:,} of "
        f"its {f['word_rows']:,} word rows had one): {100 * (frozen - learned):+.1f} points."
    )
