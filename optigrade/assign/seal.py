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

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from grader import kinds
from grader.engine import reference
from grader.kinds.base import Sealing
from grader.question import Part, Question
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
        sealing = Sealing(q, salt)
        entry: dict[str, Any] = {"spec": to_spec(q), "parts": {}}
        for part in q.parts:
            entry["parts"][part.name] = _part(q, part, sealing)
        questions[q.id] = entry
    return {"format": FORMAT, "assignment": assignment, "salt": salt.hex(), "questions": questions}


def _part(q: Question, part: Part, sealing: Sealing) -> dict[str, Any]:
    """A part's entry: sealed by its kind; a worked example's answer in the clear."""
    expected = q.answer[part.name]
    if q.practice:
        return {"shown": _plain(expected)} if not callable(expected) else {}
    kind = kinds.of(part)
    return kind.seal(part, expected, reference(q).mistakes(part, kind), sealing)


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
