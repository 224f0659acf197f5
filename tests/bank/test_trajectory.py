"""The shared builder of trajectory questions: rows θ_1..θ_T, each step recomputed from the
student's own earlier rows, and the slips every trajectory shares, checked on a toy
gradient descent and on the course's three trajectory assignments."""

from __future__ import annotations

import numpy as np
import pytest

from grader.engine import encode, grade
from grader.question import Inputs, Prior, Question
from optigrade import bank
from optigrade.bank import trajectory as tr
from optigrade.bank.slips import SLIPS
from tests.bank.support import judged, statuses


def _gradient(inputs: Inputs, t: int, theta: np.ndarray) -> np.ndarray:
    """∇ of L(w, b) = (w − 1)² + (b − w)²."""
    w, b = theta
    return np.array([2 * (w - 1) - 2 * (b - w), 2 * (b - w)])


def _step(inputs: Inputs, prior: Prior, t: int) -> np.ndarray:
    theta = tr.theta_at(inputs, prior, t - 1)
    return theta - inputs["eta"] * _gradient(inputs, t - 1, theta)


TOY = tr.Trajectory(_step, label="θ{t} after step {t}")
INPUTS = {"theta0": np.zeros(2), "eta": 0.25}
SLIPS_OF_TOY = (tr.UPHILL, tr.HALF, tr.sequential(_gradient), tr.BEHIND, tr.AHEAD, tr.SWAPPED)
QUESTION = Question(
    id="syn.toy",
    assignment="synthetic",
    title="Three steps of a toy descent",
    variable="thetas",
    inputs=INPUTS,
    layout="rows",
    parts=TOY.rows(3, 1, SLIPS_OF_TOY),
)


def test_rows_are_named_labelled_and_follow_the_row_before() -> None:
    assert [p.name for p in QUESTION.parts] == ["theta1", "theta2", "theta3"]
    assert [p.label for p in QUESTION.parts] == [f"θ{t} after step {t}" for t in (1, 2, 3)]
    assert [p.follows for p in QUESTION.parts] == [(), ("theta1",), ("theta2",)]
    np.testing.assert_allclose(QUESTION.answer["theta1"], [0.5, 0.0])


def test_a_method_with_a_state_follows_every_row_before_and_the_parts_it_uses() -> None:
    stateful = tr.Trajectory(_step, label="θ{t}", history=True, uses=lambda t: (f"grad{t}",))
    assert stateful.follows(1) == ("grad1",)
    assert stateful.follows(3) == ("theta1", "theta2", "grad3")


def test_the_shared_slips_compute_what_they_name() -> None:
    row = QUESTION.part("theta1")
    values = {m.key: m.compute(INPUTS, {}) for m in row.mistakes}
    assert list(values) == [
        "gradient-sign",
        "factor-2",
        "sequential-update",
        "one-step-behind",
        "one-step-ahead",
        "order-swapped",
    ]
    np.testing.assert_allclose(values["gradient-sign"], [-0.5, 0.0])  # θ0 + η∇L
    np.testing.assert_allclose(values["factor-2"], [0.25, 0.0])
    # w = 0 − 0.25·(−2) = 0.5, then b's derivative at (0.5, 0): 2(0 − 0.5), so b = 0.25
    np.testing.assert_allclose(values["sequential-update"], [0.5, 0.25])
    np.testing.assert_allclose(values["one-step-behind"], [0.0, 0.0])
    np.testing.assert_allclose(values["one-step-ahead"], QUESTION.answer["theta2"])
    np.testing.assert_allclose(values["order-swapped"], [0.0, 0.5])


def test_a_slip_on_the_students_own_row_is_named_and_later_rows_carried() -> None:
    answer = QUESTION.answer
    theta1 = answer["theta1"] + 0.25  # wrong
    sequential = QUESTION.part("theta2").mistakes[2].compute(INPUTS, {"theta1": theta1})
    theta3 = _step(INPUTS, {"theta2": sequential}, 3)
    result = grade(QUESTION, encode(QUESTION, [theta1, sequential, theta3]))
    assert statuses(result) == ["incorrect", "incorrect", "carried"]
    assert result.parts[1].mistake == "sequential-update"
    assert (
        result.parts[1].message
        == f"Given your θ1 after step 1: {SLIPS['sequential-update'].said()}"
    )


@pytest.mark.parametrize("qid", ["opt.1", "bp.1", "om.adam"])
def test_a_trajectory_started_at_theta0_reads_the_same_in_every_assignment(qid: str) -> None:
    question = bank.get(qid)
    rows = [question.inputs["theta0"], *(question.answer[p.name] for p in question.parts[:-1])]
    first = judged(qid, rows).parts[0]
    assert (first.mistake, first.message) == ("one-step-behind", SLIPS["one-step-behind"].said())
