"""The class's numbers: each student graded against their own, and answers that fit
someone else's traced.

An assignment released with a roster (`optigrade.assign.secrets` keeps it) gives every
student their own inputs (`optigrade.variants`). The batch grades a submission against
the questions drawn for its student id (the submission's folder, never what the notebook
claims; a student missing from the roster gets their own numbers all the same), and the
sandbox gives the notebook those numbers (`grader.given`). A part that is wrong for the
student's own numbers but right for a classmate's, or the lab's, is "other numbers"
(`grader.vocabulary`): no points, and the instructor's report says whose numbers fit.
Without a roster there are no `Numbers`: everyone is graded against the lab's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from grader.compare import tagged
from grader.compare.result import PartResult, Result
from grader.kinds import Numeric
from grader.question import Part, Question
from grader.vocabulary import OTHER_NUMBERS, word
from optigrade import bank, variants
from optigrade.assign import secrets
from optigrade.records.result import Fit, Variant

if TYPE_CHECKING:
    from grader.compare.wire import Wire

#: A part's verdicts that another set of numbers may explain (a right answer needs none; an
#: unusable or missing one fits no numbers).
_WRONG = ("incorrect", "partial")
#: A step right only given the student's earlier steps: traced too where an earlier step
#: fits other numbers (a pasted trajectory must not earn what computing it would), never
#: alone (a relu of a wrong z may equal a classmate's by chance).
_CARRIED = ("carried",)
#: What the student's page says of such a part: whose numbers is the instructor's to know.
SAID = f"{word(OTHER_NUMBERS).meaning[0].upper()}{word(OTHER_NUMBERS).meaning[1:]}"


class Numbers:
    """The questions of `assignment` drawn for each student of the class (`students`:
    the roster and the batch's), from the course `secret`; drawn once each, when needed."""

    def __init__(self, assignment: str, secret: bytes, students: Iterable[str]) -> None:
        self.assignment = assignment
        self.secret = secret
        self.students = tuple(sorted(set(students)))
        self.lab = {q.id: q for q in bank.questions(assignment)}
        self.varying = tuple(qid for qid, q in self.lab.items() if q.varies)
        self._drawn: dict[str, dict[str, Question]] = {}
        self._gathered: dict[str, tuple[list[str | None], list[Question]]] = {}
        # the class, in the digest of every student's result: a classmate joining can
        # make an answer fit their numbers
        self._class = hashlib.sha256("\x00".join(self.students).encode()).hexdigest()

    @classmethod
    def of(cls, assignment: str, course: Path | None, students: Iterable[str]) -> Numbers | None:
        """The class's numbers when `assignment` was released with a roster, else None.
        Grading only reads the course's secrets: it never draws new ones."""
        if course is None or not secrets.path(course).is_file():
            return None
        found = secrets.load(course)
        roster = found.rosters.get(assignment)
        if roster is None:
            return None
        return cls(assignment, found.course, [*roster, *students])

    def questions(self, student: str) -> dict[str, Question]:
        """The student's questions, by id."""
        if student not in self._drawn:
            self._drawn[student] = variants.questions(self.assignment, self.secret, student)
        return self._drawn[student]

    def _drawable(self, student: str) -> dict[str, Question]:
        """A classmate's questions; none when no draw of theirs passes (their own grade
        says so: it must not cost another student theirs)."""
        try:
            return self.questions(student)
        except variants.VariantError:
            return {}

    def given(self, student: str) -> dict[str, dict[str, Any]]:
        """The inputs each varying question gives the student, as tagged JSON."""
        own = self.questions(student)
        return {
            qid: {name: tagged.dump(v) for name, v in variants.inputs_of(own[qid]).items()}
            for qid in self.varying
        }

    def variant(self, student: str) -> Variant:
        """What the student's result records of their numbers, and a digest of what their
        grade depends on besides the notebook and the source."""
        inputs = self.given(student)
        text = json.dumps([inputs, self._class], sort_keys=True)
        return Variant(inputs, hashlib.sha256(text.encode()).hexdigest())

    def traced(
        self, student: str, own: Question, wire: Wire, result: Result
    ) -> tuple[Result, tuple[Fit, ...]]:
        """`result` (the answer `wire` graded against the student's `own` question) with
        each wrong part that is right for a classmate's numbers, or the lab's, made
        "other numbers" (no points; the page names nobody), and whose numbers fit each."""
        if own.id not in self.varying:
            return result, ()
        fits = self._fits(student, own, wire, result, _WRONG)
        if not fits:
            return result, ()
        fits.update(self._fits(student, own, wire, result, _CARRIED))
        parts = tuple(_other(p) if p.name in fits else p for p in result.parts)
        found = tuple(
            Fit(p.name, tuple(s for s in fits[p.name] if s is not None), None in fits[p.name])
            for p in parts
            if p.name in fits
        )
        return replace(result, parts=parts), found

    def _fits(
        self, student: str, own: Question, wire: Wire, result: Result, statuses: tuple[str, ...]
    ) -> dict[str, list[str | None]]:
        """Each part with one of `statuses` whose answer is right for others' numbers (None:
        the lab's), and whose."""
        fits: dict[str, list[str | None]] = {}
        whose, answers = self._everyone(own.id)
        for part in result.parts:
            if part.status in statuses:
                for i in _fitting(own.part(part.name), wire, answers):
                    if whose[i] != student:
                        fits.setdefault(part.name, []).append(whose[i])
        return fits

    def _everyone(self, qid: str) -> tuple[list[str | None], list[Question]]:
        """The lab (None) and every student whose numbers could be drawn, and their
        question `qid`, gathered once for the whole class."""
        if qid not in self._gathered:
            drawn = {s: self._drawable(s) for s in self.students}
            whose: list[str | None] = [None, *(s for s in self.students if qid in drawn[s])]
            found = [self.lab[qid], *(drawn[s][qid] for s in whose[1:] if s is not None)]
            self._gathered[qid] = (whose, found)
        return self._gathered[qid]


def _fitting(part: Part, wire: Wire, questions: list[Question]) -> list[int]:
    """Which of `questions` the recorded answer to `part` is right for. A number or an
    array is compared with all their answers at once, at the part's tolerance; another
    kind is judged as it judges, without its catalogue of mistakes (a right answer never
    needs it: it is the costly half of grading)."""
    from grader import kinds
    from grader.compare.diagnose import close
    from grader.compare.nodes import numbers
    from grader.kinds.base import Context
    from grader.kinds.numeric import as_floats, fit

    name = part.name
    try:
        if isinstance(part, Numeric):
            expected = np.stack([as_floats(q.answer[name]) for q in questions])
            found, _ = fit(numbers(wire.part(name), wire), expected[0], part.shape_policy)
            near = close(np.broadcast_to(found, expected.shape), expected, part.tol)
            return [int(i) for i in np.flatnonzero(near.reshape(len(questions), -1).all(axis=1))]
        kind = kinds.of(part)
    except Exception:  # an answer that cannot even be compared fits no numbers
        return []

    def right(question: Question) -> bool:
        try:
            ctx = Context(question, part, wire, question.answer[name], question.answer, tuple)
            return kind.judge(wire.part(name), ctx).status == "correct"
        except Exception:
            return False

    return [i for i, q in enumerate(questions) if right(q)]


def _other(part: PartResult) -> PartResult:
    return replace(part, score=0.0, status=OTHER_NUMBERS, message=SAID, mistake=None)
