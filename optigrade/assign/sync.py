"""Write the bank's facts into a source notebook: nbgrader metadata and managed cells.

The author marks each question's answer cell with
``metadata.grader = {"question": qid, "role": "answer"}`` and writes the statement and
solution; everything the bank knows (grade ids, points, the check and test cells) is
generated here: the given data just before that answer cell, the check and autograder
test cells just after it.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from grader.question import Question
from optigrade import bank
from optigrade.assign import cells as managed


class AuthoringError(ValueError):
    """The notebook cannot be synchronised with the bank (e.g. an answer cell is missing)."""


def answer_qid(cell: nbformat.NotebookNode) -> str | None:
    info = cell.get("metadata", {}).get("grader")
    if isinstance(info, dict) and info.get("role") == "answer":
        return str(info.get("question"))
    return None


def _solution_metadata(question: Question) -> dict[str, object]:
    return {
        "grade": False,
        "grade_id": managed.answer_id(question.id),
        "locked": False,
        "schema_version": 3,
        "solution": True,
        "task": False,
    }


def synced(notebook: nbformat.NotebookNode, assignment: str) -> nbformat.NotebookNode:
    """A copy of `notebook` with every bank-derived cell and metadata regenerated."""
    questions = {q.id: q for q in bank.questions(assignment)}
    seen = [qid for cell in notebook.cells if (qid := answer_qid(cell))]
    problems = [f"no answer cell for {qid}" for qid in questions if qid not in seen]
    problems += [f"answer cell for unknown question {qid}" for qid in seen if qid not in questions]
    problems += [
        f"{qid} has {seen.count(qid)} answer cells" for qid in set(seen) if seen.count(qid) > 1
    ]
    if problems:
        raise AuthoringError(f"{assignment}: " + "; ".join(sorted(problems)))

    result = nbformat.from_dict(notebook)
    result.cells = []
    for cell in notebook.cells:
        if managed.managed_key(cell):
            continue  # regenerated around its answer cell
        cell = nbformat.from_dict(cell)
        qid = answer_qid(cell)
        if qid is None:
            result.cells.append(cell)
            continue
        question = questions[qid]
        if question.given:
            result.cells.append(managed.managed_cell(question, "given"))
        result.cells.append(cell)
        if question.practice:
            cell.metadata.pop("nbgrader", None)
        else:
            cell.metadata["nbgrader"] = _solution_metadata(question)
        result.cells.extend(
            managed.managed_cell(question, role) for role in managed.managed_after(question)
        )
    result.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    return result


def source_notebook(course: Path, assignment: str) -> Path:
    return course / "exercises" / assignment / f"{assignment}.ipynb"


def sync(course: Path, assignment: str) -> bool:
    """Rewrite the assignment's source notebook in place; True when anything changed."""
    path = source_notebook(course, assignment)
    before = path.read_text(encoding="utf-8")
    after = nbformat.writes(synced(nbformat.reads(before, as_version=4), assignment)) + "\n"
    if after != before:
        path.write_text(after, encoding="utf-8")
    return after != before
