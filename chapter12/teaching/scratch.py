"""The book's RNN and LSTM (sections 12.3.1 and 12.3.2) written out in NumPy.

The names follow the text so the equations and the code can be read side by side:

    a<0>      = 0
    a<t>      = tanh(W_aa a<t-1> + W_ax x<t> + b_a)
    y_hat<t>  = sigmoid(W_ya a<t> + b_y)
    L<t>      = -y<t> log(y_hat<t>) - (1 - y<t>) log(1 - y_hat<t>),   L = sum_t L<t>

and for the LSTM, with every gate looking at the stacked column [a<t-1>; x<t>]:

    gamma_f = sigmoid(W_f [a<t-1>; x<t>] + b_f)      forget gate
    gamma_u = sigmoid(W_u [a<t-1>; x<t>] + b_u)      update (input) gate
    c_tilde = tanh(W_c [a<t-1>; x<t>] + b_c)         candidate cell state
    c<t>    = gamma_f * c<t-1> + gamma_u * c_tilde
    gamma_o = sigmoid(W_o [a<t-1>; x<t>] + b_o)      output gate
    a<t>    = gamma_o * tanh(c<t>)

Shapes
------
The book writes one example as a column vector. To run a batch of ``m`` examples at once
the examples sit side by side as columns, so every equation above keeps its form:

    x<t>, x_t        (n_x, m)          one time step, one column per example
    a<t>, c<t>       (n_a, m)
    y_hat<t>         (n_y, m)
    x                (n_x, m, T_x)     a whole sequence, time on the last axis
    a, c             (n_a, m, T_x)
    y_hat, y         (n_y, m, T_x)
    W_aa             (n_a, n_a)
    W_ax             (n_a, n_x)
    b_a              (n_a, 1)          (n_a,) is accepted too
    W_ya             (n_y, n_a)
    b_y              (n_y, 1)          (n_y,) is accepted too
    W_f, W_u, W_c, W_o  (n_a, n_a + n_x)   acting on [a<t-1>; x<t>], a on top
    b_f, b_u, b_c, b_o  (n_a, 1)          (n_a,) is accepted too

Keras orders a batch as (m, T_x, n_x); :func:`to_book_layout` and :func:`to_keras_layout`
convert between the two.

Bad shapes or arguments raise ``Chapter12Error``, a ``ValueError`` whose message names the
offending array, its shape and the shape expected.

The forward passes compute in float64 so that the NumPy rounding stays far below the
float32 rounding of the Keras layers they are compared against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Mapping

import numpy as np

from chapter12.errors import Chapter12Error

# Keras clips probabilities to [EPSILON, 1 - EPSILON] before taking logs
# (keras.backend.epsilon()); using the same value lets the two losses agree exactly.
EPSILON = 1e-7

_LSTM_GATES = ("f", "u", "c", "o")
_KERAS_BATCH = "a Keras batch (m, T_x, n_x) converts with to_book_layout(x)"


@dataclass
class RNNForward:
    """Everything :func:`rnn_forward` computes, in the book's notation."""

    a: np.ndarray  # (n_a, m, T_x): a<1> ... a<T_x>
    a_last: np.ndarray  # (n_a, m): a<T_x>, what a many-to-one model passes on
    y_hat: np.ndarray | None  # (n_y, m, T_x), None unless W_ya is given
    y_hat_last: np.ndarray | None  # (n_y, m): the many-to-one prediction


@dataclass
class LSTMForward:
    """Everything :func:`lstm_forward` computes, in the book's notation."""

    a: np.ndarray  # (n_a, m, T_x)
    c: np.ndarray  # (n_a, m, T_x): the cell state c<1> ... c<T_x>
    a_last: np.ndarray  # (n_a, m)
    c_last: np.ndarray  # (n_a, m)
    gates: dict[str, np.ndarray]  # gamma_f, gamma_u, gamma_o and c_tilde, each (n_a, m, T_x)
    y_hat: np.ndarray | None  # (n_y, m, T_x), None unless W_ya is given
    y_hat_last: np.ndarray | None  # (n_y, m)


# ---------------------------------------------------------------------------
# RNN (12.3.1): the maths, one line per equation


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-z)), written with tanh so that a large negative z cannot overflow."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def rnn_cell_forward(x_t, a_prev, W_aa, W_ax, b_a, W_ya=None, b_y=None):
    """One RNN step: a<t> from a<t-1> and x<t>, and y_hat<t> when W_ya, b_y are given (shapes: see rnn_forward)."""
    a_t = np.tanh(W_aa @ a_prev + W_ax @ x_t + b_a)
    y_hat_t = sigmoid(W_ya @ a_t + b_y) if W_ya is not None else None
    return a_t, y_hat_t


def rnn_forward(x: np.ndarray, a0: np.ndarray | None, params: Mapping[str, np.ndarray]) -> RNNForward:
    """Run the RNN over a whole sequence x (n_x, m, T_x), starting from a0 (zeros if None)."""
    x, p, a_prev = _checked_rnn(x, a0, params)
    n_x, m, T_x = x.shape
    a = np.zeros((p["W_aa"].shape[0], m, T_x))
    y_hat = np.zeros((p["W_ya"].shape[0], m, T_x)) if "W_ya" in p else None
    for t in range(T_x):
        a_prev, y_hat_t = rnn_cell_forward(
            x[:, :, t], a_prev, p["W_aa"], p["W_ax"], p["b_a"], p.get("W_ya"), p.get("b_y")
        )
        a[:, :, t] = a_prev
        if y_hat is not None:
            y_hat[:, :, t] = y_hat_t
    return RNNForward(a=a, a_last=a[:, :, -1], y_hat=y_hat, y_hat_last=None if y_hat is None else y_hat[:, :, -1])


# ---------------------------------------------------------------------------
# LSTM (12.3.2): the maths, one line per equation


def lstm_cell_forward(x_t, a_prev, c_prev, p):
    """One LSTM step: a<t>, c<t> and the gates gamma_f, gamma_u, gamma_o, c_tilde (shapes: see lstm_forward)."""
    stacked = np.concatenate([a_prev, x_t])  # [a<t-1>, x<t>], a on top
    gamma_f = sigmoid(p["W_f"] @ stacked + p["b_f"])  # forget gate
    gamma_u = sigmoid(p["W_u"] @ stacked + p["b_u"])  # update gate
    c_tilde = np.tanh(p["W_c"] @ stacked + p["b_c"])  # candidate cell state
    c_t = gamma_f * c_prev + gamma_u * c_tilde
    gamma_o = sigmoid(p["W_o"] @ stacked + p["b_o"])  # output gate
    a_t = gamma_o * np.tanh(c_t)
    return a_t, c_t, {"gamma_f": gamma_f, "gamma_u": gamma_u, "gamma_o": gamma_o, "c_tilde": c_tilde}


def lstm_forward(
    x: np.ndarray, a0: np.ndarray | None, params: Mapping[str, np.ndarray], c0: np.ndarray | None = None
) -> LSTMForward:
    """Run the LSTM over x (n_x, m, T_x) from a0 and c0 (zeros if None), keeping every step."""
    x, p, a_prev, c_prev = _checked_lstm(x, a0, c0, params)
    n_x, m, T_x = x.shape
    n_a = p["W_f"].shape[0]
    a, c = np.zeros((n_a, m, T_x)), np.zeros((n_a, m, T_x))
    gates = {name: np.zeros((n_a, m, T_x)) for name in ("gamma_f", "gamma_u", "gamma_o", "c_tilde")}
    y_hat = np.zeros((p["W_ya"].shape[0], m, T_x)) if "W_ya" in p else None
    for t in range(T_x):
        a_prev, c_prev, step_gates = lstm_cell_forward(x[:, :, t], a_prev, c_prev, p)
        a[:, :, t], c[:, :, t] = a_prev, c_prev
        for name, value in step_gates.items():
            gates[name][:, :, t] = value
        if y_hat is not None:
            y_hat[:, :, t] = sigmoid(p["W_ya"] @ a_prev + p["b_y"])
    return LSTMForward(
        a=a,
        c=c,
        a_last=a[:, :, -1],
        c_last=c[:, :, -1],
        gates=gates,
        y_hat=y_hat,
        y_hat_last=None if y_hat is None else y_hat[:, :, -1],
    )


def sequence_loss(
    y_hat: np.ndarray,
    y: np.ndarray,
    *,
    reduce: Literal["none", "sum", "mean"] = "none",
) -> np.ndarray | float:
    """The book's loss L = sum over t of the binary cross-entropy L<t>, per example by default.

    ``y_hat`` and ``y`` share a shape: (n_y, m, T_y) for a sequence, or (n_y, m) for a
    single step. With one output unit (n_y = 1, as in the book) L<t> is exactly the book's
    formula; with several units L<t> is their mean, which is what
    ``keras.losses.binary_crossentropy`` does over its last axis.

    Probabilities are clipped to [EPSILON, 1 - EPSILON] with EPSILON = 1e-7, the value
    Keras uses, so a saturated prediction of exactly 0 or 1 gives a large finite loss
    instead of infinity. The clip is done in y_hat's own float type (float32 in, float32
    out) because that is where Keras does it.

    ``reduce="none"`` returns one loss per example, shape (m,); ``"sum"`` and ``"mean"``
    return that vector's sum or mean as a float.
    """
    y_hat = np.asarray(y_hat)
    y = np.asarray(y)
    if not np.issubdtype(y_hat.dtype, np.floating):
        y_hat = y_hat.astype(np.float64)
    dtype = y_hat.dtype.type
    if y_hat.ndim not in (2, 3):
        raise Chapter12Error(f"y_hat must be (n_y, m, T_y) or (n_y, m) but has shape {y_hat.shape}")
    if y.shape != y_hat.shape:
        raise Chapter12Error(
            f"y has shape {y.shape} but y_hat has shape {y_hat.shape}; "
            "pass labels laid out like the predictions, (n_y, m, T_y)"
        )
    if reduce not in ("none", "sum", "mean"):
        raise Chapter12Error(f"reduce must be 'none', 'sum' or 'mean'; got {reduce!r}")
    y = y.astype(y_hat.dtype)
    if y_hat.ndim == 2:
        y_hat, y = y_hat[:, :, None], y[:, :, None]

    p = np.clip(y_hat, dtype(EPSILON), dtype(1.0 - EPSILON))
    loss_t = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(axis=0)  # (m, T_y)
    per_example = loss_t.sum(axis=1)
    if reduce == "sum":
        return float(per_example.sum())
    if reduce == "mean":
        return float(per_example.mean())
    return per_example


# ---------------------------------------------------------------------------
# layout


def to_book_layout(x_keras: np.ndarray) -> np.ndarray:
    """Turn a Keras batch (m, T_x, n_x) into the book's layout (n_x, m, T_x)."""
    x_keras = np.asarray(x_keras)
    if x_keras.ndim != 3:
        raise Chapter12Error(f"expected a Keras batch (m, T_x, n_x) but got shape {x_keras.shape}")
    return np.transpose(x_keras, (2, 0, 1))


def to_keras_layout(x_book: np.ndarray) -> np.ndarray:
    """Turn the book's layout (n, m, T) back into a Keras batch (m, T, n)."""
    x_book = np.asarray(x_book)
    if x_book.ndim != 3:
        raise Chapter12Error(f"expected the book's layout (n, m, T) but got shape {x_book.shape}")
    return np.transpose(x_book, (1, 2, 0))


# ---------------------------------------------------------------------------
# the checks, once, at the entry points


def _array(name: str, value: Any, ndim: int, shape: str, advice: str = "") -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise Chapter12Error(f"{name} must be a numeric array; got {type(value).__name__}") from error
    if array.ndim != ndim:
        raise Chapter12Error(
            f"{name} must be {ndim}-D, {shape}, but has shape {array.shape}" + (f"; {advice}" if advice else "")
        )
    return array


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _column(name: str, value: Any, rows: int, owner: str) -> np.ndarray:
    """Return a bias as a (rows, 1) column, accepting a flat (rows,) vector too."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise Chapter12Error(f"{name} must be a numeric array; got {type(value).__name__}") from error
    if array.shape == (rows,):
        array = array[:, None]
    if array.shape != (rows, 1):
        raise Chapter12Error(
            f"{name} has shape {array.shape} but {owner} has {_count(rows, 'row')}, so {name} must be ({rows}, 1)"
        )
    return array


def _sequence(x: Any) -> np.ndarray:
    array = _array(
        "x", x, 3, "(n_x, m, T_x)", "a single step x<t> of shape (n_x, m) is the one-step sequence x[:, :, None]"
    )
    if array.shape[2] == 0:
        raise Chapter12Error("x has no time steps (T_x = 0); pass at least one step")
    return array


def _initial_state(name: str, value: Any, n_a: int, m: int) -> np.ndarray:
    if value is None:
        return np.zeros((n_a, m))
    array = _array(name, value, 2, "(n_a, m)", "pass one column per example, or None to start from zeros")
    if array.shape != (n_a, m):
        raise Chapter12Error(
            f"{name} has shape {array.shape} but n_a = {n_a} and m = {m}, so it must be (n_a, m) = ({n_a}, {m}); "
            "pass None to start from zeros"
        )
    return array


def _require(params: Mapping[str, Any], keys: tuple[str, ...], model: str) -> None:
    if not isinstance(params, Mapping):
        raise Chapter12Error(f"params must be a dict of the book's matrices; got {type(params).__name__}")
    missing = [key for key in keys if key not in params]
    if missing:
        raise Chapter12Error(
            f"params for the {model} is missing {', '.join(missing)}; "
            f"it needs {', '.join(keys)} (params_from_keras builds them from a Keras layer)"
        )


def _checked_output(params: Mapping[str, Any], n_a: int) -> dict[str, np.ndarray]:
    W_ya, b_y = params.get("W_ya"), params.get("b_y")
    if W_ya is None and b_y is None:
        return {}
    if W_ya is None or b_y is None:
        raise Chapter12Error("W_ya and b_y go together; pass both for y_hat or neither for a only")
    W_ya = _array("W_ya", W_ya, 2, "(n_y, n_a)")
    if W_ya.shape[1] != n_a:
        raise Chapter12Error(
            f"W_ya has shape {W_ya.shape}, so it expects n_a = {W_ya.shape[1]}, but a has n_a = {n_a}; "
            f"W_ya must be (n_y, n_a) = (n_y, {n_a})"
        )
    return {"W_ya": W_ya, "b_y": _column("b_y", b_y, W_ya.shape[0], "W_ya")}


def _checked_rnn(x: Any, a0: Any, params: Mapping[str, Any]) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """x, the parameters (float64, biases as columns) and a<0>, checked against each other."""
    x = _sequence(x)
    _require(params, ("W_aa", "W_ax", "b_a"), "RNN")
    W_aa = _array("W_aa", params["W_aa"], 2, "(n_a, n_a)")
    W_ax = _array("W_ax", params["W_ax"], 2, "(n_a, n_x)")
    n_a = W_aa.shape[0]
    if W_aa.shape != (n_a, n_a):
        raise Chapter12Error(f"W_aa must be square, (n_a, n_a), but has shape {W_aa.shape}")
    if W_ax.shape[0] != n_a:
        raise Chapter12Error(
            f"W_ax has shape {W_ax.shape} but W_aa has shape {W_aa.shape}: both have one row per hidden unit, "
            f"so W_ax must be (n_a, n_x) = ({n_a}, {W_ax.shape[1]})"
        )
    if x.shape[0] != W_ax.shape[1]:
        raise Chapter12Error(
            f"x has n_x = {x.shape[0]} but W_ax has shape {W_ax.shape}, so it expects n_x = {W_ax.shape[1]}; "
            f"pass x with shape (n_x, m, T_x) = ({W_ax.shape[1]}, m, T_x); {_KERAS_BATCH}"
        )
    p = {"W_aa": W_aa, "W_ax": W_ax, "b_a": _column("b_a", params["b_a"], n_a, "W_aa")} | _checked_output(params, n_a)
    return x, p, _initial_state("a0", a0, n_a, x.shape[1])


def _checked_lstm(
    x: Any, a0: Any, c0: Any, params: Mapping[str, Any]
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """x, the parameters (float64, biases as columns), a<0> and c<0>, checked against each other."""
    x = _sequence(x)
    _require(params, ("W_f", "b_f", "W_u", "b_u", "W_c", "b_c", "W_o", "b_o"), "LSTM")
    n_x = x.shape[0]
    n_a = _array("W_f", params["W_f"], 2, "(n_a, n_a + n_x)").shape[0]
    p = {}
    for gate in _LSTM_GATES:
        W = _array(f"W_{gate}", params[f"W_{gate}"], 2, "(n_a, n_a + n_x)")
        if W.shape != (n_a, n_a + n_x):
            raise Chapter12Error(
                f"W_{gate} has shape {W.shape} but n_a = {n_a} (from W_f) and n_x = {n_x} (from x), so it must "
                f"be (n_a, n_a + n_x) = ({n_a}, {n_a + n_x}), acting on the stacked column [a<t-1>; x<t>]"
                + (f"; {_KERAS_BATCH}" if W.shape[0] == n_a else "")
            )
        p[f"W_{gate}"], p[f"b_{gate}"] = W, _column(f"b_{gate}", params[f"b_{gate}"], n_a, f"W_{gate}")
    p |= _checked_output(params, n_a)
    m = x.shape[1]
    return x, p, _initial_state("a0", a0, n_a, m), _initial_state("c0", c0, n_a, m)


# ---------------------------------------------------------------------------
# Keras -> book


def _activation_name(function: Any) -> str:
    return getattr(function, "__name__", repr(function))


def _built_weights(layer: Any) -> list[np.ndarray]:
    if not layer.built:
        raise Chapter12Error(
            f"layer {layer.name!r} has no weights yet; build it first, for example by "
            "calling it on a batch or with layer.build(input_shape)"
        )
    return [np.asarray(w, dtype=np.float64) for w in layer.get_weights()]


def params_from_keras(layer: Any, *, dense: Any = None) -> dict[str, np.ndarray]:
    """Copy a built Keras SimpleRNN or LSTM (and optional Dense head) into the book's matrices.

    Keras multiplies row vectors from the right (x @ kernel), the book multiplies column
    vectors from the left (W_ax @ x), so every kernel is transposed:

    * SimpleRNN: ``W_ax = kernel.T``, ``W_aa = recurrent_kernel.T``, ``b_a = bias[:, None]``.
    * LSTM: kernel and recurrent_kernel pack the gates side by side in the order
      i, f, c, o (i is the book's update gate gamma_u). Each gate's W is
      ``[recurrent_kernel_gate.T, kernel_gate.T]`` so that it acts on [a<t-1>; x<t>].
    * ``dense`` (a built ``Dense`` layer with sigmoid activation applied to the RNN's
      output) adds ``W_ya = kernel.T`` and ``b_y = bias[:, None]``.

    Only the book's activations are accepted: tanh for the SimpleRNN, sigmoid gates and
    tanh candidate/output for the LSTM; anything else raises Chapter12Error because the
    NumPy equations would no longer describe the layer. A layer built with ``use_bias=False``
    gets zero biases.
    """
    import keras

    if isinstance(layer, keras.layers.SimpleRNN):
        if _activation_name(layer.activation) != "tanh":
            raise Chapter12Error(
                f"SimpleRNN {layer.name!r} uses activation "
                f"{_activation_name(layer.activation)!r}; the book's RNN uses tanh, so "
                "rebuild the layer with activation='tanh' to compare it"
            )
        weights = _built_weights(layer)
        kernel, recurrent_kernel = weights[0], weights[1]
        units = recurrent_kernel.shape[0]
        bias = weights[2] if layer.use_bias else np.zeros(units)
        params = {"W_aa": recurrent_kernel.T, "W_ax": kernel.T, "b_a": bias[:, None]}
    elif isinstance(layer, keras.layers.LSTM):
        activation = _activation_name(layer.activation)
        recurrent_activation = _activation_name(layer.recurrent_activation)
        if activation != "tanh" or recurrent_activation != "sigmoid":
            raise Chapter12Error(
                f"LSTM {layer.name!r} uses activation={activation!r} and "
                f"recurrent_activation={recurrent_activation!r}; the book's LSTM uses "
                "tanh and sigmoid, so rebuild the layer with those defaults to compare it"
            )
        weights = _built_weights(layer)
        kernel, recurrent_kernel = weights[0], weights[1]
        units = recurrent_kernel.shape[0]
        bias = weights[2] if layer.use_bias else np.zeros(4 * units)
        params = {}
        # Keras packs the four gates as i, f, c, o; i is the book's update gate.
        for index, gate in enumerate(("u", "f", "c", "o")):
            block = slice(index * units, (index + 1) * units)
            params[f"W_{gate}"] = np.concatenate([recurrent_kernel[:, block].T, kernel[:, block].T], axis=1)
            params[f"b_{gate}"] = bias[block][:, None]
    else:
        raise Chapter12Error(
            f"params_from_keras needs a keras.layers.SimpleRNN or keras.layers.LSTM; "
            f"got {type(layer).__name__} ({getattr(layer, 'name', layer)!r})"
        )

    if dense is not None:
        params.update(_dense_params(dense, units))
    return params


def _dense_params(dense: Any, units: int) -> dict[str, np.ndarray]:
    import keras

    if not isinstance(dense, keras.layers.Dense):
        raise Chapter12Error(f"dense must be a keras.layers.Dense; got {type(dense).__name__}")
    if _activation_name(dense.activation) != "sigmoid":
        raise Chapter12Error(
            f"Dense {dense.name!r} uses activation {_activation_name(dense.activation)!r}; "
            "the book's y_hat is a sigmoid, so use Dense(..., activation='sigmoid')"
        )
    weights = _built_weights(dense)
    kernel = weights[0]
    if kernel.shape[0] != units:
        raise Chapter12Error(
            f"Dense {dense.name!r} takes {_count(kernel.shape[0], 'input')} but the recurrent layer has "
            f"{_count(units, 'unit')}; pass the Dense layer that sits on this recurrent layer"
        )
    bias = weights[1] if dense.use_bias else np.zeros(kernel.shape[1])
    return {"W_ya": kernel.T, "b_y": bias[:, None]}
