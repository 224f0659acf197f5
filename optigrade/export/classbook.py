"""A graded class as `grader grade` left it on disk: `summary.json` and `results/*.json`.

Every export reads this and nothing else, so exports can be rebuilt from the files alone
(and are byte-identical for the same files). Question outcomes are one vocabulary shared
by the feedback pages, the class report and its charts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.question import Question
from optigrade import bank
from optigrade.export import overrides
from optigrade.grade import results

#: How a student did on one question: the three verdicts of a graded answer (from its
#: score), then the question statuses of `optigrade.grade.results` for answers never graded.
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
    """The batch's output for one assignment; `results` holds every readable result file
    (a student listed in `failed` may have one, e.g. a notebook that timed out)."""

    assignment: str
    out: Path
    questions: tuple[Question, ...]  # graded questions, in bank order
    students: tuple[str, ...]
    results: Mapping[str, dict[str, Any]]
    failed: Mapping[str, str]  # student -> "status: reason"
    warnings: tuple[str, ...]

    @property
    def points(self) -> float:
        return float(sum(q.points for q in self.questions))


def load(out: Path) -> GradedClass:
    """Read `out/summary.json` and the result file of every student it lists."""
    path = out / "summary.json"
    if not path.is_file():
        raise ExportError(f"no {path}: grade the assignment first (grader grade)")
    summary = json.loads(path.read_text(encoding="utf-8"))
    students = tuple(summary["students"])
    questions = tuple(bank.get(q["id"]) for q in summary["questions"])
    manual = overrides.load(out, questions, students)  # as in grades.csv (warned there)
    stored = (r for s in students if (r := results.read(out / "results", s)) is not None)
    found = {r["student"]: manual.apply(r) for r in stored}
    return GradedClass(
        assignment=summary["assignment"],
        out=out,
        questions=questions,
        students=students,
        results=found,
        failed=dict(summary.get("failed", {})),
        warnings=tuple(summary.get("warnings", ())),
    )


def entry(result: Mapping[str, Any], qid: str) -> dict[str, Any] | None:
    """A result's entry for one question (None if the result has none)."""
    return next((q for q in result.get("questions", ()) if q.get("id") == qid), None)


def outcome(entry: Mapping[str, Any]) -> str:
    """One of `OUTCOMES` (or an unknown status word as it was stored)."""
    status = str(entry.get("status"))
    if status != "graded":
        return status
    score, top = float(entry.get("score", 0.0)), float(entry.get("max", 0.0))
    if score >= top - 1e-9:
        return "correct"
    return "partial" if score > 0 else "incorrect"


def ordered(found: set[str]) -> list[str]:
    """Outcome words in `OUTCOMES` order, unknown ones after, alphabetically."""
    return [o for o in OUTCOMES if o in found] + sorted(found - set(OUTCOMES))


def page_name(student: str) -> str:
    """A student's feedback file name (as safe as the result file name)."""
    return results.file_name(student).removesuffix(".json") + ".html"
