"""Bad input of every kind: a specific message and 0 for that part only, never a traceback."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from optigrade.bank import get


class ArrayRaises:
    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise RuntimeError("boom")


class LenRaises(list):
    def __len__(self) -> int:
        raise RuntimeError("no length")

    def __iter__(self) -> Any:
        raise RuntimeError("no iteration")


class Opaque:
    pass


def _deep(n: int) -> Any:
    x: Any = [1.0]
    for _ in range(n):
        x = [x, [2.0]]
    return x


BAD = [
    ("nan", [[np.nan], [0.5]], "unusable", "element [0, 0] is NaN"),
    ("inf", np.array([[0.5], [np.inf]]), "unusable", "element [1, 0] is infinite"),
    ("none", None, "unanswered", "no answer (None): did you assign the variable?"),
    ("str", "0.5", "unusable", "got a str ('0.5'): give a number or an array of numbers"),
    ("dict", {"a": 1}, "unusable", "got a dict"),
    (
        "ragged",
        [[1.0], [2.0, 3.0]],
        "unusable",
        "ragged list: its rows have different lengths (1, 2)",
    ),
    ("none inside", [0.5, None], "unusable", "element [1] is None, not a number"),
    ("text inside", [[0.5], ["x"]], "unusable", "element [1, 0] is a str ('x'), not a number"),
    (
        "transposed",
        [[0.5, 0.5]],
        "unusable",
        "got shape (1, 2), expected a column of 2 (shape (2, 1)): it looks transposed",
    ),
    (
        "too many",
        np.ones((3, 1)),
        "unusable",
        "got shape (3, 1), expected a column of 2 (shape (2, 1)): 3 values instead of 2",
    ),
    (
        "scalar for array",
        0.5,
        "unusable",
        "got a single number, expected a column of 2 (shape (2, 1))",
    ),
    (
        "__array__ raises",
        ArrayRaises(),
        "unusable",
        "could not read the answer (RuntimeError: boom)",
    ),
    (
        "__len__ raises",
        LenRaises([1.0, 2.0]),
        "unusable",
        "could not read the answer (RuntimeError: no",
    ),
    ("opaque object", Opaque(), "unusable", "got a tests.Opaque: give a number"),
    ("function", np.tanh, "unusable", "got a numpy.ufunc"),
    ("lambda", lambda: 1.0, "unusable", "got a function: did you forget to call it?"),
    ("complex", 1 + 2j, "unusable", "got a complex number"),
    ("text array", np.array(["1", "2"]), "unusable", "got a numpy array of text"),
    ("huge", np.zeros(3_000_000), "unusable", "the answer is too large to check (3000000 numbers)"),
    ("deep", _deep(40), "unusable", "the answer is too large or too deeply nested to check"),
]


@pytest.mark.parametrize(
    ("value", "status", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_part_gets_its_message_and_only_it_scores_zero(judge, value, status, message) -> None:
    q = get("act.1")
    answer = dict(q.answer)
    answer["tanh"] = value
    result = judge(q, answer)
    tanh = result.parts[1]
    assert (tanh.status, tanh.score) == (status, 0.0)
    assert message in tanh.message
    assert [p.status for p in result.parts if p.name != "tanh"] == ["correct"] * 3
    assert result.score == q.points - q.part("tanh").points


def test_missing_and_extra_keys(judge) -> None:
    q = get("act.1")
    answer = {k: v for k, v in q.answer.items() if k != "tanh"} | {"gelu": 1.0, 3: 2.0}
    result = judge(q, answer)
    assert result.parts[1].status == "unanswered"
    assert result.parts[1].message == "the answer has no part 'tanh'"
    assert result.notes == ("extra keys ignored: 'gelu', '3'",)
    assert result.score == 1.5


def test_nested_parts(judge) -> None:
    q = get("fp.4")
    result = judge(q, {"2x3": {"observations": 2, "inputs": 3}, "3x2": [3, 2]})
    assert [p.status for p in result.parts] == ["correct", "correct", "unusable", "unusable"]
    assert (
        result.parts[2].message
        == "answer['3x2'] should be a dict with key 'observations'; got a list"
    )


@pytest.mark.parametrize("answer", [[1, 2], "sigmoid", 3.0, np.ones(4)])
def test_a_parts_answer_that_is_not_a_dict(judge, answer) -> None:
    q = get("act.1")
    result = judge(q, answer)
    assert {p.status for p in result.parts} == {"unusable"}
    assert result.parts[0].message.startswith(
        "expected a dict with keys 'sigmoid', 'tanh', 'relu', 'softmax'; got a"
    )


def test_a_whole_answer_of_none_is_missing(judge) -> None:
    result = judge(get("act.1"), None)
    assert {(p.status, p.message) for p in result.parts} == {
        ("unanswered", "no answer (None): did you assign the variable?")
    }


def test_choice_bad_inputs(judge) -> None:
    q = get("out.2")
    assert judge(q, 1).parts[0].message == "got a number: give one of the options 'YES', 'NO'"
    assert judge(q, "perhaps").parts[0].message == "'perhaps' is not one of the options 'YES', 'NO'"
    assert judge(q, None).parts[0].status == "unanswered"


def test_a_dict_s_keys_are_matched_as_a_choice_s_spellings_are(judge) -> None:
    """'a' for 'A' (case and spacing aside, as options are compared), said in a note; two
    keys spelt alike are matched to neither; a key exactly right wins."""
    q = get("out.1")
    lower = {k.lower(): v for k, v in q.answer.items()}
    result = judge(q, lower)
    assert result.score == q.points
    assert result.notes == ("Your keys 'a', 'b', 'c', 'd' were read as 'A', 'B', 'C', 'D'.",)
    both = {**q.answer, "a": 99.0}  # 'A' itself is there: 'a' is an extra key
    assert judge(q, both).score == q.points
    twice = {" a ": q.answer["A"], "a": q.answer["A"]}
    assert judge(q, twice).parts[0].status == "unanswered"


def test_a_transposed_table_of_rows_is_called_transposed(judge) -> None:
    """opt.1's θ table as 3 rows of 12 (one column per update) instead of 12 rows of 3."""
    q = get("opt.1")
    table = np.array([np.ravel(v) for v in q.answer.values()])
    result = judge(q, table.T)
    assert {p.status for p in result.parts} == {"unusable"}
    assert "the table looks transposed" in result.parts[0].message
    assert judge(q, table).score == q.points
