"""A classmate's pasted trajectory is "other numbers" row by row: the rows after the first
are consistent with the pasted first row (follow-through would carry them), and must not
earn what computing them would."""

from __future__ import annotations

from grader import engine
from grader.compare.layout import assemble
from grader.vocabulary import OTHER_NUMBERS
from optigrade.grade.numbers import Numbers

SECRET = bytes(range(32))


def _pair(numbers: Numbers, qid: str) -> tuple[str, str]:
    """Two students whose `qid` shares its learning rate and not its start."""
    seen: dict[float, str] = {}
    for student in numbers.students:
        q = numbers.questions(student)[qid]
        eta = q.inputs["eta"]
        if eta in seen and seen[eta] != student:
            other = numbers.questions(seen[eta])[qid]
            if (other.inputs["theta0"] != q.inputs["theta0"]).any():
                return seen[eta], student
        seen[eta] = student
    raise AssertionError(f"no two of {len(numbers.students)} students share {qid}'s eta")


def test_a_pasted_trajectory_is_other_numbers_on_every_row():
    numbers = Numbers("optimisation", SECRET, [f"s{i:02d}" for i in range(12)])
    source, copier = _pair(numbers, "opt.1")
    theirs = numbers.questions(source)["opt.1"]
    own = numbers.questions(copier)["opt.1"]
    wire = engine.encode(own, assemble(theirs, theirs.answer), hidden=True)
    result = engine.grade(own, wire, hidden=True)
    assert "carried" in {p.status for p in result.parts}  # what follow-through alone gives
    traced, fits = numbers.traced(copier, own, wire, result)
    assert {p.status for p in traced.parts} == {OTHER_NUMBERS}
    assert traced.score == 0
    assert {f.students for f in fits} == {(source,)}
