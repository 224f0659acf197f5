"""The student x question table: each student's points per question, total and warnings.

The report shows it (sortable) and `scores.csv` holds the same rows. A warning marks a
result a person should look at before trusting its score; its kinds are `KINDS`, read
from what the batch stored: restore notes (a protected cell was edited or deleted and put
back), questions whose test cell recorded nothing (``grader.score`` replaced), a limit
reached (a cell stopped at its time limit, the notebook stopped), the memory cap
reached, output cut (printed over the limit: the cell went on), questions left
unanswered, a notebook that did not run to its end,
and the questions whose points an instructor overrode (overrides.csv: the score shown is
theirs, not the grader's).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from grader.question import Question
from optigrade.export.classbook import GradedClass
from optigrade.records.files import points
from optigrade.records.result import StudentResult

SCORES = "scores.csv"

#: The kinds of warning, in the order a row lists them.
KINDS = (
    "test cell edited",
    "test cell deleted",
    "grader patched",
    "limit reached",
    "memory cap",
    "output cut",
    "unanswered",
    "notebook failed",
    "overridden",
)
#: Run statuses that a limit caused.
_LIMIT_RUNS = ("timeout", "cpu-limit", "file-limit")
#: The run status of a notebook killed by SIGKILL, most often for running out of memory.
_KILLED = "killed"
#: A restore note's cell: a test cell by its question id, another by its grade id (and,
#: in results stored before notes named questions, a test cell by its grade id too).
_PROTECTED = re.compile(r"(?:protected cell|test cell of) (\S+)")


@dataclass(frozen=True)
class StudentWarning:
    """Something in one student's result that a person should look at, and where."""

    kind: str  # one of KINDS
    where: tuple[str, ...]  # question ids, or which cell or run, as the kind says

    def __str__(self) -> str:
        return f"{self.kind}: {', '.join(self.where)}"


@dataclass(frozen=True)
class Row:
    """One student's line of the table."""

    student: str
    scores: tuple[float, ...]  # per question, in the class's question order
    warnings: tuple[StudentWarning, ...]

    @property
    def total(self) -> float:
        return float(sum(self.scores))


def score(result: StudentResult, qid: str) -> float:
    """A student's points for one question (0 when the result has no entry for it)."""
    found = result.entry(qid)
    return found.score if found else 0.0


def rows(graded: GradedClass) -> tuple[Row, ...]:
    """A row per student with a result, by student id."""
    return tuple(
        Row(
            student,
            tuple(score(result, q.id) for q in graded.questions),
            warnings(graded.questions, result),
        )
        for student, result in sorted(graded.results.items())
    )


def _cell(name: str, questions: Sequence[Question]) -> str:
    """The question a restore note's cell belongs to (named by its id, or by its grade
    id: dots as dashes), else the name itself (a read-only given cell)."""
    return next((q.id for q in questions if name in (q.id, q.id.replace(".", "-"))), name)


def warnings(questions: Sequence[Question], result: StudentResult) -> tuple[StudentWarning, ...]:
    """Every warning about one student's result, in `KINDS` order."""
    found: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for note in result.restore_notes or ():
        named = _PROTECTED.search(note)
        kind = "test cell deleted" if "was missing" in note else "test cell edited"
        found[kind].append(_cell(named.group(1), questions) if named else note)
    entries = {q.id: e for q in questions if (e := result.entry(q.id)) is not None}
    found["grader patched"] = [
        q for q, e in entries.items() if e.restored or e.status == "not recorded"
    ]
    for cell in result.cells:
        if cell.status == "timeout":
            found["limit reached"].append("cell timeout")
        elif cell.status == "memory":
            found["memory cap"].append("cell MemoryError")
        if cell.dropped:  # the output over the cap was left out, the cell went on
            found["output cut"].append(f"cell {cell.number}" if cell.number else "a cell")
    run = result.status
    if run in _LIMIT_RUNS:
        found["limit reached"].append(f"notebook {run}")
    elif run == _KILLED:
        found["memory cap"].append("notebook killed")
    elif run != "graded":
        found["notebook failed"].append(run)
    found["unanswered"] = [q for q, e in entries.items() if e.status == "unanswered"]
    found["overridden"] = [q for q, e in entries.items() if e.override is not None]
    return tuple(
        StudentWarning(kind, tuple(dict.fromkeys(where))) for kind, where in found.items() if where
    )


def csv_text(graded: GradedClass) -> str:
    """scores.csv: student_id, a column per question, total, max, warnings (each row's
    warnings joined by "; "), one row per student; quoted by the csv module."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student_id", *(q.id for q in graded.questions), "total", "max", "warnings"])
    for row in rows(graded):
        writer.writerow(
            [
                row.student,
                *map(points, row.scores),
                points(row.total),
                points(graded.points),
                "; ".join(map(str, row.warnings)),
            ]
        )
    return out.getvalue()
