"""`grader check NOTEBOOK`: run a notebook top to bottom and show what each question's
check says, with the points it earns.

The notebook runs in a plain subprocess (`grader.student.runall`) in its own folder,
where its data files and its assignment's sealed key are (as a student's Jupyter runs
it), each cell under the grader's time limit for a cell and the whole run under
`timeout`: no namespaces and no fork, so it runs alike on Linux, macOS and Windows. Each
question's line is its check cell's verdict (``grader.check``: in the student runtime,
from the sealed key) with the points of its autograder test cell. The instructor's
grader decides the grade: it also runs hidden tests and credits steps that are right
given the student's own earlier answers, which the local check cannot do.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.compare.result import Result
from grader.compare.timelimit import NOTEBOOK_SECONDS
from grader.student import known, notebookfile
from grader.student.unanswered import CALL
from grader.vocabulary import outcome, word

_DONE = ("correct", "carried")
#: Errors of the other cells (not a question's check or test, nor an unanswered question)
#: shown as notes, at most.
OWN_ERRORS = 10
LOCAL = (
    "These are the local checks: the instructor's grader also runs hidden tests and "
    "credits steps that are right given your own earlier answers, so its points may differ."
)


class CannotRun(Exception):
    """The notebook cannot be checked: unreadable, or of no known assignment."""


@dataclass
class Question:
    """One graded question of the notebook as its check and test cells name it."""

    qid: str
    points: float | None = None  # from its test cell's nbgrader metadata
    check: int | None = None  # its (last) check cell's number, counted from 1
    test: int | None = None


@dataclass
class Entry:
    """A question's line: its verdict word, points and what to look at."""

    qid: str
    status: str
    score: float
    points: float
    hint: str


@dataclass
class Checked:
    """A checked notebook."""

    path: Path
    assignment: str
    entries: list[Entry]
    notes: list[str] = field(default_factory=list)
    stopped: str = ""  # why the run did not reach the notebook's end ("" when it did)

    @property
    def score(self) -> float:
        return sum(e.score for e in self.entries)

    @property
    def points(self) -> float:
        return sum(e.points for e in self.entries)


def read(path: Path) -> nbformat.NotebookNode:
    """The notebook, read as the batch grader reads a submission (same messages)."""
    try:
        size = path.stat().st_size
        data = path.read_bytes() if size <= notebookfile.MAX_NOTEBOOK_BYTES else b""
    except OSError as e:
        raise CannotRun(f"cannot read {path}: {e.strerror or e}") from None
    if size > notebookfile.MAX_NOTEBOOK_BYTES:
        raise CannotRun(f"{path}: {notebookfile.too_large(size, notebookfile.MAX_NOTEBOOK_BYTES)}")
    parsed = notebookfile.parse(data)
    if parsed.notebook is None:
        raise CannotRun(f"{path}: {parsed.message}")
    return parsed.notebook


def _calls(cell: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """(role, question id) of the cell's ``grader.check``/``grader.score`` calls, and of
    its managed metadata (a test cell whose code was edited is still its question's)."""
    found = [(role, qid) for role, qid, _ in (c.groups() for c in CALL.finditer(cell.source))]
    managed = cell.metadata.get("grader")
    if isinstance(managed, dict) and managed.get("role") == "test":
        found.append(("score", str(managed.get("question"))))
    return found


def questions(notebook: nbformat.NotebookNode) -> dict[str, Question]:
    """The questions the notebook's check and test cells name, by id, in order."""
    found: dict[str, Question] = {}
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type != "code":
            continue
        for role, qid in _calls(cell):
            question = found.setdefault(qid, Question(qid))
            if role == "check":
                question.check = number
                continue
            question.test = number
            points = cell.metadata.get("nbgrader", {}).get("points")
            if isinstance(points, int | float) and not isinstance(points, bool):
                question.points = float(points)
    return found


def assignment_of(notebook: nbformat.NotebookNode, path: Path) -> str:
    """The assignment whose questions the notebook's test cells grade, else its file name
    (among the assignments known in its folder: `grader.student.known`)."""
    tested = {q.qid for q in questions(notebook).values() if q.test is not None}
    assignments = known.assignments(path.resolve().parent)
    found = {a for a, qs in assignments.items() if tested & {q.id for q in qs}}
    if len(found) == 1:
        return found.pop()
    if path.stem in assignments:
        return path.stem
    names = ", ".join(assignments) or "none: no sealed key (*.sealed.json) is in its folder"
    why = f"its test cells belong to {', '.join(sorted(found))}" if found else "no test cells"
    raise CannotRun(
        f"{path}: not a notebook of a known assignment ({why}, and its file name is none of "
        f"the assignments known there: {names})"
    )


def run(
    notebook: nbformat.NotebookNode, folder: Path, timeout: float
) -> tuple[dict[int, dict[str, Any]], str]:
    """Each code cell's outcome by cell number, run in `folder` (see `grader.student.runall`),
    and why the run stopped early ("" when it ran to the end)."""
    cells = [(n, c.source) for n, c in enumerate(notebook.cells, start=1) if c.cell_type == "code"]
    with tempfile.TemporaryDirectory(prefix="optigrade-check-") as scratch:
        given, record, errors = (Path(scratch) / name for name in ("cells", "record", "stderr"))
        given.write_text(json.dumps(cells), encoding="utf-8")
        command = [sys.executable, "-P", "-m", "grader.student.runall", str(given), str(record)]
        with errors.open("wb") as stderr:
            try:
                code = subprocess.run(
                    command,
                    cwd=folder,
                    env={**os.environ, "MPLBACKEND": "Agg"},
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,  # the cells' own output: the notebook's business
                    stderr=stderr,
                    timeout=timeout,
                ).returncode
            except subprocess.TimeoutExpired:
                code = None
        lines = record.read_text(encoding="utf-8").splitlines() if record.exists() else []
        said = errors.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    ended = [json.loads(line) for line in lines]
    outcomes = {e["cell"]: e for e in ended if "cell" in e}
    if ended and ended[-1].get("done"):
        return outcomes, ""
    where = next((f" in cell {n}" for n, _ in cells if n not in outcomes), "")
    if code is None:
        return outcomes, f"stopped at the time limit of {timeout:g} s for the whole notebook{where}"
    last = f": {said[-1][:300]}" if said else ""
    return outcomes, f"its process ended with exit code {code}{where}{last}"


def _graded(question: Question, outcomes: dict[int, dict[str, Any]]) -> bool:
    """Whether the question counts: it has a test cell, or its check says it is graded
    (a worked example's says it is practice)."""
    if question.test is not None:
        return True
    result = outcomes.get(question.check or 0, {}).get("result")
    return result is not None and not result.get("practice", False)


def _entry(question: Question, outcomes: dict[int, dict[str, Any]]) -> Entry:
    ran = outcomes.get(question.check) if question.check is not None else None
    points = question.points
    if ran is not None and "result" in ran:
        result = Result.from_dict(ran["result"])
        points = result.points if points is None else points
        score = min(max(result.score, 0.0), points)
        word = outcome((p.status for p in result.parts), score, points)
        said = [*result.notes]
        said += [f"{p.title}: {p.message}" for p in result.shown() if p.status not in _DONE]
        return Entry(question.qid, word, score, points, "; ".join(said))
    if question.check is None:
        status, hint = "unconfirmed", "the notebook has no check cell for it"
    elif ran is None:
        status, hint = "not run", "the run stopped before its check cell"
    elif ran.get("unanswered"):
        status, hint = "unanswered", ran["message"]
    else:
        status = "error" if ran["status"] != "ok" else "unconfirmed"
        hint = ran.get("message") or "its check cell showed no check"
    return Entry(question.qid, status, 0.0, points or 0.0, hint)


def check_notebook(path: Path, timeout: float = NOTEBOOK_SECONDS) -> Checked:
    """Run the notebook at `path` in its folder and read each question's check (see the
    module doc); `timeout` seconds for the whole run (each cell gets at most the
    grader's limit for a cell)."""
    notebook = read(path)
    assignment = assignment_of(notebook, path)
    named = questions(notebook)
    outcomes, stopped = run(notebook, path.resolve().parent, timeout)
    entries = [_entry(q, outcomes) for q in named.values() if _graded(q, outcomes)]
    questioned = {n for q in named.values() for n in (q.check, q.test)}
    own = [
        f"cell {n}: {o['message']}"
        for n, o in sorted(outcomes.items())
        if o["status"] != "ok" and not o.get("unanswered") and n not in questioned
    ]
    if len(own) > OWN_ERRORS:
        own[OWN_ERRORS:] = [f"and {len(own) - OWN_ERRORS} more cells failed"]
    return Checked(path, assignment, entries, own, stopped)


# --- the terminal view ----------------------------------------------------------------------


def render(checked: Checked) -> Table:
    table = Table(title=f"{checked.path.name} ({checked.assignment})", title_justify="left")
    for column in ("question", "status", "points", "hint"):
        table.add_column(column, justify="right" if column == "points" else "left")
    for entry in checked.entries:
        table.add_row(
            Text(entry.qid),
            Text(f"{word(entry.status).sign} {entry.status}", style=word(entry.status).colour),
            f"{entry.score:g}/{entry.points:g}",
            Text(entry.hint),
        )
    return table


def report(checked: Checked, console: Console) -> None:
    """The per-question table, the total, how the run ended and what else failed."""
    console.print(render(checked))
    console.print(f"[bold]Total: {checked.score:g}/{checked.points:g}[/]")
    console.print(LOCAL, markup=False)
    if checked.stopped:
        console.print(f"The notebook did not run to its end: {checked.stopped}", markup=False)
    for note in checked.notes:
        console.print(f"note: {note}", markup=False)


def main(path: Path, timeout: float = NOTEBOOK_SECONDS) -> int:
    """The command: 0 when the notebook ran (whatever its score), 1 when it could not."""
    errors = Console(stderr=True)
    try:
        with errors.status(f"running {path.name}"):
            checked = check_notebook(path, timeout)
    except CannotRun as error:
        errors.print(f"grader: error: {error}", markup=False, highlight=False, soft_wrap=True)
        return 1
    report(checked, Console())
    return 0
