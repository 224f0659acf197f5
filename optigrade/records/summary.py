"""What ``summary.json`` holds: a graded class in brief, as the batch last left it (and
the exports' warnings, added after them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from optigrade.records import checks


@dataclass(frozen=True)
class GradedQuestion:
    """A question the class was graded on, and its points."""

    id: str
    points: float

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "points": self.points}

    @classmethod
    def from_json(cls, data: object) -> GradedQuestion:
        d = checks.keys(data, "summary question", ("id", "points"))
        return cls(checks.text(d["id"], "question id"), checks.number(d["points"], "points"))


@dataclass(frozen=True)
class ClassSummary:
    """The assignment, its graded questions (bank order), every student with a submission,
    those whose notebook failed (student -> "status: reason") and the warnings."""

    assignment: str
    questions: tuple[GradedQuestion, ...]
    students: tuple[str, ...]
    failed: Mapping[str, str]
    warnings: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "assignment": self.assignment,
            "questions": [q.to_json() for q in self.questions],
            "students": list(self.students),
            "failed": dict(self.failed),
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, data: object) -> ClassSummary:
        required = ("assignment", "questions", "students", "failed", "warnings")
        d = checks.keys(data, "summary", required)
        return cls(
            assignment=checks.text(d["assignment"], "assignment"),
            questions=tuple(
                GradedQuestion.from_json(q) for q in checks.array(d["questions"], "questions")
            ),
            students=checks.texts(d["students"], "students"),
            failed=checks.text_map(d["failed"], "failed"),
            warnings=checks.texts(d["warnings"], "warnings"),
        )
