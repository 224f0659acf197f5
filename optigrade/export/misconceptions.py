"""Misconceptions ranked across an assignment by the number of students showing each.

A misconception is a slip of the course's catalogue (`optigrade.bank.slips`) that the engine
recognised in a part (the part's ``mistake`` key). It is counted in students, never in
parts: a student who makes it in six parts of three questions counts once, and once in
each of those questions.
"""

from __future__ import annotations

from dataclasses import dataclass

from optigrade.bank.slips import SLIPS
from optigrade.export.classbook import GradedClass


@dataclass(frozen=True)
class Misconception:
    """One catalogued mistake and the students who showed it."""

    key: str
    description: str  # for instructors; "" for a key the bank no longer has
    students: frozenset[str]
    questions: tuple[tuple[str, int], ...]  # (question id, students there), question order


def description(key: str) -> str:
    """The catalogue's one-line description of a misconception ("" for a key it no longer
    has, in results stored before a rename)."""
    slip = SLIPS.get(key)
    return slip.description if slip else ""


def rank(graded: GradedClass) -> tuple[Misconception, ...]:
    """Every misconception recognised in the class, most students first, then by key."""
    where: dict[str, dict[str, set[str]]] = {}  # key -> question id -> students
    for student, result in graded.results.items():
        for question in graded.questions:
            found = result.entry(question.id)
            for part in found.result.parts if found and found.result else ():
                if part.mistake:
                    by_question = where.setdefault(part.mistake, {})
                    by_question.setdefault(question.id, set()).add(student)
    found = [
        Misconception(
            key,
            description(key),
            frozenset().union(*by_question.values()),
            tuple((q.id, len(by_question[q.id])) for q in graded.questions if q.id in by_question),
        )
        for key, by_question in where.items()
    ]
    return tuple(sorted(found, key=lambda m: (-len(m.students), m.key)))
