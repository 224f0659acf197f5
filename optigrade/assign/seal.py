"""The sealed answer key written beside each release notebook (instructor's side).

`grader assign release` writes ``release/<assignment>/<assignment>.sealed.json``: every
question's spec (`grader.spec`, no key in it) and, for every graded part, its
expected value and each catalogued mistake's value *sealed* (`grader.compare.sealed`):
quantised at the part's tolerance and hashed with the release's salt (kept with the
instructor, `optigrade.assign.secrets`) and scrypt. The student's `grader.check`
(`grader.student.sealedkey`) tells from it whether an answer is right, or which
catalogued mistake it is, without the answer ever being in the clear.

What is sealed, per kind of part (`grader.kinds`, each kind's `seal`): numbers (an array,
or a set as its sorted values) at the part's tolerance; a choice as its canonical option,
exactly; a function as its outputs on the public probes (the
hidden probes stay with the instructor); an expression as its values at fixed sample
points. A Keras model has no value to seal: its criteria are in its spec, and the local
check measures its metrics on rows the student has. Worked examples (practice questions)
carry their answer in the clear, as their check shows it anyway.

Released with a roster (`write_variants`), the folder also holds one file per student
(``variants/<token>.json``, `grader.student.sealedkey.Variant`): their inputs of the
questions that vary and those questions' parts sealed from their own numbers, with the
same salt. The shared sealed key keeps the lab's seals, for a notebook with no identity.
Sealing is scrypt's work, so the students are sealed in parallel processes.
"""

from __future__ import annotations

import json
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from grader import kinds
from grader.engine import reference
from grader.kinds.base import Sealing
from grader.question import Part, Question
from grader.spec import to_spec
from grader.student.identity import VARIANTS, token
from grader.student.sealedkey import Variant
from optigrade import bank, variants
from optigrade.assign import roster, secrets

FORMAT = 2  #: of the sealed key (1: cells 4 tolerances wide, float32 seals, a fixed salt)
SUFFIX = ".sealed.json"


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


def write(course: Path, release: Path, assignment: str, new_salt: bool = False) -> Path:
    """Write the sealed key beside the release notebook, with the assignment's salt (kept
    with the instructor: `optigrade.assign.secrets`; a new one with `new_salt`); its path."""
    path = release / assignment / f"{assignment}{SUFFIX}"
    data = sealed_key(assignment, secrets.salt(course, assignment, new_salt))
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def variant(assignment: str, secret: bytes, salt: bytes, student: str) -> Variant:
    """One student's file: their inputs and seals of the questions that vary."""
    inputs, parts = {}, {}
    with np.errstate(all="ignore"):  # a draw whose mistakes overflow is drawn again
        drawn = variants.questions(assignment, secret, student)
    for q in drawn.values():
        if not q.varies:
            continue
        inputs[q.id] = {name: q.inputs[name] for name in q.notebook_data if name in q.varies}
        sealing = Sealing(q, salt)
        parts[q.id] = {part.name: _part(q, part, sealing) for part in q.parts}
    return Variant(assignment, inputs, parts)


def _written(folder: Path, assignment: str, secret: bytes, salt: bytes, student: str) -> str:
    path = folder / f"{token(assignment, student)}.json"
    # a catalogued mistake may have no finite value for some numbers (z/Σz where Σz = 0):
    # the drawing's checks allow it, and NumPy's warning would only be noise here
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        data = variant(assignment, secret, salt, student).to_json()
    path.write_text(json.dumps(data, sort_keys=True, separators=(",", ":")), encoding="utf-8")
    return student


def write_variants(
    course: Path, release: Path, assignment: str, students: list[str] | None, jobs: int = 0
) -> int:
    """Write each student's file of a release with a roster (none: remove them, a release
    without variants) in `jobs` processes (0: one per core), keep the roster with the
    instructor; the number of files written."""
    folder = release / assignment / VARIANTS
    shutil.rmtree(folder, ignore_errors=True)
    roster.keep(course, assignment, students)
    if not students or not any(q.varies for q in bank.questions(assignment)):
        return 0
    folder.mkdir(parents=True)
    found = secrets.load(course)
    salt = secrets.salt(course, assignment)
    write = partial(_written, folder, assignment, found.course, salt)
    workers = min(jobs or os.cpu_count() or 1, len(students))
    if workers == 1:
        return len([write(s) for s in students])
    with ProcessPoolExecutor(workers) as pool:
        chunk = max(1, len(students) // (4 * workers))
        return len(list(pool.map(write, students, chunksize=chunk)))
