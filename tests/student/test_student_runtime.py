"""The student runtime (student/pyproject.toml) built as the README says (`pip wheel
--no-deps ./student`) and installed into a fresh virtual environment with the README's
command, `pip install <the wheel>`: it holds no answer key (no `reference`, no
bank computation, no `grader key`, no graded answer value in any installed file) and the
release notebooks run against it, their check cells finding the release folder's sealed
key."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from grader.kinds import NumberSet, Numeric
from optigrade import bank, variants
from optigrade.assign import seal, secrets
from tests.student import varying

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / "release"


def _run(venv: Path, *argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / argv[0]), *argv[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")},
    )


def test_the_key_is_not_importable(venv, tmp_path):
    key = ("reference", "reference.data", "optigrade.bank.forward_pass", "optigrade.assign")
    for module in key:
        run = _run(venv, "python", "-c", f"import {module}", cwd=tmp_path)
        assert run.returncode == 1, module
        assert "ModuleNotFoundError" in run.stderr, module
    run = _run(venv, "python", "-c", "import grader, grader.student.api, grader.student.notebook")
    assert run.returncode == 0, run.stderr


def test_grader_key_is_not_a_command(venv, tmp_path):
    run = _run(venv, "grader", "key", "forward-pass", cwd=tmp_path)
    assert run.returncode == 2
    assert "invalid choice: 'key' (choose from 'check')" in run.stderr


# --- no graded answer value in the installed files ----------------------------------------


def _trivial(text: str) -> bool:
    """A value of at most two significant digits (0.5, 0.01, 2.3, 24, -50, 0, ±1): such
    numbers are in any code (limits, tolerances, defaults) and guessable anyway."""
    return len(text.lstrip("-").replace(".", "").strip("0")) <= 2


def _graded_values() -> tuple[dict[str, str], int]:
    """Every element of every graded numeric part's expected value, to 4 decimals (-> its
    question and part), computed on the trusted side; and how many were left out as
    trivial."""
    found: dict[str, str] = {}
    trivial = 0
    for q in bank.all_questions():
        for part in () if q.practice else q.parts:
            if not isinstance(part, Numeric | NumberSet):
                continue
            for x in np.ravel(np.asarray(q.answer[part.name], dtype=np.float64)):
                text = f"{x:.4f}".replace("-0.0000", "0.0000")
                if _trivial(text):
                    trivial += 1
                else:
                    found.setdefault(text, f"{q.id}/{part.name}")
    return found, trivial


_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?!\w)")


def _leaks(texts: dict[str, str], values: dict[str, str]) -> list[str]:
    """Each number written in the texts (any form: 0.7310585786300049, 7.31e-1) that is a
    graded value to 4 decimals."""
    return [
        f"{name}: {m.group()} is {values[key]}"
        for name, text in texts.items()
        for m in _NUMBER.finditer(text)
        if (key := f"{float(m.group()):.4f}") in values
    ]


def _installed(venv: Path) -> dict[str, str]:
    """The text of every file the distribution installed (its RECORD)."""
    (site,) = venv.glob("lib/python*/site-packages")
    (info,) = site.glob("optigrade_student-*.dist-info")
    files = [site / line.split(",")[0] for line in (info / "RECORD").read_text().splitlines()]
    return {
        str(path.resolve().relative_to(venv.resolve())): path.read_text(errors="replace")
        for path in files
        if path.suffix != ".pyc" and path.is_file()
    }


def test_no_installed_file_holds_a_graded_answer_value(venv):
    values, trivial = _graded_values()
    assert len(values) > 300 and trivial < len(values)  # the bank's values, most of them
    installed = _installed(venv)
    assert "grader/compare/sealed.py" in {Path(*Path(n).parts[-3:]).as_posix() for n in installed}
    assert not any("reference" in Path(name).parts for name in installed)
    assert _leaks(installed, values) == []
    # the scan finds a value when there is one, in any of its spellings
    text, where = next(iter(values.items()))
    long, exponent = f"{float(text):.10f}", f"{float(text):.6e}"
    planted = {"planted.py": f"x = {long}\ny = {exponent}\n"}
    assert _leaks(planted, values) == [
        f"planted.py: {long} is {where}",
        f"planted.py: {exponent} is {where}",
    ]


# --- the release notebooks against the runtime -----------------------------------------------

#: The one line `grader.student.unanswered` shows for a question not answered yet.
UNANSWERED = re.compile(r"is not answered yet|scores 0 for now|is not defined yet|Not answered")


@pytest.fixture(scope="module")
def kernel(venv: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Jupyter kernel running in the student runtime's environment."""
    name = "optigrade-student"
    folder = tmp_path_factory.mktemp("jupyter")
    spec = folder / "kernels" / name
    spec.mkdir(parents=True)
    argv = [str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": name, "language": "python"})
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(folder))  # where this process finds the kernel
        yield name


@pytest.mark.parametrize("assignment", list(bank.assignments()))
def test_a_release_notebook_s_checks_run_against_the_runtime(assignment, kernel, tmp_path):
    folder = tmp_path / assignment
    shutil.copytree(RELEASE / assignment, folder)  # the release folder, with its sealed key
    assert (folder / f"{assignment}.sealed.json").is_file(), "no sealed key released"
    nb = nbformat.read(folder / f"{assignment}.ipynb", as_version=4)
    NotebookClient(
        nb,
        kernel_name=kernel,
        timeout=300,
        allow_errors=True,  # as nbgrader runs it: the unanswered questions' cells fail
        resources={"metadata": {"path": str(folder)}},
    ).execute()
    unexpected, checks = [], {}
    for number, cell in enumerate(nb.cells, start=1):
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        for error in errors:
            line = error.traceback[0] if len(error.traceback) == 1 else ""
            if not UNANSWERED.search(line):
                unexpected.append(f"cell {number}: {error.ename}: {error.evalue}")
        if cell.metadata.get("grader", {}).get("role") == "check":
            shown = [o.get("data", {}).get("text/plain", "") for o in cell.outputs]
            checks[cell.metadata["grader"]["question"]] = (errors, " ".join(shown))
    assert unexpected == []
    assert set(checks) == {q.id for q in bank.questions(assignment)}
    for q in bank.questions(assignment):
        errors, shown = checks[q.id]
        if errors:  # its one line names the question: read from the sealed key's specs
            assert q.id in errors[0].traceback[0], q.id
        else:
            assert shown and "no sealed key" not in shown, (q.id, shown)
        if q.practice:  # a worked example, given solved: its check says so
            assert not errors and "[correct" in shown, (q.id, shown)


def test_grader_check_runs_a_release_notebook_in_the_runtime(venv, tmp_path):
    folder = tmp_path / "forward-pass"
    shutil.copytree(RELEASE / "forward-pass", folder)
    run = _run(venv, "grader", "check", "forward-pass.ipynb", cwd=folder)
    assert run.returncode == 0, run.stderr
    assert "Total: 0/18" in run.stdout
    said = " ".join(" ".join(run.stdout.split("│")).split())
    assert "fp.1.1 is not answered yet: z_1_1 is not defined" in said


def test_a_student_s_own_reference_and_helper_modules_change_nothing(venv, tmp_path):
    """Whether a check has the key is a fact of what is installed: a student's own
    `reference.py` (or any helper module) beside the notebook does not make the runtime
    look for the bank, and a right answer is still correct from the sealed key."""
    folder = tmp_path / "forward-pass"
    shutil.copytree(RELEASE / "forward-pass", folder)
    (folder / "reference.py").write_text("def sigmoid(z):\n    return 1 / (1 + 2.718 ** -z)\n")
    (folder / "grader_helpers.py").write_text("import reference\nSEEN = reference.sigmoid(0)\n")
    right = bank.get("fp.1.1").answer["z"].tolist()
    code = (
        "import grader, grader_helpers, reference;"
        f"r = grader.check('fp.1.1', {right!r});"
        "print(r.parts[0].status, grader.score('fp.1.1', [[0.0], [0.0]]), grader_helpers.SEEN)"
    )
    run = _run(venv, "python", "-c", code, cwd=folder)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split()[-3:] == ["correct", "0.0", "0.5"]
    checked = _run(venv, "grader", "check", "forward-pass.ipynb", cwd=folder)
    assert checked.returncode == 0, checked.stderr
    assert "Total: 0/18" in checked.stdout


def test_a_student_s_own_numbers_are_checked_in_the_runtime(venv, tmp_path, monkeypatch):
    """Issue 19: released with a roster, the runtime (run from the release folder) shows
    each student their own numbers once they log in, says "correct" to their own right
    answer and not to a classmate's; with no identity it says so and uses the lab's."""
    monkeypatch.setattr(bank, "questions", varying.questions)  # fp.1.1 varies
    secrets.save(tmp_path, secrets.Secrets(bytes(range(32))))
    folder = tmp_path / "release" / "forward-pass"
    shutil.copytree(RELEASE / "forward-pass", folder)
    seal.write(tmp_path, tmp_path / "release", "forward-pass")
    roster = ["jane_doe", "o'brien"]
    assert seal.write_variants(tmp_path, tmp_path / "release", "forward-pass", roster) == 2
    mine = {s: variants.questions("forward-pass", bytes(range(32)), s)["fp.1.1"] for s in roster}
    answers = {s: json.dumps(q.answer["z"].tolist()) for s, q in mine.items()}
    code = (
        "import json, sys, grader\n"
        "if sys.argv[1]: grader.login(sys.argv[1])\n"
        "(X,) = grader.given('fp.1.1', 'X')\n"
        "said = [grader.check('fp.1.1', json.loads(a)).parts[0].status for a in sys.argv[2:]]\n"
        "print(json.dumps([X.tolist(), said]))"
    )
    for student, other in (roster, roster[::-1]):
        run = _run(
            venv, "python", "-c", code, student, answers[student], answers[other], cwd=folder
        )
        assert run.returncode == 0, run.stderr
        shown, said = json.loads(run.stdout.splitlines()[-1])
        assert shown == mine[student].inputs["X"].tolist()
        assert said[0] == "correct" and said[1] != "correct"
    (folder / ".optigrade-login").unlink()
    lab = json.dumps(bank.get("fp.1.1").answer["z"].tolist())
    run = _run(venv, "python", "-c", code, "", lab, cwd=folder)
    assert run.returncode == 0, run.stderr
    assert "grader.login" in run.stdout
    assert json.loads(run.stdout.splitlines()[-1])[1] == ["correct"]
