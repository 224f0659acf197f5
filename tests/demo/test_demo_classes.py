"""The synthetic class generator: every kind of student for every assignment, written as
nbgrader submissions, deterministic, and cheap to grade where the course trains models."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import numpy as np
import pytest
import sympy

from optigrade import bank, variants
from optigrade.bank.slips import SLIPS
from optigrade.demo import classes, mistakes
from optigrade.demo.expect import Diagnosis, Expected, unmet
from optigrade.demo.literals import Own, source

COURSE = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[classes.Student]]:
    into = tmp_path_factory.mktemp("classes")
    return {
        a: classes.make_class(COURSE, a, into, secret=classes.SECRET) for a in bank.assignments()
    }


@pytest.mark.parametrize("assignment", list(bank.assignments()))
def test_every_assignment_gets_20_students_of_every_kind(generated, assignment):
    students = generated[assignment]
    assert len(students) >= 20
    assert {s.kind for s in students} == set(classes.KINDS)
    assert len({s.id for s in students}) == len(students)
    hostile = {s.id.split("-", 1)[1] for s in students if s.kind == "hostile"}
    assert hostile == {name for name, _ in classes.HOSTILE}
    for s in students:
        assert s.path.parts[-3:] == (s.id, assignment, f"{assignment}.ipynb")
        assert s.path.is_file()


@pytest.mark.parametrize("assignment", list(bank.assignments()))
def test_expectations_cover_every_graded_question(generated, assignment):
    graded = {q.id for q in bank.questions(assignment) if not q.practice}
    by_kind = {s.kind: s for s in generated[assignment]}
    assert set(by_kind["correct"].expected.full) == graded
    assert set(by_kind["blank"].expected.zero) == graded
    partial = by_kind["partial"].expected
    assert partial.full and partial.zero and set(partial.full) | set(partial.zero) == graded
    for s in generated[assignment]:
        if s.kind == "mistakes":
            diagnosed = [d.question for d in s.expected.diagnoses]
            assert len(diagnosed) >= 3 and len(set(diagnosed)) == len(diagnosed), s.id
            assert set(diagnosed) <= graded


def _code(path: Path) -> str:
    notebook = nbformat.read(path, as_version=4)
    return "\n".join(c.source for c in notebook.cells if c.cell_type == "code")


@pytest.mark.parametrize("assignment", ["backpropagation", "classification"])
def test_only_the_correct_student_trains_keras_models(generated, assignment):
    for s in generated[assignment]:
        if s.kind in ("correct", "blank") or s.id.endswith("malformed-json"):
            continue
        code = _code(s.path)
        assert ".fit(" not in code, s.id
        assert "import keras\n" not in code, s.id
    correct = next(s for s in generated[assignment] if s.kind == "correct")
    assert ".fit(" in _code(correct.path)


def test_mistake_students_carry_their_mistake_as_a_literal(generated):
    student = next(s for s in generated["forward-pass"] if s.id.endswith("mistakes-no-bias"))
    assert student.expected.diagnoses[0].mistake == "no-bias"
    notebook = nbformat.read(student.path, as_version=4)
    answers = {
        c.metadata["grader"]["question"]: c.source
        for c in notebook.cells
        if c.metadata.get("grader", {}).get("role") == "answer"
    }
    first = student.expected.diagnoses[0]
    own = variants.questions("forward-pass", classes.SECRET, student.id)[first.question]
    planted = answers[first.question].rsplit("\n", 1)[-1]
    assert planted.startswith(f"{own.variable} = np.array(")
    no_bias = next(m for m in own.part("z").mistakes if m.key == "no-bias")
    value = eval(planted.split(" = ", 1)[1], {"np": np})
    np.testing.assert_array_equal(value, no_bias.compute(own.inputs, own.answer))  # their own
    lab = bank.get(first.question)
    assert not np.allclose(value, no_bias.compute(lab.inputs, lab.answer))


def _planted(student: classes.Student, qid: str) -> object:
    """The value the student's answer cell to `qid` ends by assigning."""
    notebook = nbformat.read(student.path, as_version=4)
    (cell,) = (
        c for c in notebook.cells if c.metadata.get("grader") == {"role": "answer", "question": qid}
    )
    return eval(cell.source.rsplit("\n", 1)[-1].split(" = ", 1)[1], {"np": np})


def test_copiers_paste_a_classmate_s_answers_and_the_lab_s(generated):
    by_name = {s.id.split("-", 1)[1]: s for s in generated["forward-pass"]}
    lab = {q.id: q for q in bank.questions("forward-pass")}
    classmate = variants.questions("forward-pass", classes.SECRET, classes.CLASSMATE)
    assert classes.CLASSMATE in {s.id for s in generated["forward-pass"]}
    for name, whose, theirs in (
        ("copies-classmate", classes.CLASSMATE, classmate),
        ("copies-lab", None, lab),
    ):
        student = by_name[name]
        copied = student.expected.copied
        assert len({c.question for c in copied}) >= 5 and {c.source for c in copied} == {whose}
        assert student.expected.full == ()
        np.testing.assert_array_equal(_planted(student, "fp.1.1"), theirs["fp.1.1"].answer["z"])


def test_without_a_secret_everyone_has_the_lab_s_numbers_and_nobody_copies(tmp_path):
    students = classes.make_class(COURSE, "forward-pass", tmp_path)
    assert "copies" not in {s.kind for s in students}
    student = next(s for s in students if s.id.endswith("mistakes-no-bias"))
    q = bank.get(student.expected.diagnoses[0].question)
    no_bias = next(m for m in q.part("z").mistakes if m.key == "no-bias")
    np.testing.assert_array_equal(_planted(student, q.id), no_bias.compute(q.inputs, q.answer))


def test_hostile_notebooks(generated):
    by_name = {s.id.split("-", 1)[1]: s for s in generated["optimisation"]}
    raw = by_name["malformed-json"].path.read_bytes()
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)
    assert "while loss >= 0" in _code(by_name["infinite-loop"].path)
    assert "os._exit(3)" in _code(by_name["os-exit-midway"].path)
    assert "ctypes.string_at(0)" in _code(by_name["segfault-midway"].path)
    assert "grader.score = lambda" in _code(by_name["patches-grader-score"].path)
    edited = by_name["edits-test-cell"]
    assert 'print("1 point, all tests passed")' in _code(edited.path)
    assert edited.expected.diagnoses


def test_the_class_is_the_same_byte_for_byte(tmp_path, generated):
    again = classes.make_class(COURSE, "forward-pass", tmp_path, secret=classes.SECRET)
    first = generated["forward-pass"]
    assert [s.id for s in again] == [s.id for s in first]
    assert [s.path.read_bytes() for s in again] == [s.path.read_bytes() for s in first]
    assert [s.expected for s in again] == [s.expected for s in first]


def test_a_class_needs_one_student_of_each_kind(tmp_path):
    with pytest.raises(classes.ClassTooSmall):
        classes.make_class(COURSE, "forward-pass", tmp_path, size=classes.FIXED)


def test_a_mistake_student_makes_one_catalogued_slip_on_every_question_it_fits():
    found = mistakes.plants([q.id for q in bank.questions("optimisation")])
    assert {p.key for p in found if p.named} <= set(SLIPS)
    student = dict(mistakes.spread(found, 20))["sum-not-mean"]
    assert {p.key for p in student} == {"sum-not-mean"}
    assert {p.question for p in student} == {
        "opt.lecture.bgd",
        "opt.mb.grad",
        "opt.mb.fit",  # the buggy functions that sum the gradient
        "opt.2",
        "opt.lr",
    }
    assert {p.question for p in student if not p.named} == {"opt.mb.fit", "opt.2"}


def test_more_students_than_mistakes_repeat_keys_under_new_names(tmp_path):
    plants = mistakes.plants(["fp.1.2", "out.2"])
    spread = mistakes.spread(plants, 7)
    names = [name for name, _ in spread]
    assert len(set(names)) == len(names) == 7
    assert any(name.endswith("-2") for name in names)


@pytest.mark.parametrize(
    "value",
    [
        np.array([[1.5, -2.0], [np.nan, np.inf]]),
        np.array([[1], [2]]),
        {"a": {"b": 0.1 + 0.2}, "c": [np.float64(-np.inf), 3, "YES"]},
        (1.0, 2.5),
        (7,),
    ],
)
def test_literals_evaluate_back_to_the_value(value):
    assert _same(eval(source(value), {"np": np}), value)


def _same(a, b) -> bool:
    """Equal values of the same structure (NaN equals NaN; NumPy scalars equal numbers)."""
    if isinstance(b, dict):
        return isinstance(a, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in b)
    if isinstance(b, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and a.dtype.kind == b.dtype.kind
            and np.array_equal(a, b, equal_nan=b.dtype.kind == "f")
        )
    if isinstance(b, str):
        return a == b
    return a == b or (np.isnan(a) and np.isnan(b))


def test_literals_of_expressions_and_own_values():
    x = sympy.Symbol("x")
    assert source(2 * x + sympy.exp(x)) == repr(str(2 * x + sympy.exp(x)))
    assert source({"f": Own('answer["f"]'), "g": 1.0}) == "{'f': answer[\"f\"], 'g': 1.0}"
    with pytest.raises(TypeError):
        source(len)


def _result(**overrides):
    part = {"name": "z", "points": 1.0, "score": 0.0, "mistake": "no-bias", "message": "m"}
    question = {"id": "fp.1.2", "score": 0.0, "max": 1.0, "status": "incorrect", "message": ""}
    question["result"] = {"parts": [part]}
    result = {"status": "graded", "reason": "", "questions": [question], "cells": []}
    return result | overrides


def test_unmet_lists_every_expectation_a_result_misses():
    diagnosed = Expected(diagnoses=(Diagnosis("fp.1.2", "z", "no-bias"),), zero=("fp.1.2",))
    assert unmet(diagnosed, _result()) == []
    wrong_key = Expected(diagnoses=(Diagnosis("fp.1.2", "z", "bias-subtracted"),))
    assert "diagnosed as 'no-bias'" in unmet(wrong_key, _result())[0]
    assert unmet(Expected(full=("fp.1.2",)), _result())[0].endswith("expected full marks")
    hostile = Expected(status="crashed", reason="segmentation", cell_status="timeout", note="x")
    assert len(unmet(hostile, _result())) == 4
    missing = Expected(statuses=(("fp.1.2", "not recorded"),), zero=("out.1",))
    assert unmet(missing, _result()) == [
        "out.1 was not graded",
        "fp.1.2: status 'incorrect', expected 'not recorded'",
    ]
