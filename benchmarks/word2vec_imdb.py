"""word2vec on the reviews' own text (skip-gram and CBOW, gensim), against embeddings learned from the labels.

Section 12.3.3 describes word2vec: vectors learned without labels, from the words around each word. This
trains gensim's Word2Vec on the 25,000 training reviews only (no test review, no label), tokenised exactly as
Keras's imdb.npz (chapter12.imdb.words.keras_words), with the book's 128 numbers per word, a window of 5
words, words seen at least 5 times, 5 passes and one seed; once as skip-gram (a word predicts its
neighbours) and once as CBOW (the neighbours predict the word). It then measures:

- the nearest neighbours of a few sentiment words, and the cosines of antonym pairs (good/bad, ...);
- the chapter's example: cos(pumpkin, apple) against cos(apple, nurse), with the words' counts;
- the book's LSTM on the full data (book settings, seed 0) with its embedding frozen at the skip-gram
  vectors, against the same LSTM learning its own embedding.

Writes results.json (small; the vectors themselves are not kept). The embeddings notebook and the claims
ledger read it.

    pip install 'gensim>=4.3,<5'
    python benchmarks/word2vec_imdb.py --data ../shared/data/aclImdb_v1_labeled.tar.gz
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results" / "word2vec" / "results.json"
PROBES = ["good", "bad", "great", "terrible", "excellent", "awful", "boring"]
PAIRS = [("good", "bad"), ("great", "terrible"), ("excellent", "awful"), ("excellent", "wonderful")]
CHAPTER_WORDS = ["pumpkin", "apple", "nurse", "pie"]
SETTINGS = {"vector_size": 128, "window": 5, "min_count": 5, "epochs": 5, "seed": 0}


def train_word2vec(sentences, sg: int, workers: int):
    from gensim.models import Word2Vec

    return Word2Vec(sentences=sentences, sg=sg, workers=workers, **SETTINGS)


def measure(args) -> dict:
    import keras
    import numpy as np

    from chapter12.book import BookConfig
    from chapter12.imdb import load_imdb, pad_data, resolve_source
    from chapter12.imdb.stanford import read_reviews
    from chapter12.imdb.words import keras_word_index, keras_words
    from chapter12.teaching.embeddings import build_embedding_matrix, cosine_similarity
    from chapter12.models import build_model
    from chapter12.train import evaluate, fit, fit_model

    reviews = read_reviews(Path(args.data))["train"]
    sentences = [[w.decode("utf-8", errors="replace") for w in keras_words(text)] for _, text in reviews]
    counts: dict[str, int] = {}
    for sentence in sentences:
        for w in sentence:
            counts[w] = counts.get(w, 0) + 1
    import gensim

    out: dict = {
        "settings": SETTINGS | {"workers": args.workers, "gensim": gensim.__version__},
        "corpus": {"reviews": len(sentences), "tokens": sum(len(s) for s in sentences), "distinct_words": len(counts)},
        "chapter_words": {"counts": {w: counts.get(w, 0) for w in CHAPTER_WORDS}},
        "models": {},
    }
    vectors = {}
    for name, sg in (("skip-gram", 1), ("cbow", 0)):
        started = time.perf_counter()
        model = train_word2vec(sentences, sg, args.workers)
        wv = model.wv
        vectors[name] = wv
        out["models"][name] = {
            "seconds": round(time.perf_counter() - started, 1),
            "vocabulary": len(wv),
            "neighbours": {w: [[o, round(float(s), 4)] for o, s in wv.most_similar(w, topn=8)] for w in PROBES},
            "cosines": {f"{a}/{b}": float(cosine_similarity(wv[a], wv[b])) for a, b in PAIRS},
        }
        present = [w for w in CHAPTER_WORDS if w in wv]
        if {"pumpkin", "apple", "nurse"} <= set(present):
            out["chapter_words"][name] = {
                "pumpkin/apple": float(cosine_similarity(wv["pumpkin"], wv["apple"])),
                "apple/nurse": float(cosine_similarity(wv["apple"], wv["nurse"])),
                "pumpkin/pie": float(cosine_similarity(wv["pumpkin"], wv["pie"])) if "pie" in wv else None,
            }
        print(f"{name}: {len(wv):,} words in {out['models'][name]['seconds']:.0f} s", flush=True)

    # The book's LSTM with its embedding frozen at the skip-gram vectors, against the same LSTM learning its own.
    config = BookConfig()
    source = resolve_source(args.data, "keras")
    data = pad_data(load_imdb(num_words=config.num_words, source=source), config, source)
    word_index = keras_word_index()
    skip_gram = vectors["skip-gram"]
    usable = {w: skip_gram[w] for w in word_index if w in skip_gram}  # rows past num_words are left out below
    matrix, found = build_embedding_matrix(word_index, usable, num_words=config.num_words, index_from=3)
    learned = fit("lstm", data, config, seed=args.seed)
    learned_loss, learned_accuracy = evaluate(learned.model, data)
    keras.utils.set_random_seed(args.seed)
    frozen = build_model("lstm", config, maxlen=config.maxlen, compile=False)
    frozen.layers[0].set_weights([matrix.astype(np.float32)])
    frozen.layers[0].trainable = False
    frozen.compile(loss=config.loss, optimizer=config.optimizer, metrics=list(config.metrics))
    frozen_fit = fit_model(frozen, data, config)
    frozen_loss, frozen_accuracy = evaluate(frozen, data)
    out["frozen_vs_learned"] = {
        "seed": args.seed,
        "rows_with_a_vector": int(found),
        "word_rows": config.num_words - 4,  # indices 4 .. num_words - 1 (0-2 reserved, 3 unused)
        "learned": {
            "test_accuracy": learned_accuracy,
            "test_loss": learned_loss,
            "val_accuracy": learned.history["val_accuracy"],
        },
        "frozen_skip_gram": {
            "test_accuracy": frozen_accuracy,
            "test_loss": frozen_loss,
            "val_accuracy": frozen_fit.history["val_accuracy"],
        },
        "backend": keras.backend.backend(),
    }
    print(f"LSTM, embedding learned: {learned_accuracy:.4f}; frozen at skip-gram's vectors: {frozen_accuracy:.4f}")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="the Stanford archive aclImdb_v1.tar.gz (or an aclImdb/ folder)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--workers", type=int, default=2, help="gensim's threads (its runs are exactly repeatable with 1)")
    p.add_argument("--seed", type=int, default=0, help="seed of the two LSTM runs")
    args = p.parse_args(argv)
    try:
        import gensim  # noqa: F401
    except ImportError:
        p.error("needs gensim: pip install 'gensim>=4.3,<5'")
    from chapter12.errors import Chapter12Error
    from chapter12.files import write_json

    try:
        results = measure(args)
    except (Chapter12Error, OSError) as e:
        p.error(str(e))

    write_json(args.out, results)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
