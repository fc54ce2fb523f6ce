"""Sentences computed from a notebook's own results.

A sentence that states a measured fact must come from the numbers of the run that shows it, never
typed in from an earlier run. `say` shows such a sentence as Markdown and tags its output, so the
test suite can check that every computed statement of every notebook was produced.
"""

from __future__ import annotations

COMPUTED = {"chapter12": "computed"}


def say(text: str) -> None:
    """Show `text` (Markdown, usually an f-string over this run's results) as a computed statement."""
    from IPython.display import Markdown, display

    display(Markdown(text), metadata=COMPUTED)


def compare(
    value: float,
    other: float,
    *,
    above: str = "above",
    below: str = "below",
    same: str = "level with",
    tolerance: float = 0.0,
) -> str:
    """The word for how `value` stands against `other`: above, below, or level within `tolerance`."""
    if abs(value - other) <= tolerance:
        return same
    return above if value > other else below
