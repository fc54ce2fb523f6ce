"""Turn the executed notebooks of a reproduce run into standalone HTML pages to hand out.

Each page is one file that opens offline in any browser: nbconvert's JupyterLab template
with its CSS inlined and its scripts (require.js, MathJax, mermaid, widgets, all fetched
from a CDN) left out. Figures are already inside the notebooks as base64 PNGs. Equations
in the Markdown cells are drawn here with matplotlib's mathtext and embedded as small SVG
images, since MathJax would have to be downloaded; a formula mathtext cannot read stays
visible as its TeX source. An index.html lists the pages and shows the run's summary table
and figures.
"""

from __future__ import annotations

import base64
import copy
import html
import io
import json
import os
import re
from pathlib import Path
from typing import Any

from chapter12.checks import check_can_create_folder
from chapter12.errors import Chapter12Error
from chapter12.files import write_text
from chapter12.logs import is_backend_log_line
from chapter12.report.notebooks import SWEEP_OUTPUT, SWEEP_SOURCE, current_name

# The JupyterLab template minus every block that loads a script from the internet.
_OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
{{ super() }}
<style>
/* Printed (the PDF handouts): A4, figures kept whole and inside the page. */
@page { size: A4; margin: 14mm 12mm; }
@media print {
  .jp-OutputArea-output img { max-width: 100% !important; height: auto; break-inside: avoid; }
  .jp-Cell { break-inside: avoid-page; }
  body { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
</style>
{%- endblock extra_css -%}
"""
_TEMPLATE_NAME = "chapter12_offline.html.j2"

# Math in Markdown: fenced or inline code is left alone; $$...$$ is display math, $...$ inline.
_CODE = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]*`)", re.S)
_DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?![\s$])([^$\n]+?)(?<![\s\\])\$(?!\$)")
_MATH_FONT_SIZE = 14.0  # points; the image is then sized in em, so it follows the page's text size

_INDEX_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 60rem;
       margin: 2rem auto; padding: 0 1rem; color: #222; line-height: 1.5; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #bbb; padding: 0.3rem 0.6rem; text-align: left; }
th { background: #f0f0f0; }
li { margin: 0.3rem 0; }
.failed { color: #b00020; font-weight: bold; }
img.figure { max-width: 100%; border: 1px solid #ddd; margin: 0.5rem 0; }
code { background: #f4f4f4; padding: 0 0.2rem; }
a.anchor-link { display: none; }
"""


def is_executed(nb: Any) -> bool:
    """True when at least one code cell of the notebook has run (an execution count or outputs)."""
    return any(
        cell.get("cell_type") == "code" and (cell.get("execution_count") is not None or cell.get("outputs"))
        for cell in nb.get("cells", [])
    )


def notebook_title(nb: Any, default: str) -> str:
    """The text of the notebook's first Markdown heading, or default."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        for line in str(cell.get("source", "")).splitlines():
            match = re.match(r"\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", line)
            if match:
                return match.group(1)
    return default


def tex_to_svg(tex: str, font_size: float = _MATH_FONT_SIZE) -> tuple[bytes, float, float]:
    """Draw one TeX formula with matplotlib's mathtext: (SVG bytes, height in em, depth below the baseline in em)."""
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser

    text = f"${tex.strip()}$"
    prop = FontProperties(size=font_size)
    width, height, depth, _, _ = MathTextParser("path").parse(text, dpi=72, prop=prop)
    fig = Figure(figsize=(max(width, 1.0) / 72.0, max(height, 1.0) / 72.0))
    fig.text(0, depth / max(height, 1.0), text, fontproperties=prop)
    buffer = io.BytesIO()
    # No date in the file, so the same formula always gives the same bytes.
    fig.savefig(buffer, format="svg", transparent=True, metadata={"Date": None})
    return buffer.getvalue(), height / font_size, depth / font_size


def _math_html(tex: str, display: bool, cache: dict) -> str:
    key = (tex, display)
    if key not in cache:
        try:
            svg, height, depth = tex_to_svg(tex)
        except Exception:  # mathtext reads a subset of TeX: show the source rather than fail the page
            source = html.escape(f"$${tex}$$" if display else f"${tex}$")
            cache[key] = f'<code class="c12-tex">{source}</code>'
        else:
            data = base64.b64encode(svg).decode("ascii")
            style = f"height:{height:.3f}em;vertical-align:{-depth:.3f}em;display:inline;margin:0"
            cache[key] = (
                f'<img class="c12-math" alt="{html.escape(tex)}" style="{style}" src="data:image/svg+xml;base64,{data}">'  # noqa: E501
            )
        if display:
            cache[key] = (
                f'\n\n<div class="c12-math-display" style="text-align:center;margin:0.6em 0">{cache[key]}</div>\n\n'
            )
    return cache[key]


def render_math(markdown: str, cache: dict | None = None) -> str:
    """Replace the $...$ and $$...$$ formulas of a Markdown text by embedded SVG images (code spans untouched)."""
    cache = {} if cache is None else cache
    parts = _CODE.split(markdown)
    for i in range(0, len(parts), 2):  # the odd parts are code, kept verbatim
        text = _DISPLAY_MATH.sub(lambda m: _math_html(m.group(1), True, cache), parts[i])
        parts[i] = _INLINE_MATH.sub(lambda m: _math_html(m.group(1), False, cache), text)
    return "".join(parts)


def drop_backend_logs(nb: Any) -> None:
    """Remove TensorFlow's C++ start-up log lines from the stderr outputs of a notebook, in place."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                lines = str(output.get("text", "")).splitlines(keepends=True)
                text = "".join(line for line in lines if not is_backend_log_line(line))
                if not text.strip():
                    continue
                output["text"] = text
            kept.append(output)
        cell["outputs"] = kept


def _exporter(hide_code: bool):
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({_TEMPLATE_NAME: _OFFLINE_TEMPLATE})],
        template_file=_TEMPLATE_NAME,
        exclude_input=hide_code,
        exclude_input_prompt=hide_code,
        exclude_output_prompt=hide_code,
    )


def _read_notebook(path: Path):
    import nbformat

    try:
        return nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises several types for a broken file
        raise Chapter12Error(
            f"{path} is not a readable notebook ({type(error).__name__}: {error}); remove it or run reproduce again"
        ) from None


def _notebook_order(paths: list[Path]) -> list[Path]:
    # Reading order: the numbered file names; a run written before they were numbered holds the old names.
    return sorted(paths, key=lambda p: (current_name(p.name) if p.name != SWEEP_NOTEBOOK else SWEEP_SOURCE, p.name))


def _run_statuses(run_dir: Path) -> dict[str, str]:
    # results.json of a reproduce run says which notebooks failed; a folder without it is fine.
    try:
        results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
        return {nb["name"]: nb.get("status", "ok") for nb in results.get("notebooks", [])}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def _index_html(run_dir: Path, pages: list[tuple[str, str, str]]) -> str:
    from nbconvert.filters import markdown2html

    items = []
    for filename, title, status in pages:
        flag = ' <span class="failed">(this notebook FAILED: its page shows where)</span>' if status != "ok" else ""
        items.append(f'<li><a href="{html.escape(filename)}">{html.escape(title)}</a>{flag}</li>')
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
        "<title>chapter12 handouts</title>",
        f"<style>{_INDEX_CSS}</style>",
        "</head>",
        "<body>",
        "<h1>Chapter 12.3, recurrent neural networks: handouts</h1>",
        f"<p>From the run in <code>{html.escape(run_dir.resolve().name)}</code>. Each page is one self-contained "
        "file: it opens without an internet connection.</p>",
        "<h2>Notebooks</h2>",
        "<ul>",
        *items,
        "</ul>",
    ]
    summary = run_dir / "summary.md"
    if summary.is_file():
        # Two heading levels down, so the summary's own title sits under this page's "Summary".
        text = re.sub(r"^(#{1,4})(?=\s)", r"##\1", summary.read_text(encoding="utf-8"), flags=re.M)
        parts += ["<h2>Summary</h2>", '<div class="summary">', markdown2html(text), "</div>"]
    figures = sorted((run_dir / "figures").glob("*.png"))
    if figures:
        parts.append("<h2>Figures</h2>")
        for figure in figures:
            data = base64.b64encode(figure.read_bytes()).decode("ascii")
            parts.append(
                f'<p><img class="figure" alt="{html.escape(figure.stem)}" src="data:image/png;base64,{data}"></p>'
            )
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


ANSWERS_TAG = "answers"  # the cells that hold the answers to a notebook's exercises


HIDE_INPUT_TAG = "hide-input"  # machinery cells (the install check, the results file): output kept, code hidden


def hide_machinery(nb: Any) -> None:
    """Drop the code of the cells tagged "hide-input", in place; their outputs stay (nothing that teaches is there)."""
    for cell in nb.cells:
        if cell.cell_type == "code" and HIDE_INPUT_TAG in cell.get("metadata", {}).get("tags", []):
            cell.source = ""
            cell.metadata["transient"] = {"remove_source": True}


def drop_answers(nb: Any) -> None:
    """Remove the cells tagged "answers" from a notebook, in place: the exercises stay, their answers go."""
    nb.cells = [cell for cell in nb.cells if ANSWERS_TAG not in cell.get("metadata", {}).get("tags", [])]


def _render_math_everywhere(nb: Any, cache: dict) -> None:
    # Markdown cells, and the Markdown that code cells display (the notebooks' computed sentences).
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = render_math(cell.source, cache)
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/markdown" in data:
                text = data["text/markdown"]
                data["text/markdown"] = render_math("".join(text) if isinstance(text, list) else text, cache)


CHROMIUM_ENV = "CHAPTER12_CHROMIUM"
# Chromium as these machines run it: no sandbox as root, no background connections to refuse (the browser
# tests start it with the same flags).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_CHROMIUM_FLAGS = ["--headless", *CHROMIUM_FLAGS]


def find_chromium() -> str:
    """The Chromium (or Chrome) to print with: $CHAPTER12_CHROMIUM, else the first one on the PATH."""
    import shutil

    chosen = os.environ.get(CHROMIUM_ENV)
    if chosen:
        if shutil.which(chosen):
            return shutil.which(chosen)
        raise Chapter12Error(
            f"${CHROMIUM_ENV} is {chosen!r}, which is not a program here; point it at Chromium or unset it"
        )
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    raise Chapter12Error(
        "--pdf needs Chromium to print the pages: install it (on Debian: apt-get install chromium) "
        f"or set ${CHROMIUM_ENV} to its path; or leave out --pdf for the HTML pages"
    )


def print_pdf(html: Path, pdf: Path, chromium: str) -> Path:
    """Print one HTML page to an A4 PDF with headless Chromium; the PDF appears only when complete."""
    import subprocess
    import tempfile

    pdf.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chapter12-chromium-") as profile:
        partial = pdf.with_name(f".{pdf.name}.part")
        command = [
            chromium,
            *_CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={partial}",
            "--no-pdf-header-footer",
            "--virtual-time-budget=5000",
            html.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=300)
            if done.returncode != 0 or not partial.exists() or partial.stat().st_size == 0:
                detail = (done.stderr.strip().splitlines() or ["no message"])[-1]
                raise Chapter12Error(f"Chromium could not print {html.name} ({detail}); check that {chromium} starts")
            os.chmod(partial, 0o644)
            os.replace(partial, pdf)
        except subprocess.TimeoutExpired:
            raise Chapter12Error(f"Chromium took more than 5 minutes to print {html.name}; try again") from None
        finally:
            partial.unlink(missing_ok=True)
    return pdf


SWEEP_NOTEBOOK = SWEEP_OUTPUT  # what `python -m chapter12 sweep` leaves in its --out folder


def make_handouts(
    run_dir: str | Path,
    out_dir: str | Path | None = None,
    hide_code: bool = False,
    answers: bool = False,
    pdf: bool = False,
) -> list[Path]:
    """Write a standalone HTML page per executed notebook of run_dir and an index.html; return their paths, index last.

    out_dir defaults to RUN_DIR/handouts. With hide_code=True the pages show prose, printed
    results and figures but not the code cells. Each notebook ends with exercises; their answers
    are left out unless answers=True (a teacher's copy). With pdf=True every page is also printed
    to an A4 PDF beside it by headless Chromium. Notebooks in run_dir that never ran (no
    outputs) are skipped; a folder without any executed notebook raises Chapter12Error. The page
    of a sweep is included, whether run_dir is the sweep's folder or holds it (RUN/<folder>/sweep.ipynb).
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise Chapter12Error(
            f"{run_dir} is not a folder; pass the --out folder of a `python -m chapter12 reproduce` or `sweep` run"
        )
    executed = []
    # A sweep run into a folder of the run (sweep --out RUN/sweep) gets its page in the run's handouts.
    for path in _notebook_order(list(run_dir.glob("*.ipynb")) + list(run_dir.glob(f"*/{SWEEP_NOTEBOOK}"))):
        nb = _read_notebook(path)
        if is_executed(nb):
            executed.append((path, nb))
    if not executed:
        raise Chapter12Error(
            f"{run_dir} holds no executed notebooks (*.ipynb with outputs); run "
            f"`python -m chapter12 reproduce --out {run_dir}` first, or pass the folder such a run wrote"
        )
    out_dir = run_dir / "handouts" if out_dir is None else Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise Chapter12Error(f"{out_dir} is a file; pass a folder for the handouts with --out")
    check_can_create_folder(out_dir)

    chromium = find_chromium() if pdf else None  # before anything is written
    statuses = _run_statuses(run_dir)
    exporter = _exporter(bool(hide_code))
    cache: dict = {}
    written, pages = [], []
    for path, nb in executed:
        nb = copy.deepcopy(nb)
        drop_backend_logs(nb)
        if not answers:
            drop_answers(nb)
        hide_machinery(nb)
        _render_math_everywhere(nb, cache)
        title = notebook_title(nb, path.stem)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
        target = out_dir / f"{path.stem}.html"
        write_text(target, body)
        written.append(target)
        pages.append((target.name, title, statuses.get(path.name, "ok")))
    index = out_dir / "index.html"
    write_text(index, _index_html(run_dir, pages))
    written.append(index)
    if chromium:
        written += [print_pdf(page, page.with_suffix(".pdf"), chromium) for page in list(written)]
    return written
