"""The unrolled RNN and the structure types of 12.3.1, drawn by chapter12.teaching.diagrams: counted part by part."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from chapter12.teaching.diagrams import STRUCTURES, count_parts, draw_structures, draw_unrolled  # noqa: E402


def test_the_unrolled_rnn_has_one_cell_input_output_and_state_arrow_per_word():
    ax = draw_unrolled(["Use", "Netlify", "and", "Hugo", "."])
    assert count_parts(ax) == {"x": 5, "cell": 5, "y": 5, "input": 5, "output": 5, "state": 5}
    texts = [t.get_text() for t in ax.texts]
    assert "$a^{\\langle 0 \\rangle} = 0$" in texts and any("Netlify" in t for t in texts)
    ax.figure.canvas.draw()  # every label is valid mathtext


def test_each_structure_takes_and_gives_what_its_title_says():
    fig = draw_structures()
    expected = [
        {"cell": 4, "x": 4, "y": 4, "input": 4, "output": 4, "state": 3},  # many-to-many, T_x = T_y
        {"cell": 4, "x": 4, "y": 1, "input": 4, "output": 1, "state": 3},  # many-to-one
        {"cell": 4, "x": 1, "y": 4, "input": 1, "output": 4, "state": 3},  # one-to-many
        {"cell": 6, "x": 3, "y": 3, "input": 3, "output": 3, "state": 5},  # read, then write
    ]
    assert [count_parts(ax) for ax in fig.axes] == expected
    assert [ax.get_title() for ax in fig.axes] == [title for title, _, _ in STRUCTURES]
    fig.canvas.draw()
