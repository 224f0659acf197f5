"""Manual overrides: an instructor's points for a question, kept beside the results.

``<out>/overrides.csv`` (next to ``results/``) has the columns ``student``, ``question``,
``points`` and ``comment``: each row sets that student's points for that question. The
result files stay what the grader computed; the overrides are applied whenever results
are read for a table or an export (grades.csv, results.jsonl, feedback pages, report,
LMS exports), so they survive every regrade, ``--force`` included. A bad row (unknown
student or question, points that are not a number or out of range) is a warning naming
the row, never an error.

An overridden question entry keeps the grader's own verdict as its `override`
(`optigrade.records.result.Applied`), and its message says it was overridden, so
results.jsonl shows it too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from grader.question import Question
from optigrade.records import sheet
from optigrade.records.result import Applied, QuestionEntry, StudentResult

FILE = "overrides.csv"
COLUMNS = ("student", "question", "points", "comment")
_REQUIRED = COLUMNS[:3]


@dataclass(frozen=True)
class Override:
    """One row of overrides.csv: `points` for `question`, why in `comment`."""

    student: str
    question: str
    points: float
    comment: str
    row: int  # line of overrides.csv it was read from, for messages


@dataclass(frozen=True)
class Overrides:
    """The valid overrides of a class, by (student, question id), and a warning per row
    that was left out."""

    entries: Mapping[tuple[str, str], Override]
    warnings: tuple[str, ...] = ()

    def get(self, student: str, question: str) -> Override | None:
        return self.entries.get((student, question))

    def apply(self, result: StudentResult) -> StudentResult:
        """The result with this student's overrides applied (its total follows); the stored
        result stays as the grader wrote it."""
        questions = tuple(self._entry(result.student, q) for q in result.questions)
        return replace(result, questions=questions)

    def _entry(self, student: str, entry: QuestionEntry) -> QuestionEntry:
        found = self.get(student, entry.id)
        if found is None:
            return entry
        graded = Applied(found.points, found.comment, entry.score, entry.message)
        return replace(
            entry,
            score=found.points,
            message=f"{mark(graded, entry.max)}; {graded.graded_message}",
            override=graded,
        )


def mark(override: Applied, top: float) -> str:
    """One line saying that, and how, a question's points were overridden."""
    said = (
        f"overridden by the instructor: {override.points:g} of {top:g} points "
        f"(the grader gave {override.graded_score:g})"
    )
    return f"{said}: {override.comment}" if override.comment else said


def load(out: Path, questions: Sequence[Question], students: Iterable[str]) -> Overrides:
    """The overrides in `out/overrides.csv` for these graded `questions` and `students`
    (no file: none). Never raises: a problem with the file or a row is a warning."""
    path = out / FILE
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return Overrides({})
    except (OSError, UnicodeDecodeError) as e:
        return Overrides({}, (f"{FILE} not read ({e}): no override applied",))
    try:
        table = list(sheet.rows(text, FILE, COLUMNS, _REQUIRED))
    except sheet.SheetError as e:
        return Overrides({}, (f"{e}: no override applied",))
    return _parse(table, {q.id: q for q in questions}, set(students))


def _parse(
    table: Iterable[tuple[int, Mapping[str, str]]],
    questions: Mapping[str, Question],
    students: set[str],
) -> Overrides:
    found: dict[tuple[str, str], Override] = {}
    warnings = []
    for row, values in table:
        override = _override(values, row, questions, students)
        if isinstance(override, str):
            student, qid = values["student"], values["question"]
            warnings.append(f"{FILE} row {row} ({student}, {qid}): {override}: row ignored")
            continue
        key = (override.student, override.question)
        if key in found:
            warnings.append(
                f"{FILE} row {row} overrides {key[0]}, {key[1]} again: it replaces row "
                f"{found[key].row}"
            )
        found[key] = override
    return Overrides(found, tuple(warnings))


def _override(
    values: Mapping[str, str], row: int, questions: Mapping[str, Question], students: set[str]
) -> Override | str:
    """The override a row asks for, or why it cannot be applied."""
    student, qid, given = values["student"], values["question"], values["points"]
    if student not in students:
        return f"no student {student!r} in this class"
    question = questions.get(qid)
    if question is None:
        return f"no graded question {qid!r} (the questions are {', '.join(questions)})"
    try:
        points = float(given.replace(",", ".") if "." not in given else given)
    except ValueError:
        return f"points {given!r} is not a number"
    if not math.isfinite(points) or not 0 <= points <= question.points:
        return f"points {given} is not between 0 and {question.points:g}, the question's points"
    return Override(student, qid, points, values.get("comment", ""), row)
