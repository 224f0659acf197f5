"""Per-student results: built from a run (or from why there was none), stored as JSON.

A result file ``results/<student>.json`` holds the student, the submission's hash, one
entry per question (score, status, message, and the comparison engine's full result)
and the run's cell log. ``results.jsonl`` and ``grades.csv`` are rebuilt from these files
alone, deterministically. Question statuses:

- ``graded``: the test cell recorded an answer and it was graded (the score says how well);
- ``error``: the test cell raised before recording (e.g. the variable is undefined);
- ``timeout``: the test cell, or the whole notebook, ran out of time before recording;
- ``no answer``: the test cell ran but recorded nothing (``grader.score`` replaced?);
- ``not run``: the notebook ended before the test cell (crash, exit) or was missing;
- ``invalid``: the notebook could not be read.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from grader.compare.result import Result
from grader.question import Question

if TYPE_CHECKING:
    from grader.compare.wire import Files
    from grader_sandbox.sandbox import RunOutcome

FORMAT = 1
#: Student-level statuses that are the grader's fault, so a rerun grades them again.
RETRY = frozenset({"internal-error", "setup-failed"})
MESSAGE_CHARS = 1000


def question_entry(
    question: Question, score: float, status: str, message: str, result: dict | None = None
) -> dict[str, Any]:
    entry = {
        "id": question.id,
        "score": float(score),
        "max": question.points,
        "status": status,
        "message": message[:MESSAGE_CHARS],
    }
    if result is not None:
        entry["result"] = result
    return entry


def without_run(questions: Sequence[Question], status: str, message: str) -> list[dict[str, Any]]:
    """Every question at 0 with the same reason (a missing or unreadable notebook)."""
    return [question_entry(q, 0.0, status, message) for q in questions]


def summary(result: Result) -> str:
    """One line from a comparison result: each part's verdict and message (a reason every
    part shares is said once, as the student's check says it)."""
    said = list(result.notes)
    for part in result.shown():
        verdict = f"{part.title}: {part.status}"
        said.append(f"{verdict} ({part.message})" if part.message else verdict)
    return "; ".join(said)


def graded_entry(question: Question, result: Result) -> dict[str, Any]:
    """The entry of a question whose recorded answer was graded: score, summary, result."""
    return question_entry(question, result.score, "graded", summary(result), result.to_dict())


def grade_run(
    questions: Sequence[Question],
    tests: Mapping[str, int],
    outcome: RunOutcome,
    records: Mapping[str, Files],
) -> list[dict[str, Any]]:
    """Grade each question from its test cell's record (trusted side), or say why there is
    none; `tests` maps question id -> test cell index, `records` each test cell's record
    folder name (`child.record_name`) -> its files."""
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
            entries.append(graded_entry(q, engine.grade(q, wire.load(files, q.id), hidden=True)))
        else:
            entries.append(question_entry(q, 0.0, *_unrecorded(cell, outcome, q.variable)))
    return entries


def _unrecorded(
    cell: Mapping[str, Any] | None, outcome: RunOutcome, variable: str
) -> tuple[str, str]:
    """(status, message) of a question whose test cell recorded no answer (`variable`: the
    name the question's answer is assigned to)."""
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
        return "no answer", f"the test cell ran but recorded no answer ({why})"
    message = str(cell.get("message", status))
    if message == f"NameError: name {variable!r} is not defined":
        message += (
            f": assign your answer to {variable} in the question's solution cell (an unfinished "
            "one raises NotImplementedError first)"
        )
    return "error", f"the test cell failed: {message}"


# --- files ------------------------------------------------------------------------------


_PLAIN = re.compile(r"[a-z0-9_@+-][a-z0-9._@+-]{0,99}")
STEM_CHARS = 100


def file_name(student: str) -> str:
    """A student's result file name: a plain lower-case id as it is; any other id (capitals,
    accents, spaces, quotes, slashes) percent-encoded and followed by a hash of the id, so
    no two ids share a name, even on a case-insensitive disk, and no name is too long."""
    if _PLAIN.fullmatch(student):
        return student + ".json"
    digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{quote(student, safe='')[:STEM_CHARS]}~{digest}.json"


def write_atomic(path: Path, text: str) -> None:
    """Write `path` so that a reader (or a killed run) sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(folder: Path, result: Mapping[str, Any]) -> Path:
    path = folder / file_name(result["student"])
    write_atomic(path, json.dumps(result, indent=1, sort_keys=True) + "\n")
    return path


def read(folder: Path, student: str) -> dict[str, Any] | None:
    """A student's stored result, None if absent or unreadable (then it is graded again)."""
    try:
        found = json.loads((folder / file_name(student)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(found, dict) and found.get("format") == FORMAT
    return found if ok and found.get("student") == student else None


def jsonl(results: Iterable[Mapping[str, Any]]) -> str:
    """One line per student and question: score, max, status, message."""
    lines = []
    for r in results:
        for q in r["questions"]:
            row = {"student": r["student"], "question": q["id"], "score": q["score"]}
            row |= {"max": q["max"], "status": q["status"], "message": q["message"]}
            lines.append(json.dumps(row))
    return "".join(line + "\n" for line in lines)


def points(x: float) -> str:
    """Fixed formatting of points in the CSV (the bank's smallest part is 1/8 point)."""
    return f"{x:.3f}"


def grades_csv(questions: Sequence[Question], results: Iterable[Mapping[str, Any]]) -> str:
    """student_id, one column per question (bank order), total, max; rows by student id."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student_id", *(q.id for q in questions), "total", "max"])
    top = sum(q.points for q in questions)
    for r in sorted(results, key=lambda r: r["student"]):
        scores = {q["id"]: q["score"] for q in r["questions"]}
        row = [scores.get(q.id, 0.0) for q in questions]
        writer.writerow([r["student"], *map(points, row), points(sum(row)), points(top)])
    return out.getvalue()
