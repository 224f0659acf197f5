"""`grader.check` from the sealed key, where the answer key is not installed.

The release folder holds ``<assignment>.sealed.json`` (written by `grader assign
release`): each question's spec and, for every graded part, its expected value and each
catalogued mistake's value sealed (`grader.compare.sealed`). A check encodes the answer
as the batch grader would (`grader.compare.wire`), then per part says: correct; or which
catalogued mistake it is, with its hint; or incorrect, with every diagnosis that needs no
expected value (type, shape, transposed, NaN/inf, ragged, not assigned). It cannot say by
how much a value is off (that needs the value), and follow-through is the instructor's
grader's alone: the message says so where it applies (a catalogued mistake is named even
after a wrong step: a slip made at every step is sealed at every step). Rows that are one
array and given data an earlier cell changed are diagnosed as the grader does
(`grader.compare.state`). A trained Keras model is checked
by the grader's own criteria (layers, compilation, early stopping, metric thresholds),
its metrics measured on rows the student has (`Model.public`). Worked examples carry
their answer in the clear, so their check is the full one.

A release with a roster (`grader assign release --roster`) holds, beside the sealed key,
one file per student (`Variant`, found from the student's id: `grader.student.identity`):
their inputs of the questions that vary and those questions' parts sealed from their own
numbers. A check of such a question uses them; a notebook with no identity uses the lab's
numbers and says so once; a student missing from the roster (late enrolment) is told to
ask for a new release and gets no local "correct" or "incorrect" there (`unconfirmed`),
as the grade will judge their own numbers, which this folder does not hold.

The files are read as data: JSON, seals validated by `Seal.from_json`, expression
definitions rebuilt from whitelisted trees.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from grader import kinds
from grader.compare import state, tagged
from grader.compare.result import Result, Verdict, scored
from grader.engine import encode, grade
from grader.kinds.base import CHECK_BUDGET, Budget, SealedPart
from grader.question import Part, Question
from grader.spec import from_spec, varies
from grader.student import identity

SUFFIX = ".sealed.json"
FORMAT = 2  #: of the sealed key this check reads (`optigrade.assign.seal`)
#: What a step that depends on a wrong earlier step of the student's is locally: the
#: grader judges it from the student's own earlier values (follow-through), which takes
#: the reference computation, so the local check says what will happen instead.
FOLLOW_THROUGH = (
    "Not the answer from the right earlier values. An earlier step it depends on is not "
    "right here, so the instructor's grader will judge this step from your own earlier "
    "values: if it follows correctly from them, it earns its points (carried)."
)


Seals = Mapping[str, Any]  # one part's entry of the sealed key

VARIANT_FORMAT = 1  #: of a student's file of a release (`Variant`)
NO_ID = (
    "This notebook uses the lab's numbers, not your own: set your id once with "
    'grader.login("YOUR ID") (your instructor\'s student id), then run it again.'
)
LATE = (
    "Your id {student!r} is not in this release's roster, so it holds none of your own "
    "numbers: ask your instructor for a new release. Until then the numbers shown are the "
    "lab's, and the checks of questions whose numbers vary confirm nothing (your grade "
    "uses your own numbers)."
)


#: What a check says where no sealed key is (a notebook run outside its release folder).
NOT_HERE = (
    "no sealed key for {qid} here: run the notebook from its release folder, where its "
    f"{SUFFIX} file is"
)


@dataclass(frozen=True)
class SealedKey:
    """One assignment's sealed key, read from its release folder."""

    assignment: str
    salt: bytes
    questions: Mapping[str, Question]
    parts: Mapping[str, Mapping[str, Mapping[str, Any]]]  # qid -> part -> its seals
    varies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # qid -> names
    folder: Path | None = None  # the release folder it was read from

    @classmethod
    def read(cls, path: Path) -> SealedKey:
        try:
            return cls.from_json(json.loads(path.read_text(encoding="utf-8")), path.parent)
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None

    @classmethod
    def from_json(cls, data: Any, folder: Path | None = None) -> SealedKey:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(
                f"not a sealed key this grader reads (format {FORMAT}): ask for the "
                "release made with your grader's version"
            )
        questions = {qid: from_spec(q["spec"]) for qid, q in data["questions"].items()}
        parts = {qid: q["parts"] for qid, q in data["questions"].items()}
        varying = {qid: varies(q["spec"]) for qid, q in data["questions"].items()}
        salt = bytes.fromhex(data["salt"])
        return cls(str(data["assignment"]), salt, questions, parts, varying, folder)


@dataclass(frozen=True)
class Variant:
    """One student's file of a release: per varying question, the student's inputs and
    its parts sealed from them (with the release's salt)."""

    assignment: str
    inputs: Mapping[str, Mapping[str, Any]]  # qid -> input name -> the student's value
    parts: Mapping[str, Mapping[str, Mapping[str, Any]]]  # qid -> part -> its seals

    def to_json(self) -> dict[str, Any]:
        return {
            "format": VARIANT_FORMAT,
            "assignment": self.assignment,
            "questions": {
                qid: {
                    "inputs": [[k, tagged.dump(v)] for k, v in self.inputs[qid].items()],
                    "parts": dict(self.parts[qid]),
                }
                for qid in sorted(self.inputs)
            },
        }

    @classmethod
    def from_json(cls, data: Any) -> Variant:
        if not isinstance(data, dict) or data.get("format") != VARIANT_FORMAT:
            raise ValueError(f"not a student's file this grader reads (format {VARIANT_FORMAT})")
        found = data["questions"]
        if not isinstance(found, dict) or not all(
            isinstance(q, dict) and isinstance(q.get("parts"), dict) for q in found.values()
        ):
            raise ValueError("a student's file has no questions")
        inputs = {
            str(qid): {str(k): tagged.load(v) for k, v in q["inputs"]} for qid, q in found.items()
        }
        parts = {str(qid): q["parts"] for qid, q in found.items()}
        return cls(str(data["assignment"]), inputs, parts)


@dataclass(frozen=True)
class Numbers:
    """The numbers a question is checked with here: the student's, or the lab's."""

    question: Question  # with the student's inputs where they have their own
    seals: Mapping[str, Mapping[str, Any]]  # part -> its seals, from the same numbers
    confirmable: bool = True  # False: late enrolment, the grade uses numbers not here


@cache
def _variant(path: Path, stamp: float) -> Variant:
    try:
        return Variant.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{path}: {e}") from None


def numbers(key: SealedKey, qid: str) -> Numbers:
    """The numbers `qid` is checked with in the key's folder (see the module doc)."""
    lab = Numbers(key.questions[qid], key.parts[qid])
    if (
        not key.varies.get(qid)
        or key.folder is None
        or not (key.folder / identity.VARIANTS).is_dir()
    ):
        return lab  # released without a roster: the lab's numbers are everyone's
    student = identity.student(key.folder)
    if student is None:
        identity.say_once(NO_ID)
        return lab
    path = identity.variant_file(key.folder, key.assignment, student)
    if not path.is_file():
        identity.say_once(LATE.format(student=student))
        return replace(lab, confirmable=False)
    mine = _variant(path, path.stat().st_mtime)
    if qid not in mine.inputs:
        return lab
    question = key.questions[qid]
    return Numbers(
        replace(question, inputs={**question.inputs, **mine.inputs[qid]}), mine.parts[qid]
    )


@cache
def _read(path: Path, stamp: float) -> SealedKey:
    return SealedKey.read(path)


def here(folder: Path | None = None) -> list[SealedKey]:
    """The sealed keys in `folder` (default: the working directory, the notebook's)."""
    paths = sorted((folder or Path.cwd()).glob(f"*{SUFFIX}"))
    return [_read(path.resolve(), path.stat().st_mtime) for path in paths]


def check(
    key: SealedKey, qid: str, answer: Any, namespace: Mapping[str, Any] | None = None
) -> Result:
    """The local verdict on an answer (see the module doc); `namespace`: the calling
    cell's, where the notebook's data the question computes with is."""
    checked = numbers(key, qid)
    question, seals = checked.question, checked.seals
    given = state.recorded(question, namespace or {})
    if question.practice:  # a worked example: its answer is in the clear, check it fully
        shown = {p.name: _shown(seals[p.name].get("shown")) for p in question.parts}
        known = replace(question, parts=tuple(_computing(p, shown[p.name]) for p in question.parts))
        return grade(known, encode(known, answer, given=given))
    question = _here(question)
    wire = encode(question, answer, given=given)
    budget = Budget(CHECK_BUDGET)
    verdicts: dict[str, Verdict] = {}
    for part in question.parts:
        found = seals.get(part.name, {})
        here = SealedPart(question, wire, found, key.salt, _label(qid, part), budget)
        try:
            verdict = kinds.of(part).check_sealed(wire.part(part.name), part, here)
        except (KeyError, TypeError, ValueError) as e:  # a damaged or older sealed key
            verdict = Verdict("internal-error", 0.0, f"the sealed key of {qid} is damaged ({e!r})")
        if (
            verdict.status not in ("correct", "unanswered", "unusable")
            and not verdict.mistake  # a slip made at every step is named at each
            and any(verdicts[name].status != "correct" for name in part.follows)
        ):
            verdict = Verdict("unconfirmed", 0.0, FOLLOW_THROUGH)
        verdicts[part.name] = verdict
    verdicts = state.diagnosed(question, wire, verdicts)
    if not checked.confirmable:
        late = LATE.format(student=identity.student(key.folder))
        verdicts = {n: _unconfirmed(v, late) for n, v in verdicts.items()}
    parts = tuple(scored(part, verdicts[part.name]) for part in question.parts)
    return Result(question.id, question.title, parts, tuple(wire.notes), False, False)


def _unconfirmed(verdict: Verdict, why: str) -> Verdict:
    """A verdict on numbers the grade will not use: what the answer's form says stays
    (unanswered, unusable), anything about its value is unconfirmed."""
    if verdict.status in ("unanswered", "unusable"):
        return verdict
    return Verdict("unconfirmed", 0.0, why)


def _here(question: Question) -> Question:
    """`question` as a student's machine checks it: each part as its kind adapts it there
    (a model measured on public rows), with the inputs that needs."""
    parts, inputs = [], dict(question.inputs)
    for part in question.parts:
        local, needed = kinds.of(part).local(part)
        parts.append(local)
        inputs |= needed
    return replace(question, parts=tuple(parts), inputs=inputs)


def _label(qid: str, part: Part, what: str = "") -> str:
    return f"{qid}/{part.name}{'#' + what if what else ''}"


def _shown(value: Any) -> Any:
    return np.asarray(value, dtype=np.float64) if isinstance(value, list) else value


def _computing(part: Part, value: Any) -> Part:
    return replace(part, compute=lambda inputs, prior: value)
