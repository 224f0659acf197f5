"""Where student code cannot be isolated, `grader grade` refuses (unless trusted), and
every student nbgrader would grade is graded, whatever their id.

No user namespaces is made real, not mocked: the command runs inside a bubblewrap that
forbids new user namespaces (`--disable-userns`), as an ordinary uid."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader_sandbox import jail

GRADER = [sys.executable, "-c", "import sys; from optigrade.cli import main; sys.exit(main())"]


def without_user_namespaces(argv: list[str]) -> list[str]:
    """`argv` as an ordinary uid that may not create user namespaces."""
    bwrap = jail.find().bwrap
    return [
        bwrap, "--unshare-user", "--uid", "1000", "--gid", "1000", "--disable-userns",
        "--bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--", *argv,
    ]  # fmt: skip


def grade(course, *options: str, wrap=None) -> subprocess.CompletedProcess:
    argv = [*GRADER, "grade", "forward-pass", "--course", str(course.root), "--jobs", "1"]
    argv += ["--timeout", "60", "--cell-timeout", "20", *options]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    return subprocess.run(
        wrap(argv) if wrap else argv,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
        cwd=course.root,
    )


@pytest.fixture(scope="module")
def refused(module_course):
    module_course.submit("alice")
    return grade(module_course, wrap=without_user_namespaces)


def test_without_user_namespaces_grading_refuses_with_a_reason(refused, module_course):
    assert refused.returncode == 3, refused.stderr
    first = refused.stderr.splitlines()[0]
    assert first.startswith("grader: refusing to run student code: cannot isolate student code")
    assert "user namespaces" in first and "userns:" in first
    assert "--trust-submissions grades anyway" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (module_course.out / "results" / "alice.json").exists()  # nothing ran


def test_trusted_it_grades_and_every_output_says_so(refused, module_course, kit):
    done = grade(module_course, "--trust-submissions", wrap=without_user_namespaces)
    assert done.returncode == 0, done.stderr
    assert "WARNING: graded WITHOUT isolation (--trust-submissions)" in done.stderr
    result = module_course.result("alice")
    assert result["isolation"] == "none"
    assert module_course.scores("alice") == kit.full
    assert result["protections"]["missing"]["network"] == "not isolated (--trust-submissions)"
    summary = json.loads((module_course.out / "summary.json").read_text())
    assert any("graded WITHOUT isolation" in w for w in summary["warnings"])
    report = (module_course.out / "report.html").read_text()
    assert "1 of 1 notebooks were graded WITHOUT isolation</strong>" in report
    page = (module_course.out / "feedback" / "alice.html").read_text()
    assert "Graded without isolation" in page


IDS = ("jane_doe", "o'brien", "zoë", "a b", "x.y@uni.edu", "Zoë", 'say "hi"', "<b>bold")


def test_a_class_with_any_student_ids_is_graded_whole(course, kit):
    for student in IDS:
        course.submit(student)
    done = grade(course)
    assert done.returncode == 0, done.stderr
    with open(course.out / "grades.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["student_id"] for r in rows) == sorted(IDS)
    assert all(r["total"] == "6.000" for r in rows)
    names = sorted(p.name for p in (course.out / "results").iterdir())
    assert len(names) == len(IDS) == len({n.lower() for n in names})  # none shared
    assert "jane_doe.json" in names  # a plain id keeps its name
    jsonl = [json.loads(line) for line in (course.out / "results.jsonl").read_text().splitlines()]
    assert {r["student"] for r in jsonl} == set(IDS)
    pages = sorted(p.name for p in (course.out / "feedback").iterdir())
    assert len(pages) == len(IDS)
    report = (course.out / "report.html").read_text()
    assert "<b>bold" not in report and "&lt;b&gt;bold" in report
    again = io.StringIO((course.out / "grades.csv").read_text(encoding="utf-8"))
    assert len(list(csv.reader(again))) == 1 + len(IDS)


def test_the_demo_works_where_isolation_cannot_be_had_and_says_so(tmp_path):
    root = Path(__file__).resolve().parents[2]
    argv = [*GRADER, "demo", "--assignments", "forward-pass", "--size", "14"]
    done = subprocess.run(
        without_user_namespaces([*argv, "--out", str(tmp_path), "--jobs", "2"]),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=root,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = " ".join(done.stdout.split())
    assert "This machine cannot isolate student code" in text
    assert "14/14" in text  # every student graded as expected
    (result,) = [p for p in (tmp_path / "forward-pass" / "graded" / "results").glob("s01*")]
    assert json.loads(result.read_text())["isolation"] == "none"
