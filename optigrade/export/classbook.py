"""A graded class as `grader grade` left it on disk: `summary.json` and `results/*.json`.

Every export reads this and nothing else, so exports can be rebuilt from the files alone
(and are byte-identical for the same files). Question outcomes are one vocabulary shared
by the feedback pages, the class report and its charts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from grader.question import Question
from optigrade import bank
from optigrade.records import files, stored
from optigrade.records.result import QuestionEntry, StudentResult

#: How a student did on one question: the three verdicts of a graded answer (from its
#: score), then the question statuses of `optigrade.records.result` for answers never
#: graded.
OUTCOMES = (
    "correct",
    "partial",
    "incorrect",
    "error",
    "timeout",
    "no answer",
    "not run",
    "invalid",
)
#: The outcomes of an answer that was graded.
GRADED = OUTCOMES[:3]


class ExportError(Exception):
    """An export that cannot be made; the message says what to do about it."""


@dataclass(frozen=True)
class GradedClass:
    """The batch's output for one assignment; `results` holds every readable result file,
    the instructor's overrides applied (a student listed in `failed` may have one, e.g. a
    notebook that timed out); `override_warnings` says what overrides.csv got wrong."""

    assignment: str
    out: Path
    questions: tuple[Question, ...]  # graded questions, in bank order
    students: tuple[str, ...]
    results: Mapping[str, StudentResult]
    failed: Mapping[str, str]  # student -> "status: reason"
    warnings: tuple[str, ...]
    override_warnings: tuple[str, ...] = ()

    @property
    def points(self) -> float:
        return float(sum(q.points for q in self.questions))


def load(out: Path) -> GradedClass:
    """Read `out/summary.json` and the result file of every student it lists."""
    path = out / files.SUMMARY
    if not path.is_file():
        raise ExportError(f"no {path}: grade the assignment first (grader grade)")
    try:
        summary = files.read_summary(out)
    except (OSError, ValueError) as e:
        raise ExportError(f"{path} cannot be read ({e}): grade the assignment again") from e
    questions = tuple(bank.get(q.id) for q in summary.questions)
    found = stored.load(out, questions, summary.students)
    return GradedClass(
        assignment=summary.assignment,
        out=out,
        questions=questions,
        students=summary.students,
        results=found.results,
        failed=summary.failed,
        warnings=summary.warnings,
        override_warnings=found.warnings,
    )


def outcome(entry: QuestionEntry) -> str:
    """One of `OUTCOMES`."""
    if entry.status != "graded":
        return entry.status
    if entry.score >= entry.max - 1e-9:
        return "correct"
    return "partial" if entry.score > 0 else "incorrect"


def ordered(found: set[str]) -> list[str]:
    """Outcome words in `OUTCOMES` order."""
    return [o for o in OUTCOMES if o in found]


def page_name(student: str) -> str:
    """A student's feedback file name (as safe as the result file name)."""
    return files.file_name(student).removesuffix(".json") + ".html"
