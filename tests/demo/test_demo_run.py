"""`grader demo` end to end on the two light assignments, run as a user runs it: every
synthetic student's stored result says what the class generator expects of a correct
grader, and the command says where the reports are."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from grader.vocabulary import GRADED
from optigrade import bank
from optigrade.demo import classes
from optigrade.demo.demo import cell_timeout
from optigrade.demo.expect import unmet
from optigrade.export.copies import LAB
from optigrade.export.scoresheet import warnings
from optigrade.records.files import read

COURSE = Path(__file__).resolve().parents[2]
ASSIGNMENTS = ("forward-pass", "optimisation")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    out = tmp_path_factory.mktemp("demo")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "optigrade",
            "demo",
            "--out",
            str(out),
            "--assignments",
            *ASSIGNMENTS,
        ],
        cwd=COURSE,
        capture_output=True,
        text=True,
        timeout=600,
    )
    again = tmp_path_factory.mktemp("again")  # the same classes, to know what to expect
    students = {
        a: classes.make_class(COURSE, a, again / a, secret=classes.SECRET) for a in ASSIGNMENTS
    }
    return SimpleNamespace(out=out, run=run, students=students)


def _result(demo: SimpleNamespace, assignment: str, student: str) -> dict:
    path = demo.out / assignment / "graded" / "results" / f"{student}.json"
    return json.loads(path.read_text())


def test_the_demo_ends_well_and_says_where_the_reports_are(demo):
    assert demo.run.returncode == 0, demo.run.stdout + demo.run.stderr
    for assignment in ASSIGNMENTS:
        graded = demo.out / assignment / "graded"
        assert f"report {graded / 'report.html'}" in demo.run.stdout
        assert f"feedback {graded / 'feedback'}/" in demo.run.stdout
        assert (graded / "report.html").is_file()
        assert (graded / "grades.csv").read_text().count("\n") == 1 + classes.DEFAULT_SIZE
    lines = [line.split("│") for line in demo.run.stdout.splitlines() if line.startswith("│")]
    rows = ["│".join(cells) for cells in lines if cells[1].strip()]
    assert [row.split("│")[1].strip() for row in rows] == list(ASSIGNMENTS)
    every = f"{classes.DEFAULT_SIZE}/{classes.DEFAULT_SIZE}"
    assert [row.split("│")[5].strip() for row in rows] == [every, every]
    assert "NOT AS EXPECTED" not in demo.run.stdout


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_demo_wrote_the_generator_s_class(demo, assignment):
    for student in demo.students[assignment]:
        written = demo.out / assignment / "submitted" / student.id / assignment
        assert (written / f"{assignment}.ipynb").read_bytes() == student.path.read_bytes()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_student_is_graded_as_expected(demo, assignment):
    for student in demo.students[assignment]:
        assert unmet(student.expected, _result(demo, assignment, student.id)) == [], student.id


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_correct_blank_and_mistaken_students(demo, assignment):
    by_kind: dict[str, list] = {}
    for s in demo.students[assignment]:
        by_kind.setdefault(s.kind, []).append(_result(demo, assignment, s.id))
    (correct,) = by_kind["correct"]
    assert correct["score"] == correct["max"] > 0
    (blank,) = by_kind["blank"]
    assert blank["score"] == 0 and blank["status"] == "graded"  # it ran to its end
    assert {q["status"] for q in blank["questions"]} == {"unanswered"}  # not "error"
    named = set()
    for result in by_kind["mistakes"]:
        assert 0 < result["score"] < result["max"]
        named |= {
            part["mistake"]
            for q in result["questions"]
            for part in q.get("result", {}).get("parts", [])
            if part.get("mistake")
        }
    assert len(named) >= 10  # a rich mistake table


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_hostile_students_get_a_specific_reason_and_the_rest_completes(demo, assignment):
    by_name = {
        s.id.split("-", 1)[1]: _result(demo, assignment, s.id) for s in demo.students[assignment]
    }
    assert by_name["malformed-json"]["reason"].startswith("the notebook is not valid JSON")
    assert "exited with code 3" in by_name["os-exit-midway"]["reason"]
    assert "segmentation fault" in by_name["segfault-midway"]["reason"]
    loop = [c for c in by_name["infinite-loop"]["cells"] if c["status"] == "timeout"]
    assert [c["message"] for c in loop] == ["stopped after 10 s"]
    patcher = by_name["patches-grader-score"]  # graded as if nothing was replaced, flagged
    assert {q["status"] for q in patcher["questions"]} <= set(GRADED)
    assert "grader.score" in patcher["questions"][0]["restored"]
    summary = json.loads((demo.out / assignment / "graded" / "summary.json").read_text())
    assert sorted(summary["failed"]) == sorted(
        s.id for s in demo.students[assignment] if s.expected.status != "graded"
    )


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_student_has_their_own_numbers_and_the_report_names_the_copiers(demo, assignment):
    by_name = {s.id.split("-", 1)[1]: s.id for s in demo.students[assignment]}
    for sid in by_name.values():
        assert "variant" in _result(demo, assignment, sid), sid
    copier = _result(demo, assignment, by_name["copies-classmate"])
    fits = [fit for q in copier["questions"] for fit in q.get("fits", [])]
    assert fits and all(classes.CLASSMATE in fit["students"] for fit in fits)
    report = (demo.out / assignment / "graded" / "report.html").read_text()
    copies = report[report.index("Answers computed from other numbers") :]
    assert by_name["copies-classmate"] in copies and classes.CLASSMATE in copies
    assert by_name["copies-lab"] in copies and LAB in copies


def test_outside_the_repository_the_demo_says_where_to_run_it(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "optigrade", "demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1
    assert run.stdout == ""
    (line,) = run.stderr.splitlines()
    assert line.startswith(f"grader: error: {tmp_path} has no exercises, release, solutions")
    assert line.endswith(
        "run `grader demo` from the optigrade repository checkout (or pass --course DIR)"
    )


@pytest.fixture(scope="module")
def correct_students(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The correct student of every assignment's demo class, graded as the demo grades
    (its limits): the out folder of each assignment."""
    into = tmp_path_factory.mktemp("correct")
    for assignment in bank.assignments():
        course = classes.Course.read(COURSE, assignment)
        classes.make_class(COURSE, assignment, into / assignment, kinds=("correct",))
        argv = [sys.executable, "-m", "optigrade", "grade", assignment, "--course", str(COURSE)]
        argv += ["--submitted", str(into / assignment / "submitted")]
        argv += ["--out", str(into / assignment / "graded")]
        argv += ["--cell-timeout", str(cell_timeout(course))]
        run = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert run.returncode == 0, run.stderr
    return into


@pytest.mark.parametrize("assignment", list(bank.assignments()))
def test_the_demo_s_correct_student_has_full_marks_and_no_warning(correct_students, assignment):
    """The demo tells the truth: built from the release notebook (no hidden test to look
    edited), within limits that fit the course's training cells."""
    graded = correct_students / assignment / "graded"
    (path,) = (graded / "results").glob("*.json")
    result = read(path.parent, path.stem)  # a plain id is its file's stem
    assert result is not None and result.status == "graded"
    assert result.score == result.max
    questions = tuple(bank.get(e.id) for e in result.questions)
    assert warnings(questions, result) == ()
