"""One assignment graded twice in a temporary copy of the course: by the real nbgrader
(`generate_assignment`, `autograde`) and by `grader grade`, on the same synthetic class.

The class comes from `optigrade.demo.classes.make_class` without its hostile students
(nbgrader has no sandbox): the solution notebook, the untouched release, a partly done
notebook and students with planted mistakes. An assignment whose solution trains Keras
models gets a single mistake student, since its correct notebook alone takes 20-60 s under
nbgrader.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbgrader.api import Gradebook

from optigrade import bank
from optigrade.assign.coursedir import course_directory
from optigrade.assign.release import copy_course, nbgrader
from optigrade.demo.classes import FIXED, NOT_HOSTILE, Course, Student, make_class

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = bank.assignments()
#: Seconds per cell for both graders (`grader grade`'s default). nbgrader's own default
#: (30 s) is shorter than the Keras training cells take on a busy 2-core machine.


@dataclass
class Graded:
    """An assignment's course after both graders ran; scores are keyed by grade_id."""

    assignment: str
    course: Path
    students: list[Student]
    nbgrader: dict[str, dict[str, float]]  # student -> grade_id -> score, from the gradebook
    nbgrader_max: dict[str, float]  # grade_id -> points, from the gradebook
    ours: dict[str, dict[str, Any]]  # student -> results/<student>.json of `grader grade`

    def of_kind(self, kind: str) -> list[Student]:
        return [s for s in self.students if s.kind == kind]

    def run(self, *args: str) -> None:
        """Another nbgrader command in this course."""
        nbgrader(self.course, *args)


def _course(root: Path, assignment: str) -> Path:
    """A course holding the sources, the config and the committed solution notebook (which
    `make_class` hands in as the correct student); nbgrader generates the release."""
    copy_course(ROOT, root, solutions_of=assignment)
    nbgrader(root, "generate_assignment", assignment)
    return root


def _submit(course: Path, assignment: str) -> list[Student]:
    """The class without its hostile students, in `course`/submitted."""
    trains_keras = bool(Course.read(course, assignment).keras)
    size = FIXED + (1 if trains_keras else 2)
    return make_class(course, assignment, course, size, kinds=NOT_HOSTILE)


def _grade_both(course: Path, assignment: str) -> None:
    """`nbgrader autograde` and, beside it, `grader grade` as an instructor runs it (on 2
    cores the suite then waits for the slower of the two rather than their sum)."""
    ours = [sys.executable, "-m", "optigrade", "grade", assignment]
    log = course / "grader-grade.log"
    with log.open("w") as out, subprocess.Popen(ours, cwd=course, stdout=out, stderr=out) as run:
        nbgrader(course, "autograde", assignment)
    assert run.returncode == 0, log.read_text()


def _gradebook(course: Path, assignment: str) -> tuple[dict[str, dict[str, float]], dict]:
    """student -> grade_id -> score, and grade_id -> max score, as nbgrader recorded them."""
    coursedir = course_directory(course)
    scores: dict[str, dict[str, float]] = {}
    top: dict[str, float] = {}
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        for submission in gb.find_assignment(assignment).submissions:
            grades = [g for nb in submission.notebooks for g in nb.grades]
            scores[submission.student.id] = {g.name: g.score for g in grades}
            top |= {g.name: g.max_score for g in grades}
    return scores, top


def grade(root: Path, assignment: str) -> Graded:
    """Build `assignment`'s course in `root`, submit the class and grade it both ways."""
    course = _course(root, assignment)
    students = _submit(course, assignment)
    _grade_both(course, assignment)
    scores, top = _gradebook(course, assignment)
    results = course / "graded" / assignment / "results"
    ours = {s.id: json.loads((results / f"{s.id}.json").read_text()) for s in students}
    return Graded(assignment, course, students, scores, top, ours)
