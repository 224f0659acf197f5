"""grader.check and grader.score as a notebook calls them, and the recording mode."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import grader
from grader.compare.result import PartResult, Result
from grader.compare.wire import load
from grader.engine import grade
from grader.kinds import Function, Probe
from grader.question import Question
from grader.student import api
from optigrade.bank import get


@pytest.fixture(autouse=True)
def not_recording(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(api, "_recording", None)  # only the sandbox ever starts recording
    yield


def test_check_returns_the_result_and_prints_it_outside_jupyter(capsys) -> None:
    result = grader.check("fp.1.1", np.array([[3.0], [3.0]]))
    assert isinstance(result, Result)
    assert result.score == 1
    assert capsys.readouterr().out == result.text() + "\n"


def test_check_of_an_unknown_question_says_so(capsys) -> None:
    result = grader.check("fp.11", 1)
    assert result is not None and result.parts == ()
    assert result.notes[0].startswith("There is no question 'fp.11'. Did you mean 'fp.1.1'")
    assert grader.check(42, 1).notes == ("There is no question 42.",)  # type: ignore[arg-type]
    assert grader.score("fp.11", 1) == 0.0
    assert "Traceback" not in capsys.readouterr().out


def test_score_is_a_plain_float() -> None:
    q = get("act.1")
    answer = dict(q.answer)
    answer["relu"] = -1
    value = grader.score("act.1", answer)
    assert type(value) is float
    assert value == 1.5
    assert repr(value) == "1.5"  # what nbgrader reads as text/plain
    assert grader.score("act.1", q.answer) == 2.0
    assert grader.score("no.such.question", 1) == 0.0


def test_score_writes_nothing_to_stderr(capfd, monkeypatch) -> None:
    def noisy(z: np.ndarray) -> np.ndarray:
        warnings.warn("careful", stacklevel=1)
        print("debugging", file=sys.stderr)
        return np.log(z - z)  # NumPy: divide by zero

    probe = Probe("p", {"z": np.ones(2)}, lambda kw: np.tanh(kw["z"]), "two ones")
    q = Question(
        "syn.noisy", "synthetic", "t", "f", (Function("f", 1, lambda i, p: noisy, probes=(probe,)),)
    )
    real_get = api.installed.get
    monkeypatch.setattr(api.installed, "get", lambda qid: q if qid == q.id else real_get(qid))
    assert grader.score("syn.noisy", noisy) == 0.0
    for wrong in (
        np.array([[np.inf], [-np.inf]]),
        [[1e300], [1e-320]],
        [["a"], [None]],
        np.float16(1e4),
    ):
        assert grader.score("fp.1.1", wrong) == 0.0
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize(
    ("total", "expected"), [(5.0, 1.0), (-1.0, 0.0), (float("nan"), 0.0), (0.25, 0.25)]
)
def test_score_is_clamped_to_the_points(monkeypatch, total, expected) -> None:
    def fake(question, wire, hidden=False):
        return Result(question.id, "t", (PartResult("z", "", 1.0, total, "partial", ""),))

    monkeypatch.setattr(api, "grade", fake)
    assert grader.score("fp.1.1", 0) == expected


def test_score_returns_zero_when_anything_fails(monkeypatch, capfd) -> None:
    def broken(question, wire, hidden=False):
        raise RuntimeError("grader bug")

    monkeypatch.setattr(api, "grade", broken)
    assert grader.score("fp.1.1", 0) == 0.0
    assert capfd.readouterr().err == ""


def test_recording_mode(tmp_path: Path, capsys) -> None:
    q = get("out.1")
    answer = {"A": 2.3, "B": 0.6, "C": 0.5, "D": 0.5}
    expected = grader.score("out.1", answer)
    api.start_recording(tmp_path)
    assert grader.score("out.1", answer) == 0.0
    assert grader.score("fp.1.1", [[3], [3]]) == 0.0
    assert grader.check("out.1", answer) is None
    assert capsys.readouterr().out == ""
    assert sorted(p.name for p in tmp_path.glob("*.json")) == ["fp.1.1.json", "out.1.json"]
    assert grade(q, load(tmp_path, "out.1")).score == expected == 1.0


def test_check_in_ipython_returns_without_printing(capsys) -> None:
    from IPython.testing.globalipapp import start_ipython

    shell = start_ipython()
    try:
        result = grader.check("fp.1.1", [[3.0], [3.0]])
        assert result is not None and capsys.readouterr().out == ""
        formats, _ = shell.display_formatter.format(result)
        assert formats["text/plain"] == result.text()
    finally:
        shell.clear_instance()
