"""A student's stored result (`optigrade.records`): the batch writes records and reads
them back to the same bytes; a file that is not one (malformed, an unknown status word,
another format, another student's) reads as absent, so the batch grades it again."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from grader import engine
from grader.compare import layout
from optigrade import bank
from optigrade.grade import results
from optigrade.records import files
from optigrade.records.checks import RecordError
from optigrade.records.result import (
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
        "restore_notes": ("the protected cell fp-1-1 was edited: the original was restored",),
        "run": run,
    }
    return StudentResult(**(fields | given))


SHAPES = {
    "graded": made(),
    "no notebook": made(
        "no notebook",
        reason="no notebook was submitted",
        questions=results.without_run(QUESTIONS, "not run", "no notebook was submitted"),
        restore_notes=None,
        run=None,
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
    assert json.loads(written)["score"] == result.score == (3.0 if shape == "graded" else 0.0)


def test_the_stored_json_is_the_format_the_batch_has_always_written():
    stored = SHAPES["no notebook"].to_json()
    assert stored == {
        "format": 2,
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
    assert set(graded) - set(stored) == {"restore_notes", *Run.KEYS}
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
    "another format: an older one": _set("format", 1),
    "an older word: the run's": _set("status", "missing"),
    "an older word: a question's": _set("questions.0.status", "graded"),
    "a word only the local check says": _set("questions.0.status", "unconfirmed"),
    "a graded outcome without its result": _set("questions.0.result", DELETE),
    "a result on an answer never graded": _set("questions.0.status", "not run"),
    "a total that is not its questions'": _set("score", 2.0),
    "a question graded twice": _set("questions.1.id", "fp.1.1"),
    "a score that is not a number of points": _set("questions.0.score", float("nan")),
}


@pytest.mark.parametrize("change", MALFORMED.values(), ids=MALFORMED)
def test_a_malformed_result_is_refused_and_read_as_absent(tmp_path, change):
    data = copy.deepcopy(SHAPES["graded"].to_json())
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
