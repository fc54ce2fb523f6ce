"""The word2vec results (benchmarks/word2vec_imdb.py) as the embeddings notebook and the claims ledger read them."""

import copy
import json

import pytest

from chapter12.errors import Chapter12Error
from chapter12.report.word2vec import (
    WORD2VEC_RESULTS,
    antonym_sentence,
    chapter_words_sentence,
    frozen_sentence,
    neighbours_table,
    read_word2vec_results,
)

RESULTS = {
    "settings": {"vector_size": 128},
    "corpus": {"reviews": 25000},
    "chapter_words": {
        "counts": {"pumpkin": 40, "apple": 90, "nurse": 200, "pie": 30},
        "skip-gram": {"pumpkin/apple": 0.6, "apple/nurse": 0.2, "pumpkin/pie": 0.5},
        "cbow": {"pumpkin/apple": 0.3, "apple/nurse": 0.4, "pumpkin/pie": 0.2},
    },
    "models": {
        "skip-gram": {
            "neighbours": {"good": [["decent", 0.8], ["bad", 0.7]]},
            "cosines": {"good/bad": 0.7, "excellent/awful": 0.5, "excellent/wonderful": 0.8},
        },
        "cbow": {
            "neighbours": {"good": [["bad", 0.8]]},
            "cosines": {"good/bad": 0.8, "excellent/awful": 0.4, "excellent/wonderful": 0.7},
        },
    },
    "frozen_vs_learned": {
        "seed": 0,
        "rows_with_a_vector": 2490,
        "word_rows": 2496,
        "learned": {"test_accuracy": 0.8357},
        "frozen_skip_gram": {"test_accuracy": 0.8457},
    },
}


def test_the_sentences_follow_the_numbers():
    said = antonym_sentence(RESULTS, {"good/bad": -0.9, "excellent/awful": -0.8})
    assert "good and bad: 0.70 in skip-gram, 0.80 in CBOW, -0.90 here" in said
    assert "every pair sits closer in both kinds of context vectors than in the vectors learned from the labels" in said
    assert "1 of the 2 pairs" in antonym_sentence(RESULTS, {"good/bad": 0.95, "excellent/awful": -0.8})
    # closer in skip-gram (0.50) but not in CBOW (0.40): not closer in both kinds of context vectors
    assert "1 of the 2 pairs" in antonym_sentence(RESULTS, {"good/bad": -0.9, "excellent/awful": 0.45})
    assert "no pair" in antonym_sentence(RESULTS, {"good/bad": 0.95, "excellent/awful": 0.9})

    words = chapter_words_sentence(RESULTS)
    assert "in skip-gram, pumpkin is nearer to apple (0.60) than apple is to nurse (0.20)" in words
    assert "in CBOW, pumpkin is no nearer to apple (0.30) than apple is to nurse (0.40)" in words
    rare = copy.deepcopy(RESULTS)
    del rare["chapter_words"]["skip-gram"], rare["chapter_words"]["cbow"]
    assert "too rare" in chapter_words_sentence(rare)

    assert "0.8357 learning its own embedding and 0.8457 with its embedding frozen" in frozen_sentence(RESULTS)
    assert "+1.0 points" in frozen_sentence(RESULTS)
    table = neighbours_table(RESULTS, ["good", "boring"], {"good": ["great", "fine"]})
    assert "| good | decent, bad | bad | great, fine |" in table and "| boring | — | — | — |" in table
    assert "| good | decent, bad | bad |\n" in neighbours_table(RESULTS, ["good"])  # no column of one's own


def test_a_broken_results_file_is_named(tmp_path):
    path = tmp_path / "results.json"
    path.write_text(json.dumps({k: v for k, v in RESULTS.items() if k != "models"}))
    with pytest.raises(Chapter12Error, match="lacks models"):
        read_word2vec_results(path)
    path.write_text("{")
    with pytest.raises(Chapter12Error, match="run benchmarks/word2vec_imdb.py first"):
        read_word2vec_results(path)


@pytest.mark.skipif(not WORD2VEC_RESULTS.is_file(), reason="no committed word2vec results")
def test_the_committed_results_hold_both_architectures_and_the_frozen_run():
    results = read_word2vec_results()
    for architecture in ("skip-gram", "cbow"):
        assert results["models"][architecture]["vocabulary"] > 10_000
        assert {"good/bad", "excellent/awful"} <= set(results["models"][architecture]["cosines"])
    assert results["corpus"]["reviews"] == 25_000  # the training reviews only
    assert 0.5 < results["frozen_vs_learned"]["frozen_skip_gram"]["test_accuracy"] < 1
