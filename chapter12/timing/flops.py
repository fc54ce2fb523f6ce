"""What the arithmetic predicts: FLOPs of the chapter's recurrent layers, and the hardware's matmul speed."""

from __future__ import annotations

import time

from chapter12.book import BookConfig
from chapter12.errors import Chapter12Error

# Matrix blocks per time step: one for the simple RNN, three gates for the GRU, three gates and the candidate for
# the LSTM.
GATES = {"simple_rnn": 1, "gru": 3, "lstm": 4}


def recurrent_step_flops(kind: str, embedding_dim: int, units: int) -> int:
    """Multiply-add FLOPs (2 per multiply-add) of one time step of one review in the recurrent layer.

    Each gate (one for the simple RNN, four for the LSTM) multiplies the input x<t> by an
    (embedding_dim x units) matrix and the state a<t-1> by a (units x units) matrix:
    2 * gates * units * (embedding_dim + units).
    """
    if kind not in GATES:
        raise Chapter12Error(f"FLOPs are counted for {', '.join(GATES)}, not {kind!r}")
    return 2 * GATES[kind] * units * (embedding_dim + units)


def training_flops_per_epoch(kind: str, config: BookConfig, n_train: int) -> int:
    """Matrix FLOPs of one training epoch: 3 x forward (the backward pass costs about twice the forward).

    forward per review = maxlen * recurrent_step_flops + 2 * units (the Dense output unit);
    the embedding lookup is a copy, not arithmetic, and element-wise work (activations, gates'
    products, dropout) is left out: it is small next to the matrix products.
    """
    forward = config.maxlen * recurrent_step_flops(kind, config.embedding_dim, config.units) + 2 * config.units
    return 3 * forward * n_train


def measure_matmul_flops(n: int = 2048, repeats: int = 10) -> float:
    """The backend's float32 matrix-multiply speed on its device, in FLOP/s (best of `repeats`)."""
    import keras
    import numpy as np

    ops = keras.ops
    rng = np.random.default_rng(0)
    a = ops.convert_to_tensor(rng.standard_normal((n, n), dtype=np.float32))
    b = ops.convert_to_tensor(rng.standard_normal((n, n), dtype=np.float32))
    ops.convert_to_numpy(ops.sum(ops.matmul(a, b)))  # warm-up: kernels chosen, memory allocated
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        # Reading back one number forces an asynchronous device (GPU) to finish.
        ops.convert_to_numpy(ops.sum(ops.matmul(a, b)))
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best
