"""nbgrader's own generate_assignment / autograde / export on a class released with
variants (issue 19): the given cells call `grader.given`, so under autograde (the key
installed) each submission computes with its student's own numbers, found from its
``submitted/<student>/`` folder: the solution scores full marks for every student of the
roster (odd ids too), a blank notebook 0, and a classmate's answer pasted as a literal 0.

The questions that vary are declared for the test in every process nbgrader
starts, by a ``sitecustomize`` module on PYTHONPATH (`tests.student.varying`)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from optigrade import bank, variants
from optigrade.assign import cells, secrets
from tests.student import varying

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "forward-pass"
ROSTER = ["jane_doe", "o'brien", "zoë"]
COPIER, BLANK = "copier", "blank"
QUESTIONS = ("fp.1.1", "act.1")
SOLUTION = {
    "fp.1.1": "z_1_1 = X @ w + b",
    "act.1": (
        "a_1 = {'sigmoid': 1 / (1 + np.exp(-z)), 'tanh': np.tanh(z), 'relu': np.maximum(z, 0),\n"
        "       'softmax': np.exp(z) / np.exp(z).sum()}"
    ),
}


def _varying(qid: str):
    return next(q for q in varying.questions(ASSIGNMENT) if q.id == qid)


def _cell(source: str, grade_id: str, **nbgrader) -> nbformat.NotebookNode:
    meta = {"grade": False, "solution": False, "locked": True, "grade_id": grade_id}
    return nbformat.v4.new_code_cell(
        source, metadata={"nbgrader": meta | nbgrader | {"schema_version": 3}}
    )


def _gid(cell: nbformat.NotebookNode) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _source() -> nbformat.NotebookNode:
    found = [nbformat.v4.new_code_cell("import numpy as np\nimport grader")]
    for qid in QUESTIONS:
        q = _varying(qid)
        gid = cells.grade_id(qid)
        found.append(_cell(cells.given_source(q), gid + "-given"))
        found.append(
            _cell(
                f"### BEGIN SOLUTION\n{SOLUTION[qid]}\n### END SOLUTION",
                gid + "-answer",
                solution=True,
                locked=False,
            )
        )
        found.append(_cell(cells.test_source(q), gid, grade=True, points=q.points))
    nb = nbformat.v4.new_notebook(cells=found)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def _nbgrader(course: Path, env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_autograde_gives_each_student_of_the_roster_their_own_numbers(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(bank, "questions", varying.questions)
    course, site = tmp_path / "course", tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(varying.SITE)
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
        "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)]),
    }
    env.pop("JUPYTERHUB_USER", None)
    students = [*ROSTER, COPIER, BLANK]
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'variants'\n"
        f"c.CourseDirectory.db_assignments = [{{'name': {ASSIGNMENT!r}}}]\n"
        f"c.CourseDirectory.db_students = {[{'id': s} for s in students]!r}\n"
    )
    kept = secrets.save(course, secrets.Secrets(bytes(range(32)), {}, {ASSIGNMENT: students}))
    nbformat.write(_source(), course / "source" / ASSIGNMENT / "fp.ipynb")
    _nbgrader(course, env, "generate_assignment", ASSIGNMENT, "--force")

    released = nbformat.read(course / "release" / ASSIGNMENT / "fp.ipynb", as_version=4)
    jane = variants.questions(ASSIGNMENT, kept.course, "jane_doe")
    copied = {
        "fp.1.1": f"z_1_1 = np.array({jane['fp.1.1'].answer['z'].tolist()!r})",
        "act.1": SOLUTION["act.1"],
    }
    for student in students:
        answers = iter(copied[q] if student == COPIER else SOLUTION[q] for q in QUESTIONS)
        notebook = nbformat.from_dict(released)
        for cell in notebook.cells:
            if cell.metadata.get("nbgrader", {}).get("solution") and student != BLANK:
                cell.source = next(answers)
        (course / "submitted" / student / ASSIGNMENT).mkdir(parents=True)
        nbformat.write(notebook, course / "submitted" / student / ASSIGNMENT / "fp.ipynb")
    _nbgrader(course, env, "autograde", ASSIGNMENT, "--force")
    _nbgrader(course, env, "export", "--to", str(course / "grades.csv"))

    full = sum(bank.get(q).points for q in QUESTIONS)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s: gb.find_submission(ASSIGNMENT, s).score for s in students}
        copier = gb.find_grade(cells.grade_id("fp.1.1"), "fp", ASSIGNMENT, COPIER).score
    pasted = bank.get("fp.1.1").points
    assert scores == {**dict.fromkeys(ROSTER, full), COPIER: full - pasted, BLANK: 0.0}
    assert copier == 0.0  # jane's answer is not the copier's: their numbers differ
    for student in ROSTER:  # each saw their own numbers, not the lab's
        mine = variants.questions(ASSIGNMENT, kept.course, student)["fp.1.1"]
        graded = nbformat.read(course / "autograded" / student / ASSIGNMENT / "fp.ipynb", 4)
        (given,) = (c for c in graded.cells if _gid(c) == "fp-1-1-given")
        assert given.outputs[0].text.startswith(f"X = {mine.inputs['X']!r}")
        assert mine.inputs["X"].tolist() != bank.get("fp.1.1").inputs["X"].tolist()
    with open(course / "grades.csv", newline="", encoding="utf-8") as f:
        exported = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(f)}
    assert exported == scores
