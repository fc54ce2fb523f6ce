"""Check the NumPy RNN and LSTM of chapter12.teaching.scratch against Keras, step by step."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from chapter12.errors import Chapter12Error
from chapter12.teaching.scratch import (
    EPSILON,
    lstm_cell_forward,
    lstm_forward,
    params_from_keras,
    rnn_cell_forward,
    rnn_forward,
    sequence_loss,
    to_book_layout,
    to_keras_layout,
)

keras = pytest.importorskip("keras")

# (batch, time, features, units): small for test speed, and different from each other so a
# transposed or swapped matrix cannot pass by accident.
SHAPES = [(1, 1, 1, 1), (2, 5, 3, 4), (4, 7, 6, 3), (3, 4, 2, 8)]

ATOL = 1e-5


def _random_input(batch, time, features, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(batch, time, features)).astype(np.float32)


def _randomize(layer, seed):
    # Keras starts biases at zero (and the LSTM forget bias at one), which would let a
    # wrongly sliced bias pass; random values make every weight count.
    rng = np.random.default_rng(seed)
    weights = layer.get_weights()
    layer.set_weights([0.5 * rng.normal(size=w.shape).astype(np.float32) for w in weights])
    return layer


def _keras_layer(kind, units, seed, features, return_sequences=True):
    cls = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM}[kind]
    layer = cls(units, return_sequences=return_sequences)
    layer.build((None, None, features))
    return _randomize(layer, seed)


def _book_forward(kind, x_book, params):
    if kind == "rnn":
        return rnn_forward(x_book, None, params)
    return lstm_forward(x_book, None, params)


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
@pytest.mark.parametrize("batch,time,features,units", SHAPES)
def test_every_time_step_matches_keras(kind, batch, time, features, units):
    x = _random_input(batch, time, features)
    layer = _keras_layer(kind, units, seed=batch + time, features=features)
    expected = np.asarray(layer(x))  # (batch, time, units)

    result = _book_forward(kind, to_book_layout(x), params_from_keras(layer))

    assert result.a.shape == (units, batch, time)
    np.testing.assert_allclose(to_keras_layout(result.a), expected, atol=ATOL, rtol=0)


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_many_to_one_is_the_last_step(kind):
    batch, time, features, units = 3, 6, 4, 5  # small for test speed
    x = _random_input(batch, time, features, seed=1)
    # return_sequences=False is the book's many-to-one: only a<T_x> comes out.
    layer = _keras_layer(kind, units, seed=1, features=features, return_sequences=False)
    expected = np.asarray(layer(x))  # (batch, units)

    result = _book_forward(kind, to_book_layout(x), params_from_keras(layer))

    np.testing.assert_array_equal(result.a_last, result.a[:, :, -1])
    np.testing.assert_allclose(result.a_last.T, expected, atol=ATOL, rtol=0)


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_dense_sigmoid_head_matches_y_hat(kind):
    batch, time, features, units = 4, 5, 3, 6  # small for test speed
    x = _random_input(batch, time, features, seed=2)
    recurrent = _keras_layer(kind, units, seed=2, features=features)
    dense = keras.layers.Dense(1, activation="sigmoid")
    dense.build((None, None, units))
    _randomize(dense, seed=2)
    expected = np.asarray(dense(recurrent(x)))  # (batch, time, 1)

    result = _book_forward(kind, to_book_layout(x), params_from_keras(recurrent, dense=dense))

    assert result.y_hat.shape == (1, batch, time)
    np.testing.assert_allclose(to_keras_layout(result.y_hat), expected, atol=ATOL, rtol=0)
    np.testing.assert_array_equal(result.y_hat_last, result.y_hat[:, :, -1])


def test_sequence_loss_matches_keras_binary_crossentropy():
    batch, time = 5, 7  # small for test speed
    rng = np.random.default_rng(0)
    y_hat_keras = rng.uniform(0.01, 0.99, size=(batch, time, 1)).astype(np.float32)
    y_keras = rng.integers(0, 2, size=(batch, time, 1)).astype(np.float32)

    # Keras averages over the last (unit) axis, giving one L<t> per (example, step).
    per_step = np.asarray(keras.losses.binary_crossentropy(y_keras, y_hat_keras))
    expected = per_step.sum(axis=1)

    got = sequence_loss(to_book_layout(y_hat_keras), to_book_layout(y_keras))

    assert got.shape == (batch,)
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=0)
    assert sequence_loss(to_book_layout(y_hat_keras), to_book_layout(y_keras), reduce="sum") == pytest.approx(
        expected.sum(), abs=1e-4
    )
    assert sequence_loss(to_book_layout(y_hat_keras), to_book_layout(y_keras), reduce="mean") == pytest.approx(
        expected.mean(), abs=1e-5
    )


def test_sequence_loss_clips_like_keras():
    # Certain, and certainly wrong, predictions: without the clip these would be log(0).
    y_hat = np.array([[[0.0, 1.0, 0.0, 1.0]]], dtype=np.float32)
    y = np.array([[[0.0, 1.0, 1.0, 0.0]]], dtype=np.float32)
    expected = np.asarray(keras.losses.binary_crossentropy(to_keras_layout(y), to_keras_layout(y_hat))).sum(axis=1)

    got = sequence_loss(y_hat, y)

    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    # Two confidently wrong steps cost about -log(EPSILON) each; the tolerance is loose
    # because 1 - EPSILON rounds to 1 - 1.19e-7 in float32.
    assert got[0] == pytest.approx(-2 * np.log(EPSILON), rel=1e-2)


def test_sequence_loss_follows_the_book_formula_for_one_step():
    y_hat = np.array([[0.8, 0.3]])  # (n_y=1, m=2), a single time step
    y = np.array([[1.0, 0.0]])
    np.testing.assert_allclose(sequence_loss(y_hat, y), [-np.log(0.8), -np.log(0.7)])


def test_lstm_gates_are_returned_and_combine_as_in_the_book():
    rng = np.random.default_rng(0)
    n_x, n_a, m = 3, 2, 4  # small for test speed
    params = {}
    for gate in "fuco":
        params[f"W_{gate}"] = rng.normal(size=(n_a, n_a + n_x))
        params[f"b_{gate}"] = rng.normal(size=(n_a, 1))
    x_t, a_prev, c_prev = (rng.normal(size=s) for s in [(n_x, m), (n_a, m), (n_a, m)])

    a_t, c_t, gates = lstm_cell_forward(x_t, a_prev, c_prev, params)

    assert set(gates) == {"gamma_f", "gamma_u", "gamma_o", "c_tilde"}
    for name in ("gamma_f", "gamma_u", "gamma_o"):
        assert np.all((gates[name] > 0) & (gates[name] < 1))
    np.testing.assert_allclose(c_t, gates["gamma_f"] * c_prev + gates["gamma_u"] * gates["c_tilde"])
    np.testing.assert_allclose(a_t, gates["gamma_o"] * np.tanh(c_t))


def test_rnn_cell_with_zero_weights_is_tanh_of_bias():
    b_a = np.array([[0.5], [-1.0]])
    a_t, y_hat_t = rnn_cell_forward(np.ones((3, 2)), np.ones((2, 2)), np.zeros((2, 2)), np.zeros((2, 3)), b_a)
    np.testing.assert_allclose(a_t, np.tanh(np.repeat(b_a, 2, axis=1)))
    assert y_hat_t is None


# --- invalid input ---------------------------------------------------------


def test_the_cells_are_the_equations_alone():
    # The checks live in rnn_forward / lstm_forward; a student reading a cell sees only its maths.
    import inspect

    for cell, equations in ((rnn_cell_forward, 2), (lstm_cell_forward, 7)):
        body = inspect.getsource(cell).split('"""')[2].strip().splitlines()
        assert len(body) == equations + 1, body  # one line per equation, and the return
        assert not any("raise" in line or "Chapter12Error" in line for line in body)


def test_params_from_keras_without_bias():
    batch, time, features, units = 2, 3, 2, 3  # small for test speed
    x = _random_input(batch, time, features, seed=3)
    layer = keras.layers.LSTM(units, use_bias=False, return_sequences=True)
    layer.build((None, None, features))
    _randomize(layer, seed=3)
    expected = np.asarray(layer(x))

    params = params_from_keras(layer)

    np.testing.assert_array_equal(params["b_f"], np.zeros((units, 1)))
    result = lstm_forward(to_book_layout(x), None, params)
    np.testing.assert_allclose(to_keras_layout(result.a), expected, atol=ATOL, rtol=0)


def test_sequence_loss_refuses_in_whole_sentences():
    def refusal(*args, **kwargs):
        with pytest.raises(Chapter12Error) as refused:
            sequence_loss(*args, **kwargs)
        return str(refused.value)

    assert refusal(np.full((1, 2, 3), 0.5), np.zeros((2, 3))) == (
        "y has shape (2, 3) but y_hat has shape (1, 2, 3); pass labels laid out like the predictions, (n_y, m, T_y)"
    )
    assert refusal(np.full((2,), 0.5), np.zeros(2)) == "y_hat must be (n_y, m, T_y) or (n_y, m) but has shape (2,)"
    assert refusal(np.full((1, 2), 0.5), np.zeros((1, 2)), reduce="average") == (
        "reduce must be 'none', 'sum' or 'mean'; got 'average'"
    )


def test_sequence_loss_takes_whole_number_predictions_as_floats():
    y = np.array([[1, 0, 1]])
    hard = np.array([[1, 0, 0]])  # integer predictions: the wrong one costs -log(EPSILON)
    np.testing.assert_allclose(sequence_loss(hard, y), sequence_loss(hard.astype(np.float64), y))


def test_the_lstm_keeps_each_steps_gates_and_they_make_its_cell_state():
    """The gates lstm_forward keeps are those of each step: in their ranges, and c<t> = gamma_f * c<t-1> +
    gamma_u * c_tilde with them, step by step (a run that kept no gates, or the wrong ones, fails)."""
    rng = np.random.default_rng(0)
    n_x, n_a, m, T_x = 3, 4, 2, 5
    params = {f"W_{g}": rng.normal(size=(n_a, n_a + n_x)) for g in "fuco"}
    params |= {f"b_{g}": rng.normal(size=(n_a, 1)) for g in "fuco"}
    out = lstm_forward(rng.normal(size=(n_x, m, T_x)), None, params)
    g = out.gates
    assert set(g) == {"gamma_f", "gamma_u", "gamma_o", "c_tilde"}
    for name in ("gamma_f", "gamma_u", "gamma_o"):
        assert ((g[name] > 0) & (g[name] < 1)).all(), name
    assert (np.abs(g["c_tilde"]) < 1).all()
    c_prev = np.zeros((n_a, m))
    for t in range(T_x):
        np.testing.assert_allclose(
            out.c[:, :, t], g["gamma_f"][:, :, t] * c_prev + g["gamma_u"][:, :, t] * g["c_tilde"][:, :, t]
        )
        np.testing.assert_allclose(out.a[:, :, t], g["gamma_o"][:, :, t] * np.tanh(out.c[:, :, t]))
        c_prev = out.c[:, :, t]


# Each refusal word for word: a message that names the wrong array, its shape and the shape wanted is what a
# student reads, and a check that tests only for an error passes when another check refuses for another reason.
_X = np.zeros((3, 2, 5))  # n_x = 3, m = 2, T_x = 5
_RNN = {"W_aa": np.zeros((4, 4)), "W_ax": np.zeros((4, 3)), "b_a": np.zeros((4, 1))}  # n_a = 4
_X_LSTM = np.zeros((3, 1, 1))
_LSTM = {f"W_{g}": np.zeros((2, 5)) for g in "fuco"} | {f"b_{g}": np.zeros((2, 1)) for g in "fuco"}  # n_a = 2
_TOGETHER = "W_ya and b_y go together; pass both for y_hat or neither for a only"
_FORWARD_REFUSALS = {
    "x 2-D": (
        lambda: rnn_forward(np.zeros((3, 2)), None, _RNN),
        "x must be 3-D, (n_x, m, T_x), but has shape (3, 2); "
        "a single step x<t> of shape (n_x, m) is the one-step sequence x[:, :, None]",
    ),
    "x text": (lambda: rnn_forward("abc", None, _RNN), "x must be a numeric array; got str"),
    "x no steps": (
        lambda: rnn_forward(np.zeros((3, 2, 0)), None, _RNN),
        "x has no time steps (T_x = 0); pass at least one step",
    ),
    "params a list": (lambda: rnn_forward(_X, None, [1]), "params must be a dict of the book's matrices; got list"),
    "RNN params missing": (
        lambda: rnn_forward(_X, None, {"W_aa": _RNN["W_aa"]}),
        "params for the RNN is missing W_ax, b_a; it needs W_aa, W_ax, b_a "
        "(params_from_keras builds them from a Keras layer)",
    ),
    "W_aa 1-D": (
        lambda: rnn_forward(_X, None, _RNN | {"W_aa": np.zeros(4)}),
        "W_aa must be 2-D, (n_a, n_a), but has shape (4,)",
    ),
    "W_aa not square": (
        lambda: rnn_forward(_X, None, _RNN | {"W_aa": np.zeros((4, 3))}),
        "W_aa must be square, (n_a, n_a), but has shape (4, 3)",
    ),
    "W_ax 1-D": (
        lambda: rnn_forward(_X, None, _RNN | {"W_ax": np.zeros(4)}),
        "W_ax must be 2-D, (n_a, n_x), but has shape (4,)",
    ),
    "W_ax rows": (
        lambda: rnn_forward(_X, None, _RNN | {"W_ax": np.zeros((2, 3))}),
        "W_ax has shape (2, 3) but W_aa has shape (4, 4): both have one row per hidden unit, "
        "so W_ax must be (n_a, n_x) = (4, 3)",
    ),
    "x features": (
        lambda: rnn_forward(np.zeros((5, 2, 1)), None, _RNN),
        "x has n_x = 5 but W_ax has shape (4, 3), so it expects n_x = 3; pass x with shape (n_x, m, T_x) = "
        "(3, m, T_x); a Keras batch (m, T_x, n_x) converts with to_book_layout(x)",
    ),
    "RNN given a Keras batch": (
        lambda: rnn_forward(np.zeros((2, 5, 3)), None, _RNN),  # (m, T_x, n_x) passed as is
        "x has n_x = 2 but W_ax has shape (4, 3), so it expects n_x = 3; pass x with shape (n_x, m, T_x) = "
        "(3, m, T_x); a Keras batch (m, T_x, n_x) converts with to_book_layout(x)",
    ),
    "b_a text": (lambda: rnn_forward(_X, None, _RNN | {"b_a": "abc"}), "b_a must be a numeric array; got str"),
    "b_a rows": (
        lambda: rnn_forward(_X, None, _RNN | {"b_a": np.zeros((3, 1))}),
        "b_a has shape (3, 1) but W_aa has 4 rows, so b_a must be (4, 1)",
    ),
    "a0 1-D": (
        lambda: rnn_forward(_X, np.zeros(4), _RNN),
        "a0 must be 2-D, (n_a, m), but has shape (4,); pass one column per example, or None to start from zeros",
    ),
    "a0 shape": (
        lambda: rnn_forward(_X, np.zeros((4, 3)), _RNN),
        "a0 has shape (4, 3) but n_a = 4 and m = 2, so it must be (n_a, m) = (4, 2); pass None to start from zeros",
    ),
    "W_ya alone": (lambda: rnn_forward(_X, None, _RNN | {"W_ya": np.zeros((1, 4))}), _TOGETHER),
    "b_y alone": (lambda: rnn_forward(_X, None, _RNN | {"b_y": np.zeros((1, 1))}), _TOGETHER),
    "W_ya 1-D": (
        lambda: rnn_forward(_X, None, _RNN | {"W_ya": np.zeros(4), "b_y": np.zeros((1, 1))}),
        "W_ya must be 2-D, (n_y, n_a), but has shape (4,)",
    ),
    "W_ya columns": (
        lambda: rnn_forward(_X, None, _RNN | {"W_ya": np.zeros((1, 5)), "b_y": np.zeros((1, 1))}),
        "W_ya has shape (1, 5), so it expects n_a = 5, but a has n_a = 4; W_ya must be (n_y, n_a) = (n_y, 4)",
    ),
    "b_y rows": (
        lambda: rnn_forward(_X, None, _RNN | {"W_ya": np.zeros((1, 4)), "b_y": np.zeros((2, 1))}),
        "b_y has shape (2, 1) but W_ya has 1 row, so b_y must be (1, 1)",
    ),
    "LSTM params missing": (
        lambda: lstm_forward(_X_LSTM, None, {"W_f": 1}),
        "params for the LSTM is missing b_f, W_u, b_u, W_c, b_c, W_o, b_o; it needs W_f, b_f, W_u, b_u, W_c, b_c, "
        "W_o, b_o (params_from_keras builds them from a Keras layer)",
    ),
    "W_f 1-D": (
        lambda: lstm_forward(_X_LSTM, None, _LSTM | {"W_f": np.zeros(5)}),
        "W_f must be 2-D, (n_a, n_a + n_x), but has shape (5,)",
    ),
    "W_u 1-D": (
        lambda: lstm_forward(_X_LSTM, None, _LSTM | {"W_u": np.zeros(5)}),
        "W_u must be 2-D, (n_a, n_a + n_x), but has shape (5,)",
    ),
    "W_o without a": (
        lambda: lstm_forward(_X_LSTM, None, _LSTM | {"W_o": np.zeros((2, 3))}),
        "W_o has shape (2, 3) but n_a = 2 (from W_f) and n_x = 3 (from x), so it must be (n_a, n_a + n_x) = "
        "(2, 5), acting on the stacked column [a<t-1>; x<t>]; a Keras batch (m, T_x, n_x) converts with "
        "to_book_layout(x)",
    ),
    "W_u with too many rows": (
        lambda: lstm_forward(_X_LSTM, None, _LSTM | {"W_u": np.zeros((3, 5))}),
        "W_u has shape (3, 5) but n_a = 2 (from W_f) and n_x = 3 (from x), so it must be (n_a, n_a + n_x) = "
        "(2, 5), acting on the stacked column [a<t-1>; x<t>]",
    ),
    "LSTM given a Keras batch": (
        lambda: lstm_forward(np.zeros((1, 1, 3)), None, _LSTM),  # (m, T_x, n_x) passed as is
        "W_f has shape (2, 5) but n_a = 2 (from W_f) and n_x = 1 (from x), so it must be (n_a, n_a + n_x) = "
        "(2, 3), acting on the stacked column [a<t-1>; x<t>]; a Keras batch (m, T_x, n_x) converts with "
        "to_book_layout(x)",
    ),
    "b_c rows": (
        lambda: lstm_forward(_X_LSTM, None, _LSTM | {"b_c": np.zeros((3, 1))}),
        "b_c has shape (3, 1) but W_c has 2 rows, so b_c must be (2, 1)",
    ),
    "LSTM a0": (
        lambda: lstm_forward(_X_LSTM, np.zeros((3, 1)), _LSTM),
        "a0 has shape (3, 1) but n_a = 2 and m = 1, so it must be (n_a, m) = (2, 1); pass None to start from zeros",
    ),
    "LSTM c0": (
        lambda: lstm_forward(_X_LSTM, None, _LSTM, c0=np.zeros((2, 3))),
        "c0 has shape (2, 3) but n_a = 2 and m = 1, so it must be (n_a, m) = (2, 1); pass None to start from zeros",
    ),
    "to_book_layout": (
        lambda: to_book_layout(np.zeros((2, 3))),
        "expected a Keras batch (m, T_x, n_x) but got shape (2, 3)",
    ),
    "to_keras_layout": (
        lambda: to_keras_layout(np.zeros((2, 3))),
        "expected the book's layout (n, m, T) but got shape (2, 3)",
    ),
}


@pytest.mark.parametrize("case", sorted(_FORWARD_REFUSALS))
def test_the_forward_passes_refuse_in_whole_sentences(case):
    call, message = _FORWARD_REFUSALS[case]
    with pytest.raises(ValueError) as refused:  # Chapter12Error is a ValueError, as NumPy's shape errors are
        call()
    assert isinstance(refused.value, Chapter12Error)
    assert str(refused.value) == message


def _built(layer, shape):
    layer.build(shape)
    return layer


def test_params_from_keras_refuses_in_whole_sentences():
    def refusal(*args, **kwargs):
        with pytest.raises(Chapter12Error) as refused:
            params_from_keras(*args, **kwargs)
        return str(refused.value)

    rnn = _built(keras.layers.SimpleRNN(3), (None, 4, 2))
    unbuilt = (
        "layer {!r} has no weights yet; build it first, for example by calling it on a batch or with "
        "layer.build(input_shape)"
    )
    assert refusal(keras.layers.SimpleRNN(2, activation="relu", name="r")) == (
        "SimpleRNN 'r' uses activation 'relu'; the book's RNN uses tanh, so rebuild the layer with activation='tanh' "
        "to compare it"
    )
    assert refusal(keras.layers.LSTM(2, recurrent_activation="hard_sigmoid", name="l")) == (
        "LSTM 'l' uses activation='tanh' and recurrent_activation='hard_sigmoid'; the book's LSTM uses tanh and "
        "sigmoid, so rebuild the layer with those defaults to compare it"
    )
    assert refusal(keras.layers.SimpleRNN(2, name="s")) == unbuilt.format("s")
    assert refusal(_built(keras.layers.Dense(3, name="d"), (None, 2))) == (
        "params_from_keras needs a keras.layers.SimpleRNN or keras.layers.LSTM; got Dense ('d')"
    )
    assert refusal(rnn, dense="abc") == "dense must be a keras.layers.Dense; got str"
    assert refusal(rnn, dense=_built(keras.layers.Dense(1, name="lin"), (None, 3))) == (
        "Dense 'lin' uses activation 'linear'; the book's y_hat is a sigmoid, so use Dense(..., activation='sigmoid')"
    )
    assert refusal(rnn, dense=keras.layers.Dense(1, activation="sigmoid", name="u")) == unbuilt.format("u")
    assert refusal(rnn, dense=_built(keras.layers.Dense(1, activation="sigmoid", name="w"), (None, 5))) == (
        "Dense 'w' takes 5 inputs but the recurrent layer has 3 units; pass the Dense layer that sits on this "
        "recurrent layer"
    )
    one_unit = _built(keras.layers.SimpleRNN(1), (None, 4, 2))
    assert refusal(one_unit, dense=_built(keras.layers.Dense(1, activation="sigmoid", name="v"), (None, 3))) == (
        "Dense 'v' takes 3 inputs but the recurrent layer has 1 unit; pass the Dense layer that sits on this "
        "recurrent layer"
    )
    assert refusal(keras.layers.GRU(3, name="g")) == (
        "params_from_keras needs a keras.layers.SimpleRNN or keras.layers.LSTM; got GRU ('g')"
    )


def test_a_flat_bias_is_taken_as_a_column():
    """The docstring's shapes accept b_a, b_y and the LSTM's biases as (n,) vectors as well as (n, 1) columns."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 2, 4))
    rnn = {"W_aa": rng.normal(size=(4, 4)), "W_ax": rng.normal(size=(4, 3)), "b_a": rng.normal(size=(4, 1))}
    rnn |= {"W_ya": rng.normal(size=(1, 4)), "b_y": rng.normal(size=(1, 1))}
    flat = rnn | {"b_a": rnn["b_a"].ravel(), "b_y": rnn["b_y"].ravel()}
    np.testing.assert_array_equal(rnn_forward(x, None, flat).y_hat, rnn_forward(x, None, rnn).y_hat)
    lstm = {f"W_{g}": rng.normal(size=(2, 5)) for g in "fuco"} | {f"b_{g}": rng.normal(size=(2, 1)) for g in "fuco"}
    flat = lstm | {f"b_{g}": lstm[f"b_{g}"].ravel() for g in "fuco"}
    np.testing.assert_array_equal(lstm_forward(x, None, flat).a, lstm_forward(x, None, lstm).a)


def test_a_dense_head_without_bias_matches_keras():
    x = _random_input(2, 3, 2, seed=4)
    layer = _keras_layer("rnn", 3, seed=4, features=2, return_sequences=False)
    dense = _built(keras.layers.Dense(1, activation="sigmoid", use_bias=False), (None, 3))
    _randomize(dense, seed=5)

    params = params_from_keras(layer, dense=dense)

    np.testing.assert_array_equal(params["b_y"], np.zeros((1, 1)))
    y_hat_last = rnn_forward(to_book_layout(x), None, params).y_hat_last
    np.testing.assert_allclose(y_hat_last.T, np.asarray(dense(layer(x))), atol=ATOL, rtol=0)
