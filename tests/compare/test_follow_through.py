"""Follow-through: a wrong step followed by steps that are right given it keeps their credit."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from grader.question import Mistake, Question
from optigrade.bank import get
from reference import activations as act


def _step(q: Question, theta: np.ndarray) -> np.ndarray:
    return theta - q.inputs["eta"] * (theta - q.inputs["c"])


def test_right_steps_after_a_wrong_one_are_carried(judge, gd_steps) -> None:
    theta1 = np.array([1.0, -1.0])  # wrong
    theta2 = _step(gd_steps, theta1)
    theta3 = _step(gd_steps, theta2)
    result = judge(gd_steps, [theta1, theta2, theta3])
    assert [p.status for p in result.parts] == ["incorrect", "carried", "carried"]
    assert [p.score for p in result.parts] == [0, 1, 1]
    assert "Correct given your theta after step 1, which was wrong" in result.parts[1].message
    assert "theta after step 2" in result.parts[2].message  # carried from a carried step


def test_a_wrong_step_after_a_wrong_one_earns_nothing(judge, gd_steps) -> None:
    theta1 = np.array([1.0, -1.0])
    theta2 = _step(gd_steps, theta1) + 0.1  # wrong even given theta1
    result = judge(gd_steps, [theta1, theta2, _step(gd_steps, theta2)])
    assert [p.status for p in result.parts] == ["incorrect", "incorrect", "carried"]
    assert result.score == 1


def test_unusable_earlier_values_are_not_followed(judge, gd_steps) -> None:
    right = gd_steps.answer
    result = judge(gd_steps, [[np.nan, 1.0], right["theta2"], right["theta3"]])
    assert [p.status for p in result.parts] == ["unusable", "correct", "correct"]
    result = judge(gd_steps, ["oops", right["theta2"], right["theta3"]])
    assert result.parts[0].status == "unusable"
    assert result.parts[1].status == "correct"  # theta1 unusable: judged on the reference


def test_row_count_is_named(judge, gd_steps) -> None:
    right = gd_steps.answer
    result = judge(gd_steps, [right["theta1"], right["theta2"]])
    assert result.notes == ("expected 3 rows (one per part), got 2: the missing rows score 0",)
    assert [p.status for p in result.parts] == ["correct", "correct", "unanswered"]
    assert result.parts[2].message == "not in the answer, which has 2 rows"
    result = judge(
        gd_steps, np.stack([right["theta1"], right["theta2"], right["theta3"], right["theta3"]])
    )
    assert result.score == 3
    assert result.notes == ("expected 3 rows (one per part), got 4: later rows ignored",)
    result = judge(gd_steps, {"theta1": right["theta1"]})  # rows named by their parts
    assert [p.status for p in result.parts] == ["correct", "unanswered", "unanswered"]
    assert result.parts[1].message == "the answer has no part 'theta2'"
    result = judge(gd_steps, {"first": 1})
    assert {p.status for p in result.parts} == {"unusable"}
    assert result.parts[0].message == (
        "expected a sequence of 3 rows (one per part) or a dict with keys 'theta1', 'theta2', "
        "'theta3'; got a dict"
    )


def test_network_outputs_follow_the_hidden_nodes(judge) -> None:
    q = get("out.1")
    A, B = 2.0, 0.75  # both wrong
    s = act.softmax(np.array([[A, B]]) @ q.inputs["W2"] + q.inputs["b2"])
    result = judge(q, {"A": A, "B": B, "C": s[0, 0], "D": s[0, 1]})
    assert [p.status for p in result.parts] == ["incorrect", "incorrect", "carried", "carried"]
    assert result.score == 1.0
    assert "given your hidden node A and hidden node B, which were wrong" in result.parts[2].message


def test_a_mistake_is_recognised_on_the_students_own_earlier_values(judge, gd_steps) -> None:
    def uphill(inputs, prior):
        theta = np.asarray(prior["theta1"])
        return theta + inputs["eta"] * (theta - inputs["c"])

    sign = Mistake("uphill", "Step against the gradient: θ − η∇L.", uphill)
    part = replace(gd_steps.parts[1], mistakes=(sign,))
    q = replace(gd_steps, id="syn.gd.uphill", parts=(gd_steps.parts[0], part, gd_steps.parts[2]))
    theta1 = np.array([1.0, -1.0])  # wrong
    theta2 = theta1 + q.inputs["eta"] * (theta1 - q.inputs["c"])  # and uphill from it
    result = judge(q, [theta1, theta2, _step(q, theta2)])
    assert [p.status for p in result.parts] == ["incorrect", "incorrect", "carried"]
    assert result.parts[1].mistake == "uphill"
    assert result.parts[1].message == (
        "Given your theta after step 1: Step against the gradient: θ − η∇L."
    )


def test_partial_credit_of_a_mistake(judge, gd_steps) -> None:
    half = Mistake("half-step", "The step uses η/2.", lambda i, p: 0.75 * i["c"], credit=0.5)
    part = replace(gd_steps.parts[0], mistakes=(half,))
    q = replace(gd_steps, id="syn.gd.credit", parts=(part, *gd_steps.parts[1:]))
    result = judge(q, [0.75 * q.inputs["c"], q.answer["theta2"], q.answer["theta3"]])
    assert result.parts[0].status == "partial"
    assert result.parts[0].score == 0.5
    assert result.parts[0].message == "The step uses η/2."
