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
