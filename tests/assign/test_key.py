"""`grader key`: the answer key of every assignment, in both formats, and its bad input."""

import json
import subprocess
import sys

import numpy as np
import pytest

from optigrade import bank
from optigrade.assign.key import answer_of
from optigrade.cli import main


@pytest.mark.parametrize("assignment", list(bank.assignments()))
def test_json_key_lists_every_question_with_points_and_a_plain_answer(assignment, capsys):
    assert main(["key", assignment, "--format", "json"]) == 0
    key = json.loads(capsys.readouterr().out)
    assert key["assignment"] == assignment
    questions = bank.questions(assignment)
    assert list(key["questions"]) == [q.id for q in questions]
    for q in questions:
        entry = key["questions"][q.id]
        assert entry["points"] == q.points

        def plain(value):  # numbers, strings, nested lists, objects of those
            if isinstance(value, dict):
                return all(isinstance(k, str) and plain(v) for k, v in value.items())
            if isinstance(value, list):
                return all(plain(v) for v in value)
            return isinstance(value, int | float | str)

        assert plain(entry["answer"]), q.id


@pytest.mark.parametrize("assignment", list(bank.assignments()))
def test_table_key_names_every_question(assignment, capsys):
    assert main(["key", assignment]) == 0
    out = capsys.readouterr().out
    for q in bank.questions(assignment):
        assert q.id in out


def test_key_values_are_the_reference_answers():
    z = answer_of(bank.get("fp.1.2"))
    assert np.array_equal(z, [[-6.0], [43.0]])  # X w + b with X=[[1,-1],[0,5]], w=[[-1],[8]], b=3
    nodes = answer_of(bank.get("out.1"))
    assert set(nodes) == {"A", "B", "C", "D"}
    assert nodes["C"] + nodes["D"] == pytest.approx(1.0)
    shapes = answer_of(bank.get("fp.4"))
    assert shapes == {
        "2x3": {"observations": 2, "inputs": 3},
        "3x2": {"observations": 3, "inputs": 2},
    }


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["key", "no-such-assignment"], "unknown assignment 'no-such-assignment'"),
        (["key", "forward-pass", "--format", "xml"], "invalid choice: 'xml'"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(argv, fragment):
    done = subprocess.run(
        [sys.executable, "-m", "optigrade", *argv], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0]
