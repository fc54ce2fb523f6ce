"""The one exception type that chapter12 raises for bad input."""


class Chapter12Error(ValueError):
    """Bad input or a missing resource; the message says what was wrong and what to do."""
