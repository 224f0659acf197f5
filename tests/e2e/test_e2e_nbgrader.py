"""End to end against the real nbgrader, for every assignment (see nbgrader_course.py): the
released course grades as nbgrader intends, and `grader grade` agrees with
`nbgrader autograde` per student and per question."""

from __future__ import annotations

import nbformat
import pandas as pd
import pytest

from optigrade import bank
from optigrade.assign.cells import grade_id
from optigrade.demo.expect import unmet
from tests.e2e.nbgrader_course import ASSIGNMENTS, Graded, grade


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def graded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Graded:
    """One course per assignment, graded once by both for all the tests below."""
    assignment: str = request.param
    return grade(tmp_path_factory.mktemp(assignment), assignment)


def _questions(assignment: str) -> dict[str, float]:
    """grade_id -> points of every graded question of the bank."""
    return {grade_id(q.id): q.points for q in bank.questions(assignment) if not q.practice}


def _ours(graded: Graded, student: str) -> dict[str, float]:
    """grade_id -> score by `grader grade`."""
    return {grade_id(q["id"]): q["score"] for q in graded.ours[student]["questions"]}


def test_the_gradebook_has_a_grade_cell_per_question(graded: Graded) -> None:
    assert graded.nbgrader_max == _questions(graded.assignment)


def test_the_solution_gets_full_marks(graded: Graded) -> None:
    (correct,) = graded.of_kind("correct")
    assert graded.nbgrader[correct.id] == _questions(graded.assignment)


def test_the_untouched_release_gets_zero_without_a_crash(graded: Graded) -> None:
    (blank,) = graded.of_kind("blank")
    assert graded.nbgrader[blank.id] == dict.fromkeys(_questions(graded.assignment), 0.0)
    name = f"{graded.assignment}.ipynb"
    ran = nbformat.read(graded.course / "autograded" / blank.id / graded.assignment / name, 4)
    code = [c for c in ran.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "a cell did not run"
    errors = {o.ename for c in code for o in c.outputs if o.output_type == "error"}
    assert "NotImplementedError" in errors  # the stubs ran...
    assert not errors & {"DeadKernelError", "CellTimeoutError"}  # ...and the kernel lived


def test_mistakes_get_the_partial_credit_our_grader_computes(graded: Graded) -> None:
    top = sum(_questions(graded.assignment).values())
    for student in graded.of_kind("mistakes"):
        assert unmet(student.expected, graded.ours[student.id]) == [], student.description
        scores = graded.nbgrader[student.id]
        assert scores == _ours(graded, student.id), student.id
        assert 0 < sum(scores.values()) < top, student.id


def test_grader_grade_agrees_with_autograde_per_student_and_question(graded: Graded) -> None:
    assert set(graded.nbgrader) == {s.id for s in graded.students}
    for student in graded.students:
        ours = _ours(graded, student.id)
        assert graded.nbgrader[student.id] == ours, student.id
        assert graded.ours[student.id]["score"] == sum(ours.values())


def test_nbgrader_export_writes_the_totals(graded: Graded) -> None:
    graded.run("export")
    table = pd.read_csv(graded.course / "grades.csv").set_index("student_id")
    assert set(table.index) == {s.id for s in graded.students}
    assert (table["assignment"] == graded.assignment).all()
    for student in graded.students:
        row = table.loc[student.id]
        assert row["score"] == sum(graded.nbgrader[student.id].values()), student.id
        assert row["score"] == graded.ours[student.id]["score"], student.id
        assert row["max_score"] == sum(_questions(graded.assignment).values())


def test_nbgrader_generate_feedback_writes_a_page_per_student(graded: Graded) -> None:
    graded.run("generate_feedback", graded.assignment)
    for student in graded.students:
        page = graded.course / "feedback" / student.id / graded.assignment
        html = (page / f"{graded.assignment}.html").read_text(encoding="utf-8")
        total = sum(graded.nbgrader[student.id].values())
        top = sum(graded.nbgrader_max.values())
        assert f"(Score: {round(total, 2)} / {round(top, 2)})" in html, student.id
