"""Put the instructor's protected cells back into a submission before it runs, and repair
what Jupyter lets a student break.

As in nbgrader's autograde (its ``OverwriteCells``): every autograder test cell (nbgrader
``grade`` and not ``solution``) and every given, read-only, cell (``locked``, neither
``grade`` nor ``solution``) of the submission is replaced by the source notebook's cell
with the same ``grade_id``, hidden tests included (only the ``### BEGIN/END HIDDEN
TESTS`` marker lines are removed), type and metadata included; an answer (solution)
cell keeps the student's code but gets its type back (a cell turned into markdown runs
as code again). Of several copies of a test cell, the one after its answer cell is kept
(its answer is the solution cell before it in the source), and a test cell that sits
only above its answer is moved back after it. Protected cells the student deleted are
re-inserted after the submission cell carrying the grade_id that precedes them in the
source (else at the end); the student's own extra cells stay where they are. Each
repair is recorded by cell and question (`optigrade.records.repairs.Repair`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import nbformat

from optigrade.assign.cells import HIDDEN_BEGIN, HIDDEN_END, question_id
from optigrade.records.repairs import Repair, RepairedCell, RepairKind

#: The grade_id suffixes of a question's answer and given cells (`optigrade.assign.cells`).
_SUFFIXES: dict[RepairedCell, str] = {"answer": "-answer", "given": "-given"}
#: The nbgrader metadata a student could change to claim other points.
_GRADING_KEYS = ("points", "grade", "solution", "locked")


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


def is_answer(cell: Any) -> bool:
    """A solution cell: the student's answer."""
    return bool(nbgrader_metadata(cell).get("solution")) and grade_id_of(cell) is not None


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
    """The notebook that runs, where its test cells are, and what restoring repaired."""

    notebook: nbformat.NotebookNode
    tests: dict[str, int]  # grade_id of each autograder test cell -> its index
    repairs: list[Repair] = field(default_factory=list)


def source_text(cell: Any) -> str:
    """A cell's code or text (nbformat may hold it as a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _role(cell: Any) -> RepairedCell:
    return "test" if is_test(cell) else "answer" if is_answer(cell) else "given"


def _repair(original: Any, kind: RepairKind, detail: str = "") -> Repair:
    """A repair of the cell `original` of the source, named by role and question."""
    gid, role = grade_id_of(original), _role(original)
    assert gid is not None
    suffix = _SUFFIXES.get(role)
    if role == "test":
        question: str | None = question_id(gid)
    elif suffix and gid.endswith(suffix):
        question = question_id(gid.removesuffix(suffix))
    else:
        question = None
    return Repair(role, gid, question, kind, detail)


def _answers_of_tests(source: nbformat.NotebookNode) -> dict[str, str]:
    """test cell grade_id -> the grade_id of the answer cell before it in the source."""
    found: dict[str, str] = {}
    answer = None
    for cell in source.cells:
        if is_answer(cell):
            answer = grade_id_of(cell)
        elif is_test(cell) and answer is not None:
            found[grade_id_of(cell)] = answer  # type: ignore[index]
    return found


def _positions(
    submission: nbformat.NotebookNode, protected: dict[str, Any]
) -> tuple[dict[str, list[int]], dict[str, int]]:
    """Where the copies of each protected cell are (grade_id -> indices), and where each
    other cell with a grade_id first is (grade_id -> index)."""
    copies: dict[str, list[int]] = {}
    others: dict[str, int] = {}
    for i, cell in enumerate(submission.cells):
        gid = grade_id_of(cell)
        if gid in protected:
            copies.setdefault(gid, []).append(i)
        elif gid is not None:
            others.setdefault(gid, i)
    return copies, others


def _compared(cell: Any, original: Any) -> list[Repair]:
    """What a student changed in a protected cell (restored either way)."""
    released = as_released(source_text(original)).rstrip()  # as nbgrader releases it
    found = []
    if source_text(cell).rstrip() != released:
        found.append(_repair(original, "edited"))
    elif cell.get("cell_type") != original.cell_type:
        found.append(_repair(original, "type", str(cell.get("cell_type"))))
    if is_test(original):
        mine, theirs = nbgrader_metadata(cell), nbgrader_metadata(original)
        changed = [
            f"{key} {mine.get(key)!r} instead of {theirs.get(key)!r}"
            for key in _GRADING_KEYS
            if mine.get(key) != theirs.get(key)
        ]
        if changed:
            found.append(_repair(original, "metadata", ", ".join(changed)))
    return found


def restore(source: nbformat.NotebookNode, submission: nbformat.NotebookNode) -> Restored:
    """The submission with every protected cell taken from `source`, answer cells of the
    source's type, each test cell after its answer (see module doc)."""
    protected = {grade_id_of(c): c for c in source.cells if is_protected(c)}
    answer_cells = {grade_id_of(c): c for c in source.cells if is_answer(c)}
    answer_of = _answers_of_tests(source)
    copies, others = _positions(submission, protected)

    def answer_at(gid: str) -> int | None:  # where a test cell's answer is, if anywhere
        return others.get(answer_of.get(gid, ""))

    kept: dict[str, int | None] = {}  # the copy that stays; None: it moves after its answer
    for gid, where in copies.items():
        answer = answer_at(gid)
        kept[gid] = where[0] if answer is None else next((i for i in where if i > answer), None)
    moving: dict[str, Any] = {}  # test cell grade_id -> its copy above its answer
    repairs: list[Repair] = []
    cells: list[Any] = []
    for i, cell in enumerate(submission.cells):
        gid = grade_id_of(cell)
        if gid in protected:
            original = protected[gid]
            if kept[gid] == i:
                repairs += _compared(cell, original)
                cells.append(_restored(original))
            elif kept[gid] is None and i == copies[gid][0]:
                moving[gid] = cell
            else:
                answer = answer_at(gid)
                above = "above its answer cell" if answer is not None and i < answer else ""
                repairs.append(_repair(original, "duplicate", above))
            continue
        if gid in answer_cells and cell.get("cell_type") != answer_cells[gid].cell_type:
            repairs.append(_repair(answer_cells[gid], "type", str(cell.get("cell_type"))))
            cell = _retyped(cell, answer_cells[gid].cell_type)
        cells.append(cell)
        for test, mine in list(moving.items()):  # the answer above them is now placed
            if answer_of[test] == gid and others[gid] == i:
                repairs += [_repair(protected[test], "moved"), *_compared(mine, protected[test])]
                cells.append(_restored(protected[test]))
                del moving[test]
    _put_back_missing(source, protected, cells, repairs)
    notebook = copy.copy(submission)
    notebook.cells = cells
    tests = {grade_id_of(c): i for i, c in enumerate(cells) if is_test(c)}
    return Restored(notebook, tests, repairs)  # type: ignore[arg-type]


def _put_back_missing(
    source: nbformat.NotebookNode,
    protected: dict[str, Any],
    cells: list[Any],
    repairs: list[Repair],
) -> None:
    """Insert each protected cell missing from `cells` after the cell with the grade_id
    that precedes it in the source (else at the end)."""
    anchor: int | None = None  # where the last source cell with a grade_id sits in `cells`
    for cell in source.cells:
        gid = grade_id_of(cell)
        if gid is None:
            continue
        position = next((i for i, c in enumerate(cells) if grade_id_of(c) == gid), None)
        if position is None and gid in protected:
            position = len(cells) if anchor is None else anchor + 1
            cells.insert(position, _restored(cell))
            repairs.append(_repair(cell, "missing"))
        if position is not None:
            anchor = position


def _retyped(cell: Any, cell_type: str) -> nbformat.NotebookNode:
    """A student's answer cell of another type, back as a `cell_type` cell (its source,
    metadata and id kept)."""
    new = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell}
    make = new.get(cell_type, nbformat.v4.new_raw_cell)
    retyped = make(source_text(cell), metadata=copy.deepcopy(cell.get("metadata", {})))
    if "id" in cell:
        retyped["id"] = cell["id"]
    return retyped


def _restored(cell: Any) -> nbformat.NotebookNode:
    restored = copy.deepcopy(cell)
    restored.source = with_hidden_tests(source_text(cell))
    if restored.get("cell_type") == "code":
        restored.outputs, restored.execution_count = [], None
    return restored
