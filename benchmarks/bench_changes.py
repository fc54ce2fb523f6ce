"""The two speed changes that were kept, each measured side by side with what it replaced.

    python benchmarks/bench_changes.py ../shared/data/aclImdb_v1_labeled.tar.gz

1. Padded arrays from the cache: pad(load_imdb(...)) (Python lists) against load_padded (flat arrays).
2. The final test evaluation at Keras's default batch of 32 against chapter12's 1,024.
"""

import os
import sys
import time
import statistics

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import keras
from chapter12 import build_model
from chapter12.imdb import load_imdb, pad, load_padded

SRC = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/aclImdb_v1_labeled.tar.gz"
load_padded(source=SRC)  # warm the page cache
old, new = [], []
for _ in range(3):
    t = time.perf_counter()
    (a, _), (b, _) = load_imdb(source=SRC)
    pa, pb = pad(a), pad(b)
    old.append(time.perf_counter() - t)
    t = time.perf_counter()
    (na, _), (nb, _) = load_padded(source=SRC)
    new.append(time.perf_counter() - t)
    assert (na == pa).all() and (nb == pb).all()
print(
    f"padded arrays from the cache: pad(load_imdb) {statistics.median(old):.2f} s, load_padded {statistics.median(new):.2f} s (median of 3, identical arrays)"  # noqa: E501
)
(xt, yt), (xs, ys) = load_padded(source=SRC)
keras.utils.set_random_seed(0)
m = build_model("lstm", maxlen=100)
m.fit(xt[:2000], yt[:2000], batch_size=128, epochs=1, verbose=0)
res = {32: [], 1024: []}
for _ in range(2):
    for bs in (32, 1024):
        t = time.perf_counter()
        r = m.evaluate(xs, ys, batch_size=bs, verbose=0)
        res[bs].append((time.perf_counter() - t, r))
for bs, v in res.items():
    print(
        f"evaluate 25,000 test reviews, batch {bs}: {statistics.median(x[0] for x in v):.2f} s, loss {v[0][1][0]:.7f}, accuracy {v[0][1][1]:.5f}"  # noqa: E501
    )
