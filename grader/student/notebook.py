"""`grader check NOTEBOOK`: run a notebook end to end as the instructor's grader will.

The notebook is graded by the batch grader itself (`grader.grade.batch.grade_assignment`
with one worker, on a one-student temporary course), so the scores are the ones the
instructor's run computes: same sandbox, same restored test cells (hidden tests
included), same comparison engine. The instructor's source notebook is not needed: its
protected cells (given data and autograder tests) are managed cells, written from the
question bank exactly as `grader assign sync` writes them. The assignment is recognised
from the notebook's test cells, else from its file name; data files next to the notebook
are copied into the sandbox's working folder, as a release folder's would be.
"""

from __future__ import annotations

import copy
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader import bank
from grader.assign.cells import answer_id, grade_id, managed_cell, managed_key
from grader.compare.result import Result
from grader.grade import results, submissions
from grader.grade.isolation import Limits
from grader.grade.restore import grade_id_of

STUDENT = "me"
#: Data files beside the notebook copied into the sandbox's working folder, at most.
DATA_FILES = 1000
DATA_BYTES = 64 * 2**20
_DONE = ("correct", "carried")


class CannotRun(Exception):
    """The notebook cannot be graded: unreadable, or of no known assignment."""


@dataclass
class Checked:
    """A graded notebook: the grader's stored result and notes about how it was run."""

    path: Path
    assignment: str
    result: dict[str, Any]
    notes: list[str]


def read(path: Path) -> nbformat.NotebookNode:
    """The notebook, read as the batch grader reads a submission (same messages)."""
    try:
        size = path.stat().st_size
        data = path.read_bytes() if size <= submissions.MAX_NOTEBOOK_BYTES else None
    except OSError as e:
        raise CannotRun(f"cannot read {path}: {e.strerror or e}") from None
    if data is None:
        raise CannotRun(f"{path}: the notebook is over the size limit ({size} bytes)")
    loaded = submissions.load(submissions.Submission(STUDENT, str(path), data))
    if loaded.notebook is None:
        raise CannotRun(f"{path}: {loaded.message}")
    return loaded.notebook


def _test_questions(notebook: nbformat.NotebookNode) -> set[str]:
    """Question ids of the notebook's test cells (by the bank's metadata or grade id)."""
    by_grade_id = {grade_id(q.id): q.id for q in bank.all_questions()}
    found = set()
    for cell in notebook.cells:
        key = managed_key(cell)
        if key is not None and key[1] == "test":
            found.add(key[0])
        elif (gid := grade_id_of(cell)) in by_grade_id:
            found.add(by_grade_id[gid])
    return found


def assignment_of(notebook: nbformat.NotebookNode, path: Path) -> str:
    """The assignment whose questions the notebook's test cells grade, else its file name."""
    found = set()
    for qid in _test_questions(notebook):
        try:
            found.add(bank.get(qid).assignment)
        except bank.UnknownQuestion:
            continue
    if len(found) == 1:
        return found.pop()
    if path.stem in bank.ASSIGNMENTS:
        return path.stem
    known = ", ".join(bank.ASSIGNMENTS)
    why = f"its test cells belong to {', '.join(sorted(found))}" if found else "no test cells"
    raise CannotRun(
        f"{path}: not a notebook of a known assignment ({why}, and its file name is none of "
        f"{known})"
    )


def source_notebook(notebook: nbformat.NotebookNode, assignment: str) -> nbformat.NotebookNode:
    """The instructor's source as restoring needs it: the notebook with its managed given
    and test cells written from the bank, and each missing test cell put back after its
    question's answer cell (else at the end)."""
    source = copy.deepcopy(notebook)
    questions = {q.id: q for q in bank.questions(assignment)}
    present = set()
    for i, cell in enumerate(source.cells):
        key = managed_key(cell)
        if key is not None and key[0] in questions and key[1] in ("given", "test"):
            source.cells[i] = managed_cell(questions[key[0]], key[1])  # type: ignore[arg-type]
            present.add(key)
    for q in questions.values():
        if q.practice or (q.id, "test") in present:
            continue
        after = [i for i, c in enumerate(source.cells) if grade_id_of(c) == answer_id(q.id)]
        source.cells.insert(after[0] + 1 if after else len(source.cells), managed_cell(q, "test"))
    return source


def _data_files(folder: Path, into: Path) -> list[str]:
    """Copy the files beside the notebook (not notebooks, not hidden ones) into `into`, up
    to `DATA_FILES` files and `DATA_BYTES` bytes; a note when more were left out."""
    into.mkdir(parents=True)
    budget = DATA_BYTES
    for count, path in enumerate(_files(folder)):
        size = path.stat().st_size
        if count == DATA_FILES or size > budget:
            return [
                f"only the first {count} files beside the notebook were copied to its working "
                f"folder (at most {DATA_FILES} files and {DATA_BYTES // 2**20} MiB)"
            ]
        budget -= size
        target = into / path.relative_to(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return []


def _files(folder: Path) -> Iterator[Path]:
    """The files under `folder` by name, lazily (it may be a large home folder)."""
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.name == "__pycache__" or path.is_symlink():
            continue
        if path.is_dir():
            yield from _files(path)
        elif path.is_file() and path.suffix != ".ipynb":
            yield path


def check_notebook(path: Path, timeout: float = Limits.timeout) -> Checked:
    """Grade the notebook at `path` with the batch grader (see the module doc); `timeout`
    seconds for the whole run (each cell gets at most the batch default)."""
    from grader.grade.batch import grade_assignment

    notebook = read(path)
    assignment = assignment_of(notebook, path)
    with tempfile.TemporaryDirectory(prefix="optigrade-check-") as scratch:
        root = Path(scratch)
        folder = root / "source" / assignment
        folder.mkdir(parents=True)
        nbformat.write(source_notebook(notebook, assignment), folder / f"{assignment}.ipynb")
        submitted = root / "submitted" / STUDENT / assignment
        submitted.mkdir(parents=True)
        shutil.copyfile(path, submitted / f"{assignment}.ipynb")
        notes = _data_files(path.parent, root / "release" / assignment)
        summary = grade_assignment(
            assignment,
            submitted=root / "submitted",
            source=root / "source",
            release=root / "release",
            out=root / "graded",
            jobs=1,
            timeout=timeout,
            cell_timeout=min(Limits.cell_timeout, timeout),
            progress=False,
            exports=False,  # the student reads the table; no class report to write
        )
        result = results.read(root / "graded" / "results", STUDENT)
    if result is None:
        raise CannotRun(f"{path}: the grader stored no result ({summary.failed.get(STUDENT)})")
    return Checked(path, assignment, result, notes + list(result.get("restore_notes", [])))


# --- the terminal view ----------------------------------------------------------------------


def verdict(entry: dict[str, Any]) -> str:
    """A question's status word: how well a graded answer did, else why it was not graded."""
    if entry["status"] != "graded":
        return entry["status"]
    if entry["score"] >= entry["max"]:
        return "correct"
    return "partial" if entry["score"] > 0 else "incorrect"


def hint(entry: dict[str, Any]) -> str:
    """What to look at: the verdicts of the parts not yet right, or why nothing was graded."""
    result = entry.get("result")
    if entry["status"] != "graded" or not isinstance(result, dict):
        return entry["message"]
    graded = Result.from_dict(result)
    said = [*graded.notes]
    said += [f"{p.title}: {p.message}" for p in graded.shown() if p.status not in _DONE]
    return "; ".join(said)


_STYLES = {"correct": "green", "partial": "yellow"}


def render(checked: Checked) -> Table:
    result = checked.result
    table = Table(title=f"{checked.path.name} ({checked.assignment})", title_justify="left")
    for column in ("question", "status", "points", "hint"):
        table.add_column(column, justify="right" if column == "points" else "left")
    for entry in result["questions"]:
        word = verdict(entry)
        table.add_row(
            Text(entry["id"]),
            Text(word, style=_STYLES.get(word, "red")),
            f"{entry['score']:g}/{entry['max']:g}",
            Text(hint(entry)),
        )
    return table


def report(checked: Checked, console: Console) -> None:
    """The per-question table, the total, and how the run ended."""
    result = checked.result
    console.print(render(checked))
    console.print(f"[bold]Total: {result['score']:g}/{result['max']:g}[/]")
    if result.get("status") != "graded":
        console.print(f"The notebook did not run to its end: {result.get('reason')}", markup=False)
    for note in checked.notes:
        console.print(f"note: {note}", markup=False)


def main(path: Path, timeout: float = Limits.timeout) -> int:
    """The command: 0 when the notebook ran (whatever its score), 1 when it could not."""
    from grader.grade.pool import PoolFailed

    errors = Console(stderr=True)
    try:
        with errors.status(f"running {path.name} as the grader will"):
            checked = check_notebook(path, timeout)
    except (CannotRun, PoolFailed) as error:
        errors.print(f"grader: error: {error}", markup=False, highlight=False, soft_wrap=True)
        return 1
    report(checked, Console())
    return 0
