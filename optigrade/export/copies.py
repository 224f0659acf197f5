"""Answers computed from other numbers, for the instructor: in a class where each student
has their own numbers, each student whose answers fit a classmate's numbers (or the
lab's) rather than their own, with whose, and the parts, ranked by how many parts agree.

The batch decides which parts fit whose numbers (`optigrade.grade.numbers`, stored as
each entry's `fits`); the student's own page names nobody.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from optigrade.export.classbook import GradedClass

#: How the report names the lab's numbers among the students whose numbers fit.
LAB = "the lab's numbers"


@dataclass(frozen=True)
class Copy:
    """A student's parts whose answers fit `source`'s numbers (a classmate, or None: the
    lab's) and not the student's own."""

    student: str
    source: str | None
    parts: tuple[str, ...]  # "question/part"


def copies(graded: GradedClass) -> tuple[Copy, ...]:
    """Every (student, whose numbers) pair, the most parts first, then by student."""
    found: dict[tuple[str, str | None], list[str]] = defaultdict(list)
    for student, result in sorted(graded.results.items()):
        for entry in result.questions:
            for fit in entry.fits:
                where = f"{entry.id}/{fit.part}"
                sources = [*fit.students, *([None] if fit.lab else [])]
                for source in sources:
                    found[student, source].append(where)
    pairs = [Copy(s, source, tuple(parts)) for (s, source), parts in found.items()]
    return tuple(sorted(pairs, key=lambda c: (-len(c.parts), c.student, c.source or "")))


def variants(graded: GradedClass) -> int:
    """How many students were graded against their own numbers."""
    return sum(1 for r in graded.results.values() if r.variant is not None)
