"""docs/errata.md quotes the chapter: every quoted phrase of the form 'the chapter writes "..."' must be in
the chapter's text (../shared/book), in the section the entry names. Skips where the book is absent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT.parent / "shared" / "book" / "chapter-12.3-recurrent-neural-networks.txt"
SECTIONS = ("12.3.1", "12.3.2", "12.3.3", "12.3.4")


def _sections(text: str) -> dict[str, str]:
    starts = [(m.start(), m.group(1)) for m in re.finditer(r"^(12\.3\.\d) ", text, flags=re.M)]
    return {
        name: text[a : (starts[i + 1][0] if i + 1 < len(starts) else len(text))] for i, (a, name) in enumerate(starts)
    }


@pytest.mark.skipif(not BOOK.exists(), reason=f"the chapter's text is not at {BOOK}")
def test_every_quoted_slip_is_in_the_section_it_names():
    book = _sections(BOOK.read_text(encoding="utf-8"))
    assert set(SECTIONS) <= set(book)
    errata = " ".join(ROOT.joinpath("docs", "errata.md").read_text(encoding="utf-8").split())
    quoted = re.findall(r"In (12\.3\.\d) the chapter writes (?:that [^\"]*)?\"([^\"]+)\"", errata)
    assert len(quoted) == 4, quoted
    for section, phrase in quoted:
        assert phrase in " ".join(book[section].split()), (section, phrase)
