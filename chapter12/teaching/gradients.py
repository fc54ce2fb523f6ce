"""Measure how far back a recurrent layer's gradient reaches (the vanishing gradient of section 12.3.2).

For an output o<p> at step p and an input x<t> at an earlier step t, the chain rule
multiplies one Jacobian per step between them:

    d o<p> / d x<t> = (d o<p> / d a<p>) (d a<p> / d a<p-1>) ... (d a<t+1> / d a<t>) (d a<t> / d x<t>)

For the book's RNN each factor d a<s> / d a<s-1> is diag(1 - a<s>**2) W_aa, so the product
shrinks step after step whenever the tanh units sit away from zero. The LSTM also passes
its cell state on through c<s> = gamma_f * c<s-1> + ..., a path whose factor is the forget
gate itself. :func:`input_gradient_norms` measures the size of the whole product with
TensorFlow's automatic differentiation, one number per input step. When the factors exceed 1
the product grows instead (an exploding gradient: :func:`scale_recurrent_weights` makes one),
and :func:`sgd_steps` shows what clipping the gradient's norm does to the steps training takes.

TensorFlow must be Keras's backend (its default); TensorFlow is imported only when a
function here runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from chapter12.errors import Chapter12Error

# Sequences pushed through the layer in one go when measuring (copies of x times output units).
_MAX_BATCH = 1024


def _as_batch(x: Any) -> np.ndarray:
    try:
        array = np.asarray(x, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise Chapter12Error(f"x must be a numeric array; got {type(x).__name__}") from error
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or 0 in array.shape:
        raise Chapter12Error(
            f"x must be a Keras batch (m, T, n_x) or one sequence (T, n_x) with no empty axis; got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise Chapter12Error("x holds NaN or infinite values; pass finite inputs")
    return array


def _output_step(output: Any, steps: int, position: int) -> int | None:
    # The step the output is read at, or None when the output has no time axis (last step only).
    if isinstance(output, (list, tuple, dict)):
        raise Chapter12Error(
            "the layer returns several tensors (return_state=True?); measure a layer or model with one output"
        )
    if isinstance(position, bool) or not isinstance(position, (int, np.integer)):
        raise Chapter12Error(f"position must be a whole number, got {position!r}")
    p = int(position) + steps if position < 0 else int(position)
    if not 0 <= p < steps:
        raise Chapter12Error(f"position {position} is outside the {steps} steps of x; use -{steps} .. {steps - 1}")
    if len(output.shape) == 3:
        if output.shape[1] != steps:
            raise Chapter12Error(
                f"the output has {output.shape[1]} steps but x has {steps}; measure a layer that keeps the time axis"
            )
        return p
    if len(output.shape) == 2:
        if p != steps - 1:
            raise Chapter12Error(
                f"the layer returns only its last step (return_sequences=False), so position {position} cannot be "
                "read; build it with return_sequences=True or use position=-1"
            )
        return None
    raise Chapter12Error(f"expected an output of shape (m, T, k) or (m, k); got {tuple(output.shape)}")


def input_gradient_norms(layer_or_model: Any, x: Any, *, position: int = -1) -> np.ndarray:
    """Size of d output<position> / d x<t> for every input step t, averaged over the sequences of x: shape (T,).

    ``layer_or_model`` is any Keras layer or model that maps float inputs (m, T, n_x) to
    (m, T, k) (``return_sequences=True``) or to its last step only, (m, k). For each
    sequence the Jacobian of the k outputs at step ``position`` (default: the last) with
    respect to the n_x inputs at step t is a k x n_x matrix; its Frobenius norm (the root of
    the sum of its squared entries) is computed exactly, with one backward pass per output
    unit batched together, and averaged over the m sequences. Entry t of the result belongs
    to input step t (0 = the first), so the last entry is the input read at the output's own
    step and entry 0 the one furthest back. Inputs after ``position`` get 0 for a layer that
    reads left to right.
    """
    import keras
    import tensorflow as tf

    if keras.backend.backend() != "tensorflow":
        raise Chapter12Error(
            f"input_gradient_norms uses tf.GradientTape but Keras runs on {keras.backend.backend()!r}; "
            "set KERAS_BACKEND=tensorflow before importing keras"
        )
    if not callable(layer_or_model):
        raise Chapter12Error(f"layer_or_model must be a Keras layer or model; got {type(layer_or_model).__name__}")
    x = _as_batch(x)
    m, steps, features = x.shape
    try:
        probe = layer_or_model(x[:1])
    except Exception as error:  # Keras raises many types for an input it cannot take
        raise Chapter12Error(
            f"the layer or model cannot run on float inputs of shape (m, {steps}, {features}) "
            f"({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}); pass the sequences it "
            "expects, and for a model that starts with an Embedding measure the layers after it"
        ) from None
    step = _output_step(probe, steps, position)
    units = int(probe.shape[-1])

    squared = np.zeros((m, steps))
    copies = max(1, _MAX_BATCH // m)
    for first in range(0, units, copies):
        count = min(copies, units - first)
        # Copy j of the batch is differentiated through output unit first + j only, so one
        # backward pass yields `count` rows of every sequence's Jacobian.
        tiled = tf.constant(np.tile(x, (count, 1, 1)))
        pick = tf.one_hot(tf.range(first, first + count), units)[:, None, :]
        with tf.GradientTape() as tape:
            tape.watch(tiled)
            output = layer_or_model(tiled)
            if step is not None:
                output = output[:, step, :]
            chosen = tf.reduce_sum(tf.reshape(tf.cast(output, tf.float32), (count, m, units)) * pick)
        grad = tape.gradient(chosen, tiled)
        if grad is None:
            raise Chapter12Error(
                "the output does not depend on x through differentiable operations (does the model start with an "
                "Embedding of integer indices?); pass float inputs to the recurrent layers themselves"
            )
        grad = grad.numpy().astype(np.float64).reshape(count, m, steps, features)
        squared += (grad**2).sum(axis=(0, 3))
    return np.sqrt(squared).mean(axis=0)


def steps_back(norms: Any) -> np.ndarray:
    """How many steps before the end each entry of input_gradient_norms lies: T, T-1, ..., 1 (1 = the last input)."""
    steps = len(np.asarray(norms))
    return np.arange(steps, 0, -1)


def _check_norms(norms: Any) -> np.ndarray:
    norms = np.asarray(norms, dtype=np.float64)
    if norms.ndim != 1 or len(norms) < 2:
        raise Chapter12Error(f"norms must be a 1-D array with at least two steps; got shape {norms.shape}")
    if not np.all(np.isfinite(norms)) or np.any(norms < 0):
        raise Chapter12Error("norms must be finite and non-negative, as input_gradient_norms returns them")
    if norms[-1] == 0:
        raise Chapter12Error("the gradient at the last step is 0, so no ratio to it exists; check the layer and x")
    return norms


def gradient_ratio(norms: Any) -> float:
    """The gradient at the first step over the gradient at the last: how much of it survives T - 1 steps back."""
    norms = _check_norms(norms)
    return float(norms[0] / norms[-1])


def per_step_factor(norms: Any) -> float:
    """The average factor the gradient is multiplied by per step back: gradient_ratio ** (1 / (T - 1))."""
    norms = _check_norms(norms)
    ratio = norms[0] / norms[-1]
    return float(ratio ** (1.0 / (len(norms) - 1)))


def plot_gradient_norms(curves: Mapping[str, Any], *, ax: Any = None, title: str | None = None) -> Any:
    """Gradient norm against steps back from the output, one line per curve, on a log scale; returns the figure."""
    import matplotlib.pyplot as plt

    if not curves:
        raise Chapter12Error("no curves to plot; pass {'label': input_gradient_norms(...)}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4))
    else:
        fig = ax.figure
    for label, norms in curves.items():
        norms = np.asarray(norms, dtype=np.float64)
        if norms.ndim != 1 or len(norms) == 0:
            raise Chapter12Error(f"curve {label!r} must be a 1-D array of norms; got shape {norms.shape}")
        # A log axis cannot show 0 (inputs after the output's step, or a float32 underflow): leave a gap.
        shown = np.where(norms > 0, norms, np.nan)
        ax.plot(steps_back(norms), shown, label=label, linewidth=2)
    ax.set_yscale("log")
    ax.set_xlabel("steps back from the output (1 = the last input)")
    ax.set_ylabel("size of d output / d x<t>")
    ax.set_title(title or "How far back the gradient reaches")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    return fig


def set_forget_bias(lstm: Any, value: float) -> None:
    """Set every forget-gate bias b_f of a built Keras LSTM layer to value (Keras starts them at 1)."""
    import keras

    if not isinstance(lstm, keras.layers.LSTM):
        raise Chapter12Error(f"set_forget_bias needs a keras.layers.LSTM; got {type(lstm).__name__}")
    if not lstm.built or not lstm.cell.use_bias:
        raise Chapter12Error("the LSTM has no bias yet (or use_bias=False); call it on a batch first")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise Chapter12Error(f"value must be a finite number, got {value!r}")
    bias = np.asarray(lstm.cell.bias.numpy())
    units = lstm.cell.units
    # Keras packs the gates as i, f, c, o: the forget gate is the second block.
    bias[units : 2 * units] = value
    lstm.cell.bias.assign(bias)


def scale_recurrent_weights(layer: Any, factor: float) -> None:
    """Multiply a built SimpleRNN layer's recurrent matrix W_aa by factor (more than 1: a gradient that can grow)."""
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not factor > 0:
        raise Chapter12Error(f"factor must be a positive number, got {factor!r}")
    weights = layer.get_weights()
    if len(weights) != 3:
        raise Chapter12Error(
            f"expected a built SimpleRNN layer (kernel, recurrent kernel, bias), got {len(weights)} weights"
        )
    kernel, recurrent, bias = weights
    layer.set_weights([kernel, recurrent * factor, bias])


def sgd_steps(
    model: Any, x: Any, y: Any, *, steps: int, learning_rate: float, global_clipnorm: float | None = None
) -> dict:
    """Take `steps` full-batch steps of plain SGD on (x, y) with binary cross-entropy; with global_clipnorm, each
    gradient whose norm over all the weights exceeds it is scaled down to that norm before its step (Keras's
    `clipnorm` instead clips each weight tensor's gradient separately).

    Returns per step the loss, the gradient's norm over all weights (before clipping) and the size of the step
    the weights took (the norm of their change): the three numbers that show what clipping does.
    """
    import keras
    import tensorflow as tf

    if steps < 1:
        raise Chapter12Error(f"steps must be at least 1, got {steps}")
    x, y = tf.constant(_as_batch(x)), tf.constant(np.asarray(y, dtype=np.float32))
    optimizer = keras.optimizers.SGD(learning_rate, global_clipnorm=global_clipnorm)
    loss_fn = keras.losses.BinaryCrossentropy()

    # One TensorFlow graph for the forward pass and its gradient, traced once: run eagerly, a recurrent layer
    # is a Python loop over the steps, and 60 steps on 100-step sequences took 16 s instead of about 1.
    @tf.function
    def loss_and_gradient():
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        return loss, tape.gradient(loss, model.trainable_weights)

    record: dict[str, list[float]] = {"loss": [], "gradient_norm": [], "step_size": []}
    for _ in range(steps):
        before = [w.numpy().copy() for w in model.trainable_weights]
        loss, grads = loss_and_gradient()
        optimizer.apply(grads, model.trainable_weights)
        after = [w.numpy() for w in model.trainable_weights]
        record["loss"].append(float(loss))
        record["gradient_norm"].append(float(tf.linalg.global_norm(grads)))
        record["step_size"].append(float(np.sqrt(sum(((a - b) ** 2).sum() for a, b in zip(after, before)))))
    return record
