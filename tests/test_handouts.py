"""Tests for chapter12.report.handouts on a tiny notebook executed here, and in a real (headless) browser when one
is installed."""

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib
import matplotlib.image
import nbformat
import numpy as np
import pytest

from chapter12.errors import Chapter12Error
from chapter12.report.handouts import (
    CHROMIUM_FLAGS,
    is_executed,
    make_handouts,
    notebook_title,
    render_math,
    tex_to_svg,
)
from chapter12.notebook.kernel import current_interpreter_kernel
from chapter12.notebook.execute import notebooks_dir

CHROMIUM = Path("/usr/bin/chromium")
CODE_MARKER = "handout-code-marker"
PRINT_MARKER = "printed-output-marker"
WARNING_MARKER = "a-real-warning-marker"
BACKEND_LOG = "I0000 00:00:1795677447.490521   21828 port.cc:153] oneDNN custom operations are on."

# Two cells: small for test speed. The bars are pure red so a screenshot can find the figure.
TINY_CELLS = [
    (
        "markdown",
        "# A tiny handout\n\nThe state $a^{\\langle t \\rangle}$ is carried over.\n\n"
        "$$\\hat{y}^{\\langle t \\rangle} = \\sigma(W_{ya}\\, a^{\\langle t \\rangle} + b_y)$$",
    ),
    (
        "code",
        f"# {CODE_MARKER}\nimport sys\n"
        # The log line is glued together at run time so that only the output, not the code, holds it.
        f"print('{BACKEND_LOG[:40]}' + '{BACKEND_LOG[40:]}', file=sys.stderr)\n"
        f"print('{WARNING_MARKER}', file=sys.stderr)\n"
        "import matplotlib.pyplot as plt\n"
        "fig, ax = plt.subplots(figsize=(6, 4))\n"
        "ax.bar([0, 1, 2], [1, 2, 3], color='red')\n"
        f"plt.show()\nprint('{PRINT_MARKER}')",
    ),
    ("code", "from chapter12.report.prose import say\nsay('computed-marker: the gate $\\\\Gamma_f$ is ' + str(0.5))"),
    ("answers", "<details><summary>Answers</summary>\n\nanswer-marker\n</details>"),
]


@pytest.fixture(scope="module")
def executed_notebook():
    """The tiny notebook, executed once by a kernel running this interpreter."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
            for kind, source in TINY_CELLS
        ]
    )
    nb.cells[-1].metadata["tags"] = ["answers"]
    with current_interpreter_kernel() as kernel:
        NotebookClient(nb, kernel_name=kernel, timeout=120).execute()
    return nb


def _run_dir(tmp_path, nb, name="tiny.ipynb"):
    run = tmp_path / "run"
    run.mkdir(exist_ok=True)
    nbformat.write(nb, run / name)
    return run


def _external_references(page: str) -> list[str]:
    """Scripts, stylesheets, CSS imports and CSS urls that point at the network (plain <a> links are fine)."""
    patterns = [
        r"<script[^>]+src\s*=\s*[\"']?(?:https?:)?//[^\"' >]+",
        r"<link[^>]+href\s*=\s*[\"']?(?:https?:)?//[^\"' >]+",
        r"@import[^;]*",
        r"url\(\s*[\"']?(?:https?:)?//[^)]*\)",
        r"import\s*\(?\s*[\"'](?:https?:)?//[^\"']+",
    ]
    return [match for pattern in patterns for match in re.findall(pattern, page, flags=re.I)]


def test_page_embeds_the_figure_and_needs_no_network(tmp_path, executed_notebook):
    run = _run_dir(tmp_path, executed_notebook)

    written = make_handouts(run)

    assert written == [run / "handouts" / "tiny.html", run / "handouts" / "index.html"]
    page = written[0].read_text(encoding="utf-8")
    # The figure is an <img> whose source is the PNG itself, base64-encoded.
    assert re.search(r"<img[^>]+src=\"data:image/png;base64,iVBORw0KGgo", page)
    assert _external_references(page) == []
    assert "<title>A tiny handout</title>" in page
    assert CODE_MARKER in page and PRINT_MARKER in page
    # TensorFlow's start-up log lines are dropped from stderr; anything else written there stays.
    assert "port.cc:153" not in page and WARNING_MARKER in page
    # The equations are drawn as embedded SVG images, not left as TeX for MathJax.
    assert page.count('class="c12-math"') == 3  # two in the Markdown cell, one in the computed sentence
    assert "data:image/svg+xml;base64," in page and "$$" not in page and "c12-tex" not in page


def test_hide_code_keeps_prose_and_outputs_only(tmp_path, executed_notebook):
    run = _run_dir(tmp_path, executed_notebook)

    page = make_handouts(run, out_dir=tmp_path / "pages", hide_code=True)[0].read_text(encoding="utf-8")

    assert CODE_MARKER not in page
    assert PRINT_MARKER in page and "A tiny handout" in page
    assert re.search(r"src=\"data:image/png;base64,", page)


def test_machinery_cells_show_their_output_but_not_their_code(tmp_path, executed_notebook):
    nb = copy.deepcopy(executed_notebook)
    nb.cells[1].metadata["tags"] = ["hide-input"]  # the cell that prints PRINT_MARKER and draws the figure
    run = _run_dir(tmp_path, nb)

    page = make_handouts(run)[0].read_text(encoding="utf-8")

    assert CODE_MARKER not in page and "import matplotlib" not in page
    assert PRINT_MARKER in page and re.search(r"src=\"data:image/png;base64,", page)
    assert "computed-marker" in page  # the other cells keep their code and outputs
    assert "chapter12.report.prose" in page  # the say cell's code is kept
    assert nb.cells[1].source.startswith(f"# {CODE_MARKER}")  # the run's notebook itself is left as it was


def test_every_notebook_hides_only_its_machinery():
    """The install check and the results file are machinery: tagged hide-input, collapsed in Jupyter; no other cell."""
    for path in sorted(notebooks_dir().glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        hidden = [c for c in nb.cells if "hide-input" in c.metadata.get("tags", [])]
        code = [c for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]
        assert hidden and hidden[0] is code[0] and "import chapter12" in code[0].source, path.name
        assert all(c.metadata.get("jupyter", {}).get("source_hidden") for c in hidden), path.name
        assert all(c is code[0] or "save_results(" in c.source for c in hidden), path.name
        saving = [c for c in code if "save_results(" in c.source]
        assert all(c in hidden for c in saving), path.name


def test_index_links_pages_and_shows_summary_figures_and_failures(tmp_path, executed_notebook):
    run = _run_dir(tmp_path, executed_notebook)
    nbformat.write(executed_notebook, run / "second.ipynb")
    (run / "summary.md").write_text(
        "# Summary\n\n| model | accuracy |\n|---|---|\n| lstm | 0.8441 |\n", encoding="utf-8"
    )
    (run / "figures").mkdir()
    matplotlib.image.imsave(run / "figures" / "test_accuracy.png", np.zeros((4, 4, 3)))
    (run / "results.json").write_text(json.dumps({"notebooks": [{"name": "second.ipynb", "status": "failed"}]}))

    written = make_handouts(run)

    index = written[-1].read_text(encoding="utf-8")
    assert {p.name for p in written} == {"tiny.html", "second.html", "index.html"}
    assert 'href="tiny.html"' in index and 'href="second.html"' in index
    assert "<table>" in index and "<td>0.8441</td>" in index
    assert re.search(r"<h3[^>]*>Summary", index)  # the summary's own title is moved under the page's headings
    assert index.count("data:image/png;base64,") == 1
    assert index.count("FAILED") == 1
    assert _external_references(index) == []


def test_folders_without_executed_notebooks_are_refused(tmp_path, executed_notebook):
    with pytest.raises(Chapter12Error, match="not a folder"):
        make_handouts(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(Chapter12Error, match="no executed notebooks"):
        make_handouts(empty)
    stripped = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])  # never ran
    nbformat.write(stripped, empty / "stripped.ipynb")
    with pytest.raises(Chapter12Error, match="no executed notebooks"):
        make_handouts(empty)
    (empty / "broken.ipynb").write_text("{not json")
    with pytest.raises(Chapter12Error, match="not a readable notebook"):
        make_handouts(empty)
    run = _run_dir(tmp_path, executed_notebook)
    (tmp_path / "a_file").write_text("")
    with pytest.raises(Chapter12Error, match="is a file"):
        make_handouts(run, out_dir=tmp_path / "a_file")


def test_render_math_leaves_code_and_escaped_dollars_alone():
    text = "cost \\$5, code `$x$`, inline $a_t$ and\n\n$$b = c$$\n\nbroken $\\begin{nothing}$"
    out = render_math(text)

    assert "`$x$`" in out and "\\$5" in out
    assert out.count('class="c12-math"') == 2
    assert '<div class="c12-math-display"' in out
    assert '<code class="c12-tex">$\\begin{nothing}$</code>' in out


def test_answers_are_left_out_unless_asked_and_computed_sentences_get_their_formulas(tmp_path, executed_notebook):
    run = _run_dir(tmp_path, executed_notebook)
    page = make_handouts(run, out_dir=tmp_path / "students")[0].read_text(encoding="utf-8")
    assert "answer-marker" not in page
    assert "computed-marker" in page and "$\\Gamma_f$ is 0.5" not in page  # its formula became a picture
    teacher = make_handouts(run, out_dir=tmp_path / "teacher", answers=True)[0].read_text(encoding="utf-8")
    assert "answer-marker" in teacher
    assert "answers" in executed_notebook.cells[-1].metadata["tags"]  # the run's notebook itself is left as it was


def test_helpers():
    svg, height, depth = tex_to_svg(r"\hat{y}^{\langle t \rangle}")
    assert svg.startswith(b"<?xml") and b"<svg" in svg and height > depth >= 0
    assert tex_to_svg("x^2")[0] == tex_to_svg("x^2")[0]  # no date inside: the same bytes every time
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("text\n\n## The title ##")])
    assert notebook_title(nb, "fallback") == "The title"
    assert notebook_title(nbformat.v4.new_notebook(), "fallback") == "fallback"
    assert not is_executed(nb)


@pytest.mark.parametrize("name", ["01_rnn_lstm_maths.ipynb", "02_word_embeddings.ipynb"])
def test_every_formula_of_the_chapter_notebooks_can_be_drawn(name):
    nb = nbformat.read(notebooks_dir() / name, as_version=4)
    rendered = [render_math(cell.source) for cell in nb.cells if cell.cell_type == "markdown"]
    assert not any("c12-tex" in html for html in rendered), "a formula fell back to TeX source: simplify it"


def test_handout_renders_in_headless_chromium(tmp_path, executed_notebook):
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is not installed (on Debian: apt-get install chromium), so no browser can render the page"
        )
    page = make_handouts(_run_dir(tmp_path, executed_notebook))[0]
    shot = tmp_path / "shot.png"
    command = [
        str(CHROMIUM),
        "--headless",
        *CHROMIUM_FLAGS,
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={shot}",
        "--window-size=1000,1400",
        page.resolve().as_uri(),
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120)

    assert shot.exists(), f"no screenshot; chromium said: {finished.stderr[-2000:]}"
    pixels = matplotlib.image.imread(shot)[..., :3]
    assert pixels.shape[:2] == (1400, 1000)
    assert pixels.std() > 0.05  # not a blank page
    # The red bars of the embedded figure are on screen, so the base64 PNG was decoded and drawn.
    red = (pixels[..., 0] > 0.8) & (pixels[..., 1] < 0.3) & (pixels[..., 2] < 0.3)
    assert red.sum() > 2000


def test_pdf_handouts_are_a4_and_show_the_figure(tmp_path, executed_notebook):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (on Debian: apt-get install chromium), so no PDF can be printed")
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm is not installed (on Debian: apt-get install poppler-utils), so the PDF cannot be read")
    written = make_handouts(_run_dir(tmp_path, executed_notebook), out_dir=tmp_path / "print", pdf=True)
    pdf = tmp_path / "print" / "tiny.pdf"
    assert pdf in written and (tmp_path / "print" / "index.pdf") in written
    assert pdf.read_bytes().startswith(b"%PDF")
    assert not list((tmp_path / "print").glob("*.part"))
    subprocess.run(
        [pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True, timeout=120
    )
    (png,) = tmp_path.glob("page-*.png")
    pixels = matplotlib.image.imread(png)[..., :3]
    height, width = pixels.shape[:2]
    assert abs(height / width - 297 / 210) < 0.01  # A4, portrait
    red = (pixels[..., 0] > 0.8) & (pixels[..., 1] < 0.3) & (pixels[..., 2] < 0.3)
    assert red.sum() > 500  # the red bars of the figure are printed


def test_pdf_without_chromium_is_one_error_line_and_writes_nothing(tmp_path, executed_notebook):
    run = _run_dir(tmp_path, executed_notebook)
    env = dict(os.environ, CHAPTER12_CHROMIUM=str(tmp_path / "no-chromium-here"))
    result = subprocess.run(
        [sys.executable, "-m", "chapter12", "handouts", str(run), "--pdf"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "CHAPTER12_CHROMIUM" in lines[0], result.stderr
    assert not (run / "handouts").exists()


def test_pages_follow_the_reading_order_with_old_and_numbered_names(tmp_path, executed_notebook):
    # A run written before the notebooks were numbered holds the old names; a sweep folder holds sweep.ipynb.
    run = _run_dir(tmp_path, executed_notebook, name="sentiment_accuracy.ipynb")
    for name in ("05_timing.ipynb", "rnn_lstm_maths.ipynb", "04_inside_the_models.ipynb"):
        nbformat.write(executed_notebook, run / name)
    (run / "sweep").mkdir()
    nbformat.write(executed_notebook, run / "sweep" / "sweep.ipynb")
    pages = [p.name for p in make_handouts(run)][:-1]  # index.html last
    assert pages == [
        "rnn_lstm_maths.html",
        "sentiment_accuracy.html",
        "04_inside_the_models.html",
        "05_timing.html",
        "sweep.html",
    ]


def test_a_notebook_is_named_by_its_key_or_its_file_old_or_numbered():
    from chapter12.report.notebooks import NOTEBOOKS, notebook_key

    for name in ("accuracy", "03_sentiment_accuracy", "03_sentiment_accuracy.ipynb", "sentiment_accuracy"):
        assert notebook_key(name) == "accuracy"
    assert notebook_key("rnn_lstm_maths.ipynb") == "maths" and notebook_key("05_timing") == "timing"
    assert sorted(nb.filename for nb in NOTEBOOKS.values()) == [
        "01_rnn_lstm_maths.ipynb",
        "02_word_embeddings.ipynb",
        "03_sentiment_accuracy.ipynb",
        "04_inside_the_models.ipynb",
        "05_timing.ipynb",
    ]
    assert all((notebooks_dir() / nb.filename).is_file() for nb in NOTEBOOKS.values())
    for bad in ("sweep", "06_sweep", "accuracy.ipynb", "sentiment"):
        with pytest.raises(Chapter12Error, match="unknown notebook .*choose from accuracy, timing"):
            notebook_key(bad)
