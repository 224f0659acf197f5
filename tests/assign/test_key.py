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


@pytest.fixture
def course(tmp_path):
    from optigrade.assign import secrets

    secrets.load(tmp_path)  # draws and saves the course's secret
    return tmp_path


@pytest.mark.parametrize("student", ["jane_doe", "o'brien", "zoë", "a b"])
def test_a_students_key_has_their_own_answers_and_inputs(student, course, capsys):
    from optigrade import variants
    from optigrade.assign import secrets
    from optigrade.assign.key import key as lab_key

    argv = ["key", "forward-pass", "--student", student, "--course", str(course)]
    assert main([*argv, "--format", "json"]) == 0
    key = json.loads(capsys.readouterr().out)
    own = variants.questions("forward-pass", secrets.load(course).course, student)
    lab = json.loads(json.dumps(lab_key("forward-pass")))
    for qid, question in own.items():
        entry = key["questions"][qid]
        assert entry["answer"] == json.loads(json.dumps(answer_of(question))), qid
        if question.varies:
            assert "inputs" in entry, qid
            if qid != "out.2":  # YES or NO may be the lab's
                assert entry["answer"] != lab["questions"][qid]["answer"], qid
        else:
            assert "inputs" not in entry and entry == lab["questions"][qid], qid
    assert key["questions"]["fp.1.2"]["inputs"]["X"] == own["fp.1.2"].inputs["X"].tolist()
    assert main(argv) == 0
    assert f"student {student}" in capsys.readouterr().out


def test_two_students_keys_differ(course, capsys):
    keys = []
    for student in ("jane_doe", "zoë"):
        argv = ["key", "optimisers", "--student", student, "--course", str(course)]
        assert main([*argv, "--format", "json"]) == 0
        keys.append(json.loads(capsys.readouterr().out)["questions"])
    assert keys[0]["om.adam"] != keys[1]["om.adam"]
    assert keys[0]["om.keras"] == keys[1]["om.keras"]  # the lab's for everyone


def test_a_students_key_needs_the_course_secret(tmp_path, capsys):
    from grader.student.cli import EXIT_USAGE

    argv = ["key", "forward-pass", "--student", "jane_doe", "--course", str(tmp_path)]
    assert main(argv) == EXIT_USAGE
    assert "no .optigrade-secrets.json" in capsys.readouterr().err
    assert not (tmp_path / ".optigrade-secrets.json").exists()
