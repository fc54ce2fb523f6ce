"""chapter12: the RNN chapter (12.3) of the textbook, reproduced with Keras 3.

Names are loaded on first use, so `import chapter12` stays quick and does not start Keras.
"""

from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {
    "BookConfig": "book",
    "BOOK_RESULTS": "book",
    "BOOK_TIME_RATIO": "book",
    "MODEL_KINDS": "book",
    "Chapter12Error": "errors",
    "DataSource": "imdb",
    "load_imdb": "imdb",
    "get_word_index": "imdb",
    "decode_review": "imdb",
    "pad": "imdb",
    "resolve_source": "imdb",
    "tokenize": "imdb",
    "load_padded": "imdb",
    "VOCABULARIES": "imdb",
    "build_simple_rnn": "models",
    "build_lstm": "models",
    "build_gru": "models",
    "build_bidirectional_lstm": "models",
    "build_model": "models",
    "ImdbData": "imdb",
    "RunResult": "train",
    "EpochTimer": "train",
    "prepare_data": "imdb",
    "pad_data": "imdb",
    "train_and_evaluate": "train",
    "environment_info": "environment",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(f"chapter12.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'chapter12' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
