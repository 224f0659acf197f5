"""A student's stored result (`optigrade.records`): the batch writes records and reads
them back to the same bytes; a file that is not one (malformed, an unknown status word,
another format, another student's) reads as absent, so the batch grades it again."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from grader import engine
from grader.compare import layout
from optigrade import bank
from optigrade.grade import results
from optigrade.records import files
from optigrade.records.checks import RecordError
from optigrade.records.lateness import Lateness, LatePolicy
from optigrade.records.repairs import Repair
from optigrade.records.result import (
    FORMAT,
    CellLog,
    Protections,
    Run,
    StudentResult,
    SubmissionInfo,
)

QUESTIONS = [bank.get(q) for q in ("fp.1.1", "act.1")]


def graded_entry(qid: str):
    """The entry of the bank's own answer to `qid`, graded by the engine."""
    q = bank.get(qid)
    result = engine.grade(q, engine.encode(q, layout.assemble(q, q.answer), True), hidden=True)
    return results.graded_entry(q, result)


def made(status: str = "graded", **given) -> StudentResult:
    """ann's result on `QUESTIONS`: both answers right, after a run of three cells."""
    run = Run(
        cells=(
            CellLog(0, "ok", seconds=0.5),
            CellLog(1, "error", "NameError", "x", question="fp.1.1", number=3),
            CellLog(2),
        ),
        protections=Protections(("network", "pid"), {"uts": "refused"}),
        output="hello\n",
        leftover=1,
        run_seconds=1.25,
        isolation="userns",
        seconds=1.5,
    )
    fields = {
        "student": "ann",
        "assignment": "forward-pass",
        "submission": SubmissionInfo("submitted/ann/forward-pass.ipynb", "ab" * 32, ("note",)),
        "source_sha256": "cd" * 32,
        "status": status,
        "reason": "",
        "max": sum(q.points for q in QUESTIONS),
        "questions": tuple(graded_entry(q.id) for q in QUESTIONS),
        "repairs": (Repair("test", "fp-1-1", "fp.1.1", "edited"),),
        "run": run,
    }
    return StudentResult(**(fields | given))


SHAPES = {
    "graded": made(),
    "no notebook": made(
        "no notebook",
        reason="no notebook was submitted",
        questions=results.without_run(QUESTIONS, "not run", "no notebook was submitted"),
        repairs=None,
        run=None,
    ),
    "late": made(  # 26 h late at 10% a day, at most 15%: 15% of 3 points
        lateness=Lateness(
            LatePolicy.parse("10%/day,max=15%"),
            due=datetime(2025, 3, 10, 17, tzinfo=UTC),
            extension_hours=24.0,
            submitted=datetime(2025, 3, 12, 19, tzinfo=UTC),
        )
    ),
    "internal-error": made(
        "internal-error",
        reason="the grader failed",
        questions=results.without_run(QUESTIONS, "not run", "could not be graded"),
        run=None,
    ),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_a_result_reads_back_to_the_same_record_and_bytes(tmp_path, shape):
    result = SHAPES[shape]
    written = files.save(tmp_path / "first", result).read_bytes()
    found = files.read(tmp_path / "first", "ann")
    assert found == result
    assert files.save(tmp_path / "again", found).read_bytes() == written
    total = {"graded": 3.0, "late": 3.0 - 0.45}.get(shape, 0.0)
    assert json.loads(written)["score"] == result.score == total


def test_the_stored_json_is_the_format_the_batch_has_always_written():
    stored = SHAPES["no notebook"].to_json()
    assert stored == {
        "format": FORMAT,
        "student": "ann",
        "assignment": "forward-pass",
        "submission": {
            "origin": "submitted/ann/forward-pass.ipynb",
            "sha256": "ab" * 32,
            "notes": ["note"],
        },
        "source_sha256": "cd" * 32,
        "status": "no notebook",
        "reason": "no notebook was submitted",
        "max": 3.0,
        "score": 0.0,
        "questions": [
            {
                "id": q.id,
                "score": 0.0,
                "max": q.points,
                "status": "not run",
                "message": "no notebook was submitted",
            }
            for q in QUESTIONS
        ],
    }
    graded = SHAPES["graded"].to_json()
    assert set(graded) - set(stored) == {"repairs", *Run.KEYS}
    assert graded["repairs"] == [
        {"cell": "test", "grade_id": "fp-1-1", "question": "fp.1.1", "kind": "edited", "detail": ""}
    ]
    assert SHAPES["late"].to_json()["lateness"] == {
        "policy": "10%/day,max=15%",
        "due": "2025-03-10T17:00:00+00:00",
        "extension_hours": 24.0,
        "submitted": "2025-03-12T19:00:00+00:00",
        "note": "",
    }
    assert graded["cells"][1] == {
        "cell": 1,
        "status": "error",
        "error": "NameError",
        "message": "x",
        "question": "fp.1.1",
        "number": 3,
    }
    assert graded["questions"][0]["result"]["parts"][0]["status"] == "correct"
    assert graded["questions"][0]["status"] == "correct"  # the vocabulary's word, not "graded"


def _set(path: str, value: object):
    """A change to a stored result: the value at `path` ("a.0.b") replaced, or deleted
    when `value` is `DELETE`."""

    def change(data: dict) -> None:
        *where, last = [int(k) if k.isdigit() else k for k in path.split(".")]
        for key in where:
            data = data[key]
        if value is DELETE:
            del data[last]
        else:
            data[last] = value

    return change


DELETE = object()
MALFORMED = {
    "wrong type: a score as text": _set("questions.0.score", "1.0"),
    "wrong type: notes not a list": _set("submission.notes", "note"),
    "wrong type: a cell's index as text": _set("cells.0.cell", "0"),
    "wrong type: a bool for a number": _set("leftover", True),
    "wrong type: questions not a list": _set("questions", {"fp.1.1": 1.0}),
    "missing field: reason": _set("reason", DELETE),
    "missing field: a question's message": _set("questions.1.message", DELETE),
    "missing field: part of the run": _set("isolation", DELETE),
    "missing field: a part's verdict": _set("questions.0.result.parts.0.status", DELETE),
    "unknown status word: the run's": _set("status", "passed"),
    "unknown status word: a question's": _set("questions.0.status", "done"),
    "unknown status word: a part's": _set("questions.0.result.parts.0.status", "right"),
    "unknown key": _set("grade", "A"),
    "another format: an older one": _set("format", FORMAT - 1),
    "an older word: the run's": _set("status", "missing"),
    "an older word: a question's": _set("questions.0.status", "graded"),
    "a word only the local check says": _set("questions.0.status", "unconfirmed"),
    "a graded outcome without its result": _set("questions.0.result", DELETE),
    "a result on an answer never graded": _set("questions.0.status", "not run"),
    "a repair of an unknown kind": _set("repairs.0.kind", "fixed"),
    "a repair of an unknown cell": _set("repairs.0.cell", "check"),
    "a total that is not its questions'": _set("score", 2.0),
    "a question graded twice": _set("questions.1.id", "fp.1.1"),
    "a score that is not a number of points": _set("questions.0.score", float("nan")),
}


LATE_MALFORMED = {
    "an unknown late policy": _set("lateness.policy", "5 points a day"),
    "a time without its zone": _set("lateness.due", "2025-03-10T17:00:00"),
    "a time that is no time": _set("lateness.submitted", "yesterday"),
    "a negative extension": _set("lateness.extension_hours", -1),
    "a total before the penalty": _set("score", 3.0),
}


@pytest.mark.parametrize(
    ("shape", "change"),
    [("graded", c) for c in MALFORMED.values()] + [("late", c) for c in LATE_MALFORMED.values()],
    ids=[*MALFORMED, *LATE_MALFORMED],
)
def test_a_malformed_result_is_refused_and_read_as_absent(tmp_path, shape, change):
    data = copy.deepcopy(SHAPES[shape].to_json())
    change(data)
    with pytest.raises(RecordError):
        StudentResult.from_json(data)
    (tmp_path / "ann.json").write_text(json.dumps(data), encoding="utf-8")
    assert files.read(tmp_path, "ann") is None


@pytest.mark.parametrize("text", ["{not json", "[]", "", json.dumps(SHAPES["graded"].to_json())])
def test_a_file_that_is_no_result_of_this_student_reads_as_absent(tmp_path: Path, text):
    (tmp_path / "ben.json").write_text(text, encoding="utf-8")  # the last one is ann's
    assert files.read(tmp_path, "ben") is None
    assert files.read(tmp_path, "nobody") is None
