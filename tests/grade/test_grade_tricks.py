"""What Jupyter and LMSs let a class do to a notebook, re-created on this course's
forward-pass release (as issue 18's reviewer did with nbgrader's own trick notebooks):
every student below has every answer right, so each must get full marks, with the repair
or the choice said on their feedback page and to the instructor."""

from __future__ import annotations

import copy
import csv
import json
import shutil
import zipfile
from collections.abc import Callable
from html import escape
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from optigrade import bank
from optigrade.export.run import write_all
from optigrade.grade.batch import grade_assignment
from optigrade.grade.options import GradeOptions, GradePaths
from optigrade.grade.restore import grade_id_of
from optigrade.records.repairs import Repair

ROOT = Path(__file__).resolve().parents[2]
A = "forward-pass"
RELEASE = ROOT / "release" / A / f"{A}.ipynb"
SOLVED = ROOT / "solutions" / A / f"{A}.ipynb"
FULL = sum(q.points for q in bank.questions(A) if not q.practice)


def solved() -> nbformat.NotebookNode:
    return nbformat.read(SOLVED, as_version=4)


def at(nb: nbformat.NotebookNode, gid: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if grade_id_of(c) == gid)


def trick(change: Callable[[nbformat.NotebookNode], None]) -> bytes:
    """The solutions notebook with one thing done to it."""
    nb = solved()
    change(nb)
    return nbformat.writes(nb).encode()


def _markdown_answer(nb: nbformat.NotebookNode) -> None:  # one M keypress
    i = at(nb, "fp-1-1-answer")
    nb.cells[i] = nbformat.v4.new_markdown_cell(nb.cells[i].source, metadata=nb.cells[i].metadata)


def _paste_test_above(nb: nbformat.NotebookNode) -> None:
    nb.cells.insert(at(nb, "fp-1-1-answer"), copy.deepcopy(nb.cells[at(nb, "fp-1-1")]))


def _move_test_above(nb: nbformat.NotebookNode) -> None:
    test = nb.cells.pop(at(nb, "fp-2-1"))
    nb.cells.insert(at(nb, "fp-2-1-answer"), test)


def _claim_points(nb: nbformat.NotebookNode) -> None:
    nb.cells[at(nb, "fp-4")].metadata["nbgrader"]["points"] = 100


def _edit_given(nb: nbformat.NotebookNode) -> None:
    nb.cells[at(nb, "fp-1-1-given")].source += "\nX = X * 0"


def _raw_test(nb: nbformat.NotebookNode) -> None:  # one R keypress
    i = at(nb, "act-1")
    nb.cells[i] = nbformat.v4.new_raw_cell(nb.cells[i].source, metadata=nb.cells[i].metadata)


def _nbgrader_branch(nb: nbformat.NotebookNode) -> None:
    """A notebook written for nbgrader: right only when run as nbgrader's autograde runs it."""
    answer = nb.cells[at(nb, "fp-1-1-answer")]
    answer.source = (
        f"import os\n{answer.source}\n"
        "if os.environ.get('NBGRADER_EXECUTION') != 'autograde':\n    z_1_1 = None"
    )


#: Each student's files in submitted/<student>/forward-pass/.
CLASS: dict[str, dict[str, Callable[[], bytes]]] = {
    "old-copy": {f"{A}.ipynb": SOLVED.read_bytes, f"{A}_old.ipynb": RELEASE.read_bytes},
    "renamed": {f"{A} (1).ipynb": SOLVED.read_bytes, f"{A} (2).ipynb": RELEASE.read_bytes},
    "markdown": {f"{A}.ipynb": lambda: trick(_markdown_answer)},
    "pasted": {f"{A}.ipynb": lambda: trick(_paste_test_above)},
    "moved": {f"{A}.ipynb": lambda: trick(_move_test_above)},
    "points": {f"{A}.ipynb": lambda: trick(_claim_points)},
    "given": {f"{A}.ipynb": lambda: trick(_edit_given)},
    "raw-test": {f"{A}.ipynb": lambda: trick(_raw_test)},
    "nbgrader-env": {f"{A}.ipynb": lambda: trick(_nbgrader_branch)},
}
#: The repair each student's result records (cell, question, kind).
REPAIRED = {
    "markdown": [("answer", "fp.1.1", "type")],
    "pasted": [("test", "fp.1.1", "duplicate")],
    "moved": [("test", "fp.2.1", "moved")],
    "points": [("test", "fp.4", "metadata")],
    "given": [("given", "fp.1.1", "edited")],
    "raw-test": [("test", "act.1", "type")],
}


def _course(root: Path) -> GradePaths:
    for folder in ("exercises", "release"):
        shutil.copytree(ROOT / folder / A, root / folder / A)
    return GradePaths(root / "submitted", root / "exercises", root / "release", root / "out")


def _grade(paths: GradePaths) -> SimpleNamespace:
    summary = grade_assignment(A, paths, GradeOptions(jobs=2, progress=False))
    summary.warnings += write_all(summary.out)
    out = summary.out

    def result(student: str) -> dict:
        return json.loads((out / "results" / f"{student}.json").read_text())

    return SimpleNamespace(summary=summary, out=out, result=result)


@pytest.fixture(scope="module")
def tricks(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    paths = _course(tmp_path_factory.mktemp("tricks"))
    for student, files in CLASS.items():
        folder = paths.submitted / student / A
        folder.mkdir(parents=True)
        for name, data in files.items():
            (folder / name).write_bytes(data())
    return _grade(paths)


@pytest.mark.parametrize("student", CLASS)
def test_a_right_notebook_gets_full_marks_whatever_jupyter_let_happen(tricks, student):
    found = tricks.result(student)
    assert (found["status"], found["score"], found["max"]) == ("graded", FULL, FULL)
    repairs = [Repair.from_json(r) for r in found["repairs"]]
    assert [(r.cell, r.question, r.kind) for r in repairs] == REPAIRED.get(student, [])
    page = (tricks.out / "feedback" / f"{student}.html").read_text(encoding="utf-8")
    for repair in repairs:  # said on the student's page, by question
        assert escape(str(repair)[:1].upper() + str(repair)[1:]) in page


def test_the_repairs_are_named_for_what_they_are(tricks):
    with (tricks.out / "scores.csv").open(encoding="utf-8", newline="") as f:
        warned = {row["student_id"]: row["warnings"] for row in csv.DictReader(f)}
    assert warned["given"] == "given cell edited: fp.1.1"  # not "test cell edited"
    assert warned["points"] == "test cell edited: fp.4"  # tampering with the points
    assert warned["markdown"] == warned["pasted"] == "cell repaired: fp.1.1"  # harmless
    said = str(Repair.from_json(tricks.result("points")["repairs"][0]))
    assert "points 100 instead of 2.0" in said


def test_a_choice_the_names_did_not_settle_is_a_warning_naming_the_files(tricks):
    (warning,) = [w for w in tricks.summary.warnings if w.startswith("renamed:")]
    assert f"({A} (1).ipynb, {A} (2).ipynb), none named {A}.ipynb alone" in warning
    assert f"graded {A} (1).ipynb, the one whose cells match the released notebook best" in warning
    report = (tricks.out / "report.html").read_text(encoding="utf-8")
    assert f"graded {A} (1).ipynb" in report
    page = (tricks.out / "feedback" / "renamed.html").read_text(encoding="utf-8")
    assert f"graded {A} (1).ipynb" in page
    assert not any(w.startswith("old-copy:") for w in tricks.summary.warnings)
    note = tricks.result("old-copy")["submission"]["notes"][0]
    assert note.endswith(f"graded {A}.ipynb, the assignment's notebook")


def test_every_student_of_a_zip_collect_download_is_graded_separately(tmp_path):
    paths = _course(tmp_path)
    archive = tmp_path / "blackboard.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"{A}_bitdiddle_attempt_2016-01-30-15-30-10_{A}.ipynb", SOLVED.read_bytes())
        zf.writestr(f"{A}_hacker_attempt_2016-01-30-16-30-10_{A}.ipynb", RELEASE.read_bytes())
    graded = _grade(GradePaths(archive, paths.source, paths.release, paths.out))
    assert graded.summary.students == ["bitdiddle", "hacker"]
    assert sorted(graded.summary.graded) == ["bitdiddle", "hacker"]
    assert graded.result("bitdiddle")["score"] == FULL
    assert graded.result("hacker")["score"] == 0.0
