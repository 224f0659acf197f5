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

The file is read as data: JSON, seals validated by `Seal.from_json`, expression
definitions rebuilt from whitelisted trees.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from grader import kinds
from grader.compare import state
from grader.compare.result import Result, Verdict, scored
from grader.engine import encode, grade
from grader.kinds.base import CHECK_BUDGET, Budget, SealedPart
from grader.question import Part, Question
from grader.spec import from_spec

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

    @classmethod
    def read(cls, path: Path) -> SealedKey:
        try:
            return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None

    @classmethod
    def from_json(cls, data: Any) -> SealedKey:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(
                f"not a sealed key this grader reads (format {FORMAT}): ask for the "
                "release made with your grader's version"
            )
        questions = {qid: from_spec(q["spec"]) for qid, q in data["questions"].items()}
        parts = {qid: q["parts"] for qid, q in data["questions"].items()}
        return cls(str(data["assignment"]), bytes.fromhex(data["salt"]), questions, parts)


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
    question = key.questions[qid]
    seals = key.parts[qid]
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
    parts = tuple(scored(part, verdicts[part.name]) for part in question.parts)
    return Result(question.id, question.title, parts, tuple(wire.notes), False, False)


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
