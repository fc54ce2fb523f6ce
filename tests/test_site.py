"""The static site (python -m chapter12 site): built offline, every page opened in Chromium with the network refused.

Built from the session's quick run (tests/conftest.py: the accuracy and maths notebooks, executed) and the
repository's docs; where reference/ is committed, from it too. Each page: it loads, its images are drawn, no
equation is left as TeX, every link points at a file of the site (and an anchor that exists), and no request
fails. A screenshot of each page goes to test-artifacts/site/.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from chapter12.errors import Chapter12Error
from chapter12.report.site import DOCUMENTS, build_site, slug
from chapter12.report.handouts import CHROMIUM_FLAGS  # the flags the PDF handouts start Chromium with

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "site"


@pytest.fixture(scope="module")
def site(quick_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    pages = build_site(quick_run, out)
    return out, pages


def _links(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'<a[^>]*\shref="([^"]+)"', page)]


def _ids(page: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', page))


def test_the_site_has_every_page_in_reading_order(site):
    out, pages = site
    names = [p.name for p in pages]
    assert names[0] == "index.html" and names[-1] == "search.html"
    for _, name, _ in DOCUMENTS:
        assert (out / name).is_file(), name
    # the quick run executed the accuracy and maths notebooks: maths comes first in the reading order
    assert names.index("01_rnn_lstm_maths.html") < names.index("03_sentiment_accuracy.html")
    home = (out / "index.html").read_text(encoding="utf-8")
    assert "chapter12: recurrent neural networks on IMDB, reproduced" in home
    nav = re.search(r'<nav class="c12-nav">.*?</nav>', home, flags=re.S).group(0)
    assert nav.index("01_rnn_lstm_maths.html") < nav.index("03_sentiment_accuracy.html") < nav.index("results.html")


def test_every_link_resolves_and_nothing_points_at_the_network(site):
    out, _ = site
    broken = []
    for page in sorted(out.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"(https?:)?//", text), page.name
        for href in _links(text):
            if href.startswith(("http://", "https://", "mailto:")):
                continue  # a link a reader may follow; nothing is loaded from it
            file, _, anchor = href.partition("#")
            target = out / file if file else page
            if not target.is_file():
                broken.append(f"{page.name}: {href}")
            elif anchor and anchor not in _ids(target.read_text(encoding="utf-8")):
                broken.append(f"{page.name}: {href} (no such anchor)")
        # a browser keeps the first of two ids: an element with two would send its anchor links to the top
        assert not re.search(r'<[^>]*\sid="[^"]*"[^>]*\sid="', text), f"{page.name}: an element with two ids"
    assert broken == []


def test_the_markdown_pages_keep_their_figures_and_their_formulas_become_pictures(site):
    out, _ = site
    sweeps = (out / "sweeps.html").read_text(encoding="utf-8")
    image = re.search(r'<img[^>]+src="(assets/[^"]+\.png)"', sweeps)
    assert image and (out / image.group(1)).is_file()
    glossary = (out / "glossary.html").read_text(encoding="utf-8")
    assert 'class="c12-math"' in glossary and "\\Gamma_f" not in re.sub(r'alt="[^"]*"', "", glossary)
    assert f'id="{slug("Glossary")}"' in glossary


def test_a_folder_without_executed_notebooks_is_refused(tmp_path):
    with pytest.raises(Chapter12Error, match="no executed notebooks"):
        build_site(tmp_path, tmp_path / "site")
    with pytest.raises(Chapter12Error, match="not a folder"):
        build_site(tmp_path / "missing", tmp_path / "site")


def test_an_existing_folder_is_replaced_only_when_asked_and_the_sources_never(site, quick_run, tmp_path):
    built, _ = site
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(Chapter12Error, match="--overwrite"):
        build_site(quick_run, mine)
    assert (mine / "notes.txt").read_text() == "keep me"
    for folder in (ROOT / "docs", ROOT, quick_run):
        with pytest.raises(Chapter12Error, match="would replace a folder the site is built from"):
            build_site(quick_run, folder, overwrite=True)
    assert (ROOT / "docs" / "glossary.md").is_file()
    pages = build_site(quick_run, mine, overwrite=True)
    assert not (mine / "notes.txt").exists() and pages[0] == mine.resolve() / "index.html"
    assert sorted(p.name for p in mine.iterdir()) == sorted(p.name for p in built.iterdir())
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging or old folder left


def test_every_page_opens_offline_in_chromium(site):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (on Debian: apt-get install chromium); .ci/run installs it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
    out, _ = site
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    failed, refused, problems = [], [], []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})

        def route(r):
            if r.request.url.startswith(("file:", "data:")):
                r.continue_()
            else:
                refused.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("requestfailed", lambda request: failed.append(request.url))
        try:
            for path in sorted(out.glob("*.html")):
                page.goto(path.as_uri(), wait_until="load")
                state = page.evaluate(
                    """() => ({
                        images: [...document.images].map(i => [i.complete && i.naturalWidth > 0, i.src.slice(0, 60)]),
                        tex: document.querySelectorAll('.c12-tex').length,
                        text: document.body.innerText,
                        nav: document.querySelectorAll('nav.c12-nav a').length,
                    })"""
                )
                undrawn = [src for ok, src in state["images"] if not ok]
                if undrawn:
                    problems.append(f"{path.name}: images not drawn {undrawn}")
                if state["tex"] or "$$" in state["text"]:
                    problems.append(f"{path.name}: an equation left as TeX")
                if state["nav"] != len(DOCUMENTS) + 1 + 2:  # the documents, the search page, the two notebooks
                    problems.append(f"{path.name}: navigation bar with {state['nav']} links")
                page.screenshot(path=str(ARTIFACTS / f"{path.stem}.png"))
            # Anchors as a browser follows them: the element must exist (and be the heading the link names).
            anchored = sorted(
                {h for p in out.glob("*.html") for h in _links(p.read_text(encoding="utf-8")) if ".html#" in h}
            )
            assert anchored, "the docs link to sections of other pages"
            for href in anchored:
                file, anchor = href.split("#", 1)
                page.goto((out / file).as_uri() + "#" + anchor, wait_until="load")
                if not page.evaluate("a => document.getElementById(a) !== null", anchor):
                    problems.append(f"{href}: no element with that id")
            search = out / "search.html"
            page.goto(search.as_uri() + "?q=forget+gate", wait_until="load")
            hits = page.locator("#c12-hits li a")
            assert hits.count() >= 2, "the search finds the pages that speak of the forget gate"
            page.screenshot(path=str(ARTIFACTS / "search-forget-gate.png"))
        finally:
            browser.close()
    assert problems == []
    assert refused == [] and failed == []


@pytest.mark.skipif(not (ROOT / "reference").is_dir(), reason="no committed reference/ in this checkout")
def test_the_site_of_the_committed_reference_has_every_notebook_and_resolving_links(tmp_path):
    out = tmp_path / "site"
    pages = [p.name for p in build_site(ROOT / "reference", out)]
    notebooks = [
        "01_rnn_lstm_maths",
        "02_word_embeddings",
        "03_sentiment_accuracy",
        "04_inside_the_models",
        "05_timing",
        "sweep",
    ]
    assert [p for p in pages if p.removesuffix(".html") in notebooks] == [f"{n}.html" for n in notebooks]
    for page in out.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        for href in _links(text):
            file = href.partition("#")[0]
            assert href.startswith(("http", "mailto:", "#")) or (out / file).is_file(), (page.name, href)
