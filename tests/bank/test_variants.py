"""Each student's own numbers (`optigrade.variants`) on the bank's questions: every varying
question passes the variant QA with a low rejection rate, students differ, a student is
the same at every call, shared inputs are shared, and no student is the lab."""

from __future__ import annotations

import numpy as np
import pytest

from grader.kinds import NumberSet, Numeric
from grader.variation import AnswerOf, Same
from optigrade import bank, variants
from optigrade.assign.verify import DRAWS, REJECTED

SECRET = bytes(range(32))
ODD_IDS = ("jane_doe", "o'brien", "zoë", "a b")
VARYING = {a: [q.id for q in bank.questions(a) if q.varies] for a in bank.assignments()}


def _numbers(value):
    return np.asarray(value, dtype=np.float64)


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, str) or callable(a):  # a choice, or a function part's reference
        return a == b
    x, y = _numbers(a), _numbers(b)
    return x.shape == y.shape and bool(np.array_equal(x, y))


@pytest.mark.parametrize("assignment", list(bank.assignments()))
def test_every_varying_question_passes_the_qa_with_few_rejections(assignment):
    rates = variants.rejections(assignment, SECRET, DRAWS)
    for qid, rate in rates.items():
        print(f"{assignment} {qid}: {rate:.1%} of draws rejected ({DRAWS} students)")
    assert set(rates) == set(VARYING[assignment])
    assert {q: r for q, r in rates.items() if r > REJECTED} == {}


def test_every_assignment_with_numbers_varies():
    assert all(VARYING.values()), VARYING


@pytest.mark.parametrize("assignment", list(bank.assignments()))
def test_two_students_differ_on_every_varying_question(assignment):
    one = variants.questions(assignment, SECRET, "jane_doe")
    other = variants.questions(assignment, SECRET, "o'brien")
    for qid in VARYING[assignment]:
        assert not _same(one[qid].inputs, other[qid].inputs), qid
        numeric = [p.name for p in one[qid].parts if isinstance(p, Numeric | NumberSet)]
        if numeric:  # out.2's YES or NO may well be the same
            assert not _same(*({n: q[qid].answer[n] for n in numeric} for q in (one, other)))


@pytest.mark.parametrize("assignment", list(bank.assignments()))
def test_a_student_gets_the_same_numbers_at_every_call(assignment):
    first = variants.questions(assignment, SECRET, "zoë")
    again = variants.questions(assignment, SECRET, "zoë")
    for qid in VARYING[assignment]:
        assert _same(first[qid].inputs, again[qid].inputs), qid
        assert _same(first[qid].answer, again[qid].answer), qid
        assert not problems_of(first[qid]), qid


def problems_of(question):
    lab = bank.get(question.id)
    return variants.problems(question, lab)


def test_another_secret_draws_other_numbers():
    one = variants.questions("forward-pass", SECRET, "jane_doe")["fp.1.2"]
    other = variants.questions("forward-pass", bytes(32), "jane_doe")["fp.1.2"]
    assert not _same(one.inputs, other.inputs)


@pytest.mark.parametrize("assignment", list(bank.assignments()))
def test_same_and_answer_of_take_the_earlier_questions_numbers(assignment):
    drawn = variants.questions(assignment, SECRET, "a b")
    order = list(drawn)
    for q in bank.questions(assignment):
        for name, draw in q.varies.items():
            if isinstance(draw, Same | AnswerOf):
                assert order.index(draw.question) < order.index(q.id), q.id
                source = drawn[draw.question]
                expected = (
                    source.inputs[name]
                    if isinstance(draw, Same)
                    else source.answer[source.parts[0].name]
                )
                assert _same(drawn[q.id].inputs[name], expected), (q.id, name)


def test_the_shared_numbers_are_the_ones_promised():
    fp = variants.questions("forward-pass", SECRET, "jane_doe")
    assert _same(fp["act.3"].inputs["fp.2.1"], fp["fp.2.1"].answer["z"])
    assert _same(fp["out.2"].inputs["W2"], fp["out.1"].inputs["W2"])
    c, d = fp["out.1"].answer["C"], fp["out.1"].answer["D"]
    assert fp["out.2"].answer["class"] == ("YES" if c > d else "NO")
    om = variants.questions("optimisers", SECRET, "jane_doe")
    for qid in ("om.gd", "om.momentum", "om.adagrad", "om.rmsprop", "om.adam"):
        assert _same(om[qid].inputs["theta0"], om["om.grad"].inputs["theta0"]), qid
        assert _same(om[qid].inputs["H"], om["om.grad"].inputs["H"]), qid


@pytest.mark.parametrize("assignment", list(bank.assignments()))
def test_no_student_is_the_lab(assignment):
    lab = variants.questions(assignment, SECRET, None)
    assert list(lab.values()) == list(bank.questions(assignment))
    assert all(q is bank.get(q.id) for q in lab.values())


def test_questions_without_varies_keep_the_labs_numbers():
    drawn = variants.questions("backpropagation", SECRET, "jane_doe")
    for qid in ("bp.sym.linear", "bp.sym.deltas", "bp.nn.train", "bp.keras"):
        assert drawn[qid] is bank.get(qid)
    assert not bank.get("fp.example").varies


def test_odd_ids_each_get_their_own_numbers():
    drawn = [variants.questions("forward-pass", SECRET, s)["out.1"] for s in ODD_IDS]
    for i, one in enumerate(drawn):
        for other in drawn[i + 1 :]:
            assert not _same(one.inputs, other.inputs)


def test_a_degenerate_draw_is_named():
    lab = bank.get("act.1")
    tied = variants.replace(lab, inputs={"z": np.array([[2.0], [2.0]])})
    assert "softmax: the answer and softmax-linear-normalisation coincide" in problems_of(tied)
    zero = variants.replace(lab, inputs={"z": np.array([[1.0], [-1.0]])})
    assert problems_of(zero) == []  # z / Σz has no finite value: told from any answer
    dead = variants.replace(
        bank.get("out.1"), inputs={**bank.get("out.1").inputs, "x": np.array([[-9.0, 0, 0]])}
    )
    assert "A: the answer and no-bias coincide" in problems_of(dead)
    saturated = variants.replace(lab, inputs={"z": np.array([[-20.0], [-15.0]])})
    assert "sigmoid: the answer and sigmoid-prime-for-sigmoid coincide" in problems_of(saturated)


def test_a_lab_answer_diverging_on_purpose_needs_only_be_finite():
    lab = bank.get("opt.lr")
    assert np.abs(lab.answer["losses"]).max() > variants.BOUND
    assert problems_of(lab) == []
    assert variants.problems(lab) == ["losses: not finite or beyond 1e+08"]
