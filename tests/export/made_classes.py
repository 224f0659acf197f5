"""Small graded classes built in memory, in the stored result format, for the report and
scores.csv tests: each student's entries are built by the batch's own entry builders from
part verdicts written out by hand."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from grader.compare.result import PartResult, Result
from optigrade import bank
from optigrade.export.classbook import GradedClass
from optigrade.grade import results
from optigrade.records.lateness import Lateness, LatePolicy
from optigrade.records.overrides import Override, Overrides
from optigrade.records.repairs import Repair
from optigrade.records.result import (
    CellLog,
    Fit,
    Protections,
    QuestionEntry,
    Run,
    StudentResult,
    SubmissionInfo,
)

#: Questions of the made classes: single-part fp.1.1 and fp.1.2, four-part act.1.
QUESTIONS = ("fp.1.1", "fp.1.2", "act.1")


@dataclass(frozen=True)
class Answer:
    """One question of one student: its parts' (status, fraction of points, mistake key),
    or the outcome the batch gives an answer it never graded (`grader.vocabulary.UNGRADED`),
    with its message."""

    parts: Sequence[tuple[str, float, str | None]] = ()
    status: str = ""  # "": graded from its parts
    message: str = ""


def right(qid: str) -> Answer:
    return Answer([("correct", 1.0, None)] * len(bank.get(qid).parts))


def wrong(qid: str, mistake: str | None = None) -> Answer:
    return Answer([("incorrect", 0.0, mistake)] * len(bank.get(qid).parts))


def entry(qid: str, answer: Answer) -> QuestionEntry:
    question = bank.get(qid)
    if answer.status:
        said = answer.status
        return results.question_entry(question, 0.0, said, answer.message)  # type: ignore[arg-type]
    parts = tuple(
        PartResult(p.name, p.label, p.points, p.points * share, status, "", mistake)  # type: ignore[arg-type]
        for p, (status, share, mistake) in zip(question.parts, answer.parts, strict=True)
    )
    # an answer computed from other numbers fits a classmate's
    fits = tuple(Fit(p.name, ("a-classmate",)) for p in parts if p.status == "other numbers")
    return results.graded_entry(question, Result(qid, question.title, parts), fits)


@dataclass(frozen=True)
class Student:
    answers: Mapping[str, Answer]  # question id -> answer; right() for the others
    status: str = "graded"
    repairs: Sequence[Repair] = ()
    cells: Sequence[CellLog] = ()
    overridden: Mapping[str, float] = field(default_factory=dict)  # question id -> points
    lateness: Lateness | None = None


def run(cells: Sequence[CellLog] = (), isolation: str = "userns") -> Run:
    """A run's details, as the judge records them, with this cell log."""
    return Run(tuple(cells), Protections(("network",), {}), "", 0, 1.0, isolation, 1.0)


def result(student: str, made: Student, questions: Sequence[str] = QUESTIONS) -> StudentResult:
    stored = StudentResult(
        student=student,
        assignment="forward-pass",
        submission=SubmissionInfo(f"submitted/{student}/forward-pass.ipynb", "0" * 64),
        source_sha256="1" * 64,
        status=made.status,  # type: ignore[arg-type]
        reason="" if made.status == "graded" else f"the run ended: {made.status}",
        max=sum(bank.get(q).points for q in questions),
        questions=tuple(entry(q, made.answers.get(q) or right(q)) for q in questions),
        repairs=tuple(made.repairs),
        run=run(made.cells),
        lateness=made.lateness,
    )
    manual = {
        (student, q): Override(student, q, points, "re-marked by hand", row=2)
        for q, points in made.overridden.items()
    }
    return Overrides(manual).apply(stored)


def graded_class(
    students: Mapping[str, Student], questions: Sequence[str] = QUESTIONS, out: Path | None = None
) -> GradedClass:
    stored = {s: result(s, made, questions) for s, made in students.items()}
    failed = {s: f"{r.status}: {r.reason}" for s, r in stored.items() if r.status != "graded"}
    return GradedClass(
        assignment="forward-pass",
        out=out or Path("graded"),
        questions=tuple(bank.get(q) for q in questions),
        students=tuple(students),
        results=stored,
        failed=failed,
        warnings=(),
    )


#: Student ids with quotes, spaces, accents, markup, CSV delimiters.
ODD_IDS = ("o'brien", "zoë", "a b", "x.y@uni.edu", "<b>", 'say "hi"', "50%&co", "smith, j")

_TIMEOUT = CellLog(4, "timeout", message="stopped after 10 s", question="fp.1.2", number=5)
_FLOOD = CellLog(5, "ok", dropped=9_000_000, question="fp.1.2", number=6)  # over the cap
_MEMORY = CellLog(6, "memory", message="MemoryError: the memory limit", number=7)
_UNDEFINED = "z_1_2 is not defined: assign your answer to z_1_2"
_NO_ANSWER = "the test cell ran but recorded no answer (was grader.score replaced?)"
NONE = Answer([("unanswered", 0.0, None)] * 4)  # act.1 = None

#: Two days late, at 10% of the points a day.
LATE = Lateness(
    LatePolicy.parse("10%/day"),
    due=datetime(2025, 3, 10, 17, tzinfo=UTC),
    submitted=datetime(2025, 3, 12, 9, tzinfo=UTC),
)

#: A student per kind of warning, and the places the warning names.
WARNED = {
    "test cell edited": (
        Student({}, repairs=[Repair("test", "fp-1-2", "fp.1.2", "edited")]),
        ("fp.1.2",),
    ),
    "test cell deleted": (
        Student({}, repairs=[Repair("test", "act-1", "act.1", "missing")]),
        ("act.1",),
    ),
    "given cell edited": (
        Student({}, repairs=[Repair("given", "setup", None, "edited")]),
        ("setup",),
    ),
    "cell repaired": (
        Student({}, repairs=[Repair("answer", "fp-1-1-answer", "fp.1.1", "type", "markdown")]),
        ("fp.1.1",),
    ),
    "late": (Student({}, lateness=LATE), ("0.8 points deducted",)),
    "grader patched": (
        Student(
            {q: Answer(status="not recorded", message=_NO_ANSWER) for q in ("fp.1.1", "act.1")}
        ),
        ("fp.1.1", "act.1"),
    ),
    "other numbers": (
        Student({"fp.1.1": Answer([("other numbers", 0.0, None)])}),
        ("fp.1.1",),
    ),
    "limit reached": (Student({}, cells=[_TIMEOUT]), ("cell timeout",)),
    "memory cap": (Student({}, cells=[_MEMORY]), ("cell MemoryError",)),
    "output cut": (Student({}, cells=[_FLOOD]), ("cell 6",)),
    "unanswered": (
        Student({"fp.1.2": Answer(status="unanswered", message=_UNDEFINED), "act.1": NONE}),
        ("fp.1.2", "act.1"),
    ),
    "overridden": (Student({"fp.1.2": wrong("fp.1.2")}, overridden={"fp.1.2": 0.5}), ("fp.1.2",)),
    "notebook failed": (
        Student({q: Answer(status="not run") for q in ("act.1",)}, status="crashed"),
        ("crashed",),
    ),
}
