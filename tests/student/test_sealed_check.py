"""The student's local check from the sealed key gives the trusted grader's verdict on
every part (correct, which catalogued mistake, incorrect), apart from follow-through,
which it names, and from Keras models, whose local check measures on other rows
(tests/student/test_sealed_models.py).

Every case the demo classes and the solution notebooks plant is here: the reference
answer, and each catalogued mistake planted in one part of an otherwise right answer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grader import kinds
from grader.compare.layout import assemble
from grader.engine import encode, grade, reference
from grader.kinds import Function, Model, NumberSet, Numeric
from grader.student import api, known, sealedkey
from optigrade import bank

ROOT = Path(__file__).resolve().parents[2]


def key(assignment: str) -> sealedkey.SealedKey:
    return sealedkey.SealedKey.read(ROOT / "release" / assignment / f"{assignment}.sealed.json")


def cases(question):
    """(name, answer values, the part it is about or None for all)."""
    yield "right", question.answer, None
    for part in question.parts:
        if isinstance(part, Function | Model):
            continue
        for mistake, value in reference(question).mistakes(part, kinds.of(part)):
            yield f"{part.name}#{mistake.key}", {**question.answer, part.name: value}, part.name
        if isinstance(part, Numeric):
            off = np.asarray(question.answer[part.name], dtype=np.float64) * 1.01 + 0.01
            yield f"{part.name}:off", {**question.answer, part.name: off}, part.name


GRADED = [q for q in bank.all_questions() if not q.practice]


@pytest.mark.parametrize("question", GRADED, ids=lambda q: q.id)
def test_the_sealed_verdict_of_every_part_is_the_trusted_one(question):
    sealed = key(question.assignment)
    compared = 0
    for name, values, target in cases(question):
        answer = assemble(question, values)
        trusted = grade(question, encode(question, answer))
        local = sealedkey.check(sealed, question.id, answer)
        for ours, theirs in zip(trusted.parts, local.parts, strict=True):
            part = question.part(ours.name)
            if (target is not None and ours.name != target) or isinstance(part, Model):
                continue
            compared += 1
            if ours.status == "carried":  # follow-through is the instructor's grader's
                assert "graded against your own earlier ones" in theirs.message
                continue
            assert (theirs.status, theirs.mistake) == (ours.status, ours.mistake), (name, part.name)
            if ours.status != "correct" and part.follows:
                assert "graded against your own earlier ones" in theirs.message
    assert compared or any(isinstance(p, Model) for p in question.parts)


#: A float32 computation's error: beyond float64's default rtol (1e-6), within float32's
#: 100 units in the last place (1.2e-5).
FLOAT32_ERROR = 1 + 4e-6


def _single(question):
    """The reference answer with every numeric part float32 can hold computed in float32,
    as a float32 computation's error leaves it (a diverging run's 1e300 cannot be held)."""
    return {
        name: np.asarray(np.asarray(value) * FLOAT32_ERROR, dtype=np.float32)
        if _fits_float32(question, name, value)
        else value
        for name, value in question.answer.items()
    }


def _fits_float32(question, name, value) -> bool:
    part = question.part(name)
    if not isinstance(part, Numeric | NumberSet) or getattr(part, "integer", False):
        return False  # counts are exact whatever their type
    return bool(np.all(np.abs(np.asarray(value, dtype=np.float64)) < 1e30))


NUMERIC = [q for q in GRADED if any(isinstance(p, Numeric | NumberSet) for p in q.parts)]


@pytest.mark.parametrize("question", NUMERIC, ids=lambda q: q.id)
def test_a_float32_answer_is_judged_at_float32_precision_as_by_the_grader(question):
    answer = assemble(question, _single(question))
    trusted = grade(question, encode(question, answer))
    local = sealedkey.check(key(question.assignment), question.id, answer)
    for ours, theirs in zip(trusted.parts, local.parts, strict=True):
        if isinstance(question.part(ours.name), Numeric | NumberSet):
            assert ours.status == "correct", (ours.name, ours.message)  # rounding only
            assert theirs.status == "correct", (ours.name, theirs.message)


def test_a_float32_answer_s_check_says_at_which_precision():
    question, sealed = bank.get("fp.1.1"), key("forward-pass")
    single = _single(question)
    local = sealedkey.check(sealed, question.id, assemble(question, single))
    assert local.parts[0].status == "correct"
    assert "compared at float32 precision (relative tolerance 1e-05)" in local.parts[0].message
    # the control: the same error in float64 is beyond the part's tolerance, for both
    double = assemble(question, {"z": np.asarray(single["z"], dtype=np.float64)})
    assert sealedkey.check(sealed, question.id, double).parts[0].status == "incorrect"
    assert grade(question, encode(question, double)).parts[0].status == "incorrect"
    off = assemble(question, {"z": np.asarray(question.answer["z"], dtype=np.float32) * 1.001})
    assert sealedkey.check(sealed, question.id, off).parts[0].score == 0


def test_grader_check_in_the_release_folder_uses_the_sealed_key(monkeypatch, capsys):
    monkeypatch.chdir(ROOT / "release" / "forward-pass")
    monkeypatch.setenv(known.SEALED, "1")
    question = bank.get("fp.1.1")
    right = assemble(question, question.answer)
    assert api.check("fp.1.1", right).score == question.points
    wrong = assemble(question, {"z": np.asarray(question.answer["z"]) * 3.0})
    result = api.check("fp.1.1", wrong)
    assert result.score == 0.0
    text = result.text()
    assert "off by" not in text and "%" not in text  # no magnitude: it needs the value
    assert api.score("fp.1.1", right) == question.points
    monkeypatch.chdir(ROOT)
    assert "no sealed key for fp.1.1 here" in api.check("fp.1.1", right).text()


def test_the_sealed_key_holds_no_answer_in_the_clear():
    for assignment in bank.assignments():
        text = (ROOT / "release" / assignment / f"{assignment}.sealed.json").read_text()
        for q in bank.questions(assignment):
            if q.practice:
                continue
            for part in q.parts:
                value = q.answer[part.name]
                if isinstance(part, Numeric):
                    for x in np.ravel(np.asarray(value, dtype=np.float64)):
                        # near an integer, 4 decimals say nothing ("0.9999" is in
                        # every file that holds a probability): such values are skipped
                        if abs(x - round(x)) > 1e-3 and not _given(q, x):
                            for needle in _written(x):
                                assert needle not in text, (q.id, part.name, x)


def _written(x: float) -> set[str]:
    """How a value shows to 4 decimals: rounded, and cut (as a longer repr starts)."""
    cut = f"{np.trunc(x * 1e4) / 1e4:.4f}"
    return {f"{x:.4f}", cut}


def _given(question, x: float) -> bool:
    """Whether `x` is public anyway: a number of the question's given data (written in
    the notebook), or of a worked example's answer (its check shows it; act.example's
    sigmoid(8) is also act.1's)."""
    given = [np.ravel(np.asarray(question.inputs[k], dtype=float)) for k in question.given]
    for q in bank.questions(question.assignment):
        if q.practice:
            given += [np.ravel(np.asarray(v, dtype=float)) for v in q.answer.values()]
    return any(np.isclose(g, x).any() for g in given if g.size)
