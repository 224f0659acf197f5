"""Put the instructor's protected cells back into a submission before it runs.

As in nbgrader's autograde: every autograder test cell (nbgrader ``grade`` and not
``solution``) and every read-only cell (``locked``, neither ``grade`` nor ``solution``)
of the submission is replaced by the source notebook's cell with the same ``grade_id``,
hidden tests included (only the ``### BEGIN/END HIDDEN TESTS`` marker lines are
removed). Protected cells the student deleted are re-inserted after the submission cell
carrying the grade_id that precedes them in the source (else at the end); the student's
own extra cells stay where they are.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import nbformat

from optigrade.assign.cells import HIDDEN_BEGIN, HIDDEN_END, question_id


def nbgrader_metadata(cell: Any) -> dict[str, Any]:
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    found = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return found if isinstance(found, dict) else {}


def grade_id_of(cell: Any) -> str | None:
    gid = nbgrader_metadata(cell).get("grade_id")
    return gid if isinstance(gid, str) and gid else None


def is_test(cell: Any) -> bool:
    """An autograder test cell."""
    meta = nbgrader_metadata(cell)
    return bool(meta.get("grade")) and not meta.get("solution") and grade_id_of(cell) is not None


def is_protected(cell: Any) -> bool:
    """An autograder test cell or a read-only cell: the source's version always runs."""
    meta = nbgrader_metadata(cell)
    read_only = bool(meta.get("locked")) and not meta.get("grade")
    return (
        grade_id_of(cell) is not None and not meta.get("solution") and (is_test(cell) or read_only)
    )


def _lines(source: str) -> list[str]:
    return source.splitlines(keepends=True)


def with_hidden_tests(source: str) -> str:
    """The source cell as the autograder runs it: hidden tests kept, markers removed."""
    return "".join(
        line for line in _lines(source) if line.strip() not in (HIDDEN_BEGIN, HIDDEN_END)
    )


def as_released(source: str) -> str:
    """The source cell as students received it: hidden-test regions removed."""
    kept, hidden = [], False
    for line in _lines(source):
        if line.strip() == HIDDEN_BEGIN:
            hidden = True
        elif line.strip() == HIDDEN_END:
            hidden = False
        elif not hidden:
            kept.append(line)
    return "".join(kept)


@dataclass
class Restored:
    """The notebook that runs, where its test cells are, and what restoring changed."""

    notebook: nbformat.NotebookNode
    tests: dict[str, int]  # grade_id of each autograder test cell -> its index
    notes: list[str] = field(default_factory=list)


def _source_text(cell: Any) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def restore(source: nbformat.NotebookNode, submission: nbformat.NotebookNode) -> Restored:
    """The submission with every protected cell taken from `source` (see module doc)."""
    protected = {grade_id_of(c): c for c in source.cells if is_protected(c)}
    notes: list[str] = []
    cells: list[Any] = []
    placed: set[str] = set()
    for cell in submission.cells:
        gid = grade_id_of(cell)
        if gid not in protected:
            cells.append(cell)
            continue
        assert gid is not None
        original = protected[gid]
        if gid in placed:
            notes.append(f"a second copy of {_named(original)} was removed")
            continue
        placed.add(gid)
        # nbgrader strips the newline left where a hidden-test region was cut out
        released = as_released(_source_text(original)).rstrip()
        if _source_text(cell).rstrip() != released or cell.get("cell_type") != original.cell_type:
            notes.append(f"{_named(original)} was edited: the original was restored")
        cells.append(_restored(original))

    anchor: int | None = None  # where the last source cell with a grade_id sits in `cells`
    for cell in source.cells:
        gid = grade_id_of(cell)
        if gid is None:
            continue
        position = next((i for i, c in enumerate(cells) if grade_id_of(c) == gid), None)
        if position is None and gid in protected:
            position = len(cells) if anchor is None else anchor + 1
            cells.insert(position, _restored(cell))
            notes.append(f"{_named(cell)} was missing: it was put back")
        if position is not None:
            anchor = position

    notebook = copy.copy(submission)
    notebook.cells = cells
    tests = {grade_id_of(c): i for i, c in enumerate(cells) if is_test(c)}
    return Restored(notebook, tests, notes)  # type: ignore[arg-type]


def _named(cell: Any) -> str:
    """A protected cell as students know it: a test cell by its question's id (not the
    nbgrader grade id), any other by its grade id."""
    gid = grade_id_of(cell)
    return f"the test cell of {question_id(gid)}" if is_test(cell) else f"the protected cell {gid}"


def _restored(cell: Any) -> nbformat.NotebookNode:
    restored = copy.deepcopy(cell)
    restored.source = with_hidden_tests(_source_text(cell))
    if restored.get("cell_type") == "code":
        restored.outputs, restored.execution_count = [], None
    return restored
