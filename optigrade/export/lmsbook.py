"""What the LMS exports share: their error, the records they return to the command,
matching students to gradebook rows, and the numbers of gradebook cells."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

POINTS = re.compile(r"\d+(?:[.,]\d+)?")  # 10, 10.00, 10,00: never negative, never 1e3
NO_GRADE = ("", "-")  # a cell without a grade, as Canvas and Moodle write it


class LmsError(Exception):
    """An export that cannot be made (bad gradebook, unknown column); says what to do."""


@dataclass(frozen=True)
class Grade:
    """What an LMS gets for one student: points (scaled if asked) and a feedback line."""

    student: str
    points: float
    feedback: str


@dataclass(frozen=True)
class Row:
    """A student row of an LMS gradebook: its line, its identifiers in matching order."""

    line: int
    name: str
    ids: Mapping[str, str]

    def described(self) -> str:
        ids = ", ".join(f"{k} {v}" for k, v in self.ids.items() if v)
        return f"line {self.line}; {ids}" if ids else f"line {self.line}"


@dataclass(frozen=True)
class Unmatched:
    """A student left out of the export, and why."""

    problem: str  # "no submission", "no gradebook row" or "no result"
    student: str  # our student id, or the gradebook's name for the student
    where: str  # the gradebook row (line and identifiers), if any
    detail: str = ""

    def __str__(self) -> str:
        where = f" ({self.where})" if self.where else ""
        return f"{self.problem}: {self.student}{where}" + (
            f": {self.detail}" if self.detail else ""
        )


@dataclass(frozen=True)
class Overwritten:
    """A gradebook cell that held a grade (or N/A) other than the one written over it."""

    student: str
    where: str  # the gradebook row (line and identifiers)
    before: str
    after: str

    def __str__(self) -> str:
        said = f"{self.student} ({self.where}): {self.before} -> {self.after}"
        if self.before.upper() == "N/A":  # Canvas's word for "not assigned to this student"
            said += " (N/A: Canvas ignores this grade unless the assignment is assigned to them)"
        return said


@dataclass(frozen=True)
class Export:
    """The file to write, how many grades it holds, who was left out, warnings, the cells
    whose grade it replaces, and how the LMS's file was read."""

    text: str
    written: int
    unmatched: tuple[Unmatched, ...]
    warnings: tuple[str, ...]
    overwritten: tuple[Overwritten, ...] = ()
    notices: tuple[str, ...] = ()


# --- cells -----------------------------------------------------------------------------


def points(cell: str) -> float | None:
    """A number of points as Canvas and Moodle write them (10, 10.00, 10,00, 40.0), None
    for anything else (empty, "(read only)", a letter grade, N/A)."""
    text = cell.strip()
    return float(text.replace(",", ".")) if POINTS.fullmatch(text) else None


def plain(x: float) -> str:
    """A number for a gradebook cell or an option: up to 3 decimals, never an exponent
    (`page.points` writes 999999999999 as 1e+12)."""
    return f"{x:.3f}".rstrip("0").rstrip(".")


def held(before: str, written: float) -> bool:
    """Whether a cell held a grade (or N/A) other than `written`, the grade written over
    it (compared to 2 decimals, as Canvas compares an import with its grades)."""
    old = before.strip()
    if old in NO_GRADE:
        return False
    number = points(old)
    return number is None or abs(number - written) >= 0.005


# --- matching --------------------------------------------------------------------------


def _key(value: str) -> str:
    """Identifiers compared as the same text: NFC, stripped, case-folded."""
    return unicodedata.normalize("NFC", value).strip().casefold()


def match(students: Sequence[str], rows: Sequence[Row]) -> tuple[dict[str, Row], list[Unmatched]]:
    """Each student's gradebook row (by the rows' identifiers, in their order), and the
    students and rows left without a partner."""
    index: dict[str, dict[str, list[Row]]] = {}
    for row in rows:
        for column, value in row.ids.items():
            if value.strip():
                index.setdefault(column, {}).setdefault(_key(value), []).append(row)
    columns = list(dict.fromkeys(c for row in rows for c in row.ids))
    paired: dict[str, Row] = {}
    owner: dict[int, str] = {}
    unmatched = []
    for student in students:
        found = next((f for c in columns if (f := index.get(c, {}).get(_key(student)))), [])
        if len(found) > 1:
            lines = ", ".join(str(r.line) for r in found)
            unmatched.append(Unmatched("no gradebook row", student, "", f"matches lines {lines}"))
        elif found and found[0].line in owner:
            other = owner[found[0].line]
            detail = f"its row (line {found[0].line}) is already {other}'s"
            unmatched.append(Unmatched("no gradebook row", student, "", detail))
        elif found:
            paired[student] = found[0]
            owner[found[0].line] = student
        else:
            detail = f"no row has it as {' or '.join(columns)}" if columns else "no rows"
            unmatched.append(Unmatched("no gradebook row", student, "", detail))
    unmatched += [
        Unmatched("no submission", row.name, row.described())
        for row in rows
        if row.line not in owner
    ]
    return paired, unmatched
