"""The notebook cells the bank owns: each question's check cell and autograder test cell.

They are *managed*: written from the bank by `grader assign sync`, compared with it by
`grader assign verify`, never edited by hand. A managed cell carries
``metadata.grader = {"question": qid, "role": "given" | "check" | "test"}``: the
question's given data (before the answer cell), its check cell and its autograder test
cell (after it). The author's own cells (statements, solutions, worked examples) are left
alone. A question's solution cell has nbgrader grade_id ``<gid>-answer``.
"""

from __future__ import annotations

from typing import Any, Literal

import nbformat
import numpy as np

from grader.kinds import Function
from grader.question import Question

Role = Literal["given", "check", "test"]

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"


def grade_id(qid: str) -> str:
    """nbgrader's UI accepts only [A-Za-z0-9_-] in grade ids: fp.1.1 -> fp-1-1."""
    return qid.replace(".", "-")


def question_id(gid: str) -> str:
    """The question id of a test cell's grade id (question ids hold no dash)."""
    return gid.replace("-", ".")


def answer_id(qid: str) -> str:
    """The grade_id of a question's solution cell."""
    return grade_id(qid) + "-answer"


def has_hidden_probes(question: Question) -> bool:
    return any(
        isinstance(p, Function) and any(probe.hidden for probe in p.probes) for p in question.parts
    )


def _points(question: Question) -> str:
    return f"{question.points:g} point" + ("" if question.points == 1 else "s")


def literal(value: Any) -> str:
    """Python source for a given input: whole-number arrays print as integers (as the
    course writes them) but stay float64."""
    if isinstance(value, np.ndarray):
        whole = value.dtype.kind in "iub" or bool(np.all(value == np.round(value)))
        body = np.asarray(value, dtype=np.int64 if whole else np.float64).tolist()
        return f"np.array({body}, dtype=float)" if whole else f"np.array({body})"
    return repr(value.item() if isinstance(value, np.generic) else value)


def given_source(question: Question) -> str:
    """The lab's numbers written out; where they vary, the student's own from
    `grader.given` (their release file, or the grader's), shown as the cell's output."""
    if not (question.varies and question.given):
        lines = [f"# Given for {question.id} (written from the question bank)"]
        lines += [f"{name} = {literal(question.inputs[name])}" for name in question.given]
        return "\n".join(lines)
    names = ", ".join(question.given)
    quoted = ", ".join(f'"{name}"' for name in question.given)
    target = f"({names},)" if len(question.given) == 1 else names
    return "\n".join(
        [
            f"# Given for {question.id}: your own numbers (grader.given reads them)",
            f'{target} = grader.given("{question.id}", {quoted})',
            *(f'print("{name} =", repr({name}))' for name in question.given),
        ]
    )


def check_source(question: Question) -> str:
    return f'grader.check("{question.id}", {question.variable})'


def test_source(question: Question) -> str:
    call = f'grader.score("{question.id}", {question.variable}'
    lines = [
        f"# Autograder test of {question.id} ({_points(question)}): the grader restores "
        "this cell, so edits are lost.",
        call + ")",
    ]
    if has_hidden_probes(question):
        lines += [HIDDEN_BEGIN, call + ", hidden=True)", HIDDEN_END]
    return "\n".join(lines)


def managed_metadata(question: Question, role: Role) -> dict[str, Any]:
    metadata: dict[str, Any] = {"grader": {"question": question.id, "role": role}}
    if role == "given":  # read-only: nbgrader and `grader grade` restore it from the source
        metadata["nbgrader"] = {
            "grade": False,
            "grade_id": grade_id(question.id) + "-given",
            "locked": True,
            "schema_version": 3,
            "solution": False,
            "task": False,
        }
    if role == "test":
        metadata["nbgrader"] = {
            "grade": True,
            "grade_id": grade_id(question.id),
            "locked": True,
            "points": question.points,
            "schema_version": 3,
            "solution": False,
            "task": False,
        }
    return metadata


def managed_cell(question: Question, role: Role) -> nbformat.NotebookNode:
    """The cell as the bank defines it, with a stable id (so regeneration is byte-stable)."""
    source = {"given": given_source, "check": check_source, "test": test_source}[role](question)
    cell = nbformat.v4.new_code_cell(source, metadata=managed_metadata(question, role))
    cell["id"] = f"{grade_id(question.id)}-{role}"
    return cell


def managed_after(question: Question) -> tuple[Role, ...]:
    """The managed cells after the answer cell: a check cell, and for graded questions an
    autograder test cell."""
    return ("check",) if question.practice else ("check", "test")


def managed_key(cell: nbformat.NotebookNode) -> tuple[str, str] | None:
    """(qid, role) of a managed cell, None for the author's own cells."""
    info = cell.get("metadata", {}).get("grader")
    if isinstance(info, dict) and info.get("role") in ("given", "check", "test"):
        return str(info.get("question")), str(info["role"])
    return None
