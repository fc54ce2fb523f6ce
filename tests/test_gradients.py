"""Tests for chapter12.teaching.gradients, checked against finite differences of the NumPy RNN (as micrograd checks
torch)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import matplotlib
import numpy as np
import pytest

import chapter12.teaching.gradients as gradients
from chapter12.errors import Chapter12Error
from chapter12.teaching.gradients import (
    gradient_ratio,
    input_gradient_norms,
    per_step_factor,
    plot_gradient_norms,
    set_forget_bias,
    steps_back,
)
from chapter12.teaching.scratch import params_from_keras, rnn_forward, to_book_layout
from chapter12.teaching.toy import random_sequences

matplotlib.use("Agg")


def _finite_difference_norms(params, x, eps=1e-6):
    """Frobenius norm of d a<T> / d x<t> for every t, by central differences of the float64 NumPy RNN."""
    m, steps, features = x.shape
    x = x.astype(np.float64)
    norms = np.zeros((m, steps))
    for i in range(m):
        for t in range(steps):
            squared = 0.0
            for j in range(features):
                up, down = x[i : i + 1].copy(), x[i : i + 1].copy()
                up[0, t, j] += eps
                down[0, t, j] -= eps
                a_up = rnn_forward(to_book_layout(up), None, params).a_last
                a_down = rnn_forward(to_book_layout(down), None, params).a_last
                squared += float((((a_up - a_down) / (2 * eps)) ** 2).sum())
            norms[i, t] = np.sqrt(squared)
    return norms.mean(axis=0)


def test_norms_match_finite_differences_of_the_book_rnn():
    # 3 units, 2 features, 6 steps, 2 sequences: small for test speed.
    keras.utils.set_random_seed(0)
    layer = keras.layers.SimpleRNN(3)
    x = random_sequences(2, 6, 2, seed=0)
    measured = input_gradient_norms(layer, x)

    expected = _finite_difference_norms(params_from_keras(layer), x)
    assert measured.shape == (6,)
    np.testing.assert_allclose(measured, expected, rtol=1e-3)


def test_norms_average_over_sequences_and_accept_one_sequence():
    keras.utils.set_random_seed(1)
    layer = keras.layers.LSTM(4)
    x = random_sequences(3, 7, 2, seed=1)

    each = [input_gradient_norms(layer, x[i]) for i in range(3)]  # (T, n_x): one sequence
    np.testing.assert_allclose(input_gradient_norms(layer, x), np.mean(each, axis=0), rtol=1e-5)


def test_splitting_the_output_units_into_batches_changes_nothing(monkeypatch):
    keras.utils.set_random_seed(2)
    layer = keras.layers.SimpleRNN(5)
    x = random_sequences(4, 6, 3, seed=2)
    whole = input_gradient_norms(layer, x)

    monkeypatch.setattr(gradients, "_MAX_BATCH", 8)  # two sequence copies per pass: three passes for 5 units
    np.testing.assert_allclose(input_gradient_norms(layer, x), whole, rtol=1e-6)


def test_output_read_mid_sequence_ignores_later_inputs_unless_bidirectional():
    keras.utils.set_random_seed(3)
    x = random_sequences(2, 8, 3, seed=3)
    one_way = input_gradient_norms(keras.layers.SimpleRNN(4, return_sequences=True), x, position=2)
    both_ways = input_gradient_norms(
        keras.layers.Bidirectional(keras.layers.SimpleRNN(4, return_sequences=True)), x, position=2
    )

    assert np.all(one_way[:3] > 0) and np.all(one_way[3:] == 0)
    assert np.all(both_ways > 0)


def test_simple_rnn_fades_faster_than_lstm_on_unit_scale_inputs():
    # The notebook's claim on shrunken settings (30 steps, 16 units, 4 sequences) for test speed.
    for seed in (0, 1):
        keras.utils.set_random_seed(seed)
        x = random_sequences(4, 30, 8, scale=1.0, seed=seed)
        rnn = input_gradient_norms(keras.layers.SimpleRNN(16), x)
        lstm = input_gradient_norms(keras.layers.LSTM(16), x)
        assert gradient_ratio(rnn) < gradient_ratio(lstm) < 1


def test_small_inputs_reverse_the_order_at_initialisation():
    # The notebook's caveat: near-linear tanh units and an orthogonal W_aa keep the gradient.
    keras.utils.set_random_seed(0)
    x = random_sequences(4, 30, 8, scale=0.1, seed=0)
    rnn = input_gradient_norms(keras.layers.SimpleRNN(16), x)
    lstm = input_gradient_norms(keras.layers.LSTM(16), x)
    assert per_step_factor(rnn) > per_step_factor(lstm)


def test_opening_the_forget_gate_slows_the_decay():
    keras.utils.set_random_seed(4)
    x = random_sequences(4, 30, 4, seed=4)
    lstm = keras.layers.LSTM(8)
    before = per_step_factor(input_gradient_norms(lstm, x))
    bias_before = lstm.cell.bias.numpy().copy()

    set_forget_bias(lstm, 3.0)
    after = per_step_factor(input_gradient_norms(lstm, x))
    bias_after = lstm.cell.bias.numpy()
    assert np.all(bias_after[8:16] == 3.0)
    np.testing.assert_array_equal(np.delete(bias_after, range(8, 16)), np.delete(bias_before, range(8, 16)))
    assert after > before + 0.05


def test_set_forget_bias_rejects_other_layers():
    with pytest.raises(Chapter12Error, match="LSTM"):
        set_forget_bias(keras.layers.SimpleRNN(2), 1.0)
    with pytest.raises(Chapter12Error, match="call it on a batch"):
        set_forget_bias(keras.layers.LSTM(2), 1.0)


def test_ratio_and_per_step_factor_of_a_geometric_decay():
    norms = 0.5 ** np.arange(10)[::-1]  # halves with every step back

    assert gradient_ratio(norms) == pytest.approx(0.5**9)
    assert per_step_factor(norms) == pytest.approx(0.5)
    np.testing.assert_array_equal(steps_back(norms), np.arange(10, 0, -1))
    for bad in ([1.0], [1.0, 0.0], [1.0, -1.0, 2.0], [[1.0, 2.0]]):
        with pytest.raises(Chapter12Error):
            gradient_ratio(bad)


def test_input_gradient_norms_rejects_bad_input():
    layer = keras.layers.SimpleRNN(2)
    x = random_sequences(1, 4, 2)
    with pytest.raises(Chapter12Error, match="outside"):
        input_gradient_norms(layer, x, position=4)
    with pytest.raises(Chapter12Error, match="return_sequences"):
        input_gradient_norms(layer, x, position=1)
    with pytest.raises(Chapter12Error, match="shape"):
        input_gradient_norms(layer, np.zeros(4))
    with pytest.raises(Chapter12Error, match="NaN"):
        input_gradient_norms(layer, np.full((1, 4, 2), np.nan))
    with pytest.raises(Chapter12Error, match="Keras layer"):
        input_gradient_norms("not a layer", x)
    with pytest.raises(Chapter12Error, match="several tensors"):
        input_gradient_norms(keras.layers.SimpleRNN(2, return_state=True), x)
    embedded = keras.Sequential([keras.layers.Embedding(10, 2), keras.layers.SimpleRNN(2)])
    with pytest.raises(Chapter12Error, match="cannot run"):
        input_gradient_norms(embedded, x)
    rounded = keras.Sequential(
        [  # integer inputs, as an Embedding takes them, carry no gradient
            keras.Input((4, 2)),
            keras.layers.Lambda(lambda t: keras.ops.cast(keras.ops.cast(t, "int32"), "float32")),
            keras.layers.SimpleRNN(2),
        ]
    )
    with pytest.raises(Chapter12Error, match="differentiable"):
        input_gradient_norms(rounded, x)


def test_plot_gradient_norms_draws_one_log_line_per_curve():
    norms = {"a": 0.5 ** np.arange(5)[::-1], "b": np.array([0.0, 0.1, 0.2, 0.3, 1.0])}
    fig = plot_gradient_norms(norms, title="test")

    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_title() == "test"
    assert len(ax.get_lines()) == 2
    assert np.isnan(ax.get_lines()[1].get_ydata()[0])  # a zero is left out, not drawn at -inf
    with pytest.raises(Chapter12Error, match="no curves"):
        plot_gradient_norms({})


def test_an_exploding_gradient_and_what_clipping_does_to_the_steps():
    import keras

    from chapter12.teaching.gradients import scale_recurrent_weights, sgd_steps

    x = random_sequences(32, 40, 4, seed=0)
    y = (x[:, -5:, 0].sum(axis=1) > 0).astype("float32")[:, None]
    ratios = {}
    for factor in (1.0, 2.0):
        keras.utils.set_random_seed(0)
        layer = keras.layers.SimpleRNN(16)
        layer.build((None, 40, 4))
        scale_recurrent_weights(layer, factor)
        ratios[factor] = gradient_ratio(input_gradient_norms(layer, x))
    assert ratios[1.0] < 1 < ratios[2.0]  # as built it vanishes; with W_aa doubled it grows

    runs = {}
    for clip in (None, 1.0):
        keras.utils.set_random_seed(0)
        net = keras.Sequential(
            [keras.Input((40, 4)), keras.layers.SimpleRNN(16), keras.layers.Dense(1, activation="sigmoid")]
        )
        scale_recurrent_weights(net.layers[0], 2.0)
        runs[clip] = sgd_steps(net, x, y, steps=3, learning_rate=0.1, global_clipnorm=clip)
    plain, clipped = runs[None], runs[1.0]
    assert plain["gradient_norm"][0] == pytest.approx(clipped["gradient_norm"][0])  # the same first gradient
    # ... and it is the gradient of the loss, as an eager GradientTape on the same untrained network gives it
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    net = keras.Sequential(
        [keras.Input((40, 4)), keras.layers.SimpleRNN(16), keras.layers.Dense(1, activation="sigmoid")]
    )
    scale_recurrent_weights(net.layers[0], 2.0)
    with tf.GradientTape() as tape:
        loss = keras.losses.BinaryCrossentropy()(y, net(x, training=True))
    eager = tape.gradient(loss, net.trainable_weights)
    assert plain["loss"][0] == pytest.approx(float(loss), rel=1e-5)
    assert plain["gradient_norm"][0] == pytest.approx(float(tf.linalg.global_norm(eager)), rel=1e-4)
    # plain SGD steps by learning rate x gradient; clipped, by at most learning rate x the clip
    assert plain["step_size"][0] == pytest.approx(0.1 * plain["gradient_norm"][0], rel=1e-3)
    assert clipped["step_size"][0] == pytest.approx(min(0.1, 0.1 * clipped["gradient_norm"][0]), rel=1e-3)
    assert all(s <= 0.1 * (1 + 1e-4) for s in clipped["step_size"])
    with pytest.raises(Chapter12Error, match="positive number"):
        scale_recurrent_weights(net.layers[0], 0)
