"""Tests for chapter12.models: the layers, sizes and compile settings of section 12.3.4.

Building a model only creates small weight tensors (no training), so these run in well under a
second each, even at the book's sizes.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from chapter12.book import MODEL_KINDS, BookConfig
from chapter12.errors import Chapter12Error
from chapter12.models import build_bidirectional_lstm, build_gru, build_lstm, build_model, build_simple_rnn

keras = pytest.importorskip("keras")
layers = keras.layers

E, U = 128, 64  # the book's embedding_dim and units
# Hand-computed parameter counts at the book's defaults (vocabulary 2500, embedding 128, units 64).
BUILDERS = {
    # kind: (builder, recurrent layer class, recurrent params, dense params)
    "simple_rnn": (build_simple_rnn, layers.SimpleRNN, E * U + U * U + U, U + 1),  # 12,352
    "lstm": (build_lstm, layers.LSTM, 4 * (E * U + U * U + U), U + 1),  # 49,408
    # Keras's GRU has reset_after=True: two bias vectors per gate.
    "gru": (build_gru, layers.GRU, 3 * (E * U + U * U + 2 * U), U + 1),
    "bidirectional_lstm": (build_bidirectional_lstm, layers.Bidirectional, 2 * 4 * (E * U + U * U + U), 2 * U + 1),
}


def _recurrent(model):
    layer = model.layers[1]
    return layer.forward_layer if isinstance(layer, layers.Bidirectional) else layer


def _structure(model):
    return [(type(layer).__name__, layer.count_params()) for layer in model.layers]


def test_book_parameter_counts():
    # The numbers printed by summary() in the chapter.
    assert 2500 * 128 == 320_000
    assert BUILDERS["simple_rnn"][2] == 12_352
    assert BUILDERS["lstm"][2] == 49_408
    assert BUILDERS["lstm"][3] == 65


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_builder_layers_and_parameter_counts(kind):
    builder, recurrent_cls, recurrent_params, dense_params = BUILDERS[kind]
    model = builder()
    assert [type(layer) for layer in model.layers] == [layers.Embedding, recurrent_cls, layers.Dense]
    assert [layer.count_params() for layer in model.layers] == [320_000, recurrent_params, dense_params]
    assert model.count_params() == 320_000 + recurrent_params + dense_params
    assert model.name == kind


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_builder_settings(kind):
    model = BUILDERS[kind][0]()
    embedding, _, dense = model.layers
    assert (embedding.input_dim, embedding.output_dim) == (2500, 128)
    # The book's embedding does not mask: the recurrent layer reads the padding zeros as it reads words (found by
    # mutation testing: a default of mask_zero=True passed every test).
    assert embedding.mask_zero is False
    recurrent = _recurrent(model)
    assert recurrent.units == 64
    assert recurrent.dropout == pytest.approx(0.2)
    assert recurrent.recurrent_dropout == pytest.approx(0.2)
    assert recurrent.return_sequences is False  # one vector per review for the Dense layer
    assert dense.units == 1
    assert dense.activation is keras.activations.sigmoid
    if kind == "lstm":
        # The chapter's LSTM is a plain one: 4 gates, tanh and sigmoid.
        assert recurrent.activation is keras.activations.tanh
        assert recurrent.recurrent_activation is keras.activations.sigmoid


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_builders_leave_xla_to_keras_on_every_machine(kind, monkeypatch):
    # What the builders pass, not what this machine resolves it to ("auto" is off on a CPU, on on some GPUs).
    asked = {}
    compile_ = keras.Model.compile

    def spy(self, *args, **kwargs):
        asked.update(kwargs)
        return compile_(self, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "compile", spy)
    BUILDERS[kind][0]()
    assert "loss" in asked, "the spy did not see the builder's compile()"
    assert asked.get("jit_compile", "auto") == "auto"


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_builder_compiles_as_the_book(kind):
    model = BUILDERS[kind][0]()
    assert model.compiled
    assert model.loss == "binary_crossentropy"
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.001)  # R's 'adam' default
    assert model.get_compile_config()["metrics"] == ["accuracy"]
    # XLA as Keras's own compile() decides it (its default "auto"), as the book's code typed in by hand gets it:
    # any other value switched XLA on here (found by mutation testing).
    by_hand = BUILDERS[kind][0](compile=False)
    by_hand.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    assert model.jit_compile == by_hand.jit_compile


def test_builder_without_compile():
    model = build_simple_rnn(compile=False)
    assert not model.compiled


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_build_model_equals_builder(kind):
    assert _structure(build_model(kind)) == _structure(BUILDERS[kind][0]())
    assert type(_recurrent(build_model(kind))) is type(_recurrent(BUILDERS[kind][0]()))


def test_build_model_lstm_is_build_lstm():
    a, b = build_model("lstm"), build_lstm()
    assert _structure(a) == _structure(b) == [("Embedding", 320_000), ("LSTM", 49_408), ("Dense", 65)]
    assert a.get_compile_config()["loss"] == b.get_compile_config()["loss"]


def test_build_model_unknown_kind_lists_choices():
    with pytest.raises(Chapter12Error) as info:
        build_model("nope")
    message = str(info.value)
    assert "nope" in message
    assert all(kind in message for kind in MODEL_KINDS)


@pytest.mark.parametrize("units", [8, 3])
def test_units_override_changes_the_count_by_formula(units):
    model = build_model("lstm", units=units)
    e = 128
    assert model.layers[1].count_params() == 4 * (e * units + units * units + units)
    assert model.layers[2].count_params() == units + 1
    rnn = build_model("simple_rnn", units=units)
    assert rnn.layers[1].count_params() == e * units + units * units + units


def test_build_model_from_config():
    config = BookConfig(num_words=50, embedding_dim=4, units=3, dropout=0.1, recurrent_dropout=0.0)
    model = build_model("lstm", config, maxlen=10)
    embedding, lstm, _ = model.layers
    assert (embedding.input_dim, embedding.output_dim) == (50, 4)
    assert lstm.count_params() == 4 * (4 * 3 + 3 * 3 + 3)
    assert (lstm.dropout, lstm.recurrent_dropout) == (pytest.approx(0.1), 0.0)
    assert model.input_shape == (None, 10)


def test_overrides_beat_the_config():
    config = BookConfig(num_words=50, embedding_dim=4, units=3)
    model = build_model("simple_rnn", config, vocab_size=20, units=5)
    assert model.layers[0].input_dim == 20
    assert model.layers[1].units == 5


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(units=0),
        dict(vocab_size=0),
        dict(embedding_dim=-1),
        dict(dropout=1.0),
        dict(recurrent_dropout=-0.1),
        dict(units=2.5),
    ],
)
def test_builders_reject_bad_sizes(kwargs):
    (name,) = kwargs
    with pytest.raises(Chapter12Error, match=f"^{name} must"):  # the error names what to change
        build_lstm(**kwargs)


def test_build_model_without_compile():
    assert not build_model("lstm", compile=False).compiled


def test_layer_table_of_the_book_lstm():
    from chapter12.models import layer_table

    assert layer_table(build_model("lstm", maxlen=100)) == [
        {"layer": "Embedding", "input_dim": 2500, "output_dim": 128, "weights": 2500 * 128},
        {
            "layer": "LSTM",
            "units": 64,
            "dropout": 0.2,
            "recurrent_dropout": 0.2,
            "activation": "tanh",
            "weights": 4 * (64 * (128 + 64) + 64),
        },
        {"layer": "Dense", "units": 1, "activation": "sigmoid", "weights": 65},
    ]


def _typed_by_hand(kind, dropout=0.2):
    """The book's model as its R code reads, typed in Python's Keras (as the accuracy notebook writes it)."""
    recurrent = keras.layers.LSTM if kind == "lstm" else keras.layers.SimpleRNN
    return keras.Sequential(
        [
            keras.Input(shape=(100,), dtype="int32"),
            keras.layers.Embedding(input_dim=2500, output_dim=128),
            recurrent(units=64, dropout=dropout, recurrent_dropout=0.2),
            keras.layers.Dense(units=1, activation="sigmoid"),
        ]
    )


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm"])
def test_same_seed_gives_the_weights_of_the_book_code_typed_by_hand(kind):
    # A reader who types the book's code and sets the same seed must start from the same weights.
    keras.utils.set_random_seed(3)
    by_hand = _typed_by_hand(kind)
    keras.utils.set_random_seed(3)
    ours = build_model(kind, maxlen=100)
    for mine, theirs in zip(ours.get_weights(), by_hand.get_weights()):
        np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm"])
def test_layer_table_of_the_book_code_typed_by_hand_equals_build_model(kind):
    # What the accuracy notebook checks after writing the book's model out in Keras.
    from chapter12.models import layer_table

    table = layer_table(build_model(kind, maxlen=100))
    assert table == layer_table(_typed_by_hand(kind))
    assert [row["weights"] for row in table] == [2500 * 128, BUILDERS[kind][2], BUILDERS[kind][3]]
    assert layer_table(_typed_by_hand(kind, dropout=0.3)) != table  # a changed dropout is seen


def test_build_model_compiles_with_the_configs_optimizer_and_loss():
    # Before, build_model compiled with the book's settings whatever the BookConfig said.
    model = build_model("simple_rnn", BookConfig(optimizer="sgd", loss="mse"))
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    assert model.loss == "mse"
    assert isinstance(build_model("simple_rnn").optimizer, keras.optimizers.Adam)
