"""`grader check NOTEBOOK`: a student's notebook run end to end by the batch grader, with
the instructor's scores, from the notebook's own folder; clear errors when it cannot run."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from rich.console import Console

from grader import bank
from grader.assign.cells import managed_key
from grader.student import notebook

COURSE = Path(__file__).resolve().parents[2]
SOLUTION = COURSE / "solutions" / "forward-pass" / "forward-pass.ipynb"
RELEASE = COURSE / "release" / "forward-pass" / "forward-pass.ipynb"


def check(path: Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "grader", "check", str(path)],
        cwd=cwd,  # anywhere: a student's own folder, not the course
        capture_output=True,
        text=True,
        timeout=300,
    )


def _rows(stdout: str) -> dict[str, list[str]]:
    rows = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) == 4 and cells[0]:
            rows[cells[0]] = cells[1:]
    return rows


def test_the_solution_gets_full_marks(tmp_path):
    run = check(SOLUTION, tmp_path)
    assert run.returncode == 0, run.stderr
    assert "Total: 18/18" in run.stdout
    rows = _rows(run.stdout)
    assert len(rows) == 12
    assert {status for status, _, _ in rows.values()} == {"correct"}
    assert rows["act.3"][1] == "3/3"


def test_the_blank_release_gets_zero_and_exit_code_0(tmp_path):
    run = check(RELEASE, tmp_path)
    assert run.returncode == 0, run.stderr
    assert "Total: 0/18" in run.stdout
    rows = _rows(run.stdout)
    assert rows["fp.1.1"][:2] == ["error", "0/1"]
    assert "NameError" in rows["fp.1.1"][2]
    said = " ".join(" ".join(run.stdout.split("│")).split())  # the hint, unwrapped
    assert "assign your answer to z_1_1 in the question's solution cell" in said


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


def _test_cell(nb: nbformat.NotebookNode, qid: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if managed_key(c) == (qid, "test"))


def test_the_assignment_is_known_by_its_test_cells_or_its_file_name(tmp_path):
    solution = notebook.read(SOLUTION)
    assert notebook.assignment_of(solution, tmp_path / "my-homework.ipynb") == "forward-pass"
    bare = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("z_1_1 = 0")])
    assert notebook.assignment_of(bare, tmp_path / "optimisation.ipynb") == "optimisation"
    with pytest.raises(notebook.CannotRun):
        notebook.assignment_of(bare, tmp_path / "my-homework.ipynb")


def test_the_source_puts_back_deleted_tests_and_the_bank_s_hidden_tests():
    student = notebook.read(COURSE / "release" / "optimisation" / "optimisation.ipynb")
    del student.cells[_test_cell(student, "opt.1")]
    source = notebook.source_notebook(student, "optimisation")
    restored = source.cells[_test_cell(source, "opt.1")]
    answer = source.cells[_test_cell(source, "opt.1") - 1]
    assert answer.metadata["nbgrader"]["grade_id"] == "opt-1-answer"
    assert restored.source.endswith('grader.score("opt.1", sgd_epoch)')
    hidden = source.cells[_test_cell(source, "opt.2")].source
    assert "### BEGIN HIDDEN TESTS" in hidden
    exercise = nbformat.read(COURSE / "exercises" / "optimisation" / "optimisation.ipynb", 4)
    assert hidden == exercise.cells[_test_cell(exercise, "opt.2")].source


def test_restored_tests_a_diagnosed_mistake_and_data_files_beside_the_notebook(tmp_path):
    nb = nbformat.read(SOLUTION, as_version=4)
    nb.cells[_test_cell(nb, "fp.1.2")].source = 'print("1/1")'
    del nb.cells[_test_cell(nb, "fp.1.1")]
    answer = next(
        i
        for i, c in enumerate(nb.cells)
        if c.metadata.get("grader") == {"question": "act.1", "role": "answer"}
    )
    nb.cells[answer].source += '\na_1 = {**a_1, "relu": np.minimum(z, 0)}'
    swapped = next(  # observations and inputs swapped in all four parts: one hint
        i
        for i, c in enumerate(nb.cells)
        if c.metadata.get("grader") == {"question": "fp.4", "role": "answer"}
    )
    nb.cells[swapped].source += (
        '\nshapes = {"2x3": {"observations": 3, "inputs": 2}, '
        '"3x2": {"observations": 2, "inputs": 3}}'
    )
    nb.cells.append(nbformat.v4.new_code_cell('print(open("data/notes.txt").read())'))
    folder = tmp_path / "my work"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "notes.txt").write_text("read from beside the notebook")
    path = folder / "forward-pass-final.ipynb"
    nbformat.write(nb, path)
    checked = notebook.check_notebook(path, timeout=120)
    assert checked.assignment == "forward-pass"
    assert (checked.result["score"], checked.result["max"]) == (15.5, 18)
    shown = io.StringIO()
    notebook.report(checked, Console(file=shown, width=200))
    rows = _rows(shown.getvalue())
    assert rows["fp.1.1"][:2] == rows["fp.1.2"][:2] == ["correct", "1/1"]
    assert rows["act.1"][:2] == ["partial", "1.5/2"]
    assert rows["act.1"][2].startswith("relu(z): ReLU keeps positive values")
    assert "Total: 15.5/18" in shown.getvalue()
    (hint,) = {m.hint for p in bank.get("fp.4").parts for m in p.mistakes}
    assert rows["fp.4"] == ["incorrect", "0/2", f"all 4 parts: {hint}"]
    assert "the test cell of fp.1.2 was edited: the original was restored" in checked.notes
    assert "the test cell of fp.1.1 was missing: it was put back" in checked.notes
    outputs = [c.get("output", "") for c in checked.result["cells"]]
    assert "read from beside the notebook\n" in outputs


def test_data_files_beside_the_notebook_are_copied_up_to_a_limit(tmp_path, monkeypatch):
    folder = tmp_path / "work"
    (folder / ".git").mkdir(parents=True)
    for name in ("a.csv", "b.csv", "c.csv", "other.ipynb", ".git/config"):
        (folder / name).write_text(name)
    monkeypatch.setattr(notebook, "DATA_FILES", 2)
    notes = notebook._data_files(folder, tmp_path / "copy")
    assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == ["a.csv", "b.csv"]
    assert notes == [
        "only the first 2 files beside the notebook were copied to its working folder "
        "(at most 2 files and 64 MiB)"
    ]
