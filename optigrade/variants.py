"""Each student's own numbers: the questions of an assignment with their inputs drawn.

A student's inputs for a question are drawn (`grader.variation`) from a key derived from
the course secret (kept with the instructor: `optigrade.assign.secrets`), the assignment,
the question, the input, the student id and an attempt number: the same at every regrade,
different between students, and nothing a student can work out. A draw is checked the way
STACK checks a deployed variant (`problems`): every answer finite and bounded, every
catalogued mistake of every part told apart from the answer and from the other mistakes
(so a wrong answer is named, and a right one is never taken for a mistake); a draw that
fails is drawn again with the next attempt number.

Without a student (`None`) the questions are the lab's, as the bank defines them: a class
released without a roster, and the course's own figures.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from grader import kinds
from grader.compare.diagnose import close
from grader.engine import reference
from grader.kinds import NumberSet, Numeric
from grader.question import Question, Tolerance
from grader.variation import DRAWN, AnswerOf, Same
from optigrade import bank

ATTEMPTS = 200  #: draws tried before a question is declared unable to vary
BOUND = 1e8  #: no answer of a variant larger than this (a diverging trajectory)
APART = 3.0  #: mistakes and the answer at least this many tolerances apart
_TAG = b"optigrade/variant/1\x00"


class VariantError(ValueError):
    """No draw of a question passes the checks (a bank bug: its draws are too wide)."""


def key(secret: bytes, assignment: str, qid: str, name: str, student: str, attempt: int) -> bytes:
    """The key one input of one student's question is drawn from."""
    message = "\x00".join((assignment, qid, name, student, str(attempt))).encode("utf-8")
    return hmac.new(secret, _TAG + message, hashlib.sha256).digest()


def _far(a: Any, b: Any, tol: Tolerance) -> bool:
    """Whether two values are told apart at `APART` times the tolerance."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if isinstance(a, set | frozenset) or x.shape != y.shape:
        return True
    wide = Tolerance(rtol=APART * tol.rtol, atol=APART * tol.atol)
    return not bool(close(x, y, wide).all())


def problems(question: Question) -> list[str]:
    """Why this variant of a question is no good (none: it is)."""
    try:
        answer = question.answer
    except Exception as e:  # the inputs make a computation fail
        return [f"the answer cannot be computed ({type(e).__name__}: {e})"]
    found = []
    for part in question.parts:
        if not isinstance(part, Numeric | NumberSet):
            continue
        value = np.asarray(answer[part.name], dtype=np.float64)
        if not np.isfinite(value).all() or np.abs(value).max(initial=0) > BOUND:
            found.append(f"{part.name}: not finite or beyond {BOUND:g}")
            continue
        try:
            wrong = [v for _, v in reference(question).mistakes(part, kinds.of(part))]
        except Exception as e:
            found.append(f"{part.name}: a mistake cannot be computed ({type(e).__name__})")
            continue
        values = [answer[part.name], *wrong]
        for i, a in enumerate(values):
            for b in values[i + 1 :]:
                if not _far(a, b, part.tol):
                    found.append(f"{part.name}: two of its values (answer, mistakes) coincide")
                    break
            else:
                continue
            break
    return found


def _drawn(
    question: Question, secret: bytes, student: str, done: Mapping[str, Question], attempt: int
) -> Question:
    inputs = dict(question.inputs)
    for name, draw in question.varies.items():
        if isinstance(draw, Same | AnswerOf):
            source = done.get(draw.question)
            if source is None:
                raise VariantError(f"{question.id}: {draw.question} must come before it")
            if isinstance(draw, Same):
                inputs[name] = source.inputs[name]
            else:
                (only,) = source.parts
                inputs[name] = source.answer[only.name]
        else:
            k = key(secret, question.assignment, question.id, name, student, attempt)
            inputs[name] = draw.draw(question.inputs[name], k)
    return replace(question, inputs=inputs)


def questions(assignment: str, secret: bytes, student: str | None) -> dict[str, Question]:
    """The student's questions of `assignment`, by id, in the lab's order (the lab's
    own questions for `None`). Raises `VariantError` for a question no draw passes."""
    lab = bank.questions(assignment)
    if student is None:
        return {q.id: q for q in lab}
    done: dict[str, Question] = {}
    for q in lab:
        if not q.varies:
            done[q.id] = q
            continue
        drawn = any(isinstance(d, DRAWN) for d in q.varies.values())
        for attempt in range(ATTEMPTS if drawn else 1):
            candidate = _drawn(q, secret, student, done, attempt)
            said = problems(candidate)
            if not said:
                break
        else:
            raise VariantError(f"{q.id}: no draw in {ATTEMPTS} passes: {'; '.join(said)}")
        done[q.id] = candidate
    return done


def rejections(assignment: str, secret: bytes, draws: int) -> dict[str, float]:
    """Each varying question's share of rejected draws over `draws` made-up students
    (what `grader assign verify` reports)."""
    lab = bank.questions(assignment)
    found: dict[str, list[int]] = {q.id: [0, 0] for q in lab if q.varies}
    for n in range(draws):
        student = f"verify-{n}"
        done: dict[str, Question] = {}
        for q in lab:
            if q.id not in found:
                done[q.id] = q
                continue
            for attempt in range(ATTEMPTS):
                candidate = _drawn(q, secret, student, done, attempt)
                found[q.id][1] += 1
                if not problems(candidate):
                    break
                found[q.id][0] += 1
            done[q.id] = candidate
    return {qid: rejected / tried for qid, (rejected, tried) in found.items() if tried}


def inputs_of(question: Question) -> dict[str, Any]:
    """The inputs a student is given for a question (its given names), as drawn."""
    return {name: question.inputs[name] for name in question.given}
