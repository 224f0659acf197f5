"""`grader.check` from the sealed key, where the answer key is not installed.

The release folder holds ``<assignment>.sealed.json`` (written by `grader assign
release`): each question's spec and, for every graded part, its expected value and each
catalogued mistake's value sealed (`grader.compare.sealed`). A check encodes the answer
as the batch grader would (`grader.compare.wire`), then per part says: correct; or which
catalogued mistake it is, with its hint; or incorrect, with every diagnosis that needs no
expected value (type, shape, transposed, NaN/inf, ragged, not assigned). It cannot say by
how much a value is off (that needs the value), and follow-through is the instructor's
grader's alone: the message says so where it applies. A trained Keras model is checked
by the grader's own criteria (layers, compilation, early stopping, metric thresholds),
its metrics measured on rows the student has (`Model.public`). Worked examples carry
their answer in the clear, so their check is the full one.

The file is read as data: JSON, seals validated by `Seal.from_json`, expression
definitions rebuilt from whitelisted trees.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from grader import coursedata
from grader.compare import choice, models, sealed, symbolic
from grader.compare.kinds import Context, Unusable, Verdict, scored
from grader.compare.nodes import kind, numbers, unusable
from grader.compare.numeric import NARROW, fit, precision_note, sentence, single_precision
from grader.compare.result import Result
from grader.compare.scoring import grade
from grader.compare.wire import Wire, encode
from grader.question import (
    Choice,
    Expression,
    Function,
    Mistake,
    Model,
    NumberSet,
    Numeric,
    Part,
    Question,
)
from grader.spec import from_spec

SUFFIX = ".sealed.json"
FORMAT = 1
FOLLOW_THROUGH = (
    "(The instructor's grader also credits this step when it is right given your own "
    "earlier answers: later steps are graded against your own earlier ones.)"
)


Seals = Mapping[str, Any]  # one part's entry of the sealed key


class NoSealedKey(LookupError):
    """No sealed key for the question in the notebook's folder."""


@dataclass(frozen=True)
class SealedKey:
    """One assignment's sealed key, read from its release folder."""

    assignment: str
    salt: bytes
    questions: Mapping[str, Question]
    parts: Mapping[str, Mapping[str, Mapping[str, Any]]]  # qid -> part -> its seals

    @classmethod
    def read(cls, path: Path) -> SealedKey:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"{path}: not a sealed key this grader reads")
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


def find(qid: str, folder: Path | None = None) -> SealedKey:
    """The sealed key holding `qid` in `folder` (the notebook's working directory)."""
    for key in here(folder):
        if qid in key.questions:
            return key
    raise NoSealedKey(
        f"no sealed key for {qid} here: run the notebook from its release folder, where "
        f"its {SUFFIX} file is"
    )


def check(key: SealedKey, qid: str, answer: Any) -> Result:
    """The local verdict on an answer (see the module doc)."""
    question = key.questions[qid]
    seals = key.parts[qid]
    if question.practice:  # a worked example: its answer is in the clear, check it fully
        shown = {p.name: _shown(seals[p.name].get("shown")) for p in question.parts}
        known = replace(question, parts=tuple(_computing(p, shown[p.name]) for p in question.parts))
        return grade(known, encode(known, answer))
    question = _measured_here(question)
    wire = encode(question, answer)
    parts = []
    for part in question.parts:
        here = _Sealed(question, wire, seals.get(part.name, {}), key.salt, _label(qid, part))
        try:
            verdict = _JUDGES.get(type(part), _unchecked)(wire.part(part.name), part, here)
        except (KeyError, TypeError, ValueError) as e:  # a damaged or older sealed key
            verdict = Verdict("invalid", 0.0, f"the sealed key of {qid} is damaged ({e!r})")
        if part.follows and verdict.status not in ("correct", "missing"):
            verdict = replace(verdict, message=sentence(verdict.message, FOLLOW_THROUGH))
        parts.append(scored(part, verdict))
    return Result(question.id, question.title, tuple(parts), tuple(wire.notes), False, False)


_UNWRITTEN = (
    "not answered yet: the function still raises NotImplementedError; write its body in "
    "its # YOUR CODE HERE cell"
)
_UNCHECKED = "not checked here: the instructor's grader grades it"


def _measured_here(question: Question) -> Question:
    """`question` with each model part measured on its public rows (`Model.public`, in
    `grader.coursedata`): the held-out rows the grader uses are not on this side."""
    parts, inputs = [], dict(question.inputs)
    for part in question.parts:
        if isinstance(part, Model) and part.public is not None:
            public = part.public
            rows = _public_rows(public.dataset)
            inputs |= {public.features: rows[public.features], public.labels: rows[public.labels]}
            here = {"labels": public.labels, "rows": public.rows}
            criteria = tuple(
                models.criterion({**c.spec, **here}) if c.spec.get("check") == "metric" else c
                for c in part.criteria
            )
            part = replace(part, evaluate_on=public.features, criteria=criteria)
        parts.append(part)
    return replace(question, parts=tuple(parts), inputs=inputs)


@cache
def _public_rows(dataset: str) -> dict[str, np.ndarray]:
    """A public data set's arrays, loaded once per process, read-only."""
    rows = coursedata.arrays(dataset)
    for a in rows.values():
        a.setflags(write=False)
    return rows


@dataclass(frozen=True)
class _Sealed:
    """What a local judge has of a part besides its answer's node: the question, the
    whole encoded answer, the part's seals, the course's salt and the seals' label."""

    question: Question
    wire: Wire
    found: Seals
    salt: bytes
    what: str


def _unchecked(node: Any, part: Part, here: _Sealed) -> Verdict:
    return Verdict("missing", 0.0, _UNCHECKED)


def _model(node: Any, part: Model, here: _Sealed) -> Verdict:
    if part.public is None:
        return _unchecked(node, part, here)
    ctx = Context(here.question, part, here.wire, expected=None, prior={}, mistakes=tuple)
    verdict = models.judge(node, ctx)
    where = (
        f"(Measured here on the {part.public.rows} rows, {part.public.features} and "
        f"{part.public.labels}; the instructor's grader measures it on held-out rows.)"
    )
    return replace(verdict, message=sentence(verdict.message, where))


def _label(qid: str, part: Part, what: str = "") -> str:
    return f"{qid}/{part.name}{'#' + what if what else ''}"


def _shown(value: Any) -> Any:
    return np.asarray(value, dtype=np.float64) if isinstance(value, list) else value


def _computing(part: Part, value: Any) -> Part:
    return replace(part, compute=lambda inputs, prior: value)


def _mistakes(
    found: Mapping[str, Any], shared: bool | None = None
) -> list[tuple[Mistake, sealed.Seal]]:
    """The part's sealed mistakes, those sealed on the expected value's grids (`shared`)
    or the others."""
    return [
        (
            Mistake(str(m["key"]), str(m["hint"]), _never, float(m.get("credit", 0.0))),
            sealed.Seal.from_json(m["seal"]),
        )
        for m in found.get("mistakes", ())
        if bool(m.get("shared")) == shared
    ]


def _by_digest(
    value: np.ndarray, expected: sealed.Seal, found: Seals, tol: Any, salt: bytes, what: str
) -> Verdict | None:
    """Correct, or the mistake sealed on the expected value's grids, from one digest of
    the answer; None if neither."""
    digest = sealed.digest_on(value, expected, tol, salt, what)
    if digest is None:
        return None
    if hmac.compare_digest(digest, expected.digest):
        return Verdict("correct", 1.0, "Correct.")
    return _mistaken(
        _mistakes(found, shared=True), lambda m, s: hmac.compare_digest(digest, s.digest)
    )


def _never(*_: Any) -> Any:
    raise RuntimeError("a sealed mistake has no value to compute")


def _mistaken(
    mistakes: list[tuple[Mistake, sealed.Seal]], matches: Callable[[Mistake, sealed.Seal], bool]
) -> Verdict | None:
    for mistake, seal in mistakes:
        if matches(mistake, seal):
            status = "partial" if mistake.credit > 0 else "incorrect"
            return Verdict(status, mistake.credit, mistake.hint, mistake.key)
    return None


_NOT_IT = (
    "Not within the tolerance of the expected value, and not one of the mistakes the "
    "grader knows (check your steps; the instructor's grader says more)."
)


def _numbers(node: Any, part: Numeric | NumberSet, here: _Sealed) -> Verdict:
    found, salt, what = here.found, here.salt, here.what
    try:
        nums = numbers(node, here.wire)
    except Unusable as u:
        return u.verdict
    tol, note = part.tol, None
    if nums.dtype in NARROW and "float32" in found:  # sealed again at float32 precision
        found, tol = found["float32"], single_precision(part.tol)
        note = precision_note(str(nums.dtype), "float32", tol.rtol)
    expected = sealed.Seal.from_json(found["seal"])
    policy = part.shape_policy if isinstance(part, Numeric) else "size"
    integer = isinstance(part, Numeric) and part.integer

    def shaped(seal: sealed.Seal) -> tuple[np.ndarray, list[str]]:
        a, notes = fit(nums, np.zeros(seal.shape), policy, integer)
        return (np.sort(a.ravel()) if isinstance(part, NumberSet) else a), notes

    def same_as(m: Mistake, seal: sealed.Seal) -> bool:  # a mistake of another shape
        try:
            a, _ = shaped(seal)
        except Unusable:
            return False
        return sealed.matches(a, seal, tol, salt, f"{what}#{m.key}")

    try:
        a, notes = shaped(expected)
    except Unusable as u:
        return _mistaken(_mistakes(found, shared=False), same_as) or u.verdict
    verdict = _by_digest(a, expected, found, tol, salt, what)
    if verdict is not None:
        return replace(verdict, message=sentence(verdict.message, *notes, note))
    return Verdict("incorrect", 0.0, sentence(_NOT_IT, *notes, note))


class _Option:
    """A sealed option, compared by hashing: what `choice.judge` compares the answer with."""

    def __init__(self, seal: sealed.Seal, salt: bytes, what: str) -> None:
        self.seal, self.salt, self.what = seal, salt, what

    def __eq__(self, option: object) -> bool:
        return sealed.matches_exact(option, self.seal, self.salt, self.what)

    __hash__ = None  # type: ignore[assignment]


def _choice(node: Any, part: Choice, here: _Sealed) -> Verdict:
    expected = _Option(sealed.Seal.from_json(here.found["seal"]), here.salt, here.what)
    mistakes = tuple(
        (m, _Option(s, here.salt, f"{here.what}#{m.key}"))
        for m, s in _mistakes(here.found, shared=False)
    )
    ctx = Context(
        question=here.question,
        part=part,
        wire=here.wire,
        expected=expected,
        prior={},
        mistakes=lambda: mistakes,
    )
    return choice.judge(node, ctx)


def _function(node: Any, part: Function, here: _Sealed) -> Verdict:
    if kind(node) != "calls":
        if kind(node) == "none":
            return Unusable("no answer (None): did you define the function?", "missing").verdict
        return unusable(node, "a function").verdict
    records = {r.get("probe"): r for r in node.get("calls", ()) if isinstance(r, dict)}
    probes = here.found.get("probes", {})
    checked = [p for p in part.probes if p.name in probes]
    if not checked:
        return Verdict("missing", 0.0, "not checked here: the instructor's grader tests it")
    failures = []
    for probe in checked:
        record = records.get(probe.name) or {}
        if _unwritten(record):
            return Verdict("missing", 0.0, _UNWRITTEN)
        problem = _probe_problem(record, probes[probe.name], probe, part, here)
        if problem:
            failures.append(f"{probe.describe}: {problem}.")
    passed = len(checked) - len(failures)
    if not failures:
        return Verdict("correct", 1.0, f"Correct: all {len(checked)} checks passed.")
    message = sentence(f"{passed} of {len(checked)} checks passed.", *failures[:3])
    return Verdict("partial" if passed else "incorrect", passed / len(checked), message)


def _unwritten(record: Mapping[str, Any]) -> bool:
    return record.get("status") == "raised" and str(record.get("error", "")).startswith(
        "NotImplementedError"
    )


def _probe_problem(
    record: Mapping[str, Any],
    entry: Mapping[str, Any],
    probe: Any,
    part: Function,
    here: _Sealed,
) -> str | None:
    """Why one call of the student's function is not the expected one (None: it is)."""
    status = record.get("status")
    if status == "raised":
        return f"raised {str(record.get('error', 'an exception'))[:200]}"
    if status == "timeout":
        return f"did not return within {part.call_timeout:g} s"
    if status != "ok":
        return "was not run"
    seal = sealed.Seal.from_json(entry["seal"])
    try:
        flat = _returned(record.get("value"), here.wire, entry.get("shapes"), seal, probe)
    except Unusable as u:
        return str(u)
    if sealed.matches(flat, seal, probe.tol, here.salt, f"{here.what}#{probe.name}"):
        return None
    return "returned a value that is not the expected one"


def _returned(node: Any, wire: Wire, shapes: Any, seal: sealed.Seal, probe: Any) -> np.ndarray:
    """A function's result as the values its probe's seal holds: one array (in the sealed
    shape), or a tuple of arrays of the given shapes (e.g. w and b), flattened."""
    if shapes is None:
        return fit(numbers(node, wire), np.zeros(seal.shape), probe.shape_policy)[0]
    try:  # a tuple of equal arrays arrives as one array
        whole = numbers(node, wire).values
        if whole.size == sum(int(np.prod(s)) for s in shapes):
            return np.ravel(whole)
    except Unusable:
        pass
    items = node.get("items") if kind(node) == "list" else None
    if not isinstance(items, list) or len(items) != len(shapes):
        raise Unusable(f"expected a tuple of {len(shapes)} values")
    return np.concatenate(
        [
            np.ravel(fit(numbers(item, wire), np.zeros(shape), probe.shape_policy)[0])
            for item, shape in zip(items, map(tuple, shapes), strict=True)
        ]
    )


def _expression(node: Any, part: Expression, here: _Sealed) -> Verdict:
    found = here.found
    if kind(node) != "expr":
        return unusable(node, "an expression (a SymPy expression or a string)").verdict
    try:
        defined = {k: symbolic.from_tree(t, part) for k, t in found.get("definitions", {}).items()}
        full = replace(part, definitions=defined)
        values = symbolic.at_points(symbolic.from_tree(node.get("tree"), part), full)
    except (symbolic.SymbolicInputError, ValueError, TypeError) as e:
        return Verdict("invalid", 0.0, str(e))
    expected = sealed.Seal.from_json(found["seal"])
    mistake = _by_digest(values, expected, found, symbolic.SEALED_TOL, here.salt, here.what)
    return mistake or Verdict(
        "incorrect", 0.0, "Not equivalent to the expected expression (its values differ)."
    )


_JUDGES: dict[type[Part], Callable[..., Verdict]] = {
    Numeric: _numbers,
    NumberSet: _numbers,
    Choice: _choice,
    Function: _function,
    Expression: _expression,
    Model: _model,
}
