"""The question bank where it is installed: on the instructor's machine only.

The instructor's package (`optigrade`) declares each assignment as an entry point of group
`GROUP` (an `Assignment`: id, place in the course, module, question-id prefixes). A
student's machine and a grading node install no such package, so there `assignments()`
is empty and checks use the sealed keys of the release folder
(`grader.student.sealedkey`). Whether a process holds the key is thus a fact of what is
installed, read from the installed distributions' metadata: a file beside a notebook
(a student's own ``reference.py`` or ``optigrade.py``) changes nothing. Where the metadata
is visible but the key's modules are not (the grading sandbox masks them), an entry point
that cannot be loaded counts as not installed.

With the bank, the instructor's package may declare (group `VARIANTS`, entry point
``questions``) how to draw one student's questions from the course secret: nbgrader's
autograde runs a notebook in the instructor's environment, where `grader.given` and
`grader.score` then use the student's own numbers (`student_questions`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path

from grader.question import Assignment, Question

GROUP = "optigrade.assignments"
VARIANTS = "optigrade.variants"


class UnknownQuestion(KeyError):
    """Raised for a question id or assignment the installed bank does not define."""

    def __str__(self) -> str:  # KeyError quotes its message; a CLI wants it plain
        return str(self.args[0])


@cache
def assignments() -> dict[str, Assignment]:
    """The installed assignments by id, in the course's order (none where the key is not
    installed)."""
    found = []
    for point in entry_points(group=GROUP):
        try:
            assignment = point.load()
        except ImportError:  # declared, but its modules are not here (the sandbox's view)
            continue
        if not isinstance(assignment, Assignment) or assignment.id != point.name:
            raise TypeError(f"entry point {point.name} of {GROUP} is not its Assignment")
        found.append(assignment)
    return {a.id: a for a in sorted(found, key=lambda a: (a.lab, a.id))}


def installed() -> bool:
    """Whether the bank (the answer key) is installed in this process's environment."""
    return bool(assignments())


@cache
def questions(assignment: str) -> tuple[Question, ...]:
    """The questions of one assignment, in the lab's order (its module imported now)."""
    found = assignments()
    if assignment not in found:
        raise UnknownQuestion(f"unknown assignment {assignment!r} (known: {', '.join(found)})")
    defined: tuple[Question, ...] = import_module(found[assignment].module).QUESTIONS
    return defined


def all_questions() -> tuple[Question, ...]:
    return tuple(q for a in assignments() for q in questions(a))


def assignment_of(qid: str) -> str | None:
    """The assignment a question id belongs to by its prefix (None for none), without
    importing any assignment's questions."""
    prefix = qid.split(".", 1)[0]
    return next((a.id for a in assignments().values() if prefix in a.prefixes), None)


def get(qid: str) -> Question:
    """The question with this id."""
    assignment = assignment_of(qid)
    if assignment is not None:
        for q in questions(assignment):
            if q.id == qid:
                return q
    raise UnknownQuestion(f"unknown question id {qid!r}")


def student_questions(course: Path, assignment: str, student: str) -> Mapping[str, Question]:
    """One student's questions of `assignment` by id, drawn by the installed package from
    the secrets of `course` (the lab's where the assignment was released without a
    roster); none where no package declares how (`VARIANTS`)."""
    for point in entry_points(group=VARIANTS, name="questions"):
        try:
            draw = point.load()
        except ImportError:
            continue
        found: Mapping[str, Question] = draw(course, assignment, student)
        return found
    return {}
