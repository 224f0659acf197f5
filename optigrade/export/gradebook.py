"""Scores into nbgrader's gradebook, so formgrader and `nbgrader export` see them.

Does for each student what `nbgrader autograde` does for scores (see nbgrader's
`converters/autograde.py` and `preprocessors/saveautogrades.py`), through nbgrader's own
API: ensure the student, create or update the submission (with the time in
`submitted/<student>/<assignment>/timestamp.txt` when there is one), and set each grade
cell's `auto_score` and the notebook's `late_submission_penalty` (the result's); a grade
an instructor scored by hand keeps its manual score and is flagged for review. Only what
`nbgrader generate_assignment` recorded is filled in: a missing assignment or grade cell
is reported, never invented. Reruns update in place.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from nbgrader.api import Assignment, Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SAWarning

from optigrade.assign.cells import grade_id
from optigrade.assign.coursedir import course_directory
from optigrade.export.classbook import ExportError, GradedClass


def _how_to_create(assignment: str, root: str) -> str:
    return (
        f"run `nbgrader generate_assignment {assignment}` in {root}: it records the "
        "assignment's notebooks and grade cells in the gradebook"
    )


def _grade_cells(
    assignment: Assignment, graded: GradedClass, how: str
) -> tuple[dict[str, str], list[str]]:
    """grade_id -> notebook name for every graded question, and what does not match."""
    cells = {c.name: (nb.name, c.max_score) for nb in assignment.notebooks for c in nb.grade_cells}
    found, problems = {}, []
    for q in graded.questions:
        gid = grade_id(q.id)
        if gid not in cells:
            problems.append(f"gradebook: no grade cell {gid} for {q.id}, not written: {how}")
            continue
        notebook, top = cells[gid]
        found[gid] = notebook
        if abs(float(top) - q.points) > 1e-9:
            problems.append(
                f"gradebook: grade cell {gid} is worth {top:g} points there, {q.points:g} in "
                f"the bank: {how}"
            )
    return found, problems


def write(graded: GradedClass, course: Path) -> list[str]:
    """Write every stored result's scores into the course's gradebook; return warnings.
    Raises `ExportError` when there is no gradebook or no such assignment in it."""
    coursedir = course_directory(course)
    how = _how_to_create(graded.assignment, coursedir.root)
    url = make_url(coursedir.db_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        raise ExportError(f"no gradebook at {url.database}: {how}")
    # nbgrader's own add_submission trips SQLAlchemy 2's autoflush warnings, harmlessly
    with warnings.catch_warnings(), Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        warnings.simplefilter("ignore", SAWarning)
        try:
            assignment = gb.find_assignment(graded.assignment)
        except MissingEntry:
            raise ExportError(
                f"the gradebook {coursedir.db_url} has no assignment {graded.assignment}: {how}"
            ) from None
        cells, problems = _grade_cells(assignment, graded, how)
        for student in graded.students:
            if student not in graded.results:
                problems.append(f"gradebook: {student} has no stored result: not written")
                continue
            try:
                _write_student(gb, coursedir, graded, student, cells)
            except Exception as e:  # one student's problem must not stop the others
                gb.db.rollback()
                problems.append(f"gradebook: {student} not written: {type(e).__name__}: {e}")
    return problems


def _write_student(
    gb: Gradebook,
    coursedir: CourseDirectory,
    graded: GradedClass,
    student: str,
    cells: dict[str, str],
) -> None:
    gb.update_or_create_student(student)
    folder = coursedir.format_path(coursedir.submitted_directory, student, graded.assignment)
    timestamp = coursedir.get_existing_timestamp(folder)
    extra = {"timestamp": timestamp} if timestamp else {}
    gb.update_or_create_submission(graded.assignment, student, **extra)
    result = graded.results[student]
    for q in graded.questions:
        gid = grade_id(q.id)
        if gid not in cells:
            continue
        found = result.entry(q.id)
        grade = gb.find_grade(gid, cells[gid], graded.assignment, student)
        grade.auto_score = found.score if found else 0.0
        # as SaveAutoGrades: a hand-given score stays, and is flagged for a second look
        grade.needs_manual_grade = grade.manual_score is not None
    notebook = next(iter(cells.values()), None)  # the late penalty once, as nbgrader's own
    if notebook is not None:  # (`nbgrader export` deducts it from the score, as ours)
        submitted = gb.find_submission_notebook(notebook, graded.assignment, student)
        submitted.late_submission_penalty = result.penalty or None
    gb.db.commit()
