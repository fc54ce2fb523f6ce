"""Diagrams of section 12.3.1 drawn by code: the RNN unrolled over a sentence, and the structure types that
follow when the input length T_x and the output length T_y differ.

Each drawing is made of boxes (inputs x<t>, cells, outputs y-hat<t>) and arrows, so a test can count them.
"""

from __future__ import annotations

from typing import Any, Sequence

# (title, inputs, outputs): which of the steps take an input and which give an output.
STRUCTURES = [
    ("many-to-many, $T_x = T_y$\n(the name tagger, 12.3.1)", [0, 1, 2, 3], [0, 1, 2, 3]),
    ("many-to-one\n(sentiment of a review, 12.3.4)", [0, 1, 2, 3], [3]),
    ("one-to-many\n(generating a sequence)", [0], [0, 1, 2, 3]),
    ("many-to-many, $T_x \\neq T_y$\n(translation: read, then write)", [0, 1, 2], [3, 4, 5]),
]
_BOX = {"cell": "#cfe2f3", "x": "#fce5cd", "y": "#d9ead3"}


def _box(ax: Any, x: float, y: float, text: str, kind: str, width: float = 0.8, height: float = 0.55) -> None:
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0.03",
            facecolor=_BOX[kind],
            edgecolor="#444",
            gid=kind,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=9)


def _arrow(ax: Any, start: tuple[float, float], end: tuple[float, float], gid: str) -> None:
    from matplotlib.patches import FancyArrowPatch

    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10, color="#444", gid=gid))


def draw_unrolled(words: Sequence[str] = ("Use", "Netlify", "and", "Hugo", "."), ax: Any = None) -> Any:
    """The simple RNN unrolled over a sentence: one cell per word, the state a<t> carried from each cell to the next,
    the same weights in every cell. Returns the matplotlib Axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(1.7 * len(words) + 1.2, 3.2))
    ax.text(-1.15, 1.0, "$a^{\\langle 0 \\rangle} = 0$", ha="center", va="center", fontsize=9)
    for t, word in enumerate(words, start=1):
        x = 1.6 * (t - 1)
        _box(ax, x, 0.0, f"$x^{{\\langle {t} \\rangle}}$\n{word}", "x")
        _box(ax, x, 1.0, "tanh", "cell")
        _box(ax, x, 2.0, f"$\\hat{{y}}^{{\\langle {t} \\rangle}}$", "y")
        _arrow(ax, (x, 0.3), (x, 0.7), "input")
        _arrow(ax, (x, 1.3), (x, 1.7), "output")
        _arrow(ax, (x - 1.6 + 0.45 if t > 1 else -0.8, 1.0), (x - 0.45, 1.0), "state")
        if t > 1:  # a<0> is labelled at the left edge
            ax.text(x - 0.8, 1.12, f"$a^{{\\langle {t - 1} \\rangle}}$", ha="center", fontsize=8)
    ax.set_xlim(-1.7, 1.6 * (len(words) - 1) + 0.6)
    ax.set_ylim(-0.5, 2.5)
    ax.set_axis_off()
    ax.set_title("The simple RNN unrolled: one cell per word, the same $W_{aa}, W_{ax}, b_a, W_{ya}, b_y$ in each")
    return ax


def draw_structures(structures: Sequence[tuple[str, list[int], list[int]]] = STRUCTURES) -> Any:
    """One panel per structure type: the steps that take an input, the steps that give an output, the state carried
    along. Returns the matplotlib Figure."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(structures), figsize=(4.0 * len(structures), 3.2))
    for ax, (title, inputs, outputs) in zip(axes, structures):
        steps = max(inputs + outputs) + 1
        for t in range(steps):
            x = 1.2 * t
            _box(ax, x, 1.0, "", "cell", width=0.6, height=0.45)
            if t in inputs:
                _box(ax, x, 0.0, "$x$", "x", width=0.6, height=0.45)
                _arrow(ax, (x, 0.25), (x, 0.75), "input")
            if t in outputs:
                _box(ax, x, 2.0, "$\\hat{y}$", "y", width=0.6, height=0.45)
                _arrow(ax, (x, 1.25), (x, 1.75), "output")
            if t > 0:
                _arrow(ax, (x - 1.2 + 0.32, 1.0), (x - 0.32, 1.0), "state")
        ax.set_xlim(-0.6, 1.2 * (steps - 1) + 0.6)
        ax.set_ylim(-0.5, 2.5)
        ax.set_axis_off()
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def count_parts(ax: Any) -> dict[str, int]:
    """How many boxes and arrows of each kind an Axes holds (cell, x, y; input, output, state)."""
    counts: dict[str, int] = {}
    for patch in ax.patches:
        if patch.get_gid():
            counts[patch.get_gid()] = counts.get(patch.get_gid(), 0) + 1
    return counts
