"""The chapter as a static site, built offline from the committed reference run and the docs.

One page per executed notebook of the reference, in reading order (nbconvert's JupyterLab template with its
internet scripts left out, as the handouts are made), one page per Markdown document (the README as the home
page, docs/, the benchmarks' README, the changelog), a glossary, and a search page whose index is inside the
page. Equations are drawn at build time as embedded SVG (chapter12.report.handouts.render_math) and figures
are embedded or copied beside the pages, so a page opened from disk makes no request to the network: no web
font, no CDN script. Every page carries the same navigation bar. docs/site.md says why this, and not mkdocs
or Jupyter Book.
"""

from __future__ import annotations

import copy
import html
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from chapter12.errors import Chapter12Error
from chapter12.files import replace_folder, write_text
from chapter12.paths import CHECKOUT
from chapter12.report.handouts import (
    _INDEX_CSS,
    _exporter,
    _read_notebook,
    _render_math_everywhere,
    drop_backend_logs,
    hide_machinery,
    is_executed,
    notebook_title,
    render_math,
)
from chapter12.report.notebooks import NOTEBOOKS, SWEEP_OUTPUT, SWEEP_SOURCE, current_name

ROOT = CHECKOUT
# The reading order of the README: maths, embeddings, accuracy, inside, then timing and the sweep.
# The files are numbered so (notebooks/01_...ipynb); a sweep's executed copy is sweep_full/sweep.ipynb.
READING_ORDER = sorted(Path(n.filename).stem for n in NOTEBOOKS.values()) + [Path(SWEEP_OUTPUT).stem]
# Short names for the navigation bar (a page's own title is its first heading).
NAV_TITLES = {
    "01_rnn_lstm_maths": "RNN and LSTM maths",
    "02_word_embeddings": "Word embeddings",
    "03_sentiment_accuracy": "Accuracy",
    "04_inside_the_models": "Inside the models",
    "05_timing": "Timing",
    "sweep": "Review length",
}
# (source relative to the repository, page name, title in the navigation bar)
DOCUMENTS = [
    ("README.md", "index.html", "Home"),
    ("docs/results.md", "results.html", "Results"),
    ("docs/sweeps.md", "sweeps.html", "Sweeps"),
    ("docs/claims.md", "claims.html", "Claims"),
    ("docs/errata.md", "errata.html", "Errata"),
    ("docs/glossary.md", "glossary.html", "Glossary"),
    ("docs/usage.md", "usage.html", "Usage"),
    ("docs/data.md", "data.html", "Data"),
    ("docs/design.md", "design.html", "Design"),
    ("docs/testing.md", "testing.html", "Testing"),
    ("docs/bad-input.md", "bad-input.html", "Bad input"),
    ("docs/site.md", "site.html", "This site"),
    ("benchmarks/README.md", "benchmarks.html", "Benchmarks"),
    ("CHANGELOG.md", "changelog.html", "Changelog"),
]
_NAV_CSS = """
nav.c12-nav { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 0.9rem;
  background: #f4f6f8; border-bottom: 1px solid #d0d7de; padding: 0.5rem 1rem; line-height: 1.9; }
nav.c12-nav a { margin-right: 0.9rem; color: #0b5394; text-decoration: none; white-space: nowrap; }
nav.c12-nav a.here { font-weight: bold; color: #222; }
nav.c12-nav .c12-group { color: #666; margin-right: 0.4rem; }
main.c12-doc { max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; }
main.c12-doc img { max-width: 100%; }
"""


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _nav(pages: list[tuple[str, str]], notebooks: list[tuple[str, str]], here: str) -> str:
    def link(target: str, title: str) -> str:
        cls = ' class="here"' if target == here else ""
        return f'<a href="{html.escape(target)}"{cls}>{html.escape(title)}</a>'

    docs = [link(t, title) for t, title in pages]
    nbs = [link(t, f"{i}. {title}") for i, (t, title) in enumerate(notebooks, 1)]
    return (
        '<nav class="c12-nav">'
        + docs[0]
        + '<span class="c12-group">Notebooks:</span>'
        + "".join(nbs)
        + '<br><span class="c12-group">Pages:</span>'
        + "".join(docs[1:])
        + link("search.html", "Search")
        + "</nav>"
    )


def _with_nav(page: str, nav: str) -> str:
    style = f"<style>{_NAV_CSS}</style>"
    page = page.replace("</head>", style + "\n</head>", 1)
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + "\n" + nav, page, count=1)


def _rewrite_links(markdown_html: str, source: Path, page_of: dict[Path, str], assets: dict[Path, str]) -> str:
    """Point links at the site's pages and its copied images; a link to anything the site lacks becomes text."""

    def target(raw: str) -> str | None:
        if raw.startswith(("http://", "https://", "mailto:", "data:")):
            return raw
        file, _, anchor = raw.partition("#")
        if not file:
            return raw
        path = (source.parent / file).resolve()
        if path in page_of:
            return page_of[path] + (f"#{anchor}" if anchor else "")
        if path in assets:
            return assets[path]
        return None

    def link(m: re.Match) -> str:
        before, href, after, text = m.groups()
        new = target(html.unescape(href))
        if new is None:  # a source file, a folder: not part of the site
            return f"<span>{text}</span>"
        return f'<a{before}href="{html.escape(new)}"{after}>{text}</a>'

    def image(m: re.Match) -> str:
        new = target(html.unescape(m.group(2)))
        return m.group(0) if new is None else f'{m.group(1)}src="{html.escape(new)}"'

    text = re.sub(r'<a([^>]*?)href="([^"]+)"([^>]*)>(.*?)</a>', link, markdown_html, flags=re.S)
    return re.sub(r'(<img[^>]*?)src="([^"]+)"', image, text)


def _heading_ids(markdown_html: str) -> str:
    # GitHub's anchors, the ones the Markdown links use; an id the converter gave is replaced (a browser keeps the
    # first of two ids, so adding one would leave the links at the top of the page).
    def add(m: re.Match) -> str:
        inner = re.sub(r'<a class="anchor-link"[^>]*>.*?</a>', "", m.group(3), flags=re.S)  # the converter's pilcrow
        anchor = slug(html.unescape(re.sub(r"<[^>]+>", "", inner)))
        attributes = re.sub(r'\s+id="[^"]*"', "", m.group(2))
        link = f'<a class="anchor-link" href="#{anchor}">¶</a>'
        return f'<h{m.group(1)}{attributes} id="{anchor}">{inner}{link}</h{m.group(1)}>'

    return re.sub(r"<h([1-6])([^>]*)>(.*?)</h\1>", add, markdown_html, flags=re.S)


def _document_page(title: str, body: str, nav: str) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
            f"<title>{html.escape(title)} · chapter12</title>",
            f"<style>{_INDEX_CSS}{_NAV_CSS}</style>",
            "</head>",
            "<body>",
            nav,
            f'<main class="c12-doc">{body}</main>',
            "</body>",
            "</html>",
            "",
        ]
    )


_SEARCH_JS = """
const pages = JSON.parse(document.getElementById('c12-index').textContent);
const box = document.getElementById('c12-q'), list = document.getElementById('c12-hits');
function find() {
  const words = box.value.toLowerCase().split(/\\s+/).filter(w => w.length > 1);
  list.innerHTML = '';
  if (!words.length) return;
  for (const p of pages) {
    const text = p.text.toLowerCase();
    if (!words.every(w => text.includes(w))) continue;
    const at = text.indexOf(words[0]);
    const li = document.createElement('li'), a = document.createElement('a');
    a.href = p.href; a.textContent = p.title; li.appendChild(a);
    const s = document.createElement('div');
    s.textContent = '… ' + p.text.slice(Math.max(0, at - 80), at + 120) + ' …';
    li.appendChild(s); list.appendChild(li);
  }
  if (!list.children.length) list.innerHTML = '<li>No page holds all these words.</li>';
}
box.addEventListener('input', find);
const q = new URLSearchParams(location.search).get('q');
if (q) { box.value = q; find(); }
"""


def _plain_text(page: str) -> str:
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<img[^>]*>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


def _search_page(index: list[dict[str, str]], nav: str) -> str:
    data = json.dumps(index).replace("</", "<\\/")
    body = (
        "<h1>Search</h1><p>Words to find (every page that holds all of them is listed; nothing leaves this "
        'computer):</p><p><input id="c12-q" type="search" size="40" autofocus></p><ol id="c12-hits"></ol>'
        f'<script id="c12-index" type="application/json">{data}</script><script>{_SEARCH_JS}</script>'
    )
    return _document_page("Search", body, nav)


def _reference_notebooks(reference: Path) -> list[Path]:
    # A reference published before the notebooks were numbered holds them under their old names.
    found = {Path(current_name(p.name)).stem: p for p in reference.glob("*.ipynb")}
    found.update({p.stem: p for p in reference.glob("*/sweep.ipynb")})
    return [found[name] for name in READING_ORDER if name in found]


def build_site(
    reference: "str | os.PathLike",
    out: "str | os.PathLike",
    root: "str | os.PathLike" = ROOT,
    *,
    overwrite: bool = False,
) -> list[Path]:
    """Write the site into out (a new folder, or replaced whole with overwrite); returns the pages, index.html first."""
    reference, out, root = Path(reference), Path(out).resolve(), Path(root).resolve()
    if not (root / "README.md").is_file() or not (root / "docs").is_dir():
        raise Chapter12Error(
            f"no README.md and docs/ in {root}: the site is built from a checkout of the repository, not from an "
            "installed package; run it in the repository"
        )
    if not reference.is_dir():
        raise Chapter12Error(f"{reference} is not a folder; pass the reference run (make reference, or reference/)")
    executed = []
    for path in _reference_notebooks(reference):
        nb = _read_notebook(path)
        if is_executed(nb):
            executed.append((path, nb))
    if not executed:
        raise Chapter12Error(f"{reference} holds no executed notebooks; pass the folder `make reference` wrote")
    protected = {root, reference.resolve(), *root.parents, *reference.resolve().parents} | {
        (root / d).resolve() for d in ("docs", "notebooks", "chapter12", "tests", "benchmarks")
    }
    if out in protected or out == Path.cwd():
        raise Chapter12Error(f"--out {out} would replace a folder the site is built from; choose a new folder")
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not overwrite:
        raise Chapter12Error(f"{out} exists; pass --overwrite to replace it whole")
    documents = [(root / src, name, title) for src, name, title in DOCUMENTS if (root / src).is_file()]
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        (staging / "assets").mkdir()
        pages = _write_pages(executed, documents, staging, root)
        os.chmod(staging, 0o755)
        replace_folder(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out / p.name for p in pages]


def _write_pages(
    executed: list[tuple[Path, Any]], documents: list[tuple[Path, str, str]], out: Path, root: Path
) -> list[Path]:
    stems = [Path(current_name(path.name)).stem for path, _ in executed]  # an old reference's pages are numbered too
    notebooks = [
        (f"{stem}.html", NAV_TITLES.get(stem, notebook_title(nb, stem))) for stem, (_, nb) in zip(stems, executed)
    ]
    pages = [(name, title) for _, name, title in documents]
    page_of = {src.resolve(): name for src, name, _ in documents}
    # Links from the docs to the notebooks reach their executed pages.
    for (path, _), (name, _) in zip(executed, notebooks):
        source = SWEEP_SOURCE if path.name == SWEEP_OUTPUT else current_name(path.name)
        page_of[(root / "notebooks" / source).resolve()] = name
    assets: dict[Path, str] = {}
    cache: dict = {}
    written, index = [], []
    for src, name, title in documents:
        text = src.read_text(encoding="utf-8")
        for m in re.finditer(r"!\[[^\]]*\]\(([^)\s]+)\)", text):  # images: copied beside the pages
            image = (src.parent / m.group(1)).resolve()
            if image.is_file() and image not in assets:
                target = f"assets/{len(assets):02d}-{image.name}"
                shutil.copy2(image, out / target)
                assets[image] = target
        body = _heading_ids(_markdown(render_math(text, cache)))
        body = _rewrite_links(body, src, page_of, assets)
        page = _document_page(title, body, _nav(pages, notebooks, name))
        write_text(out / name, page)
        written.append(out / name)
        index.append({"href": name, "title": title, "text": _plain_text(body)})
    exporter = _exporter(False)
    for (path, nb), (name, _) in zip(executed, notebooks):
        title = notebook_title(nb, path.stem)
        nb = copy.deepcopy(nb)
        drop_backend_logs(nb)
        hide_machinery(nb)
        _render_math_everywhere(nb, cache)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
        write_text(out / name, _with_nav(body, _nav(pages, notebooks, name)))
        written.append(out / name)
        index.append({"href": name, "title": title, "text": _plain_text(body)[:200_000]})
    write_text(out / "search.html", _search_page(index, _nav(pages, notebooks, "search.html")))
    written.append(out / "search.html")
    return written


def _markdown(text: str) -> str:
    from nbconvert.filters import markdown2html

    return markdown2html(text)
