"""The class a release draws its students' numbers for, and each student's questions.

`grader assign release --roster ROSTER.csv` (a CSV with a ``student_id`` column) or
``--roster gradebook`` (the students of nbgrader's gradebook) names the students; the
roster is kept with the instructor (`optigrade.assign.secrets`, ``rosters``) so that
grading and tracing know the class. `questions` is what the installed package declares
for nbgrader's autograde (`grader.installed.student_questions`).
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from grader.question import Question
from optigrade import bank, variants
from optigrade.assign import secrets

COLUMN = "student_id"
GRADEBOOK = "gradebook"  #: the --roster value that reads nbgrader's gradebook


class RosterError(ValueError):
    """A roster that cannot be used; the message says why."""


def read(course: Path, source: str) -> list[str]:
    """The student ids of a roster (see the module doc), in its order, each once."""
    if source == GRADEBOOK:
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            ids = [student.id for student in gradebook.students]
    else:
        try:
            with open(source, newline="", encoding="utf-8-sig") as f:
                rows = list(csv.DictReader(f))
        except OSError as e:
            raise RosterError(f"{source}: cannot be read ({e.strerror})") from None
        if not rows or COLUMN not in rows[0]:
            raise RosterError(f"{source}: no {COLUMN!r} column, or no student")
        ids = [(row[COLUMN] or "").strip() for row in rows]
    found = list(dict.fromkeys(i for i in ids if i))
    if not found:
        raise RosterError(f"{source}: no student id")
    return found


def keep(course: Path, assignment: str, roster: list[str] | None) -> None:
    """Keep the roster `assignment` is released to with the instructor (none: released
    without variants)."""
    found = secrets.load(course)
    rosters = {a: r for a, r in found.rosters.items() if a != assignment}
    if roster is not None:
        rosters[assignment] = list(roster)
    secrets.save(course, secrets.Secrets(found.course, found.salts, rosters))


@cache
def questions(course: Path, assignment: str, student: str) -> dict[str, Question]:
    """A student's questions of `assignment`: their own numbers where it was released
    with a roster (a late enrolment too: the grade uses their own numbers), else the lab's."""
    found = secrets.load(course) if secrets.path(course).is_file() else None
    if found is None or assignment not in found.rosters:
        return {q.id: q for q in bank.questions(assignment)}
    return variants.questions(assignment, found.course, student)
