"""Where each cell of a run is, as the student knows it: the question whose cells it is
among, and its number in the student's own notebook.

The notebook that runs is the submission with the instructor's protected cells put back
(`optigrade.grade.restore`), so its indices are not always the student's: a deleted test
cell put back shifts the cells after it. A failure is shown by question and by the
number the student sees in their own notebook (counted from 1, text cells included).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import nbformat

from optigrade.grade.restore import grade_id_of


@dataclass(frozen=True)
class Place:
    question: str | None  # None: outside every question (the imports, a closing cell)
    number: int | None  # in the student's own notebook, from 1; None: the grader put it back


def _question(cell: Any) -> str | None:
    """The question of a cell the course manages (its ``grader`` metadata), else None."""
    managed = cell.get("metadata", {}).get("grader")
    said = managed.get("question") if isinstance(managed, dict) else None
    return said if isinstance(said, str) and said else None


def _questions(cells: list[Any]) -> list[str | None]:
    """Each cell's question: a managed cell's own; a student's cell between two managed
    cells of one question belongs to it (another lies between questions: None)."""
    own = [_question(c) for c in cells]
    found: list[str | None] = []
    for i, question in enumerate(own):
        if question is None:
            before = next((q for q in reversed(own[:i]) if q is not None), None)
            after = next((q for q in own[i + 1 :] if q is not None), None)
            question = before if before == after else None
        found.append(question)
    return found


def places(submitted: nbformat.NotebookNode, ran: nbformat.NotebookNode) -> dict[int, Place]:
    """The place of every cell of `ran` (the restored `submitted`), by its index there."""
    by_identity = {id(c): n for n, c in enumerate(submitted.cells, start=1)}
    by_grade_id: dict[str, int] = {}
    for n, cell in enumerate(submitted.cells, start=1):
        gid = grade_id_of(cell)
        if gid is not None:
            by_grade_id.setdefault(gid, n)
    questions = _questions(ran.cells)
    found = {}
    for i, cell in enumerate(ran.cells):
        gid = grade_id_of(cell)
        number = by_identity.get(id(cell)) or (by_grade_id.get(gid) if gid else None)
        found[i] = Place(questions[i], number)
    return found
