"""The engine on every question of the bank: full marks for the reference answer, the
tolerance's edges, every catalogued mistake recognised, and no expected value leaked.

The bank grows as assignments are written: questions come from every assignment whose
module exists, so these tests grow with it.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from grader import kinds
from grader.compare.layout import assemble
from grader.engine import diagnosable, encode, grade
from grader.kinds import Function, Model, NumberSet, Numeric
from grader.question import Part, Question
from optigrade import bank

QUESTIONS = list(bank.all_questions())

#: A Model part's `compute` describes what is checked; there is no reference model to
#: submit, so full-marks tests leave such questions to grader.kinds.model' own tests.
ANSWERABLE = [q for q in QUESTIONS if not any(isinstance(p, Model) for p in q.parts)]

#: Mistakes whose value equals the right answer for the question's data cannot be
#: diagnosed; bank modules drop them (optigrade.bank.mistakes.differing) rather than list them.
COINCIDENT: set[tuple[str, str, str]] = set()


def _ids(items: list[Any]) -> list[str]:
    return [
        item[0].id + ":" + item[1].name if isinstance(item, tuple) else item.id for item in items
    ]


def _reference(question: Question) -> dict[str, Any]:
    return dict(question.answer)


def _result(question: Question, values: dict[str, Any]) -> Any:
    return grade(question, encode(question, assemble(question, values), hidden=True), hidden=True)


def test_the_bank_has_questions() -> None:
    assert {q.id for q in QUESTIONS} >= {"fp.1.1", "act.3", "out.1", "out.2"}


@pytest.mark.parametrize("question", ANSWERABLE, ids=_ids(ANSWERABLE))
def test_reference_answer_scores_full_marks(question: Question) -> None:
    result = _result(question, _reference(question))
    assert [p.status for p in result.parts] == ["correct"] * len(question.parts), result.text()
    assert result.score == question.points


NUMERIC_PARTS = [(q, p) for q in ANSWERABLE for p in q.parts if isinstance(p, Numeric | NumberSet)]


def _status(question: Question, part: Part, value: Any) -> str:
    values = _reference(question)
    values[part.name] = value
    return {p.name: p for p in _result(question, values).parts}[part.name].status


@pytest.mark.parametrize(("question", "part"), NUMERIC_PARTS, ids=_ids(NUMERIC_PARTS))
def test_tolerance_edges(question: Question, part: Numeric | NumberSet) -> None:
    e = np.asarray(question.answer[part.name], dtype=np.float64)
    if isinstance(part, Numeric) and part.integer:
        assert _status(question, part, e.astype(float)) == "correct"  # 3.0 for 3
        assert _status(question, part, e + 0.5) == "unusable"  # not a whole number
        return
    slack = part.tol.atol + part.tol.rtol * np.abs(e)
    sign = np.where(e >= 0, 1.0, -1.0)
    assert _status(question, part, e + 0.5 * slack * sign) == "correct"
    outside = e.copy()
    outside.flat[0] += 1.01 * slack.flat[0] + 1e-12 * max(1.0, abs(e.flat[0]))
    assert _status(question, part, outside) != "correct"


def _mistake_cases() -> list[tuple[Question, Part, Any]]:
    return [(q, p, m) for q in ANSWERABLE for p in q.parts for m in diagnosable(q, p)]


MISTAKES = _mistake_cases()


def test_every_function_part_catalogues_mistakes() -> None:
    """A wrong function is named like a wrong number: each function part of the bank has
    catalogued mistakes (alternative functions), which the engine runs on its probes."""
    bare = [
        (q.id, p.name)
        for q in QUESTIONS
        for p in q.parts
        if isinstance(p, Function) and not p.mistakes
    ]
    assert bare == []


def test_coincident_mistakes_are_the_expected_ones() -> None:
    coincident = set()
    for q in QUESTIONS:
        for p in q.parts:
            kept = {m.key for m in diagnosable(q, p)}
            coincident |= {(q.id, p.name, m.key) for m in p.mistakes if m.key not in kept}
    assert coincident == COINCIDENT


@pytest.mark.parametrize(
    ("question", "part", "mistake"),
    MISTAKES,
    ids=[f"{q.id}:{p.name}:{m.key}" for q, p, m in MISTAKES],
)
def test_every_mistake_is_diagnosed(question: Question, part: Part, mistake: Any) -> None:
    value = mistake.compute(question.inputs, question.answer)
    values = _reference(question)
    values[part.name] = value
    verdict = {p.name: p for p in _result(question, values).parts}[part.name]
    # two mistakes may produce the same value: the first in the catalogue is named (the
    # public probes tell a function part's mistakes apart: optigrade.assign.verify)
    same = kinds.of(part).same
    first = (
        mistake
        if isinstance(part, Function)
        else next(
            m
            for m in diagnosable(question, part)
            if same(m.compute(question.inputs, question.answer), value, part)
        )
    )
    assert verdict.mistake == first.key, verdict
    assert first.hint in verdict.message
    assert verdict.score == pytest.approx(part.points * first.credit)


def _shown_forms(value: float) -> set[str]:
    """How an expected number could appear in a message, in forms with 3 or more
    significant digits (shorter ones, like "1", also appear as counts and indices)."""
    forms = {f"{value:.{p}g}" for p in range(4, 10)} | {f"{value:.{d}f}" for d in range(3, 7)}
    return {
        s for s in forms if "." in s and len(s.split("e")[0].strip("-0.").replace(".", "")) >= 3
    }


def _wrong_answers(question: Question, part: Part) -> list[Any]:
    e = np.asarray(question.answer[part.name], dtype=np.float64)
    wrong = [2 * e, -e, e + 0.37, np.round(e, 2), e[::-1] if e.ndim else e + 1]
    wrong += [m.compute(question.inputs, question.answer) for m in diagnosable(question, part)]
    return wrong


LEAK_CASES = [(q, p) for q, p in NUMERIC_PARTS if not q.practice]


@pytest.mark.parametrize(("question", "part"), LEAK_CASES, ids=_ids(LEAK_CASES))
def test_messages_never_show_the_expected_value(question: Question, part: Part) -> None:
    e = np.asarray(question.answer[part.name], dtype=np.float64).ravel()
    secrets = set()
    for v in e:
        if v != round(v):  # whole numbers are too short to tell apart from indices
            secrets |= _shown_forms(float(v))
    for wrong in _wrong_answers(question, part):
        values = _reference(question)
        values[part.name] = wrong
        result = _result(question, values)
        rendered = result.text() + result._repr_html_()
        leaked = [s for s in secrets if re.search(rf"(?<![\d.]){re.escape(s)}(?!\d)", rendered)]
        assert leaked == [], rendered
