"""The student x question table: each student's points per question, total and warnings.

The report shows it (sortable) and `scores.csv` holds the same rows; a total is after
the late penalty. A warning marks a result a person should look at before trusting its
score; its kinds are `KINDS`, read from what the batch stored: repairs (a test cell
edited or deleted, a given cell edited, and the harmless ones: a cell's type restored, a
test cell put back after its answer), a replaced ``grader.score`` (put back before the
test cell, or a test cell that recorded nothing), answers computed from other numbers than
the student's own (`optigrade.export.copies`), a limit reached (a cell stopped at its
time limit, the notebook stopped), the memory cap reached, output cut (printed over the
limit: the cell went on), questions left unanswered, a notebook that did not run to its
end, a late penalty, and the questions whose points an instructor overrode
(overrides.csv: the score shown is theirs, not the grader's).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from grader.question import Question
from optigrade.export.classbook import GradedClass
from optigrade.records.files import points
from optigrade.records.repairs import Repair
from optigrade.records.result import StudentResult

SCORES = "scores.csv"

#: The kinds of warning, in the order a row lists them.
KINDS = (
    "test cell edited",
    "test cell deleted",
    "given cell edited",
    "grader patched",
    "other numbers",
    "limit reached",
    "memory cap",
    "output cut",
    "unanswered",
    "notebook failed",
    "cell repaired",
    "late",
    "overridden",
)
#: Run statuses that a limit caused.
_LIMIT_RUNS = ("timeout", "cpu-limit", "file-limit")
#: The run status of a notebook killed by SIGKILL, most often for running out of memory.
_KILLED = "killed"


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
    penalty: float = 0.0  # the late penalty, in points

    @property
    def total(self) -> float:
        return float(sum(self.scores)) - self.penalty


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
            result.penalty,
        )
        for student, result in sorted(graded.results.items())
    )


def _repaired(repair: Repair) -> str:
    """The warning kind of a repair: tampering with the instructor's cells, or harmless."""
    if repair.cell == "given":
        return "given cell edited"
    if repair.cell == "test" and repair.kind == "missing":
        return "test cell deleted"
    if repair.cell == "test" and repair.kind in ("edited", "metadata"):
        return "test cell edited"
    return "cell repaired"


def warnings(questions: Sequence[Question], result: StudentResult) -> tuple[StudentWarning, ...]:
    """Every warning about one student's result, in `KINDS` order."""
    found: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for repair in result.repairs or ():
        found[_repaired(repair)].append(repair.where)
    entries = {q.id: e for q in questions if (e := result.entry(q.id)) is not None}
    found["grader patched"] = [
        q for q, e in entries.items() if e.restored or e.status == "not recorded"
    ]
    found["other numbers"] = [q for q, e in entries.items() if e.fits]
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
    if result.penalty:
        found["late"].append(f"{result.penalty:g} points deducted")
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
