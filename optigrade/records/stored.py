"""A graded class's results as every table and export reads them: overrides applied.

The batch's tables (grades.csv, results.jsonl) and every export (feedback pages, report,
scores.csv, gradebook, LMS files) read the results through `load`, so the instructor's
overrides.csv is applied in this one place, the same way for all of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.question import Question
from optigrade.records import files, overrides
from optigrade.records.result import StudentResult


@dataclass(frozen=True)
class Stored:
    """The readable results of a class's students (in the order asked), overrides
    applied, and the warnings about overrides.csv."""

    results: Mapping[str, StudentResult]
    warnings: tuple[str, ...]


def load(out: Path, questions: Sequence[Question], students: Iterable[str]) -> Stored:
    """The results in `out` of `students` on the graded `questions`, with `out`'s
    overrides.csv applied; a student whose result file is missing or unreadable has none."""
    students = list(students)
    manual = overrides.load(out, questions, students)
    found = {}
    for student in students:
        result = files.read(out / files.RESULTS, student)
        if result is not None:
            found[student] = manual.apply(result)
    return Stored(found, manual.warnings)
