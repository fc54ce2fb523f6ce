"""The chapter's models, built and compiled as its R code builds them, with Keras 3."""

from __future__ import annotations

from chapter12.book import BookConfig
from chapter12.checks import check_model_kind, check_positive_int

_BOOK = BookConfig()


def _recurrent_layer(kind: str, units: int, dropout: float, recurrent_dropout: float):
    from keras import layers

    cls = {"simple_rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}[kind]
    return cls(units=units, dropout=dropout, recurrent_dropout=recurrent_dropout)


def _build(
    kind: str,
    vocab_size: int,
    embedding_dim: int,
    units: int,
    dropout: float,
    recurrent_dropout: float,
    maxlen: int | None,
    compile: bool,
    training: BookConfig = _BOOK,
    mask_zero: bool = False,
    jit_compile: bool | str = "auto",
):
    import keras
    from keras import layers

    check_model_kind(kind)
    check_positive_int("vocab_size", vocab_size)
    check_positive_int("embedding_dim", embedding_dim)
    check_positive_int("units", units)
    BookConfig(dropout=dropout, recurrent_dropout=recurrent_dropout)  # range checks
    # Layers are created in the book's order: their initial weights come from the seed in
    # creation order, so the same seed gives the same weights as the book's code typed in by hand.
    # mask_zero=True (not the book's) makes the recurrent layer skip the padding index 0 instead of reading it
    embedding = layers.Embedding(input_dim=vocab_size, output_dim=embedding_dim, mask_zero=bool(mask_zero))
    if kind == "bidirectional_lstm":
        recurrent = layers.Bidirectional(_recurrent_layer("lstm", units, dropout, recurrent_dropout))
    else:
        recurrent = _recurrent_layer(kind, units, dropout, recurrent_dropout)
    output = layers.Dense(units=1, activation="sigmoid")
    model = keras.Sequential([keras.Input(shape=(maxlen,), dtype="int32"), embedding, recurrent, output], name=kind)
    if compile:
        # The loss, optimizer and metrics come from the BookConfig (the book's: binary cross-entropy, adam, accuracy).
        # jit_compile: Keras's own choice ("auto": XLA on JAX, on TensorFlow only off a CPU); True asks for XLA.
        model.compile(
            loss=training.loss, optimizer=training.optimizer, metrics=list(training.metrics), jit_compile=jit_compile
        )
    return model


def build_simple_rnn(
    vocab_size: int = _BOOK.num_words,
    embedding_dim: int = _BOOK.embedding_dim,
    units: int = _BOOK.units,
    dropout: float = _BOOK.dropout,
    recurrent_dropout: float = _BOOK.recurrent_dropout,
    maxlen: int | None = None,
    compile: bool = True,
):
    """Embedding -> SimpleRNN -> Dense(1, sigmoid), compiled with binary cross-entropy and adam."""
    return _build("simple_rnn", vocab_size, embedding_dim, units, dropout, recurrent_dropout, maxlen, compile)


def build_lstm(
    vocab_size: int = _BOOK.num_words,
    embedding_dim: int = _BOOK.embedding_dim,
    units: int = _BOOK.units,
    dropout: float = _BOOK.dropout,
    recurrent_dropout: float = _BOOK.recurrent_dropout,
    maxlen: int | None = None,
    compile: bool = True,
):
    """Embedding -> LSTM -> Dense(1, sigmoid), compiled with binary cross-entropy and adam."""
    return _build("lstm", vocab_size, embedding_dim, units, dropout, recurrent_dropout, maxlen, compile)


def build_gru(
    vocab_size: int = _BOOK.num_words,
    embedding_dim: int = _BOOK.embedding_dim,
    units: int = _BOOK.units,
    dropout: float = _BOOK.dropout,
    recurrent_dropout: float = _BOOK.recurrent_dropout,
    maxlen: int | None = None,
    compile: bool = True,
):
    """Embedding -> GRU -> Dense(1, sigmoid): the gated unit the chapter names beside the LSTM."""
    return _build("gru", vocab_size, embedding_dim, units, dropout, recurrent_dropout, maxlen, compile)


def build_bidirectional_lstm(
    vocab_size: int = _BOOK.num_words,
    embedding_dim: int = _BOOK.embedding_dim,
    units: int = _BOOK.units,
    dropout: float = _BOOK.dropout,
    recurrent_dropout: float = _BOOK.recurrent_dropout,
    maxlen: int | None = None,
    compile: bool = True,
):
    """Embedding -> Bidirectional(LSTM) -> Dense(1, sigmoid): reads each review both ways."""
    return _build("bidirectional_lstm", vocab_size, embedding_dim, units, dropout, recurrent_dropout, maxlen, compile)


def build_model(kind: str, config: BookConfig | None = None, **overrides):
    """Build the model `kind` ("simple_rnn", "lstm", "gru", "bidirectional_lstm") from a BookConfig; overrides
    replace its settings (vocab_size, embedding_dim, units, dropout, recurrent_dropout, maxlen, compile) or add
    mask_zero=True or jit_compile=True (XLA on TensorFlow; Keras's "auto" leaves it off on a CPU)."""
    config = config or _BOOK
    settings = dict(
        vocab_size=config.num_words,
        embedding_dim=config.embedding_dim,
        units=config.units,
        dropout=config.dropout,
        recurrent_dropout=config.recurrent_dropout,
    )
    settings.update(overrides)
    check_model_kind(kind)
    return _build(
        kind, compile=settings.pop("compile", True), maxlen=settings.pop("maxlen", None), training=config, **settings
    )


def layer_table(model) -> list[dict]:
    """Each layer's type, the settings the chapter chooses for it, and its weight count: what makes two models the
    same."""
    keys = ("input_dim", "output_dim", "units", "dropout", "recurrent_dropout", "activation")
    rows = []
    for layer in model.layers:
        settings = layer.get_config()
        rows.append(
            {
                "layer": type(layer).__name__,
                **{k: settings[k] for k in keys if k in settings},
                "weights": layer.count_params(),
            }
        )
    return rows
