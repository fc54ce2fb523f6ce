"""Show the package's own code in a notebook, so the reader sees the functions the text defines."""

from __future__ import annotations

import inspect
from typing import Callable


def source(*functions: Callable) -> str:
    """The source code of the functions, one after another, as one string."""
    return "\n\n".join(inspect.getsource(f).rstrip() for f in functions)


def show_source(*functions: Callable) -> None:
    """Display the functions' source as a highlighted Python block (Markdown), in Jupyter and in handouts."""
    from IPython.display import Markdown, display

    display(Markdown(f"```python\n{source(*functions)}\n```"))
