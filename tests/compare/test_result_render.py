"""Results: a JSON round trip for batch grading, text for terminals, HTML for Jupyter."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from bs4 import BeautifulSoup

from grader.compare.layout import assemble
from grader.compare.result import PartResult, Result, compact
from grader.engine import encode, grade
from grader.vocabulary import word
from optigrade.bank import all_questions, get


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
        "  ! tanh(z) [unusable 0/0.5] got a str ('<b>tanh</b>'): "
        "give a number or an array of numbers",
        "  ✗ relu(z) [incorrect 0/0.5] 2 of 2 values are wrong: [0, 0] off by 100% to 200%, "
        "[1, 0] off by 100% to 200%. Your values are 2 times too large.",
        "  ✓ sigmoid(z) and softmax(z) [correct 1/1] Correct.",  # said once, after the rest
    ]
    assert repr(_result()) == "<Result act.1: 1/2>"


def test_html_is_escaped_and_accessible() -> None:
    html = _result()._repr_html_()
    assert "<b>tanh</b>" not in html and "&lt;b&gt;tanh&lt;/b&gt;" in html
    assert "role='region'" in html and "scope='col'" in html
    for status in ("correct", "unusable", "incorrect"):
        assert f"</span> {status}</td>" in html  # the word, not only a colour
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
        (None, "unanswered", "no answer (None)"),
        ("hello", "unusable", "got a str"),
        ({"x": 1.0}, "unusable", "or a dict with keys 'theta1', 'theta2', 'theta3', ...; got a"),
    ],
)
def test_one_reason_for_every_part_is_said_once(answer: object, status: str, words: str) -> None:
    q = get("opt.1")
    result = grade(q, encode(q, answer))
    assert len(result.parts) == 12 and result.score == 0
    lines = result.text().splitlines()
    assert len(lines) == 2 and lines[1].startswith(f"  {word(status).sign} ")
    assert f"all 12 parts [{status} 0/3]" in lines[1] and words in lines[1]
    assert result._repr_html_().count("<tr>") == 1 + 1  # the header and the one line
    assert len(result.to_dict()["parts"]) == 12  # what is stored keeps every part


def test_each_reason_is_said_once_and_the_right_parts_come_last() -> None:
    q = get("opt.1")
    rows = [np.asarray(v) for v in q.answer.values()]
    rows[3] = "oops"
    result = grade(q, encode(q, rows[:6]))  # half the rows, one of them a string
    assert result.text().splitlines()[2:] == [
        "  ! (w1, w2, b) after update 4 [unusable 0/0.25] got a str ('oops'): give a number or "
        "an array of numbers",
        "  ○ (w1, w2, b) after update 7 to 12 [unanswered 0/1.5] not in the answer, which has "
        "6 rows",
        "  ✓ the other 5 parts [correct 1.25/1.25] Correct.",
    ]
    assert len(result.to_dict()["parts"]) == 12  # what is stored keeps every part


def _html_rows(result: Result) -> list[list[str]]:
    body = BeautifulSoup(result._repr_html_(), "html.parser").tbody
    assert body is not None
    return [
        [" ".join(c.get_text(" ").split()) for c in tr.find_all(["th", "td"])] for tr in body("tr")
    ]


def _every_part(q, key: str) -> Result:
    """The answer of a student making mistake `key` in every part (each step computed from
    their own previous one, as a whole trajectory done with the slip would be)."""
    values: dict = {}
    for part in q.parts:
        (mistake,) = [m for m in part.mistakes if m.key == key]
        values[part.name] = mistake.compute(q.inputs, {**q.answer, **values})
    return grade(q, encode(q, assemble(q, values)))


@pytest.mark.parametrize(("qid", "key"), [("fp.4", "rows-columns-swapped"), ("opt.1", "factor-2")])
def test_a_mistake_made_in_every_part_is_said_once(qid: str, key: str) -> None:
    result = _every_part(get(qid), key)
    (hint,) = {m.hint for p in get(qid).parts for m in p.mistakes if m.key == key}
    assert {p.mistake for p in result.parts} == {key} and result.score == 0
    assert sum(p.message.count(hint) for p in result.parts) == len(result.parts)  # stored
    n = len(result.parts)
    assert result.text().splitlines()[1:] == [
        f"  ✗ all {n} parts [incorrect 0/{result.points:g}] {hint}"
    ]
    assert result.text().count(hint) == 1
    assert _html_rows(result) == [[f"all {n} parts", "✗ incorrect", f"0/{result.points:g}", hint]]


def test_a_mistake_in_some_steps_names_the_steps_it_covers() -> None:
    q = get("opt.1")
    values = {}
    for i, part in enumerate(q.parts):  # the factor 2 dropped in updates 1 to 4 only
        mistakes = [m for m in part.mistakes if m.key == "factor-2"]
        compute = mistakes[0].compute if i < 4 else part.compute
        values[part.name] = compute(q.inputs, {**q.answer, **values})
    lines = grade(q, encode(q, assemble(q, values))).text().splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("  ✗ (w1, w2, b) after update 1 to 4 [incorrect 0/1] ")
    assert lines[2] == (
        "  ↪ (w1, w2, b) after update 5 to 12 [carried 2/2] Computed correctly from your own "
        "earlier values: the error was carried forward, not repeated."
    )


def test_an_all_correct_answer_is_one_line() -> None:
    q = get("opt.1")
    result = grade(q, encode(q, [np.asarray(v) for v in q.answer.values()]))
    assert result.text().splitlines()[1:] == ["  ✓ all 12 parts [correct 3/3] Correct."]
    assert _html_rows(result) == [["all 12 parts", "✓ correct", "3/3", "Correct."]]
    single = grade(get("fp.1.1"), encode(get("fp.1.1"), get("fp.1.1").answer["z"]))
    assert single.text().splitlines()[1] == "  ✓ z [correct 1/1] Correct."  # its own name


def test_html_cells_are_aligned_whatever_jupyters_table_style() -> None:
    soup = BeautifulSoup(_result()._repr_html_(), "html.parser")
    heads = [th["style"] for th in soup.thead("th")]
    assert heads == ["text-align:left"] * 2 + ["text-align:right;white-space:nowrap"] + [
        "text-align:left"
    ]  # each header as its column: points right-aligned, words left
    for row in soup.tbody("tr"):
        aligns = [c["style"].split(";")[0] for c in row(["th", "td"])]
        assert aligns == ["text-align:left"] * 2 + ["text-align:right", "text-align:left"]


@pytest.mark.parametrize(
    ("titles", "said"),
    [
        (
            ["update 1", "update 2", "update 3", "update 5", "update 7", "update 8"],
            "update 1 to 3, 5, 7 and 8",
        ),
        (["theta1", "theta2", "theta3", "theta5"], "theta1 to theta3 and theta5"),
        (["sigmoid(z)", "softmax(z)"], "sigmoid(z) and softmax(z)"),
        (["a 1", "b 2", "c 3"], "a 1, b 2 and c 3"),
    ],
)
def test_several_parts_are_named_compactly(titles: list[str], said: str) -> None:
    assert compact(titles) == said


def test_no_part_label_says_your() -> None:
    # follow-through messages say "Given your <label>": a label saying "your" doubles it
    labels = [p.label for q in all_questions() for p in q.parts]
    assert [label for label in labels if re.search(r"\byour\b", label, re.I)] == []
    q = get("act.3")
    answer = assemble(q, dict(q.answer))
    z = answer["fp.1.1"]["z"] = 2 * np.asarray(answer["fp.1.1"]["z"])  # a wrong z of fp.1.1
    answer["fp.1.1"]["sigmoid"] = 1 / (1 + np.exp(z))  # and sigmoid's catalogued slip on it
    text = grade(q, encode(q, answer)).text()
    assert "given your z of fp.1.1" in text.lower() and "your your" not in text.lower()


@pytest.mark.parametrize(
    ("qid", "answer", "said"),
    [
        ("out.2", "YES", None),
        ("out.2", " yes ", "Your ' yes ' was read as the option 'YES'."),
        ("out.2", "Node C", "Your 'Node C' was read as the option 'YES'."),
        (
            "fp.1.1",
            "flat",
            "Your flat array of shape (2,) was read as a column of 2 (shape (2, 1)).",
        ),
        (
            "opt.1",
            "columns",
            "Your column of shape (3, 1) was read as a flat array of 3 (shape (3,)).",
        ),
    ],
)
def test_an_answer_accepted_despite_its_form_says_so(qid: str, answer: object, said: str | None):
    q = get(qid)
    values = [np.asarray(v) for v in q.answer.values()]
    if answer == "flat":
        given: object = values[0].ravel()
    elif answer == "columns":
        given = [v.reshape(-1, 1) for v in values]
    else:
        given = answer
    result = grade(q, encode(q, given))
    assert result.score == q.points
    (line,) = result.shown()  # every part right: one line, the note said once
    assert line.message == ("Correct." if said is None else f"Correct. {said}")
    assert result.text().count("was read as") == (0 if said is None else 1)


def test_a_wrong_option_read_another_way_names_only_the_students_own():
    q = get("out.2")
    (part,) = grade(q, encode(q, "no")).parts
    assert part.status == "incorrect" and part.message.endswith(
        "Your 'no' was read as the option 'NO'."
    )
    assert "YES" not in part.message  # the right option is not given away
