"""`grader grade` on a class released with a roster: each student graded against their own
numbers (the sandbox gives the notebook its student's, `grader.given`), copies named.

Declares the inputs that vary here (`dataclasses.replace`), so it holds whatever the bank
declares. A student who computes from `grader.given` is right; one who pastes a
classmate's answers as literals gets 0 on them, "other numbers", and the report names the
classmate; one who pastes the lab's answers is named too; odd ids get their own numbers.
"""

from __future__ import annotations

import dataclasses
import html
import json
import os

import numpy as np
import pytest

from grader.compare.layout import assemble
from grader.variation import Uniform
from optigrade import bank, cli, variants
from optigrade.assign import secrets
from optigrade.demo.literals import source
from optigrade.grade import trace
from optigrade.grade.numbers import SAID, Numbers
from optigrade.records import files
from tests.grade.conftest import ASSIGNMENT, QUESTIONS, right

ROSTER = ("alice", "bob", "jane_doe", "o'brien", "zoë")
SECRET = bytes(range(32))
VARYING = ("fp.1.1", "fp.2.1", "act.1")
_LAB = bank.questions


def _varied(assignment: str):
    """The bank's questions with the test's inputs varying (whatever the bank declares)."""
    found = []
    for q in _LAB(assignment):
        if q.id in ("fp.1.1", "fp.2.1"):
            draw = Uniform(-2.0, 2.0, 1, nonzero=True)
            q = dataclasses.replace(q, varies={"X": draw, "w": draw, "b": draw})
        elif q.id == "act.1":
            q = dataclasses.replace(q, varies={"z": Uniform(-2.0, 2.0, 1)})
        elif q.varies:  # the bank's own declarations: the lab's here
            q = dataclasses.replace(q, varies={})
        found.append(q)
    return found


def _result(course, student: str) -> dict:
    return json.loads((course.out / "results" / files.file_name(student)).read_text())


def _scores(course, student: str) -> dict[str, float]:
    return {q["id"]: q["score"] for q in _result(course, student)["questions"]}


def _own(student: str | None) -> dict:
    return variants.questions(ASSIGNMENT, SECRET, student)


def _literal(student: str | None, qid: str) -> str:
    q = _own(student)[qid]
    return f"{q.variable} = {source(assemble(q, q.answer))}"


#: Computes z from the numbers the notebook is given (the sandbox gives the student's).
GIVEN = 'X, w, b = grader.given("fp.1.1", "X", "w", "b")\nz_1_1 = X @ w + b'


@pytest.fixture(scope="module")
def graded(module_course):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bank, "questions", _varied)
        course = module_course
        found = secrets.Secrets(SECRET, rosters={ASSIGNMENT: list(ROSTER)})
        secrets.save(course.root, found)
        for student in ROSTER:
            answers = {q: _literal(student, q) for q in QUESTIONS}
            if student == "alice":
                answers["fp.1.1"] = GIVEN
            if student == "bob":  # pastes alice's answers
                answers |= {q: _literal("alice", q) for q in VARYING}
            if student == "jane_doe":  # pastes the lab's
                answers |= {q: right(q) for q in VARYING}
            course.submit(student, answers)
        course.submit("late", {q: _literal("late", q) for q in QUESTIONS})  # not in the roster
        summary = course.grade(course=course.root, jobs=2)
        yield course, summary


def test_each_student_is_graded_against_their_own_numbers(graded):
    course, summary = graded
    assert summary.variants and not summary.failed
    full = {q: bank.get(q).points for q in QUESTIONS}
    for student in ("alice", "o'brien", "zoë", "late"):
        assert _scores(course, student) == full, student
    own, theirs = _own("alice")["fp.1.1"], _own("bob")["fp.1.1"]
    assert not (own.inputs["X"] == theirs.inputs["X"]).all()
    given = _result(course, "zoë")["variant"]["inputs"]
    assert set(given) == set(VARYING)
    assert given["act.1"]["z"]["array"] == _own("zoë")["act.1"].inputs["z"].ravel().tolist()


def test_a_copier_gets_other_numbers_naming_the_classmate_only_to_the_instructor(graded):
    course, _ = graded
    bob = {q["id"]: q for q in _result(course, "bob")["questions"]}
    for qid in VARYING:
        assert bob[qid]["score"] == 0 and bob[qid]["status"] == "other numbers", qid
        assert {f["part"] for f in bob[qid]["fits"]} == {p.name for p in bank.get(qid).parts}
        assert all(f["students"] == ["alice"] and not f["lab"] for f in bob[qid]["fits"])
        assert "alice" not in bob[qid]["message"] and SAID in bob[qid]["message"]
    assert bob["out.1"]["status"] == "correct"  # the lab's numbers for everyone
    jane = {q["id"]: q for q in _result(course, "jane_doe")["questions"]}
    for qid in VARYING:
        assert jane[qid]["status"] == "other numbers"
        assert all(f["lab"] and f["students"] == [] for f in jane[qid]["fits"])


def test_force_twice_gives_byte_identical_results(graded):
    course, _ = graded
    tables = ("grades.csv", "results.jsonl")
    before = {name: (course.out / name).read_bytes() for name in tables}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bank, "questions", _varied)
        again = course.grade(course=course.root, jobs=2)
        assert again.skipped == [] or again.graded == []  # unchanged: skipped
        course.grade(course=course.root, jobs=2, force=True)
    after = {name: (course.out / name).read_bytes() for name in tables}
    assert after == before
    assert b"other numbers" in before["results.jsonl"]


def test_without_a_roster_everyone_gets_the_labs(course):
    secrets.save(course.root, secrets.Secrets(os.urandom(32)))
    course.submit("s1")
    summary = course.grade(course=course.root, jobs=1)
    assert not summary.variants
    assert "variant" not in course.result("s1")
    assert course.scores("s1") == {q: bank.get(q).points for q in QUESTIONS}
    found = course.submitted / "s1" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert cli.main(["trace", ASSIGNMENT, str(found), "--course", str(course.root)]) == 2


def test_the_pages_show_own_numbers_and_the_report_names_whose_numbers_fit(graded):
    course, _ = graded
    pages = course.out / "feedback"
    bob = (pages / "bob.html").read_text()
    assert "other numbers" in bob and SAID in bob and "alice" not in bob
    zoe = (pages / "zoë.html").read_text()
    z = _own("zoë")["act.1"].inputs["z"]
    shown = np.array2string(z, separator=", ", prefix="z = ")
    assert "Your numbers for this question" in zoe and f"z = {shown}" in html.unescape(zoe)
    report = (course.out / "report.html").read_text()
    assert f"{len(ROSTER) + 1} variants graded" in report
    copied = report.split("Answers computed from other numbers</h2>")[1].split("</table>")[0]
    rows = copied.split('<tr data-student="')[1:]
    assert [r.split('"')[0] for r in rows] == ["bob", "jane_doe"]  # ranked: most parts first
    assert ">alice</a>" in rows[0] and "the lab's numbers" in html.unescape(rows[1])
    scores = (course.out / "scores.csv").read_text()
    assert "other numbers: fp.1.1, fp.2.1, act.1" in scores


def test_trace_names_whose_numbers_a_notebook_or_a_text_uses(graded, tmp_path, capsys):
    course, _ = graded
    alice = _own("alice")
    posted = tmp_path / "chat.txt"
    # alice's answers printed to 4 decimals, as a chat message would have them
    lines = [f"{q}: {np.round(alice[q].answer['z'], 4).ravel()}" for q in ("fp.1.1", "fp.2.1")]
    posted.write_text("\n".join(lines) + "\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bank, "questions", _varied)
        assert cli.main(["trace", ASSIGNMENT, str(posted), "--course", str(course.root)]) == 0
        said = capsys.readouterr().out.splitlines()
        assert said == ["alice: 5 numbers (fp.1.1 answer z; fp.2.1 answer z)"]
        notebook = course.submitted / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        assert cli.main(["trace", ASSIGNMENT, str(notebook), "--course", str(course.root)]) == 0
        said = capsys.readouterr().out.splitlines()
        assert said[0].startswith("alice: ")  # bob pasted alice's answers
        assert all(not line.startswith("bob: ") for line in said)
        numbers = Numbers(ASSIGNMENT, SECRET, ROSTER)
        given = _own("zoë")["fp.2.1"].inputs
        text = "\n".join(f"{n} = {given[n].tolist()}" for n in ("X", "w", "b"))
        (found,) = trace.trace(numbers, text)
        assert found.student == "zoë" and found.found == ("fp.2.1 X", "fp.2.1 b", "fp.2.1 w")
        lab = trace.trace(
            numbers, source(assemble(_own(None)["act.1"], _own(None)["act.1"].answer))
        )
        assert lab[0].student is None
    assert trace.trace(numbers, "nothing here but 1, 0 and 1.0") == ()


def test_a_cluster_grades_the_class_as_the_local_pool_does(graded):
    pytest.importorskip("distributed")
    course, _ = graded
    tables = ("grades.csv", "results.jsonl")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bank, "questions", _varied)
        summary = course.grade(
            exports=False, course=course.root, out=course.out.parent / "dask", cluster="local:2"
        )
    assert summary.variants and not summary.failed
    for name in tables:
        assert (summary.out / name).read_bytes() == (course.out / name).read_bytes(), name


def test_a_student_whose_numbers_cannot_be_drawn_costs_nobody_else(course):
    def drawn(assignment: str, secret: bytes, student: str | None) -> dict:
        if student == "s2":
            raise variants.VariantError("act.1: no draw passes")
        return _drawn(assignment, secret, student)

    _drawn = variants.questions
    secrets.save(course.root, secrets.Secrets(SECRET, rosters={ASSIGNMENT: ["s1", "s2"]}))
    course.submit("s2")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bank, "questions", _varied)
        course.submit("s1", {q: _literal("s1", q) for q in QUESTIONS})
        patch.setattr(variants, "questions", drawn)
        summary = course.grade(course=course.root, jobs=1)
    assert summary.failed == {
        "s2": "internal-error: the student's numbers could not be drawn: act.1: no draw passes"
    }
    assert _scores(course, "s1") == {q: bank.get(q).points for q in QUESTIONS}
