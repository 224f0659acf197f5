"""A student's result, as ``results/<student>.json`` holds it: one record per level.

`StudentResult` is the student's: which submission, how its run ended (`RunStatus`), one
`QuestionEntry` per graded question (`QuestionOutcome`; a graded answer keeps the engine's
full `Result`, whose parts have their own `PartStatus`, and the `Fit` of each part that
fits other numbers than the student's own), the repairs made before it ran
(`optigrade.records.repairs`), when the notebook ran, the `Run`'s details, against a
deadline its `Lateness` (`optigrade.records.lateness`), and in a class with variants the
student's own numbers (`Variant`). The status words of the three
levels are `grader.vocabulary`'s, the table every surface renders them from. Each
record's `to_json` writes the stored JSON and its `from_json` reads it back, refusing
anything else (`checks.RecordError`), so a record read from a file writes back the same
bytes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from grader.compare import tagged
from grader.compare.result import Result
from grader.vocabulary import (
    GRADED,
    LOCAL,
    OTHER_NUMBERS,
    QUESTION_OUTCOMES,
    RUN_STATUSES,
    UNGRADED,
    QuestionOutcome,
    RunStatus,
)
from optigrade.records import checks
from optigrade.records.lateness import Lateness
from optigrade.records.repairs import Repair

#: The version of the stored result files; a file of another one is graded again.
#: 2: the vocabulary's words; 3: repairs and lateness too; 4: each student's own numbers
#: (variant) and whose numbers an answer fits
FORMAT = 4

#: Run statuses that are the grader's fault, so a rerun grades them again.
RETRY: frozenset[RunStatus] = frozenset({"internal-error", "setup-failed"})
#: What a stored question entry may say: the vocabulary's words but the local check's own.
STORED_OUTCOMES: tuple[str, ...] = tuple(w for w in QUESTION_OUTCOMES if w not in LOCAL)

#: How far a stored total may be from the sum of its questions' scores.
_SLACK = 1e-9


@dataclass(frozen=True)
class Applied:
    """What an overridden question entry records (`optigrade.records.overrides`): the
    instructor's points and comment, and the grader's own score and message before."""

    points: float
    comment: str
    graded_score: float
    graded_message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "points": self.points,
            "comment": self.comment,
            "graded_score": self.graded_score,
            "graded_message": self.graded_message,
        }

    @classmethod
    def from_json(cls, data: object) -> Applied:
        what = "override"
        d = checks.keys(data, what, ("points", "comment", "graded_score", "graded_message"))
        return cls(
            checks.number(d["points"], f"{what} points"),
            checks.text(d["comment"], f"{what} comment"),
            checks.number(d["graded_score"], f"{what} graded_score"),
            checks.text(d["graded_message"], f"{what} graded_message"),
        )


def _engine_result(data: object, what: str) -> Result:
    """The engine's stored `Result`, refused unless it reads back as it was written."""
    try:
        found = Result.from_dict(cast(dict[str, Any], data))
    except (AttributeError, KeyError, TypeError, ValueError) as e:
        raise checks.RecordError(f"{what}: not an engine result ({type(e).__name__}: {e})") from e
    if found.to_dict() != data:
        raise checks.RecordError(f"{what}: not an engine result as the engine writes it")
    return found


@dataclass(frozen=True)
class Fit:
    """A part of a student's answer that is not right for the student's own numbers but
    is for others': the `students` whose numbers it fits (sorted) and whether it fits the
    `lab`'s. For the instructor (the report); the student's page names nobody."""

    part: str
    students: tuple[str, ...] = ()
    lab: bool = False

    def __post_init__(self) -> None:
        if not self.students and not self.lab:
            raise checks.RecordError(f"fit of part {self.part}: it fits nobody's numbers")

    def to_json(self) -> dict[str, Any]:
        return {"part": self.part, "students": list(self.students), "lab": self.lab}

    @classmethod
    def from_json(cls, data: object) -> Fit:
        d = checks.keys(data, "fit", ("part", "students", "lab"))
        what = f"fit of part {d['part']!r}"
        if not isinstance(d["lab"], bool):
            raise checks.RecordError(f"{what}: lab is not true or false")
        return cls(checks.text(d["part"], what), checks.texts(d["students"], what), d["lab"])


@dataclass(frozen=True)
class QuestionEntry:
    """One graded question of a student's result: `score` of `max` points, its outcome
    (`grader.vocabulary`: a graded answer's word from its parts, or why none was graded)
    and why; the engine's `result` when it graded an answer; the `override` when the
    instructor set the points (the entry then has their points and says so; the outcome
    stays the grader's verdict on the answer)."""

    id: str
    score: float
    max: float
    status: QuestionOutcome
    message: str
    result: Result | None = None
    override: Applied | None = None
    #: What the notebook had replaced of the grader before this question's test cell,
    #: put back so that its answer was recorded (`grader_sandbox.child`): a flag, no penalty.
    restored: str | None = None
    #: The parts whose answer fits other numbers than the student's own, and whose.
    fits: tuple[Fit, ...] = ()

    def __post_init__(self) -> None:
        where = f"question {self.id}"
        checks.word(self.status, STORED_OUTCOMES, f"{where} status")
        if not (math.isfinite(self.score) and self.score >= 0):
            raise checks.RecordError(f"{where}: score {self.score} is not a number of points")
        if self.status not in (GRADED if self.result is not None else UNGRADED):
            had = "an engine result" if self.result is not None else "no engine result"
            raise checks.RecordError(f"{where}: {had}, yet the outcome is {self.status}")
        if self.override is not None and self.score != self.override.points:
            raise checks.RecordError(f"{where}: overridden, yet not scored the override's points")
        other = (
            {p.name for p in self.result.parts if p.status == OTHER_NUMBERS}
            if self.result
            else set()
        )
        if {f.part for f in self.fits} != other or len(self.fits) != len(other):
            raise checks.RecordError(f"{where}: its fits are not its parts of {OTHER_NUMBERS}")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "score": self.score,
            "max": self.max,
            "status": self.status,
            "message": self.message,
        }
        if self.result is not None:
            data["result"] = self.result.to_dict()
        if self.override is not None:
            data["override"] = self.override.to_json()
        if self.restored is not None:
            data["restored"] = self.restored
        if self.fits:
            data["fits"] = [f.to_json() for f in self.fits]
        return data

    @classmethod
    def from_json(cls, data: object) -> QuestionEntry:
        required = ("id", "score", "max", "status", "message")
        d = checks.keys(data, "question", required, ("result", "override", "restored", "fits"))
        what = f"question {d['id']!r}"
        return cls(
            id=checks.text(d["id"], what),
            score=checks.number(d["score"], f"{what} score"),
            max=checks.number(d["max"], f"{what} max"),
            status=cast(QuestionOutcome, checks.word(d["status"], STORED_OUTCOMES, what)),
            message=checks.text(d["message"], f"{what} message"),
            result=_engine_result(d["result"], f"{what} result") if "result" in d else None,
            override=Applied.from_json(d["override"]) if "override" in d else None,
            restored=checks.text(d["restored"], f"{what} restored") if "restored" in d else None,
            fits=tuple(Fit.from_json(f) for f in checks.array(d.get("fits", []), f"{what} fits")),
        )


@dataclass(frozen=True)
class SubmissionInfo:
    """Which notebook was graded: where it was found, a hash of its bytes (a rerun skips
    an unchanged one; a word instead when there was none, see
    `optigrade.grade.submissions`) and notes on reading it."""

    origin: str
    sha256: str
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"origin": self.origin, "sha256": self.sha256, "notes": list(self.notes)}

    @classmethod
    def from_json(cls, data: object) -> SubmissionInfo:
        d = checks.keys(data, "submission", ("origin", "sha256", "notes"))
        return cls(
            checks.text(d["origin"], "submission origin"),
            checks.text(d["sha256"], "submission sha256"),
            checks.texts(d["notes"], "submission notes"),
        )


#: What a cell of the run's log may say besides its index, and the type of each.
_CELL_FIELDS: dict[str, Callable[[object, str], Any]] = {
    "status": checks.text,
    "error": checks.text,
    "message": checks.text,
    "output": checks.text,
    "seconds": checks.number,
    "forks": checks.integer,
    "dropped": checks.integer,
    "restored": checks.text,
    "question": checks.text,
    "number": checks.integer,
}


@dataclass(frozen=True)
class CellLog:
    """One cell of a run's log, as the sandbox cleaned it (`grader_sandbox.sandbox`): its
    index in the notebook that ran (from 0) and, once it ended, its status ("ok",
    "error", "timeout", "memory", "exit"; written by the student's process, so any short
    text) and what it said. A cell with no status was running when the run ended. The
    batch adds where the cell is (`optigrade.grade.places`): the question whose cells it
    is among, and its number in the student's own notebook (from 1; none for a cell the
    grader put back)."""

    cell: int
    status: str | None = None
    error: str | None = None  # the exception's type
    message: str | None = None
    output: str | None = None
    seconds: float | None = None
    forks: int | None = None
    dropped: int | None = None  # bytes printed over the output cap (left out)
    #: What the notebook had replaced of the grader (`grader.score`...), put back before
    #: this test cell ran: its answer is graded as if nothing was replaced, and flagged.
    restored: str | None = None
    question: str | None = None
    number: int | None = None

    def to_json(self) -> dict[str, Any]:
        said = {k: getattr(self, k) for k in _CELL_FIELDS if getattr(self, k) is not None}
        return {"cell": self.cell, **said}

    @classmethod
    def from_json(cls, data: object) -> CellLog:
        d = checks.keys(data, "cell", ("cell",), _CELL_FIELDS)
        what = f"cell {d['cell']!r}"
        said = {k: read(d[k], f"{what} {k}") for k, read in _CELL_FIELDS.items() if k in d}
        return cls(checks.integer(d["cell"], what), **said)


@dataclass(frozen=True)
class Protections:
    """The sandbox's protections that were in force for a run, and why the others were not."""

    active: tuple[str, ...]
    missing: Mapping[str, str]  # protection -> why it is missing

    def to_json(self) -> dict[str, Any]:
        return {"active": list(self.active), "missing": dict(self.missing)}

    @classmethod
    def from_json(cls, data: object) -> Protections:
        d = checks.keys(data, "protections", ("active", "missing"))
        return cls(
            checks.texts(d["active"], "protections active"),
            checks.text_map(d["missing"], "protections missing"),
        )


@dataclass(frozen=True)
class Run:
    """What the sandbox's run of a notebook left, as the judge recorded it: the cell log,
    the protections, the head of its output, the processes it left running (all killed),
    its seconds, the isolation mode ("root", "userns"; "none" with --trust-submissions)
    and the seconds with judging."""

    cells: tuple[CellLog, ...]
    protections: Protections
    output: str
    leftover: int
    run_seconds: float
    isolation: str
    seconds: float

    #: Its keys in a student's result, beside the result's own.
    KEYS = ("cells", "protections", "output", "leftover", "run_seconds", "isolation", "seconds")

    def to_json(self) -> dict[str, Any]:
        return {
            "cells": [c.to_json() for c in self.cells],
            "protections": self.protections.to_json(),
            "output": self.output,
            "leftover": self.leftover,
            "run_seconds": self.run_seconds,
            "isolation": self.isolation,
            "seconds": self.seconds,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Run:
        """From a student's result (`data` holds every key of `KEYS`)."""
        return cls(
            cells=tuple(CellLog.from_json(c) for c in checks.array(data["cells"], "cells")),
            protections=Protections.from_json(data["protections"]),
            output=checks.text(data["output"], "output"),
            leftover=checks.integer(data["leftover"], "leftover"),
            run_seconds=checks.number(data["run_seconds"], "run_seconds"),
            isolation=checks.text(data["isolation"], "isolation"),
            seconds=checks.number(data["seconds"], "seconds"),
        )


@dataclass(frozen=True)
class Variant:
    """The student's own numbers a result was graded against: the inputs each varying
    question gave them (question id -> input name -> value as tagged JSON,
    `grader.compare.tagged`), and `sha256`, a digest of what the grading depended on
    besides the notebook and the source (these numbers, and the classmates whose numbers
    answers were compared with): a rerun grades the student again when it changes."""

    inputs: Mapping[str, Mapping[str, Any]]
    sha256: str

    def values(self, qid: str) -> dict[str, Any]:
        """A question's inputs as values (none for a question that gave the lab's)."""
        return {name: tagged.load(v) for name, v in self.inputs.get(qid, {}).items()}

    def to_json(self) -> dict[str, Any]:
        return {"inputs": {q: dict(v) for q, v in self.inputs.items()}, "sha256": self.sha256}

    @classmethod
    def from_json(cls, data: object) -> Variant:
        d = checks.keys(data, "variant", ("inputs", "sha256"))
        inputs = d["inputs"]
        if not isinstance(inputs, Mapping) or not all(
            isinstance(v, Mapping) for v in inputs.values()
        ):
            raise checks.RecordError("variant inputs: not an object of objects")
        found = cls({str(q): dict(v) for q, v in inputs.items()}, checks.text(d["sha256"], "sha"))
        try:
            for qid in found.inputs:
                found.values(qid)
        except (KeyError, TypeError, ValueError) as e:
            raise checks.RecordError(f"variant inputs: not tagged values ({e})") from e
        return found


_RESULT_KEYS = (
    "format",
    "student",
    "assignment",
    "submission",
    "source_sha256",
    "status",
    "reason",
    "max",
    "score",
    "questions",
)


@dataclass(frozen=True)
class StudentResult:
    """A student's result: the submission graded (`submission`, and `source_sha256` the
    source notebook's hash: a rerun skips the student while both are unchanged), how the
    run ended (`status`, `reason`), the entry of every graded question, worth `max` in
    all; the repairs restoring made to the notebook (None: it could not be read), the
    `run` (None: nothing ran, or the grader failed) and the submission's `lateness` (None:
    no due date was declared). `earned` is the sum of the entries' scores (with the
    instructor's overrides, once applied), `score` the total after the late `penalty`;
    `variant`: the student's own numbers it was graded against (None: the lab's)."""

    student: str
    assignment: str
    submission: SubmissionInfo
    source_sha256: str
    status: RunStatus
    reason: str
    max: float
    questions: tuple[QuestionEntry, ...]
    repairs: tuple[Repair, ...] | None = None
    run: Run | None = None
    lateness: Lateness | None = None
    variant: Variant | None = None  # None: graded against the lab's numbers

    def __post_init__(self) -> None:
        checks.word(self.status, RUN_STATUSES, f"{self.student}'s status")
        ids = [q.id for q in self.questions]
        if len(set(ids)) != len(ids):
            raise checks.RecordError(f"{self.student}: a question graded twice in {ids}")

    @property
    def earned(self) -> float:
        """The points the questions earned, before any late penalty."""
        return sum((q.score for q in self.questions), 0.0)

    @property
    def penalty(self) -> float:
        """The points deducted for lateness (0 without a deadline or when on time)."""
        return self.lateness.penalty(self.earned, self.max) if self.lateness else 0.0

    @property
    def score(self) -> float:
        """The total: the points earned, less the late penalty."""
        return self.earned - self.penalty

    @property
    def cells(self) -> tuple[CellLog, ...]:
        """The run's cell log (none without a run)."""
        return self.run.cells if self.run is not None else ()

    @property
    def unisolated(self) -> bool:
        """Whether the notebook ran without the sandbox (--trust-submissions)."""
        return self.run is not None and self.run.isolation == "none"

    def entry(self, qid: str) -> QuestionEntry | None:
        """The entry of question `qid` (None if the result has none)."""
        return next((q for q in self.questions if q.id == qid), None)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format": FORMAT,
            "student": self.student,
            "assignment": self.assignment,
            "submission": self.submission.to_json(),
            "source_sha256": self.source_sha256,
            "status": self.status,
            "reason": self.reason,
            "max": self.max,
            "score": self.score,
            "questions": [q.to_json() for q in self.questions],
        }
        if self.repairs is not None:
            data["repairs"] = [r.to_json() for r in self.repairs]
        if self.run is not None:
            data |= self.run.to_json()
        if self.lateness is not None:
            data["lateness"] = self.lateness.to_json()
        if self.variant is not None:
            data["variant"] = self.variant.to_json()
        return data

    @classmethod
    def from_json(cls, data: object) -> StudentResult:
        optional = ("repairs", "lateness", "variant", *Run.KEYS)
        d = checks.keys(data, "result", _RESULT_KEYS, optional)
        if d["format"] != FORMAT:
            raise checks.RecordError(f"result: format {d['format']!r}, not {FORMAT}")
        ran = [k for k in Run.KEYS if k in d]
        if ran and len(ran) != len(Run.KEYS):
            raise checks.RecordError(f"result: only some of the run's details ({ran})")
        entries = checks.array(d["questions"], "questions")
        found = cls(
            student=checks.text(d["student"], "student"),
            assignment=checks.text(d["assignment"], "assignment"),
            submission=SubmissionInfo.from_json(d["submission"]),
            source_sha256=checks.text(d["source_sha256"], "source_sha256"),
            status=cast(RunStatus, checks.word(d["status"], RUN_STATUSES, "status")),
            reason=checks.text(d["reason"], "reason"),
            max=checks.number(d["max"], "max"),
            questions=tuple(QuestionEntry.from_json(q) for q in entries),
            repairs=(
                tuple(Repair.from_json(r) for r in checks.array(d["repairs"], "repairs"))
                if "repairs" in d
                else None
            ),
            run=Run.from_json(d) if ran else None,
            lateness=Lateness.from_json(d["lateness"]) if "lateness" in d else None,
            variant=Variant.from_json(d["variant"]) if "variant" in d else None,
        )
        score = checks.number(d["score"], "score")
        if not math.isclose(score, found.score, rel_tol=0, abs_tol=_SLACK):
            raise checks.RecordError(f"result: score {score} is not its total {found.score}")
        return found
