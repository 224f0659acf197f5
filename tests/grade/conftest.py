"""A small nbgrader course for the batch-grading tests: a source notebook with four
forward-pass questions (solution cells, autograder test cells, one hidden-test region),
its release folder, and helpers that derive submissions from it."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import nbformat
import numpy as np
import pytest

from grader.compare.layout import assemble
from optigrade import bank
from optigrade.assign.cells import HIDDEN_BEGIN, HIDDEN_END, grade_id
from optigrade.demo.literals import source
from optigrade.grade.restore import as_released

ASSIGNMENT = "forward-pass"
QUESTIONS = ("fp.1.1", "fp.2.1", "act.1", "out.1")
HIDDEN = "out.1"  # its test cell has a hidden-test region


def right(qid: str) -> str:
    """A solution cell holding the right answer as literals (computed here, on the trusted
    side: the sandbox has no bank to compute it from)."""
    q = bank.get(qid)
    return f"{q.variable} = {source(assemble(q, q.answer))}"


def wrong(qid: str) -> str:
    """A solution cell with a wrong answer of the right shape."""
    q = bank.get(qid)
    sevens = {k: np.asarray(v) * 0 + 7 for k, v in q.answer.items()}
    return f"{q.variable} = {source(assemble(q, sevens))}"


def _meta(gid: str, *, grade: bool, solution: bool, locked: bool, points: float = 0) -> dict:
    meta = {"grade": grade, "grade_id": gid, "locked": locked, "schema_version": 3}
    meta |= {"solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def source_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "language": "python",
        "display_name": "Python 3",
    }
    cells = [
        nbformat.v4.new_markdown_cell("# The forward pass (test course)"),
        nbformat.v4.new_code_cell(
            "import numpy as np\nimport grader",
            metadata=_meta("setup", grade=False, solution=False, locked=True),
        ),
    ]
    for qid in QUESTIONS:
        q, gid = bank.get(qid), grade_id(qid)
        test = f'grader.score("{qid}", {q.variable})'
        if qid == HIDDEN:
            test += (
                f'\n{HIDDEN_BEGIN}\ngrader.score("{qid}", {q.variable}, hidden=True)\n{HIDDEN_END}'
            )
        cells += [
            nbformat.v4.new_markdown_cell(f"### Question `{qid}`"),
            nbformat.v4.new_code_cell(
                f"### BEGIN SOLUTION\n{right(qid)}\n### END SOLUTION",
                metadata=_meta(f"{gid}-answer", grade=False, solution=True, locked=False),
            ),
            nbformat.v4.new_code_cell(
                test, metadata=_meta(gid, grade=True, solution=False, locked=True, points=q.points)
            ),
        ]
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"
    nb.cells = cells
    return nb


class Course:
    """An nbgrader course folder in `root` with helpers to submit and grade."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.source = root / "exercises"
        self.release = root / "release"
        self.submitted = root / "submitted"
        self.out = root / "graded" / ASSIGNMENT
        (self.source / ASSIGNMENT).mkdir(parents=True)
        (self.release / ASSIGNMENT).mkdir(parents=True)
        self.notebook = source_notebook()
        nbformat.write(self.notebook, self.source / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
        (self.release / ASSIGNMENT / "data.csv").write_text("x,y\n1,2\n")

    def released(self) -> nbformat.NotebookNode:
        """The student's copy: hidden tests removed, solutions replaced by stubs."""
        nb = copy.deepcopy(self.notebook)
        for cell in nb.cells:
            cell.source = as_released(cell.source)
            if cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = "# YOUR CODE HERE"
        return nb

    def submit(
        self,
        student: str,
        answers: dict[str, str] | None = None,
        *,
        before: dict[str, str] | None = None,
        after: dict[str, str] | None = None,
        drop: tuple[str, ...] = (),
        edit: Callable[[nbformat.NotebookNode], None] | None = None,
        raw: bytes | None = None,
    ) -> Path:
        """Write a student's notebook: `answers` maps question id to its solution cell's
        code (default: right answers); `before`/`after` insert extra code cells next to
        a grade_id; `drop` deletes cells by grade_id; `raw` writes these bytes instead."""
        folder = self.submitted / student / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{ASSIGNMENT}.ipynb"
        if raw is not None:
            path.write_bytes(raw)
            return path
        nb = self.released()
        answers = {q: right(q) for q in QUESTIONS} | (answers or {})
        cells = []
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in drop:
                continue
            if gid in (before or {}):
                cells.append(nbformat.v4.new_code_cell(before[gid]))  # type: ignore[index]
            if gid and gid.endswith("-answer"):
                cell.source = answers[next(q for q in QUESTIONS if grade_id(q) + "-answer" == gid)]
            cells.append(cell)
            if gid in (after or {}):
                cells.append(nbformat.v4.new_code_cell(after[gid]))  # type: ignore[index]
        nb.cells = cells
        if edit is not None:
            edit(nb)
        nbformat.write(nb, path)
        return path

    def grade(self, exports: bool = True, **given: Any) -> Any:
        """`grade_assignment` with this course's paths and short limits, `given` replacing
        either, then the exports unless told not to (as `grader grade` does)."""
        from optigrade.export.run import write_all
        from optigrade.grade.batch import grade_assignment
        from optigrade.grade.options import GradeOptions, GradePaths

        paths = {"submitted": self.submitted, "source": self.source, "release": self.release}
        paths |= {"out": self.out}
        options = {"cell_timeout": 5.0, "timeout": 30.0, "progress": False}
        named = {f.name for f in dataclasses.fields(GradePaths)}
        paths |= {k: v for k, v in given.items() if k in named}
        options |= {k: v for k, v in given.items() if k not in named}
        summary = grade_assignment(ASSIGNMENT, GradePaths(**paths), GradeOptions(**options))
        if exports:
            summary.warnings += write_all(summary.out)
        return summary

    def result(self, student: str) -> dict[str, Any]:
        return json.loads((self.out / "results" / f"{student}.json").read_text())

    def scores(self, student: str) -> dict[str, float]:
        return {q["id"]: q["score"] for q in self.result(student)["questions"]}


@pytest.fixture
def course(tmp_path: Path) -> Course:
    return Course(tmp_path / "course")


@pytest.fixture(scope="module")
def module_course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    return Course(tmp_path_factory.mktemp("course") / "course")


@pytest.fixture(scope="session")
def kit() -> SimpleNamespace:
    """The helpers test modules need (conftest is not importable by name)."""
    return SimpleNamespace(
        right=right,
        wrong=wrong,
        questions=QUESTIONS,
        full={q: bank.get(q).points for q in QUESTIONS},
        gid=grade_id,
        assignment=ASSIGNMENT,
        source_notebook=source_notebook,
        Course=Course,
    )
