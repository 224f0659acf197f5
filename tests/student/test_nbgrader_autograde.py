"""grader.score inside a real nbgrader autograde run: the gradebook records exactly the
partial credit grader.score computes, and no test cell writes to stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
from nbgrader.api import Gradebook

import grader
from optigrade.bank import get

ASSIGNMENT = "forward-pass-mini"
STUDENT = "alice"
QUESTIONS = ("fp.1.1", "act.1", "out.1", "out.2")

#: The student's answers: fp.1.1 and out.2 right, act.1 with relu wrong, out.1 with A
#: wrong and C, D right given it (follow-through).
STUDENT_CODE = {
    "fp.1.1": "z_1_1 = X @ w + b",
    "act.1": (
        "z = np.array([[8.0], [6.0]])\n"
        "a_1 = {'sigmoid': 1 / (1 + np.exp(-z)), 'tanh': np.tanh(z), 'relu': np.minimum(z, 0),\n"
        "       'softmax': np.exp(z) / np.exp(z).sum()}"
    ),
    "out.1": (
        "A, B = 2.0, 0.6\n"
        "e = np.exp(np.array([A, B]) @ np.array([[0.7, -0.3], [-0.2, 0.8]]) + 1)\n"
        "nodes = {'A': A, 'B': B, 'C': e[0] / e.sum(), 'D': e[1] / e.sum()}"
    ),
    "out.2": "predicted_class = ' yes '",
}


def _gid(qid: str) -> str:
    return qid.replace(".", "-")


def _cell(
    source: str, grade_id: str, *, solution: bool, points: float | None = None
) -> nbformat.NotebookNode:
    meta = {
        "grade": points is not None,
        "solution": solution,
        "locked": not solution,
        "grade_id": grade_id,
        "schema_version": 3,
    }
    if points is not None:
        meta["points"] = points
    return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})


def _source_notebook() -> nbformat.NotebookNode:
    cells = [
        nbformat.v4.new_code_cell(
            "import numpy as np\nimport grader\n"
            "X = np.array([[1.0, 2.0], [2.0, 1.0]]); w = np.ones((2, 1)); b = np.zeros((2, 1))"
        )
    ]
    for qid in QUESTIONS:
        q = get(qid)
        cells.append(
            _cell(
                f"### BEGIN SOLUTION\n{STUDENT_CODE[qid]}\n### END SOLUTION",
                _gid(qid) + "-answer",
                solution=True,
            )
        )
        cells.append(
            _cell(
                f'grader.score("{qid}", {q.variable})', _gid(qid), solution=False, points=q.points
            )
        )
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def _nbgrader(course: Path, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, "--force"],
        cwd=course,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _expected_scores() -> dict[str, float]:
    namespace: dict = {}
    exec(_source_notebook().cells[0].source, namespace)
    scores = {}
    for qid in QUESTIONS:
        exec(STUDENT_CODE[qid], namespace)
        scores[qid] = grader.score(qid, namespace[get(qid).variable])
    return scores


def test_autograde_records_the_partial_credit(tmp_path: Path, monkeypatch) -> None:
    # nbgrader runs the `alembic` script of its own environment, also when the gradebook opens
    bin_dir = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", bin_dir + os.pathsep + os.environ.get("PATH", ""))
    course = tmp_path
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'mini'\n"
        f"c.CourseDirectory.db_assignments = [{{'name': {ASSIGNMENT!r}}}]\n"
        f"c.CourseDirectory.db_students = [{{'id': {STUDENT!r}}}]\n"
    )
    source = course / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    nbformat.write(_source_notebook(), source / "mini.ipynb")
    _nbgrader(course, "generate_assignment", ASSIGNMENT)

    released = nbformat.read(course / "release" / ASSIGNMENT / "mini.ipynb", as_version=4)
    answers = iter(STUDENT_CODE[qid] for qid in QUESTIONS)
    for cell in released.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = next(answers)
    submitted = course / "submitted" / STUDENT / ASSIGNMENT
    submitted.mkdir(parents=True)
    nbformat.write(released, submitted / "mini.ipynb")
    _nbgrader(course, "autograde", ASSIGNMENT)

    expected = _expected_scores()
    assert expected == {"fp.1.1": 1.0, "act.1": 1.5, "out.1": 1.5, "out.2": 1.0}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for qid in QUESTIONS:
            recorded = gb.find_grade(_gid(qid), "mini", ASSIGNMENT, STUDENT)
            assert recorded.score == expected[qid], qid
        assert gb.find_submission(ASSIGNMENT, STUDENT).score == sum(expected.values())

    autograded = nbformat.read(
        course / "autograded" / STUDENT / ASSIGNMENT / "mini.ipynb", as_version=4
    )
    tests = [c for c in autograded.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(tests) == len(QUESTIONS)
    for cell in tests:
        kinds = [(o.output_type, o.get("name")) for o in cell.outputs]
        assert kinds == [("execute_result", None)], cell.outputs
        assert float(cell.outputs[0].data["text/plain"]) in set(expected.values())
    assert np.isclose(sum(float(c.outputs[0].data["text/plain"]) for c in tests), 5.0)
