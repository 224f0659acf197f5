"""The sealed answer key written beside each release notebook (instructor's side).

`grader assign release` writes ``release/<assignment>/<assignment>.sealed.json``: every
question's spec (`grader.spec`, no key in it) and, for every graded part, its
expected value and each catalogued mistake's value *sealed* (`grader.compare.sealed`):
quantised at the part's tolerance and hashed with the course's salt and scrypt. The
student's `grader.check` (`grader.student.sealedkey`) tells from it whether an answer is
right, or which catalogued mistake it is, without the answer ever being in the clear.

What is sealed, per kind of part: numbers (an array, or a set as its sorted values) at the
part's tolerance, and again at float32 precision for answers computed in float32; a choice
as its canonical option, exactly; a function as its outputs on the public probes (the
hidden probes stay with the instructor); an expression as its values at fixed sample
points. A Keras model has no value to seal: its criteria are in its spec, and the local
check measures its metrics on rows the student has. Worked examples (practice questions)
carry their answer in the clear, as their check shows it anyway.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from grader.compare import kinds, sealed, symbolic
from grader.compare.numeric import single_precision
from grader.compare.scoring import reference
from grader.question import Choice, Expression, Function, NumberSet, Numeric, Part, Question
from grader.spec import to_spec
from optigrade import bank

FORMAT = 1
SUFFIX = ".sealed.json"


def course_salt(course: Path, assignment: str) -> bytes:
    """The salt of an assignment: from the course id of `nbgrader_config.py` (stable
    across machines, so a regenerated release is byte-identical) and the assignment."""
    config = course / "nbgrader_config.py"
    found = (
        re.search(r"course_id\s*=\s*[\"']([^\"']+)", config.read_text())
        if config.is_file()
        else None
    )
    course_id = found[1] if found else course.resolve().name
    return hashlib.sha256(f"optigrade:{course_id}:{assignment}".encode()).digest()


def sealed_key(assignment: str, salt: bytes) -> dict[str, Any]:
    """The sealed key of `assignment`, as JSON-able data."""
    questions = {}
    for q in bank.questions(assignment):
        entry: dict[str, Any] = {"spec": to_spec(q), "parts": {}}
        for part in q.parts:
            entry["parts"][part.name] = _part(q, part, salt)
        questions[q.id] = entry
    return {"format": FORMAT, "assignment": assignment, "salt": salt.hex(), "questions": questions}


def label(question: Question, part: Part, what: str = "") -> str:
    """What a seal is of: it enters the hash, so no seal can stand in for another."""
    return f"{question.id}/{part.name}{'#' + what if what else ''}"


def _part(q: Question, part: Part, salt: bytes) -> dict[str, Any]:
    expected = q.answer[part.name]
    if q.practice:
        return {"shown": _plain(expected)} if not callable(expected) else {}
    ref = reference(q)
    mistakes = ref.mistakes(part, kinds.kind_of(part)) if not isinstance(part, Function) else ()
    if isinstance(part, Numeric | NumberSet):
        values = _values(expected, part)
        wrong = [(m, _values(v, part)) for m, v in mistakes]
        found = _with_mistakes(values, wrong, part.tol, salt, q, part)
        single = single_precision(part.tol)
        if single != part.tol:  # float32 answers are compared at float32 precision
            found["float32"] = _with_mistakes(values, wrong, single, salt, q, part)
        return found
    if isinstance(part, Choice):
        return {
            "seal": _exact(expected, salt, label(q, part)),
            "mistakes": [
                {**_mistake(m), "seal": _exact(v, salt, label(q, part, m.key))} for m, v in mistakes
            ],
        }
    if isinstance(part, Function):
        probes = {}
        for probe in part.probes:
            if probe.hidden:
                continue
            out = probe.expected(copy.deepcopy(dict(probe.kwargs)))
            if isinstance(out, tuple | list):  # (w, b): their shapes, all values sealed
                arrays = [np.asarray(x, dtype=np.float64) for x in out]
                shapes: list[list[int]] | None = [list(x.shape) for x in arrays]
                value = np.concatenate([x.ravel() for x in arrays])
            else:
                shapes, value = None, np.asarray(out, dtype=np.float64)
            seal = sealed.seal(value, probe.tol, salt, label(q, part, probe.name))
            probes[probe.name] = {"shapes": shapes, "seal": seal.to_json()}
        return {"probes": probes}
    if isinstance(part, Expression):
        at = []
        for m, v in mistakes:
            try:
                at.append((m, _at_points(v, part)))
            except (ValueError, TypeError):
                continue  # a mistake that does not evaluate everywhere: trusted grader only
        found = _with_mistakes(_at_points(expected, part), at, symbolic.SEALED_TOL, salt, q, part)
        trees = {k: symbolic.to_tree(v, part) for k, v in part.definitions.items()}
        return {**found, "definitions": trees}
    return {}  # a Keras model: its criteria are in the spec


def _at_points(expr: Any, part: Expression) -> np.ndarray:
    values = symbolic.at_points(expr, part)
    if not np.isfinite(values).all():
        raise ValueError(f"{part.name}: not finite at every sample point")
    return values


def _mistake(m: Any) -> dict[str, Any]:
    return {"key": m.key, "hint": m.hint, "credit": m.credit}


def _values(value: Any, part: Numeric | NumberSet) -> np.ndarray:
    """A part's value as sealed: float64, a set as its sorted values."""
    a = np.asarray(value, dtype=np.float64)
    return np.sort(a.ravel()) if isinstance(part, NumberSet) else a


def _with_mistakes(
    expected: np.ndarray,
    mistakes: list[tuple[Any, np.ndarray]],
    tol: Any,
    salt: bytes,
    q: Question,
    part: Part,
) -> dict[str, Any]:
    """The expected value sealed, and each mistake: on the expected value's grids where it
    has its shape (`shared`: one digest of the answer checks them all), else on its own."""
    base = sealed.seal(expected, tol, salt, label(q, part))
    found = []
    for m, v in mistakes:
        shared = v.shape == expected.shape
        seal = (
            sealed.seal_on(v, base, tol, salt, label(q, part))
            if shared
            else sealed.seal(v, tol, salt, label(q, part, m.key))
        )
        found.append({**_mistake(m), "shared": shared, "seal": seal.to_json()})
    return {"seal": base.to_json(), "mistakes": found}


def _exact(option: Any, salt: bytes, what: str) -> dict[str, Any]:
    return sealed.seal_exact(str(option), salt, what).to_json()


def _plain(value: Any) -> Any:
    """A worked example's answer as JSON (it is shown anyway)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value if isinstance(value, int | float | str | list | dict) else str(value)


def write(course: Path, release: Path, assignment: str) -> Path:
    """Write the sealed key beside the release notebook; its path."""
    path = release / assignment / f"{assignment}{SUFFIX}"
    data = sealed_key(assignment, course_salt(course, assignment))
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path
