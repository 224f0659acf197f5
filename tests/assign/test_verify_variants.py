"""`grader assign verify`'s variants check: each varying question's rejection rate, a
question whose draws fail named, the course secret or a fixed test one."""

from __future__ import annotations

import pytest

from grader.kinds import Numeric
from grader.question import Question
from grader.variation import OneOf, Uniform
from optigrade import variants
from optigrade.assign import secrets, verify
from optigrade.cli import main


def _question(qid: str, draw, compute) -> Question:
    return Question(
        id=qid,
        assignment="bad",
        title="a question whose draws fail",
        variable="x",
        inputs={"x": 0.5},
        given=("x",),
        varies={"x": draw},
        parts=(Numeric("y", 1, compute),),
    )


#: Every draw fails: its answer cannot be computed.
NEVER = _question("bad.never", Uniform(0, 1), lambda i, p: i["x"] / 0.0)
#: Half the draws fail: x = 0 has no reciprocal.
HALF = _question("bad.half", OneOf((0.0, 2.0)), lambda i, p: 1 / i["x"])
#: Every draw passes.
GOOD = _question("bad.good", Uniform(1, 2), lambda i, p: 2 * i["x"])


@pytest.fixture
def bank_of(monkeypatch):
    def use(*questions: Question) -> None:
        monkeypatch.setattr(variants.bank, "questions", lambda assignment: questions)

    return use


def test_a_question_no_draw_passes_is_named_and_fails(tmp_path, bank_of):
    bank_of(GOOD, NEVER)
    lines: list[str] = []
    problems = verify.check_variants(tmp_path, "bad", draws=5, told=lines.append)
    assert len(problems) == 1 and problems[0].startswith("bad.never: no draw passes")
    assert "ZeroDivisionError" in problems[0]
    assert lines == [f"no {secrets.FILE} in {tmp_path}: drawn with a fixed test secret"]
    assert not secrets.path(tmp_path).exists()  # verify never makes the secret


def test_a_rate_above_the_threshold_is_named_and_fails(tmp_path, bank_of):
    bank_of(GOOD, HALF)
    lines: list[str] = []
    problems = verify.check_variants(tmp_path, "bad", draws=40, told=lines.append)
    assert [p.split(":")[0] for p in problems] == ["bad.half"]
    assert f"above {verify.REJECTED:.0%}" in problems[0]
    assert "bad.good: 0.0% of draws rejected (40 students)" in lines


def test_the_course_secret_is_used_where_there_is_one(tmp_path, bank_of):
    bank_of(GOOD)
    secrets.load(tmp_path)  # draws and saves the course's secrets
    lines: list[str] = []
    assert verify.check_variants(tmp_path, "bad", draws=3, told=lines.append) == []
    assert lines == ["bad.good: 0.0% of draws rejected (3 students)"]


def test_the_cli_runs_it_by_default_and_skips_it(tmp_path, bank_of, monkeypatch, capsys):
    bank_of(GOOD, NEVER)
    monkeypatch.setattr("optigrade.cli._assignments", lambda args: ["bad"])
    others = ["--skip", "bank", "--skip", "execute", "--skip", "leaks", "--skip", "drift"]
    course = ["--course", str(tmp_path), "--draws", "4"]
    assert main(["assign", "verify", *others, *course]) == 1
    err = capsys.readouterr().err
    assert "FAIL variants bad" in err and "bad.never: no draw passes" in err
    assert main(["assign", "verify", *others, "--skip", "variants", *course]) == 0
    assert "variants" not in capsys.readouterr().err
