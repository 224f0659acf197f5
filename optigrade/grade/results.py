"""A student's question entries, built from a run (or from why there was none), and the
tables rebuilt from the stored results.

The judge grades each question from its test cell's record (`grade_run`); a notebook that
never ran scores 0 everywhere (`without_run`). ``results.jsonl`` and ``grades.csv`` are
rebuilt from the stored results alone (`optigrade.records.stored`), deterministically.
Each entry's outcome is a word of `grader.vocabulary`: a graded answer says what its
parts say (`vocabulary.outcome`, as the student's own check does), an answer never
graded why not.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from grader.compare.result import Result
from grader.question import Question
from grader.vocabulary import QuestionOutcome, outcome
from optigrade.records.files import points
from optigrade.records.lateness import Lateness
from optigrade.records.result import Fit, QuestionEntry, StudentResult

if TYPE_CHECKING:
    from grader.compare.wire import Files, Wire
    from grader_sandbox.sandbox import RunOutcome

MESSAGE_CHARS = 1000

#: A graded answer's result with the parts that fit other numbers than the student's own
#: named, and whose they fit (`optigrade.grade.numbers`).
Trace = Callable[[Question, "Wire", Result], tuple[Result, tuple[Fit, ...]]]


def question_entry(
    question: Question,
    score: float,
    status: QuestionOutcome,
    message: str,
    result: Result | None = None,
    fits: tuple[Fit, ...] = (),
) -> QuestionEntry:
    return QuestionEntry(
        question.id,
        float(score),
        question.points,
        status,
        message[:MESSAGE_CHARS],
        result,
        fits=fits,
    )


def without_run(
    questions: Sequence[Question], status: QuestionOutcome, message: str
) -> tuple[QuestionEntry, ...]:
    """Every question at 0 with the same reason (a notebook that was not read or not run)."""
    return tuple(question_entry(q, 0.0, status, message) for q in questions)


def summary(result: Result) -> str:
    """One line from a comparison result: each part's verdict and message (a reason every
    part shares is said once, as the student's check says it)."""
    said = list(result.notes)
    for part in result.shown():
        verdict = f"{part.title}: {part.status}"
        said.append(f"{verdict} ({part.message})" if part.message else verdict)
    return "; ".join(said)


def graded_entry(question: Question, result: Result, fits: tuple[Fit, ...] = ()) -> QuestionEntry:
    """The entry of a question whose recorded answer was graded: score, the word its parts
    say (one part's own word: a transposed answer is "unusable"), summary, result, and
    whose numbers its "other numbers" parts fit."""
    said = outcome((p.status for p in result.parts), result.score, question.points)
    return question_entry(question, result.score, said, summary(result), result, fits)


def grade_run(
    questions: Sequence[Question],
    tests: Mapping[str, int],
    outcome: RunOutcome,
    records: Mapping[str, Files],
    trace: Trace | None = None,
) -> tuple[QuestionEntry, ...]:
    """Grade each question from its test cell's record (trusted side), or say why there is
    none; `tests` maps question id -> test cell index, `records` each test cell's record
    folder name (`child.record_name`) -> its files; `trace` (in a class with variants)
    names the answers that fit other numbers than the student's."""
    # the engine loads once there is a run to grade: the tables' rebuild never needs it
    from grader import engine
    from grader.compare import wire
    from grader_sandbox.child import record_name

    cells = {c["cell"]: c for c in outcome.cells}
    entries = []
    for q in questions:
        index = tests[q.id]
        files = records.get(record_name(index), {})
        cell = cells.get(index)
        if f"{q.id}.json" in files:
            answer = wire.load(files, q.id)
            result, fits = engine.grade(q, answer, hidden=True), ()
            if trace is not None:
                result, fits = trace(q, answer, result)
            entry = graded_entry(q, result, fits)
        else:
            entry = question_entry(q, 0.0, *_unrecorded(cell, outcome, q.variable))
        restored = cell.get("restored") if cell else None
        entries.append(replace(entry, restored=restored) if restored else entry)
    return tuple(entries)


def _unrecorded(
    cell: Mapping[str, Any] | None, outcome: RunOutcome, variable: str
) -> tuple[QuestionOutcome, str]:
    """(outcome, message) of a question whose test cell recorded no answer (`variable`:
    the name the question's answer is assigned to)."""
    if cell is None:
        return "not run", f"the test cell did not run: {outcome.reason or 'the notebook ended'}"
    status = cell.get("status")
    if status is None:  # the cell was running when the notebook was stopped
        kind = "timeout" if outcome.status == "timeout" else "not run"
        return kind, f"the test cell was interrupted: {outcome.reason}"
    if status == "timeout":
        return "timeout", f"the test cell was {cell.get('message', 'stopped')}"
    if status == "ok":
        why = "was grader.score replaced, or could the answer not be written?"
        return "not recorded", f"the test cell ran but recorded no answer ({why})"
    message = str(cell.get("message", status))
    if message == f"NameError: name {variable!r} is not defined":
        # the answer was never assigned (a blank notebook): unanswered, as the student's
        # own check says, not an error of the student's code
        return "unanswered", (
            f"{variable} is not defined: assign your answer to {variable} in the question's "
            "solution cell (an unfinished one raises NotImplementedError first)"
        )
    return "error", f"the test cell failed: {message}"


# --- tables ----------------------------------------------------------------------------


def jsonl(results: Iterable[StudentResult]) -> str:
    """One line per student and question: score, max, status, message; against a deadline,
    one more per student (no "question" key): its lateness, penalty and total."""
    lines = []
    for r in results:
        for q in r.questions:
            row = {"student": r.student, "question": q.id, "score": q.score}
            row |= {"max": q.max, "status": q.status, "message": q.message}
            lines.append(json.dumps(row))
        if r.lateness is not None:
            lines.append(json.dumps(_lateness_row(r, r.lateness)))
    return "".join(line + "\n" for line in lines)


def _lateness_row(result: StudentResult, lateness: Lateness) -> dict[str, Any]:
    """A student's lateness line of results.jsonl."""
    row = {"student": result.student, **lateness.to_json(), "hours_late": lateness.hours_late}
    return row | {"penalty": result.penalty, "total": result.score, "max": result.max}


#: grades.csv's columns of a class graded against a deadline, before the total.
LATENESS_COLUMNS = ("submitted", "due", "hours_late", "penalty")


def grades_csv(questions: Sequence[Question], results: Iterable[StudentResult]) -> str:
    """student_id, one column per question (bank order), total, max; rows by student id.
    Against a deadline, `LATENESS_COLUMNS` come before the total, which is after the
    penalty."""
    results = sorted(results, key=lambda r: r.student)
    late = any(r.lateness is not None for r in results)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    shown = LATENESS_COLUMNS if late else ()
    writer.writerow(["student_id", *(q.id for q in questions), *shown, "total", "max"])
    top = sum(q.points for q in questions)
    for r in results:
        scores = {q.id: q.score for q in r.questions}
        row = [scores.get(q.id, 0.0) for q in questions]
        cells = _lateness_cells(r) if late else []
        total = points(sum(row) - r.penalty)
        writer.writerow([r.student, *map(points, row), *cells, total, points(top)])
    return out.getvalue()


def _lateness_cells(result: StudentResult) -> list[str]:
    """A student's `LATENESS_COLUMNS` (empty where there is nothing to say)."""
    lateness = result.lateness
    if lateness is None:  # nothing was submitted
        return ["", "", "", points(0.0)]
    submitted = lateness.submitted.isoformat() if lateness.submitted else ""
    hours = f"{lateness.hours_late:.2f}" if lateness.submitted else ""
    return [submitted, lateness.own_due.isoformat(), hours, points(result.penalty)]
