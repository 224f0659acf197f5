"""`grader check NOTEBOOK`: a student's notebook run top to bottom in a plain subprocess in
its own folder, each question's check and points shown; clear errors when it cannot run."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from rich.console import Console

from grader.student import notebook, runall
from grader.student.shell import NotebookShell, make_shell
from grader.vocabulary import word
from optigrade import bank

COURSE = Path(__file__).resolve().parents[2]
SOLUTION = COURSE / "solutions" / "forward-pass" / "forward-pass.ipynb"
RELEASE = COURSE / "release" / "forward-pass" / "forward-pass.ipynb"


def check(path: Path, cwd: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "grader", "check", str(path), *options],
        cwd=cwd,  # anywhere: a student's own folder, not the course
        capture_output=True,
        text=True,
        timeout=300,
    )


def _rows(stdout: str) -> dict[str, list[str]]:
    """Each question's cells, its status word without the sign (`grader.vocabulary`)."""
    rows = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) == 4 and cells[0]:
            sign, _, said = cells[1].partition(" ")
            assert said and word(said).sign == sign, cells[1]
            rows[cells[0]] = [said, *cells[2:]]
    return rows


def _said(stdout: str) -> str:
    return " ".join(" ".join(stdout.split("│")).split())  # the table's text, unwrapped


def test_the_solution_gets_full_marks(tmp_path):
    run = check(SOLUTION, tmp_path)
    assert run.returncode == 0, run.stderr
    assert "Total: 18/18" in run.stdout
    rows = _rows(run.stdout)
    assert len(rows) == 12  # the graded questions; the worked example is not one
    assert {status for status, _, _ in rows.values()} == {"correct"}
    assert rows["act.3"][1] == "3/3"
    assert "the instructor's grader also runs hidden tests" in _said(run.stdout)


def test_the_blank_release_gets_zero_and_says_what_to_answer(tmp_path):
    run = check(RELEASE, tmp_path)
    assert run.returncode == 0, run.stderr
    assert "Total: 0/18" in run.stdout
    rows = _rows(run.stdout)
    assert rows["fp.1.1"][:2] == ["unanswered", "0/1"]
    assert "fp.1.1 is not answered yet: z_1_1 is not defined" in _said(run.stdout)
    assert "note:" not in run.stdout  # the answer cells' stubs are the table's, not notes


def test_a_malformed_file_is_a_clear_error(tmp_path):
    broken = tmp_path / "forward-pass.ipynb"
    broken.write_bytes(SOLUTION.read_bytes()[:500])
    run = check(broken, tmp_path)
    assert run.returncode == 1
    assert run.stdout == ""
    assert "grader: error:" in run.stderr
    assert "the notebook is not valid JSON" in run.stderr


def test_a_notebook_of_no_known_assignment_is_a_clear_error(tmp_path):
    path = tmp_path / "homework.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), path)
    run = check(path, tmp_path)
    assert run.returncode == 1
    assert "not a notebook of a known assignment (no test cells" in run.stderr
    missing = check(tmp_path / "nowhere.ipynb", tmp_path)
    assert missing.returncode == 1 and "cannot read" in missing.stderr


def test_the_assignment_is_known_by_its_test_cells_or_its_file_name(tmp_path):
    solution = notebook.read(SOLUTION)
    assert notebook.assignment_of(solution, tmp_path / "my-homework.ipynb") == "forward-pass"
    bare = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("z_1_1 = 0")])
    assert notebook.assignment_of(bare, tmp_path / "optimisation.ipynb") == "optimisation"
    with pytest.raises(notebook.CannotRun):
        notebook.assignment_of(bare, tmp_path / "my-homework.ipynb")


def _cell(nb: nbformat.NotebookNode, qid: str, role: str) -> int:
    return next(
        i
        for i, c in enumerate(nb.cells)
        if c.metadata.get("grader") == {"question": qid, "role": role}
    )


def test_mistakes_edited_tests_and_the_notebook_s_own_folder(tmp_path):
    nb = nbformat.read(SOLUTION, as_version=4)
    nb.cells[_cell(nb, "fp.1.2", "test")].source = 'print("1/1")'  # still fp.1.2's test cell
    del nb.cells[_cell(nb, "fp.1.1", "test")]  # its check cell still says it is graded
    nb.cells[_cell(nb, "act.1", "answer")].source += '\na_1 = {**a_1, "relu": np.minimum(z, 0)}'
    nb.cells[_cell(nb, "fp.4", "answer")].source += (  # observations and inputs swapped
        '\nshapes = {"2x3": {"observations": 3, "inputs": 2}, '
        '"3x2": {"observations": 2, "inputs": 3}}'
    )
    nb.cells.append(nbformat.v4.new_code_cell('raise ValueError(open("data/notes.txt").read())'))
    folder = tmp_path / "my work"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "notes.txt").write_text("read from beside the notebook")
    path = folder / "forward-pass-final.ipynb"
    nbformat.write(nb, path)
    checked = notebook.check_notebook(path, timeout=120)
    assert checked.assignment == "forward-pass"
    assert (checked.score, checked.points) == (15.5, 18)
    shown = io.StringIO()
    notebook.report(checked, Console(file=shown, width=200))
    rows = _rows(shown.getvalue())
    assert rows["fp.1.1"][:2] == rows["fp.1.2"][:2] == ["correct", "1/1"]
    assert rows["act.1"][:2] == ["partial", "1.5/2"]
    assert rows["act.1"][2].startswith("relu(z): ReLU keeps positive values")
    (hint,) = {m.hint for p in bank.get("fp.4").parts for m in p.mistakes}
    assert rows["fp.4"] == ["incorrect", "0/2", f"all 4 parts: {hint}"]
    assert "Total: 15.5/18" in shown.getvalue()
    last = len(nb.cells)
    assert checked.notes == [f"cell {last}: ValueError: read from beside the notebook"]


def test_the_notebook_s_time_limit_stops_it_and_keeps_what_ran(tmp_path):
    nb = nbformat.read(SOLUTION, as_version=4)
    hang = _cell(nb, "act.1", "answer")
    nb.cells.insert(hang, nbformat.v4.new_code_cell("while True:\n    pass"))
    path = tmp_path / "forward-pass.ipynb"
    nbformat.write(nb, path)
    run = check(path, tmp_path, "--timeout", "15")
    assert run.returncode == 0, run.stderr
    said = _said(run.stdout)
    assert (
        f"The notebook did not run to its end: stopped at the time limit of 15 s for the "
        f"whole notebook in cell {hang + 1}" in said
    )
    rows = _rows(run.stdout)
    assert rows["fp.1.1"][:2] == ["correct", "1/1"]  # checked before the hung cell
    assert rows["act.1"][:2] == ["not run", "0/2"]


@pytest.fixture
def shell() -> Iterator[NotebookShell]:
    made = make_shell()
    yield made
    NotebookShell.clear_instance()  # a singleton: other tests must see no IPython shell


def test_a_cell_over_its_limit_is_stopped_and_the_shell_goes_on(shell):
    assert runall.run_cell(shell, "while True:\n    pass", seconds=0.3) == {
        "status": "timeout",
        "message": "stopped after 0.3 s (a cell's limit)",
    }
    assert runall.run_cell(shell, "x = 1\nx + 1")["status"] == "ok"
    failed = runall.run_cell(shell, "1 / 0")
    assert failed == {
        "status": "error",
        "message": "ZeroDivisionError: division by zero",
        "unanswered": False,
    }
