"""What a notebook calls: `check` for explained feedback, `score` for autograder test cells,
`given` for the numbers a question gives (the student's own where they have some), `login`
to say once who the student is (`grader.student.identity`).

Both run ``grade(question, encode(question, answer))`` in-process: the code the batch
grader runs on recorded answers, so a student sees what the instructor will compute.
Both record, with the answer, the notebook's data the question computes with as the
calling cell's namespace holds it (`grader.compare.state.recorded`), so that data an
earlier cell changed is named.
In *recording mode* (`start_recording`, set by the batch-grading sandbox) `score` only
writes the encoded answer for the trusted grader and returns 0.0, and `check` does
nothing.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import io
import math
import os
import sys
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from grader import installed
from grader.compare import state
from grader.compare.result import Result
from grader.compare.wire import dump
from grader.engine import encode, grade
from grader.question import Question
from grader.student import identity, known, sealedkey

#: Where `score` records answers; None outside the batch-grading sandbox.
_recording: Path | None = None
#: Questions given as specs (`grader.spec`), where the bank's computations are not
#: installed: the batch-grading sandbox, which records answers for its judge.
_provided: dict[str, Question] = {}
#: A student's numbers given to this process (the batch-grading sandbox: the submission's
#: student's, whatever the notebook claims), by question and input name.
_given: dict[str, dict[str, Any]] = {}


def provide(questions: Mapping[str, Question]) -> None:
    """Encode answers to these questions without the bank (see `_provided`)."""
    _provided.update(questions)


def provide_given(numbers: Mapping[str, Mapping[str, Any]]) -> None:
    """The inputs `given` returns and answers are recorded against (see `_given`)."""
    _given.update({qid: dict(values) for qid, values in numbers.items()})


def _question(qid: str) -> Question:
    """The question as this process judges it: provided, else the installed bank's with
    the student's own numbers under nbgrader autograde, else the bank's."""
    if qid in _provided:
        question = _provided[qid]
    else:
        question = installed.get(qid)
        found = identity.autograded()
        if found is not None:
            course, student = found
            drawn = installed.student_questions(course, question.assignment, student)
            question = drawn.get(qid, question)
    if qid in _given:
        question = replace(question, inputs={**question.inputs, **_given[qid]})
    return question


def given(qid: str, *names: str) -> tuple[Any, ...]:
    """The numbers question `qid` gives, one per name, as copies: the student's own
    where this notebook has them (see the module doc), else the lab's."""
    if qid in _given or qid in _provided or not known.sealed():
        inputs = _question(qid).inputs
    else:
        key = next((k for k in sealedkey.here() if qid in k.questions), None)
        if key is None:
            raise LookupError(sealedkey.NOT_HERE.format(qid=qid))
        inputs = sealedkey.numbers(key, qid).question.inputs
    unknown = [name for name in names if name not in inputs]
    if unknown:
        raise KeyError(f"{qid} gives no {', '.join(map(repr, unknown))}")
    return tuple(copy.deepcopy(inputs[name]) for name in names)


def login(student_id: str) -> None:
    """Remember who you are in this folder (the release folder): from now on its
    notebooks show and check your own numbers."""
    student = identity.login(student_id)
    print(f"You are {student!r} in this folder: run the notebook's cells again for your numbers.")
    for key in sealedkey.here():
        folder = key.folder or Path.cwd()
        mine = identity.variant_file(folder, key.assignment, student)
        if (folder / identity.VARIANTS).is_dir() and not mine.is_file():
            identity.say_once(sealedkey.LATE.format(student=student))


def start_recording(directory: str | os.PathLike[str]) -> None:
    """From now on `score` records answers in `directory` and `check` is silent."""
    global _recording
    _recording = Path(directory)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """No warnings, no NumPy floating-point messages, nothing on stderr."""
    with (
        warnings.catch_warnings(),
        np.errstate(all="ignore"),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        yield


def _unknown(qid: object, ids: list[str]) -> Result:
    """A check of a question id that is none of `ids`: the nearest ones, if any."""
    close = difflib.get_close_matches(str(qid), ids, n=3) if isinstance(qid, str) else []
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return Result(str(qid), "unknown question", (), (f"There is no question {qid!r}.{hint}",))


def _in_ipython() -> bool:
    ipython = sys.modules.get("IPython")
    return ipython is not None and ipython.get_ipython() is not None


def _caller() -> Mapping[str, Any]:
    """The namespace of the cell that called `check` or `score` (two frames up)."""
    try:
        return sys._getframe(2).f_globals
    except (AttributeError, ValueError):  # an interpreter without frames
        return {}


def _local(qid: str, answer: Any, namespace: Mapping[str, Any]) -> Result:
    """The verdict from the release folder's sealed key (see `grader.student.sealedkey`):
    a question id none of the folder's sealed keys holds is a typo when there are some
    (the nearest ids), a notebook run outside its release folder when there are none."""
    keys = sealedkey.here()
    key = next((k for k in keys if isinstance(qid, str) and qid in k.questions), None)
    if key is not None:
        return sealedkey.check(key, qid, answer, namespace)
    if keys:
        return _unknown(qid, [q for k in keys for q in k.questions])
    return Result(str(qid), "no sealed key", (), (sealedkey.NOT_HERE.format(qid=qid),))


def check(qid: str, answer: Any) -> Result | None:
    """Check an answer and explain the verdict. In Jupyter the returned result shows as
    HTML when it is the cell's last expression; elsewhere it is also printed."""
    if _recording is not None:
        return None
    namespace = _caller()
    if known.sealed():
        with _quiet():
            result = _local(qid, answer, namespace)
    else:
        try:
            question = _question(qid)
        except (installed.UnknownQuestion, TypeError, AttributeError):
            result = _unknown(qid, [q.id for q in installed.all_questions()])
        else:
            with _quiet():
                given = state.recorded(question, namespace)
                result = grade(question, encode(question, answer, given=given))
    if not _in_ipython():
        print(result.text())
    return result


class LocalScore(float):
    """A test cell's points on the student's machine, which says what the grader may add:
    the points of the parts the local check cannot confirm (`unconfirmed`: a step to be
    judged from the student's own earlier values, a value close to the answer, a function
    the grader also runs hidden checks on) beyond what it confirms of them."""

    pending: float = 0.0

    @classmethod
    def of(cls, result: Result) -> float:
        confirmed = float(min(max(result.score, 0.0), result.points))
        pending = sum(p.points - p.score for p in result.parts if p.status == "unconfirmed")
        if not pending:
            return confirmed
        found = cls(confirmed)
        found.pending = float(pending)
        return found

    def __repr__(self) -> str:
        return (
            f"{float(self):g} (and up to {self.pending:g} more that the instructor's grader "
            "decides: see the check above)"
        )

    __str__ = __repr__


def score(qid: str, answer: Any, hidden: bool = False) -> float:
    """The points an answer earns, for an nbgrader autograder test cell: a plain float in
    [0, points]; never raises and never writes to stderr (nbgrader would score 0)."""
    try:
        namespace = _caller()
        with _quiet():
            if _recording is None and known.sealed():  # the student's own run: a local score
                return LocalScore.of(_local(qid, answer, namespace))
            question = _question(qid)
            wire = encode(question, answer, hidden, state.recorded(question, namespace))
            if _recording is not None:
                dump(wire, _recording, qid)
                return 0.0
            points = grade(question, wire, hidden).score
        if not math.isfinite(points):
            return 0.0
        return float(min(max(points, 0.0), question.points))
    except Exception:
        return 0.0
