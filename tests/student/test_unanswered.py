"""An unanswered question in a released notebook run top to bottom as Jupyter runs it
(nbclient, a real kernel): one friendly line per cell instead of a traceback, the check
cell naming the variable and the cell to fill, and the cells still failing as errors, so
"Run All" stops and nbgrader scores the test cell 0."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbgrader.utils import determine_grade

import grader
from grader.student import unanswered
from optigrade import bank
from optigrade.assign.cells import managed_key

COURSE = Path(__file__).resolve().parents[2]
RELEASE = COURSE / "release"

#: Cells a student may add: errors that are no unanswered question keep their traceback.
OWN_CELLS = (
    "undefined_name + 1",
    "def mine():\n    raise NotImplementedError('not yet')\n\n\nmine()",
    "def uses_z():\n    return z_1_1\n\n\nuses_z()",
)


def _error(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    (error,) = [o for o in cell.outputs if o.output_type == "error"]
    return error


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    """The released forward-pass notebook, untouched by a student, run top to bottom with
    errors allowed (as nbgrader runs it), plus a few cells of the student's own."""
    folder = tmp_path_factory.mktemp("student") / "forward-pass"
    shutil.copytree(RELEASE / "forward-pass", folder)
    nb = nbformat.read(folder / "forward-pass.ipynb", as_version=4)
    nb.cells += [nbformat.v4.new_code_cell(source) for source in OWN_CELLS]
    NotebookClient(
        nb, timeout=120, allow_errors=True, resources={"metadata": {"path": str(folder)}}
    ).execute()
    return nb


def _cells(nb: nbformat.NotebookNode, qid: str) -> dict[str, nbformat.NotebookNode]:
    """The question's answer, check and test cells by role."""
    found = {}
    for cell in nb.cells:
        info = cell.metadata.get("grader", {})
        if info.get("question") == qid:
            found[info["role"]] = cell
    return found


def test_the_check_cell_says_in_one_line_what_to_assign_and_where(ran):
    cells = _cells(ran, "fp.1.1")
    error = _error(cells["check"])
    assert error.ename == "NameError"  # still an error: a cell run after it would not run
    assert error.traceback == [
        "fp.1.1 is not answered yet: z_1_1 is not defined. Assign it in the # YOUR CODE HERE "
        "cell above, run that cell, then this one."
    ]
    assert len(cells["check"].outputs) == 1


def test_the_answer_and_test_cells_say_one_line_each_and_still_fail(ran):
    cells = _cells(ran, "fp.1.1")
    assert _error(cells["answer"]).ename == "NotImplementedError"
    assert _error(cells["answer"]).traceback == [
        "fp.1.1 is not answered yet: write your code for z_1_1 in place of "
        "`raise NotImplementedError()`, run this cell, then the check below it."
    ]
    test = cells["test"]
    assert _error(test).traceback == [
        "fp.1.1 scores 0 for now: z_1_1 is not defined; assign it in the # YOUR CODE HERE "
        "cell above."
    ]
    assert determine_grade(test) == (0, 1.0)  # nbgrader's own verdict on the test cell


def test_every_unanswered_question_of_the_notebook_is_one_line_per_cell(ran):
    for q in bank.questions("forward-pass"):
        if q.practice:
            continue
        cells = _cells(ran, q.id)
        for role in ("answer", "check", "test"):
            (line,) = _error(cells[role]).traceback
            assert line.startswith(q.id) and q.variable in line, (q.id, role)
            assert "Traceback" not in line and "\x1b" not in line


def test_other_errors_keep_their_traceback(ran):
    own = ran.cells[-len(OWN_CELLS) :]
    for cell, source in zip(own, OWN_CELLS, strict=True):
        error = _error(cell)
        assert len(error.traceback) > 1, source
        assert any("Traceback" in line for line in error.traceback), source


def test_the_intro_says_run_all_stops_at_the_first_unanswered_question():
    for assignment in bank.assignments():
        for folder in ("exercises", "release", "solutions"):
            nb = nbformat.read(COURSE / folder / assignment / f"{assignment}.ipynb", 4)
            intro = " ".join(nb.cells[0].source.split())
            assert "*Run All* stops at the first such cell" in intro, (folder, assignment)
            assert "`raise NotImplementedError()`" in intro


@pytest.mark.parametrize("assignment", list(bank.assignments()))
def test_each_released_stub_names_its_question_and_variable(assignment):
    """What each released answer cell says when its stub raises: at the cell's top level,
    or in a function the cell defines (and maybe calls)."""
    nb = nbformat.read(RELEASE / assignment / f"{assignment}.ipynb", as_version=4)
    stubs = [
        c
        for c in nb.cells
        if c.cell_type == "code" and unanswered.STUB in c.source and managed_key(c) is None
    ]
    assert stubs
    for cell in stubs:
        q = bank.get(cell.metadata["grader"]["question"])
        shared = [o.id for o in bank.all_questions() if o.variable == q.variable] != [q.id]
        lead = "Not answered yet: " if shared else f"{q.id} is not answered yet: "
        if unanswered.STUB in cell.source.splitlines():  # at the top level
            line = unanswered.explain(NotImplementedError(), cell.source)
            assert line == lead + f"write your code for {q.variable} in place of " + (
                f"`{unanswered.STUB}`"
                + ("." if shared else ", run this cell, then the check below it.")
            )
        for function in re.findall(r"^def (\w+)\(", cell.source, re.M):
            line = unanswered.explain(NotImplementedError(), cell.source, function)
            assert line is not None and line.startswith(lead), (q.id, line)
            assert f"write the body of {function}() in place of its `{unanswered.STUB}`" in line


def test_a_function_still_a_stub_is_not_answered_yet():
    def softmax_stable(z):
        raise NotImplementedError()

    result = grader.check("cls.softmax.stable", softmax_stable)
    assert result is not None
    (part,) = result.shown()
    assert part.status == "unanswered"
    assert part.message.startswith("not answered yet: softmax_stable() still raises")
    assert grader.score("cls.softmax.stable", softmax_stable, hidden=True) == 0.0


def test_outside_a_kernel_nothing_is_installed():
    assert unanswered.install() is False
