"""Results: a JSON round trip for batch grading, text for terminals, HTML for Jupyter."""

from __future__ import annotations

import json

import numpy as np
import pytest

from grader.bank import get
from grader.compare.result import PartResult, Result
from grader.compare.scoring import grade
from grader.compare.wire import encode


def _result() -> Result:
    q = get("act.1")
    answer = dict(q.answer)
    answer["tanh"] = "<b>tanh</b>"
    answer["relu"] = 2 * np.asarray(q.answer["relu"])
    answer["extra"] = 1
    return grade(q, encode(q, answer))


def test_json_round_trip() -> None:
    result = _result()
    data = json.loads(json.dumps(result.to_dict()))
    assert data["score"] == result.score == 1.0
    assert data["points"] == 2.0
    assert Result.from_dict(data) == result


def test_text_rendering_names_statuses_in_words() -> None:
    assert _result().text().splitlines() == [
        "act.1 (The four activations of z): 1/2",
        "  note: extra key ignored: 'extra'",
        "  ✓ sigmoid(z) [correct 0.5/0.5] Correct.",
        "  ! tanh(z) [invalid 0/0.5] got a str ('<b>tanh</b>'): "
        "give a number or an array of numbers",
        "  ✗ relu(z) [incorrect 0/0.5] 2 of 2 values are wrong: [0, 0] off by 100% to 200%, "
        "[1, 0] off by 100% to 200%. Your values are 2 times too large.",
        "  ✓ softmax(z) [correct 0.5/0.5] Correct.",
    ]
    assert repr(_result()) == "<Result act.1: 1/2>"


def test_html_is_escaped_and_accessible() -> None:
    html = _result()._repr_html_()
    assert "<b>tanh</b>" not in html and "&lt;b&gt;tanh&lt;/b&gt;" in html
    assert "role='region'" in html and "scope='col'" in html
    for word in ("correct", "invalid", "incorrect"):
        assert f"</span> {word}</td>" in html  # the word, not only a colour
    assert "aria-hidden='true'>✗</span>" in html


def test_practice_results_show_no_points() -> None:
    q = get("fp.example")
    result = grade(q, encode(q, q.answer["z"]))
    assert result.text().splitlines()[0] == "fp.example (z = Xw + b): practice, not graded"
    assert "Points" not in result._repr_html_()


def test_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown status"):
        PartResult("p", "", 1, 0, "wrong", "")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("answer", "status", "words"),
    [
        (None, "missing", "no answer (None)"),
        ("hello", "invalid", "got a str"),
        ({"x": 1.0}, "invalid", "or a dict with keys 'theta1', 'theta2', 'theta3', ...; got a"),
    ],
)
def test_one_reason_for_every_part_is_said_once(answer: object, status: str, words: str) -> None:
    q = get("opt.1")
    result = grade(q, encode(q, answer))
    assert len(result.parts) == 12 and result.score == 0
    lines = result.text().splitlines()
    assert len(lines) == 2 and lines[1].startswith(f"  {'?' if status == 'missing' else '!'} ")
    assert f"all 12 parts [{status} 0/3]" in lines[1] and words in lines[1]
    assert result._repr_html_().count("<tr>") == 1 + 1  # the header and the one line
    assert len(result.to_dict()["parts"]) == 12  # what is stored keeps every part


def test_different_reasons_keep_a_line_each() -> None:
    q = get("opt.1")
    rows = [np.asarray(v) for v in q.answer.values()]
    rows[3] = "oops"
    result = grade(q, encode(q, rows[:6]))  # half the rows, one of them a string
    assert len(result.text().splitlines()) == 1 + 1 + 12  # heading, note, a line per part
