"""Numeric comparison: tolerances, shape policies, integers, float32, sets, choices, and the
generic diagnoses of wrong values."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from grader.kinds import Choice, NumberSet, Numeric
from grader.question import Mistake, Question, Tolerance
from optigrade.bank import get
from optigrade.bank.mistakes import scaled


def single(part: Any, value: Any, **question: Any) -> Question:
    """A one-part question whose answer is `value`."""
    part = type(part)(**{**part.__dict__, "compute": lambda i, p: value})
    return Question(
        id="syn.single", assignment="synthetic", title="t", variable="x", parts=(part,), **question
    )


def part_of(judge, q: Question, answer: Any) -> Any:
    return judge(q, answer).parts[0]


COLUMN = np.array([[1.5], [-2.0], [4.0]])


@pytest.mark.parametrize(
    ("policy", "answer", "status", "note"),
    [
        ("strict", COLUMN, "correct", ""),
        (
            "strict",
            COLUMN.ravel(),
            "unusable",
            "got a flat array of shape (3,), expected a column of 3 (shape (3, 1)): "
            "use .reshape(-1, 1)",
        ),
        (
            "column_ok",
            COLUMN.ravel(),
            "correct",
            "Your flat array of shape (3,) was read as a column of 3 (shape (3, 1)).",
        ),
        ("column_ok", COLUMN.T, "unusable", "it looks transposed"),
        ("size", COLUMN.T, "correct", ""),
        (
            "size",
            [1.5, -2.0],
            "unusable",
            "got shape (2,), expected a column of 3 (shape (3, 1)): 2 values instead of 3",
        ),
    ],
)
def test_shape_policies(judge, policy, answer, status, note) -> None:
    q = single(Numeric("x", 1, None, shape_policy=policy), COLUMN)
    verdict = part_of(judge, q, answer)
    assert verdict.status == status
    assert note in verdict.message


def test_a_flat_expected_array_accepts_a_column_with_column_ok(judge) -> None:
    q = single(Numeric("x", 1, None, shape_policy="column_ok"), COLUMN.ravel())
    verdict = part_of(judge, q, COLUMN)
    assert verdict.status == "correct"
    assert (
        "Your column of shape (3, 1) was read as a flat array of 3 (shape (3,))." in verdict.message
    )


def test_a_one_element_array_stands_for_a_number(judge) -> None:
    q = single(Numeric("x", 1, None), 2.5)
    verdict = part_of(judge, q, np.array([[2.5]]))
    assert verdict.status == "correct"
    assert "Your array of shape (1, 1) was read as the number it holds." in verdict.message
    assert (
        part_of(judge, q, [2.5, 1.0]).message
        == "got an array of shape (2,), expected a single number"
    )


def test_tolerance_is_isclose(judge) -> None:
    q = single(Numeric("x", 1, None, tol=Tolerance(rtol=1e-3, atol=1e-2)), 10.0)
    assert part_of(judge, q, 10.0 + 0.02 - 1e-9).status == "correct"  # atol + rtol·|e| = 0.02
    assert part_of(judge, q, 10.0 + 0.02 + 1e-9).status == "incorrect"


def test_integers(judge) -> None:
    q = single(Numeric("n", 1, None, integer=True), 3)
    assert part_of(judge, q, 3).message == "Correct."
    assert part_of(judge, q, np.int32(3)).status == "correct"
    three = part_of(judge, q, 3.0)
    assert three.status == "correct"
    assert "Whole numbers written as floats (like 3.0) were accepted." in three.message
    assert part_of(judge, q, 3.5).message == "expected a whole number, got 3.5"
    assert part_of(judge, q, 4).status == "incorrect"


def test_booleans_are_read_as_numbers_with_a_note(judge) -> None:
    q = single(Numeric("y", 1, None), np.array([1.0, 0.0, 1.0]))
    verdict = part_of(judge, q, [True, False, True])
    assert verdict.status == "correct"
    assert "Your True/False values were read as 1/0." in verdict.message


def test_float32_answers_are_compared_at_the_part_s_tolerance_and_told_why(judge) -> None:
    """One rule for every dtype, as the sealed key has it: a float32 computation's error
    (about 30 float32 ulps) is beyond the default tolerance, and the message says why; the
    exact float32 cast is within it. A part that expects float32 work declares a wider
    tolerance (bp.keras)."""
    e = np.array([0.1234567890123, 98.7654321])
    q = single(Numeric("x", 1, None), e)
    f32 = e.astype(np.float32) * np.float32(1 + 4e-6)
    assert part_of(judge, q, f32.astype(np.float64)).status == "incorrect"
    verdict = part_of(judge, q, f32)
    assert verdict.status == "incorrect"
    assert "Your values are float32, which hold about 7 significant digits" in verdict.message
    assert part_of(judge, q, e.astype(np.float32)).status == "correct"
    wide = single(Numeric("x", 1, None, tol=Tolerance(rtol=1e-5, atol=1e-8)), e)
    assert part_of(judge, wide, f32).status == "correct"


def test_tensors_and_frames_are_read_with_their_dtype(judge) -> None:
    import jax.numpy as jnp
    import torch

    e = np.array([[0.1234567], [2.345678]])
    q = single(Numeric("x", 1, None), e)
    drifted = e * (1 + 5e-6)  # beyond rtol 1e-6, within what float32 arithmetic may lose
    for convert in (
        lambda v: torch.tensor(v, dtype=torch.float32, requires_grad=True),
        lambda v: jnp.asarray(v, dtype=jnp.float32),
        lambda v: pd.DataFrame(v.astype(np.float32)),
    ):
        exact = part_of(judge, q, convert(e))
        assert exact.status == "correct"
        assert "float32" not in exact.message  # the allowance made no difference
        verdict = part_of(judge, q, convert(drifted))
        assert verdict.status == "incorrect"  # the same rule for every dtype
        assert "Your values are float32" in verdict.message
    assert part_of(judge, q, drifted).status == "incorrect"
    assert (
        part_of(judge, q, pd.Series(e.ravel())).status == "unusable"
    )  # a flat Series: strict shape
    bfloat = part_of(judge, q, torch.tensor(e, dtype=torch.bfloat16))
    assert (
        bfloat.status == "incorrect"
        and "bfloat16, which hold about 2 significant" in bfloat.message
    )


def test_choice_spellings(judge) -> None:
    options = {"YES": ("c", "node c"), "NO": ("d", "node d")}
    q = single(Choice("c", 1, None, options=options), "YES")
    for spelling in ("YES", " yes ", "Node   C", "c"):
        assert part_of(judge, q, spelling).status == "correct"
    assert part_of(judge, q, "NO").message == "Not the right option."


@pytest.mark.parametrize(
    ("answer", "status", "message"),
    [
        ([0.3, 0.1], "correct", "Correct."),
        ({0.1, 0.3}, "correct", "Correct."),
        ([0.1, 0.3, 0.3], "correct", "Correct. Values listed more than once were counted once."),
        ([0.1], "incorrect", "1 value is missing."),
        ([0.1, 0.3, 0.5], "incorrect", "0.5 should not be in the set."),
        ([0.5], "incorrect", "2 values are missing. 0.5 should not be in the set."),
        ([], "incorrect", "2 values are missing."),
        ([0.1, np.nan], "unusable", "the set contains NaN or infinity"),
    ],
)
def test_number_sets(judge, answer, status, message) -> None:
    q = single(NumberSet("etas", 1, None), [0.1, 0.3])
    verdict = part_of(judge, q, answer)
    assert (verdict.status, verdict.message) == (status, message)


def test_number_set_mistake(judge) -> None:
    wrong = Mistake("all", "Only the rates whose loss grows diverge.", lambda i, p: [0.1, 0.3, 0.5])
    q = single(NumberSet("etas", 1, None, mistakes=(wrong,)), [0.1, 0.3])
    assert part_of(judge, q, [0.5, 0.3, 0.1]).mistake == "all"


E = np.array([[1.25], [-0.5], [3.75]])


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (3 * E, "Your values are 3 times too large."),
        (E / 4, "Your values are 4 times too small."),
        (-E, "The sign looks flipped: your values are the negative of the right ones."),
        (-2 * E, "The sign looks flipped and your values are 2 times too large."),
        (E[[1, 0, 2]], "The values at [0, 0] and [1, 0] look swapped."),
        (E[[1, 2, 0]], "The values are right but in the wrong order."),
        (
            np.round(E, 1),
            "It looks rounded to 1 decimal: keep full precision until the final answer.",
        ),
        (
            E + np.array([[0.0], [0.0], [0.01]]),
            "1 of 3 values is wrong: [2, 0] off by 0.2% to 0.5%.",
        ),
    ],
)
def test_generic_diagnoses(judge, answer, message) -> None:
    q = single(Numeric("x", 1, None), E)
    verdict = part_of(judge, q, answer)
    assert verdict.status == "incorrect"
    assert message in verdict.message


def test_transposed_square_matrix(judge) -> None:
    M = np.array([[1.0, 2.0], [3.0, 4.0]])
    verdict = part_of(judge, single(Numeric("M", 1, None), M), M.T)
    assert verdict.message.endswith("It looks transposed: rows and columns are swapped.")


def test_wrong_elements_are_counted_and_capped(judge) -> None:
    q = single(Numeric("x", 1, None), np.arange(1.0, 7.0))
    verdict = part_of(judge, q, np.arange(1.0, 7.0) + np.array([0, 1, 0.1, 0.2, 0.3, 0.4]))
    assert verdict.message.startswith(
        "5 of 6 values are wrong: [1] off by 50% to 100%, [2] off by 2% to 5%, "
        "[3] off by 5% to 10% and 2 more."
    )


def test_zero_expected_is_reported_absolutely(judge) -> None:
    verdict = part_of(judge, single(Numeric("x", 1, None), 0.0), 0.3)
    assert verdict.message == "Not right: off by 0.2 to 0.5."


def test_factor_combines_with_a_catalogued_hint(judge) -> None:
    hint = "You summed the squared errors instead of averaging them."
    part = Numeric("L", 1, None, mistakes=(scaled(lambda i, p: E, "sum", hint, 3.0),))
    verdict = part_of(judge, single(part, E), 3 * E)
    assert verdict.mistake == "sum"
    assert verdict.message == f"Your values are 3 times too large. {hint}"


def test_a_practice_question_shows_the_expected_value(judge) -> None:
    q = get("fp.example")
    verdict = judge(q, [[1.0], [9.0]]).parts[0]
    assert verdict.message.endswith("Expected [[1.], [8.]].")
    assert judge(get("fp.1.2"), [[1.0], [9.0]]).parts[0].message.count("Expected") == 0


def test_numbers_numpy_cannot_stack_still_count(judge) -> None:
    import sympy

    q = single(Numeric("x", 1, None), np.array([[0.5], [2.0]]))
    answer = np.array([[sympy.Rational(1, 2)], [sympy.Float(2.0)]], dtype=object)
    assert part_of(judge, q, answer).status == "correct"
    assert part_of(judge, q, [np.float64(0.5), np.array([2.0])]).message.startswith(
        "the list mixes numbers and lists"
    )
