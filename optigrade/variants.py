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
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from grader.compare.diagnose import close
from grader.kinds import NumberSet, Numeric
from grader.question import Part, Question, Tolerance
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


def _largest(question: Question, part: str) -> float:
    return float(np.abs(np.asarray(question.answer[part], dtype=np.float64)).max(initial=0))


#: Two of a part's values that coincide: mistakes' keys, "" for the answer.
Pair = frozenset[str]
_LAB_PAIRS: dict[tuple[str, str], set[Pair]] = {}


def _mistakes(question: Question, part: Part) -> list[tuple[str, Any]]:
    """Each catalogued mistake's key and value, those the grader would drop as right
    answers included (the grader's reference leaves them out)."""
    with np.errstate(all="ignore"):
        return [(m.key, m.compute(question.inputs, question.answer)) for m in part.mistakes]


def _finite(value: Any) -> bool:
    return bool(np.isfinite(np.asarray(value, dtype=np.float64)).all())


def _coinciding(question: Question, part: Part, wrong: list[tuple[str, Any]]) -> set[Pair]:
    """The pairs of the part's values (answer and finite mistakes `wrong`) not told apart;
    two mistakes with one key (a slip made once, or at every step) name the same slip."""
    values = [("", question.answer[part.name]), *((k, v) for k, v in wrong if _finite(v))]
    return {
        frozenset((k, j))
        for i, (k, a) in enumerate(values)
        for j, b in values[i + 1 :]
        if k != j and not _far(a, b, part.tol)
    }


def _lab_pairs(lab: Question, part: Part) -> set[Pair]:
    """The lab's own coincidences (at θ1 momentum's v without 1 − β is no momentum at
    all): the question's, not the draw's."""
    found = _LAB_PAIRS.get((lab.id, part.name))
    if found is None:
        found = _LAB_PAIRS[(lab.id, part.name)] = _coinciding(lab, part, _mistakes(lab, part))
    return found


def problems(question: Question, lab: Question | None = None) -> list[str]:
    """Why this variant of a question is no good (none: it is), against its `lab` question
    when given: a part whose lab answer is itself beyond `BOUND` (loss curves that diverge
    on purpose) need only be finite, and values the lab does not tell apart are no fault
    of the draw."""
    try:
        answer = question.answer
    except Exception as e:  # the inputs make a computation fail
        return [f"the answer cannot be computed ({type(e).__name__}: {e})"]
    found = []
    for part in question.parts:
        if not isinstance(part, Numeric | NumberSet):
            continue
        value = np.asarray(answer[part.name], dtype=np.float64)
        bound = np.inf if lab and _largest(lab, part.name) > BOUND else BOUND
        if not np.isfinite(value).all() or np.abs(value).max(initial=0) > bound:
            found.append(f"{part.name}: not finite or beyond {bound:g}")
            continue
        try:
            wrong = _mistakes(question, part)
        except Exception as e:
            found.append(f"{part.name}: a mistake cannot be computed ({type(e).__name__})")
            continue
        # a mistake with no finite value (z / Σz for Σz = 0) is told from any answer a
        # student can give; two of them would not be told apart
        infinite = {k for k, v in wrong if not _finite(v)}
        if len(infinite) > 1:
            found.append(f"{part.name}: {' and '.join(sorted(infinite))} have no finite value")
        pairs = _coinciding(question, part, wrong)
        for pair in sorted(pairs - (_lab_pairs(lab, part) if lab else set()), key=sorted):
            named = " and ".join(k or "the answer" for k in sorted(pair))
            found.append(f"{part.name}: {named} coincide")
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


def _sources(question: Question) -> list[str]:
    """The questions whose numbers this one takes (`Same`, `AnswerOf`)."""
    return [d.question for d in question.varies.values() if isinstance(d, Same | AnswerOf)]


#: Draws rejected and made, per question id.
Tally = dict[str, list[int]]
#: Own draws tried for a question that also takes other questions' numbers, before those
#: are drawn again (om.adagrad's rows coincide with their swap for om.grad's θ0 = (a, a)).
TRIES = 3


class _Redraw(Exception):
    """Draw these sources again, each from the attempt after the one that passed."""

    def __init__(self, passed: dict[str, int]) -> None:
        self.passed = passed


def _draw_once(
    lab: tuple[Question, ...], secret: bytes, student: str, tally: Tally, first: dict[str, int]
) -> dict[str, Question]:
    """The student's questions, each drawn from attempt `first[id]` on (0 by default);
    raises `_Redraw` naming the sources to draw again when a question taking other
    questions' numbers passes with none of its own draws."""
    done: dict[str, Question] = {}
    attempts: dict[str, int] = {}
    for q in lab:
        if not q.varies:
            done[q.id] = q
            continue
        tally.setdefault(q.id, [0, 0])
        sources = [s for s in _sources(q) if s in attempts]
        own = any(isinstance(d, DRAWN) for d in q.varies.values())
        start = first.get(q.id, 0)
        tries = (TRIES if sources else ATTEMPTS) if own else 1
        said: list[str] = []
        for attempt in range(start, min(start + tries, ATTEMPTS)):
            candidate = _drawn(q, secret, student, done, attempt)
            said = problems(candidate, q)
            tally[q.id][1] += 1
            if not said:
                done[q.id], attempts[q.id] = candidate, attempt
                break
            tally[q.id][0] += 1
        else:
            if not sources or start + tries >= ATTEMPTS:
                raise VariantError(f"{q.id}: no draw passes: {'; '.join(said)}")
            first[q.id] = start + tries
            raise _Redraw({source: attempts[source] for source in sources})
    return done


def _draw(
    lab: tuple[Question, ...], secret: bytes, student: str, tally: Tally
) -> dict[str, Question]:
    """The student's questions, counting in `tally` the draws made and rejected. A question
    that fails with every draw of its own has the questions it takes numbers from drawn
    again (act.3 takes the z of fp.*), and every question after them with them."""
    first: dict[str, int] = {}
    for _ in range(ATTEMPTS):
        try:
            return _draw_once(lab, secret, student, tally, first)
        except _Redraw as redraw:
            first.update({source: passed + 1 for source, passed in redraw.passed.items()})
    raise VariantError(f"{student}: no draw of {lab[0].assignment} passes in {ATTEMPTS} rounds")


def questions(assignment: str, secret: bytes, student: str | None) -> dict[str, Question]:
    """The student's questions of `assignment`, by id, in the lab's order (the lab's
    own questions for `None`). Raises `VariantError` for a question no draw passes."""
    lab = bank.questions(assignment)
    if student is None:
        return {q.id: q for q in lab}
    return _draw(lab, secret, student, {})


def rejections(
    assignment: str, secret: bytes, draws: int, progress: Callable[[int], None] = lambda n: None
) -> dict[str, float]:
    """Each varying question's share of rejected draws over `draws` made-up students
    (what `grader assign verify` reports); `progress` is told each student drawn. Raises
    `VariantError` for a question no draw passes."""
    lab = bank.questions(assignment)
    tally: Tally = {}
    for n in range(draws):
        _draw(lab, secret, f"verify-{n}", tally)
        progress(n + 1)
    return {qid: rejected / tried for qid, (rejected, tried) in tally.items() if tried}


def inputs_of(question: Question) -> dict[str, Any]:
    """The inputs a student is given for a question (its given names), as drawn."""
    return {name: question.inputs[name] for name in question.given}
