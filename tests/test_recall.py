"""Every notebook ends with 8 to 10 recall questions, their answers folded and tagged like the exercises' answers.

Handouts leave the answers out unless --answers is given (chapter12.report.handouts.drop_answers), so a
student's copy has the questions and a teacher's copy has both.
"""

from __future__ import annotations

import copy
import re

import nbformat
import pytest

from chapter12.report.handouts import ANSWERS_TAG, drop_answers
from chapter12.notebook.execute import notebooks_dir

NOTEBOOKS = sorted(p.name for p in notebooks_dir().glob("*.ipynb"))


def _numbered(text: str) -> list[str]:
    return re.findall(r"^(\d+)\. ", text, flags=re.M)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_recall_questions_with_folded_answers(name):
    nb = nbformat.read(notebooks_dir() / name, as_version=4)
    at = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## Recall questions")]
    assert len(at) == 1, f"{name}: one '## Recall questions' cell"
    questions, answers = nb.cells[at[0]], nb.cells[at[0] + 1]
    numbers = _numbered(questions.source)
    assert 8 <= len(numbers) <= 10 and numbers == [str(k) for k in range(1, len(numbers) + 1)]
    assert all(line.rstrip().endswith("?") for line in questions.source.splitlines() if re.match(r"\d+\. ", line))
    assert ANSWERS_TAG in answers.metadata.get("tags", [])
    assert answers.source.startswith("<details>") and answers.source.rstrip().endswith("</details>")
    assert _numbered(answers.source) == numbers, f"{name}: one answer per question"
    exercises = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## Exercises"))
    assert exercises < at[0], "the recall questions come after the exercises"

    student = copy.deepcopy(nb)
    drop_answers(student)
    kept = "\n".join(c.source for c in student.cells)
    assert "## Recall questions" in kept and "Answers to the recall questions" not in kept
