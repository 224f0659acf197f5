"""A question's spec (`grader.spec`) is enough to encode any answer, and holds none
of the key: what the batch grader's sandbox gets instead of the bank."""

from __future__ import annotations

import json

import numpy as np
import pytest

from grader.compare.layout import assemble
from grader.engine import encode
from grader.kinds import Function, Model
from grader.spec import Withheld, from_spec, to_spec
from optigrade import bank

QUESTIONS = bank.all_questions()
RANDOM = {"opt.mb.fit"}  # its reference answer shuffles: two encodings differ anyway


def rebuilt(question, hidden=False):
    return from_spec(json.loads(json.dumps(to_spec(question, hidden))))


#: A model's reference answer is a description (its encoding is the batch tests' and
#: tests/student/test_sealed_models.py's), a random one encodes differently each time.
ENCODABLE = [
    q for q in QUESTIONS if q.id not in RANDOM and not any(isinstance(p, Model) for p in q.parts)
]


@pytest.mark.parametrize("question", ENCODABLE, ids=lambda q: q.id)
def test_a_spec_encodes_the_reference_answer_as_the_question_does(question):
    answer = assemble(question, question.answer)
    for hidden in (False, True):
        ours, theirs = (
            encode(question, answer, hidden),
            encode(rebuilt(question, hidden), answer, hidden),
        )
        assert json.dumps(ours.tree, sort_keys=True) == json.dumps(theirs.tree, sort_keys=True)
        assert ours.arrays.keys() == theirs.arrays.keys()
        for key, array in ours.arrays.items():
            assert np.array_equal(array, theirs.arrays[key], equal_nan=True)


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_a_spec_holds_no_computation_and_no_hidden_probe(question):
    spec = rebuilt(question)
    with pytest.raises(Withheld):
        spec.answer  # noqa: B018
    for ours, theirs in zip(question.parts, spec.parts, strict=True):
        assert theirs.mistakes == ()
        if isinstance(ours, Function):
            public = [p.name for p in ours.probes if not p.hidden]
            assert [p.name for p in theirs.probes] == public
            hidden = [p.name for p in rebuilt(question, hidden=True).part(ours.name).probes]
            assert hidden == [p.name for p in ours.probes]
            with pytest.raises(Withheld):
                theirs.probes[0].expected({})
        if isinstance(ours, Model):
            # the criteria are public (the question states them): rebuilt the same
            assert [c.spec for c in theirs.criteria] == [c.spec for c in ours.criteria]
            assert [c.describe for c in theirs.criteria] == [c.describe for c in ours.criteria]
            assert theirs.public == ours.public
            assert ours.evaluate_on not in spec.inputs  # the evaluation data: batch only
            assert ours.evaluate_on in rebuilt(question, hidden=True).inputs


def test_a_spec_of_unknown_format_or_values_is_refused():
    spec = to_spec(bank.get("fp.1.1"))
    with pytest.raises(ValueError, match="unsupported spec format"):
        from_spec({**spec, "format": 99})
    bad = {**spec, "inputs": {"x": {"array": [1], "shape": [1], "dtype": "O"}}}
    with pytest.raises(ValueError, match="not a spec array type"):
        from_spec(bad)


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_a_spec_carries_the_notebook_data_its_question_computes_with(question):
    """The given data (public: the notebook writes it) with its values, so that a test cell
    records it and a changed one is named; the pure functions and their result's items."""
    spec = rebuilt(question)
    assert (spec.given, spec.uses) == (question.given, question.uses)
    for name in question.notebook_data:
        assert np.array_equal(spec.inputs[name], question.inputs[name])
    for ours, theirs in zip(question.parts, spec.parts, strict=True):
        if isinstance(ours, Function):
            assert (theirs.pure, theirs.returns) == (ours.pure, ours.returns)
            public = [p.checks for p in ours.probes if not p.hidden]
            assert [p.checks for p in theirs.probes] == public


@pytest.mark.parametrize("assignment", bank.assignments())
def test_the_data_a_question_uses_is_given_before_it_with_that_value(assignment):
    """A used name is the value of an earlier question's Given cell, the latest before it."""
    notebook: dict[str, object] = {}
    for question in bank.questions(assignment):
        for name in question.uses:
            assert name in notebook, (question.id, name)
            assert np.array_equal(notebook[name], question.inputs[name]), (question.id, name)
        notebook |= {name: question.inputs[name] for name in question.given}


def test_the_optimisers_rows_use_om_grads_theta0():
    for qid in ("om.gd", "om.momentum", "om.adagrad", "om.rmsprop", "om.adam"):
        assert set(bank.get(qid).uses) == {"SS", "H", "theta0"}
    assert set(bank.get("opt.mb.step").uses) == {"X", "y", "batch_size"}
