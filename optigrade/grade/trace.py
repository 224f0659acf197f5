"""`grader trace ASSIGNMENT FILE`: whose numbers does a notebook or a text found online use?

In a class where each student has their own numbers (`optigrade.grade.numbers`), the
inputs a varying question gives a student, and its answers for them, are theirs alone.
This reads every number written in the file (a notebook's cells and outputs, or any text)
and names the students, and the lab, whose inputs or answers all appear in it: an input
as it was drawn, an answer at its part's tolerance or to the digits the text prints. The
file is read as text or notebook JSON, never run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from grader.kinds import NumberSet, Numeric
from grader.question import Question, Tolerance
from optigrade.grade.numbers import Numbers

_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
#: Values that say nothing of whose numbers a text uses: a group needs one besides these.
_COMMON = (0.0, 1.0, -1.0)
_EXACT = Tolerance(rtol=1e-9, atol=1e-12)
ROUNDED = 3  #: decimals from which a printed number may be a rounded answer
#: Numbers found, at least, to name a student: a few short draws may meet by chance.
EVIDENCE = 4


@dataclass(frozen=True)
class Traced:
    """A student (None: the lab) whose numbers appear in the file: each input ("fp.1.1 X")
    and answer ("fp.1.1 answer z") found, and how many numbers they hold."""

    student: str | None
    found: tuple[str, ...]
    numbers: int


def text_of(path: Path) -> str:
    """The file's text; a notebook's cell sources and text outputs."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix != ".ipynb":
        return raw
    try:
        cells = json.loads(raw).get("cells", [])
    except (ValueError, AttributeError):
        return raw  # not a notebook after all: its numbers are in its text anyway
    return "\n".join(_cell_text(c) for c in cells if isinstance(c, dict))


def _cell_text(cell: dict) -> str:
    said = [_joined(cell.get("source", ""))]
    for output in cell.get("outputs", []) if isinstance(cell.get("outputs"), list) else []:
        if isinstance(output, dict):
            said.append(_joined(output.get("text", "")))
            data = output.get("data")
            if isinstance(data, dict):
                said.append(_joined(data.get("text/plain", "")))
    return "\n".join(said)


def _joined(text: object) -> str:
    return "".join(map(str, text)) if isinstance(text, list) else str(text)


def numbers_in(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Every number written in `text`, and half a unit of its last printed digit when it
    is printed with `ROUNDED` decimals or more (a rounded answer; fewer say too little)."""
    values, halves = [], []
    for match in _NUMBER.finditer(text):
        written = match.group()
        mantissa, _, exponent = written.lower().partition("e")
        decimals = len(mantissa.partition(".")[2])
        values.append(float(written))
        rounded = decimals >= ROUNDED
        halves.append(0.5 * 10.0 ** (int(exponent or 0) - decimals) if rounded else 0.0)
    return np.asarray(values, dtype=np.float64), np.asarray(halves, dtype=np.float64)


def _appears(value: object, tol: Tolerance, written: tuple[np.ndarray, np.ndarray]) -> bool:
    """Whether every number of `value` is written in the text (within `tol`, or to the
    digits the text prints), and one of them is not a common 0 or 1."""
    try:
        flat = np.asarray(value, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        return False
    numbers, halves = written
    if flat.size == 0 or not np.isfinite(flat).all() or np.isin(flat, _COMMON).all():
        return False
    if numbers.size == 0:
        return False
    gap = np.abs(numbers[None, :] - flat[:, None])
    slack = np.maximum(halves[None, :], tol.atol + tol.rtol * np.abs(flat)[:, None])
    return bool((gap <= slack * (1 + 1e-9)).any(axis=1).all())


def _size(value: object) -> int:
    return int(np.size(np.asarray(value, dtype=np.float64)))


def _groups(question: Question) -> Iterator[tuple[str, object, Tolerance]]:
    """What of a question is each student's own: its varying inputs, its answers."""
    for name in sorted(question.varies):
        yield f"{question.id} {name}", question.inputs[name], _EXACT
    answer = question.answer
    for part in question.parts:
        if isinstance(part, Numeric | NumberSet):
            yield f"{question.id} answer {part.name}", answer[part.name], part.tol


def trace(numbers: Numbers, text: str) -> tuple[Traced, ...]:
    """The students (and the lab) whose inputs or answers appear in `text`, holding
    `EVIDENCE` numbers at least, the most numbers first."""
    written = numbers_in(text)
    found = []
    candidates: Iterable[str | None] = (None, *numbers.students)
    for student in candidates:
        own = numbers.lab if student is None else numbers.questions(student)
        hits = [
            (where, _size(value))
            for qid in numbers.varying
            for where, value, tol in _groups(own[qid])
            if _appears(value, tol, written)
        ]
        count = sum(size for _, size in hits)
        if count >= EVIDENCE:
            found.append(Traced(student, tuple(where for where, _ in hits), count))
    return tuple(sorted(found, key=lambda t: (-t.numbers, t.student or "")))
