"""What the grader should conclude about a synthetic student, and whether it did.

An `Expected` is checked against the student's stored result
(``results/<student>.json`` of `optigrade.grade.batch`): `unmet` lists every expectation the
result does not meet, so a test (or the demo) can say which student was graded wrongly
and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from grader.vocabulary import OTHER_NUMBERS
from optigrade.records.repairs import Repair

EPS = 1e-9


@dataclass(frozen=True)
class Diagnosis:
    """A part the student got wrong on purpose: it must lose points, and when `mistake`
    is given the grader must name that catalogued mistake."""

    question: str
    part: str
    mistake: str | None

    def __str__(self) -> str:
        return f"{self.question}/{self.part}: {self.mistake or 'loses points'}"


@dataclass(frozen=True)
class Copied:
    """A part the student pasted from other numbers: 0 points as "other numbers", and the
    instructor told whose (`source`: a classmate's id, None for the lab's numbers)."""

    question: str
    part: str
    source: str | None

    def __str__(self) -> str:
        return f"{self.question}/{self.part}: from {self.source or 'the lab'}'s numbers"


@dataclass(frozen=True)
class Expected:
    """The conclusions a correct grader reaches about one submission."""

    full: tuple[str, ...] = ()  # questions scoring full marks
    zero: tuple[str, ...] = ()  # questions scoring 0
    diagnoses: tuple[Diagnosis, ...] = ()
    status: str = "graded"  # the result's status
    reason: str = ""  # in the result's reason
    cell_status: str = ""  # the status of at least one cell of the run
    statuses: tuple[tuple[str, str], ...] = ()  # (question, its status)
    note: str = ""  # in a repair, as the feedback page says it
    restored: tuple[str, ...] = ()  # questions whose test cell had the grader put back
    copied: tuple[Copied, ...] = ()


def _questions(result: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {q["id"]: q for q in result.get("questions", [])}


def _diagnosis_unmet(diagnosis: Diagnosis, question: Mapping[str, Any] | None) -> str | None:
    if question is None:
        return f"{diagnosis.question} was not graded"
    parts = {p["name"]: p for p in (question.get("result") or {}).get("parts", [])}
    part = parts.get(diagnosis.part)
    if part is None:
        return f"{diagnosis.question}: no verdict on part {diagnosis.part} ({question['status']})"
    if part["score"] >= part["points"] - EPS:
        return f"{diagnosis}: scored {part['score']:g}/{part['points']:g}"
    if diagnosis.mistake is not None and part.get("mistake") != diagnosis.mistake:
        return f"{diagnosis}: diagnosed as {part.get('mistake')!r} ({part['message']})"
    return None


def _copied_unmet(copied: Copied, question: Mapping[str, Any] | None) -> str | None:
    if question is None:
        return f"{copied.question} was not graded"
    parts = {p["name"]: p for p in (question.get("result") or {}).get("parts", [])}
    part = parts.get(copied.part, {})
    if part.get("status") != OTHER_NUMBERS or part["score"] > EPS:
        return f"{copied}: {part.get('status')!r}, {part.get('score')} points"
    fit = next((f for f in question.get("fits", []) if f["part"] == copied.part), {})
    if copied.source not in [*fit.get("students", []), *([None] if fit.get("lab") else [])]:
        return f"{copied}: fits {fit or 'nobody'}"
    return None


def unmet(expected: Expected, result: Mapping[str, Any]) -> list[str]:
    """Every expectation the result does not meet (empty: graded as expected)."""
    found = []
    if result.get("status") != expected.status:
        found.append(f"status {result.get('status')!r}, expected {expected.status!r}")
    if expected.reason not in (result.get("reason") or ""):
        found.append(f"reason {result.get('reason')!r} does not say {expected.reason!r}")
    questions = _questions(result)
    for qids, wanted in ((expected.full, "full marks"), (expected.zero, "0")):
        for qid in qids:
            q = questions.get(qid)
            if q is None:
                found.append(f"{qid} was not graded")
                continue
            full = q["score"] >= q["max"] - EPS
            if (wanted == "full marks" and not full) or (wanted == "0" and q["score"] > EPS):
                got = f"{q['score']:g}/{q['max']:g} ({q['status']}: {q['message'][:120]})"
                found.append(f"{qid}: {got}, expected {wanted}")
    for diagnosis in expected.diagnoses:
        problem = _diagnosis_unmet(diagnosis, questions.get(diagnosis.question))
        if problem:
            found.append(problem)
    for copied in expected.copied:
        problem = _copied_unmet(copied, questions.get(copied.question))
        if problem:
            found.append(problem)
    cells = {c.get("status") for c in result.get("cells", [])}
    if expected.cell_status and expected.cell_status not in cells:
        found.append(f"no cell ended with status {expected.cell_status!r}")
    for qid, status in expected.statuses:
        got = questions.get(qid, {}).get("status")
        if got != status:
            found.append(f"{qid}: status {got!r}, expected {status!r}")
    for qid in expected.restored:
        if "grader.score" not in (questions.get(qid, {}).get("restored") or ""):
            found.append(f"{qid}: not flagged as recorded with grader.score put back")
    said = [str(Repair.from_json(r)) for r in result.get("repairs", [])]
    if expected.note and not any(expected.note in n for n in said):
        found.append(f"no repair says {expected.note!r}")
    return found
