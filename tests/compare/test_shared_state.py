"""State a notebook shares between cells, diagnosed as such: rows that are one array
changed in place ("copy θ before appending"), and given data an earlier cell changed
("theta0 was changed by an earlier cell"), instead of another slip's hint."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from grader.compare.layout import aliased
from grader.compare.wire import dump, load
from grader.engine import encode, grade
from grader.question import Question


def _run(question: Question, theta0: np.ndarray, in_place: bool, eta: float | None = None) -> list:
    """Three steps of gradient descent as a student writes them: rows.append(theta)."""
    theta, rows = theta0, []
    c, eta = question.inputs["c"], question.inputs["eta"] if eta is None else eta
    for _ in range(3):
        if in_place:
            theta -= eta * (theta - c)
        else:
            theta = theta - eta * (theta - c)
        rows.append(theta)
    return rows


@pytest.mark.parametrize("stacked", [False, True], ids=["list", "np.array"])
def test_rows_that_are_one_array_are_named_as_such(judge, gd_steps, stacked) -> None:
    """A list of one array (seen in the student's process), or that list stacked with
    np.array (rows equal to the last digit, the last one right): rows 1 and 2 show θ3."""
    rows = _run(gd_steps, gd_steps.inputs["theta0"].copy(), in_place=True)
    result = judge(gd_steps, np.array(rows) if stacked else rows)
    assert [p.status for p in result.parts] == ["incorrect", "incorrect", "correct"]
    assert {p.mistake for p in result.parts[:2]} == {"rows-aliased"}
    assert result.parts[0].message.startswith(
        "Rows 1 to 3 are one array changed in place, so each shows its last value: copy θ "
        "before appending it, rows.append(theta.copy())"
    )
    assert "one-step-behind" not in result.text()


def test_rows_of_one_array_are_named_even_when_no_row_is_right(judge, gd_steps) -> None:
    rows = _run(gd_steps, gd_steps.inputs["theta0"].copy(), in_place=True, eta=0.25)
    assert aliased(gd_steps, rows) == [["theta1", "theta2", "theta3"]]
    result = judge(gd_steps, rows)
    assert [p.mistake for p in result.parts] == ["rows-aliased"] * 3
    assert judge(gd_steps, np.array(rows)).parts[0].mistake is None  # only values: not said


def test_distinct_rows_are_not_one_array(gd_steps) -> None:
    rows = _run(gd_steps, gd_steps.inputs["theta0"], in_place=False)
    assert aliased(gd_steps, rows) == []
    assert aliased(gd_steps, [rows[0], rows[0].copy(), rows[1]]) == []
    assert aliased(gd_steps, [rows[0], rows[0][:], rows[1]]) == [["theta1", "theta2"]]


GIVEN = "theta0 was changed by an earlier cell, so this answer was computed from other data"


def _graded(question: Question, answer: Any, given: dict[str, Any], tmp_path: Any) -> Any:
    dump(encode(question, answer, given=given), tmp_path, question.id)  # through the files
    return grade(question, load(tmp_path, question.id))


def test_given_data_changed_by_an_earlier_cell_is_named(gd_steps, tmp_path) -> None:
    question = replace(gd_steps, id="syn.gd.given", given=("theta0",))
    theta0 = question.inputs["theta0"].copy()
    _run(question, theta0, in_place=True)  # an earlier answer updated theta0 itself
    rows = _run(question, theta0, in_place=False)  # this answer is right from that θ0
    result = _graded(question, rows, {"theta0": theta0}, tmp_path)
    assert (result.parts[0].status, result.parts[0].mistake) == ("incorrect", "given-changed")
    assert result.parts[0].message.startswith(GIVEN)
    assert "theta = theta0.copy()" in result.parts[0].message
    assert [p.status for p in result.parts[1:]] == ["carried", "carried"]
    intact = _graded(question, rows, {"theta0": question.inputs["theta0"].copy()}, tmp_path)
    assert GIVEN not in intact.text()
    assert GIVEN not in _graded(question, rows, {}, tmp_path).text()  # not recorded: not said
