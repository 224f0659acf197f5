"""Resumable batches: a killed run resumes to the same grades.csv byte for byte, a rerun
skips what is graded, a changed submission is graded again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from optigrade.records import files

STUDENTS = ("ann", "ben", "cat", "dan", "eve")
SLOW = "import time\ntime.sleep(0.4)"  # so a run can be killed half-way

RUN = """
import sys
from pathlib import Path
from optigrade.grade.batch import grade_assignment
from optigrade.grade.options import GradeOptions, GradePaths
root, out = Path(sys.argv[1]), Path(sys.argv[2])
paths = GradePaths(root / "submitted", root / "exercises", root / "release", out)
grade_assignment("forward-pass", paths, GradeOptions(jobs=1, progress=False))
"""


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(entry.joinpath("stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


RUNNER = b"-m\0grader_sandbox.runner\0"


def _forked(pid: int) -> bool:
    """Whether the runner `pid` (or the one inside that bubblewrap) has forked a
    submission's child: a Python process under it whose parent has its command line."""
    for parent in [pid, *_descendants(pid)]:
        argv = cmdline(parent)
        python = RUNNER in argv and b"python" in argv.split(b"\0")[0]
        if python and any(cmdline(c) == argv for c in children(parent)):
            return True
    return False


def _descendants(pid: int) -> list[int]:
    found = children(pid)
    return found + [d for c in found for d in _descendants(c)]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def classroom(module_course, kit):
    for i, student in enumerate(STUDENTS):
        answers = {"fp.2.1": kit.wrong("fp.2.1")} if i % 2 else {}
        module_course.submit(student, answers, after={kit.gid("fp.1.1"): SLOW})
    return module_course


def test_a_killed_run_resumes_to_the_same_grades(classroom, tmp_path):
    reference = classroom.grade(out=tmp_path / "reference", jobs=2)
    assert reference.failed == {}

    batch = subprocess.Popen([sys.executable, "-c", RUN, str(classroom.root), str(classroom.out)])
    results = classroom.out / "results"
    deadline = time.monotonic() + 120
    while not (results.is_dir() and any(results.glob("*.json"))):
        assert batch.poll() is None and time.monotonic() < deadline, "no result appeared"
        time.sleep(0.02)
    workers = children(batch.pid)
    batch.send_signal(signal.SIGKILL)
    batch.wait()
    done = sorted(p.stem for p in results.glob("*.json"))
    assert 0 < len(done) < len(STUDENTS), "the run was not interrupted half-way"
    assert not (classroom.out / "grades.csv").exists()

    deadline = time.monotonic() + 15  # the workers die with their batch
    while any(alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert workers and not any(alive(p) for p in workers)

    resumed = classroom.grade()
    assert sorted(resumed.skipped) == done
    assert sorted(resumed.graded) == sorted(set(STUDENTS) - set(done))
    for name in ("grades.csv", "results.jsonl", "summary.json"):
        assert (classroom.out / name).read_bytes() == (tmp_path / "reference" / name).read_bytes()


def test_a_rerun_skips_graded_students_and_regrades_a_changed_one(classroom, kit):
    csv = classroom.out / "grades.csv"
    if not csv.exists():
        classroom.grade()
    before = csv.read_bytes()
    again = classroom.grade()
    assert (again.graded, sorted(again.skipped)) == ([], sorted(STUDENTS))
    assert csv.read_bytes() == before

    classroom.submit("ben", after={kit.gid("fp.1.1"): SLOW})  # ben fixes fp.2.1
    changed = classroom.grade()
    assert changed.graded == ["ben"]
    assert classroom.scores("ben")["fp.2.1"] == 1.0
    assert csv.read_bytes() != before

    forced = classroom.grade(force=True, jobs=2)
    assert sorted(forced.graded) == sorted(STUDENTS)


def test_a_result_file_that_is_not_a_result_is_graded_again(classroom):
    csv = classroom.out / "grades.csv"
    if not csv.exists():
        classroom.grade()
    before = csv.read_bytes()
    broken = {
        "ann": lambda r: r["questions"][0].update(score="1.0"),  # a value of the wrong type
        "ben": lambda r: r.pop("reason"),  # a missing field
        "cat": lambda r: r.update(status="passed"),  # an unknown status word
    }
    for student, change in broken.items():
        path = classroom.out / "results" / f"{student}.json"
        stored = json.loads(path.read_text())
        change(stored)
        path.write_text(json.dumps(stored))
    again = classroom.grade()
    assert sorted(again.graded) == sorted(broken)
    assert sorted(again.skipped) == sorted(set(STUDENTS) - set(broken))
    assert csv.read_bytes() == before


def test_grades_csv_format(classroom):
    rows = (classroom.out / "grades.csv").read_text().splitlines()
    assert rows[0] == "student_id,fp.1.1,fp.2.1,act.1,out.1,total,max"
    assert rows[1] == "ann,1.000,1.000,2.000,2.000,6.000,6.000"
    assert [r.split(",")[0] for r in rows[1:]] == sorted(STUDENTS)


def test_result_files_are_complete_json(classroom, tmp_path):
    for student in STUDENTS:
        result = classroom.result(student)
        assert result["submission"]["sha256"] and result["source_sha256"]
        assert [q["id"] for q in result["questions"]] == ["fp.1.1", "fp.2.1", "act.1", "out.1"]
        read = files.read(classroom.out / "results", student)
        written = (classroom.out / "results" / f"{student}.json").read_bytes()
        assert files.save(tmp_path, read).read_bytes() == written  # read back to the same bytes
    assert not list((classroom.out / "results").glob(".*.tmp"))  # no half-written files
    assert os.path.exists(classroom.out / "results.jsonl")


def test_a_runner_killed_mid_submission_is_replaced_and_nothing_is_lost(course, kit):
    course.submit("first", after={kit.gid("fp.1.1"): "import time\ntime.sleep(3)"})  # graded first
    course.submit("second")
    outcome = {}
    batch = threading.Thread(target=lambda: outcome.update(summary=course.grade(jobs=1)))
    batch.start()
    deadline = time.monotonic() + 60
    while not (runners := [p for p in children(os.getpid()) if RUNNER in cmdline(p)]):
        assert time.monotonic() < deadline, "no runner started"
        time.sleep(0.05)
    while not _forked(runners[0]):
        assert time.monotonic() < deadline, "no submission started"
        time.sleep(0.05)
    os.kill(runners[0], signal.SIGKILL)  # the runner, or the bubblewrap around it
    batch.join(timeout=120)
    summary = outcome["summary"]
    assert sorted(summary.graded) == ["first", "second"] and summary.failed == {}
    assert course.scores("first") == course.scores("second") == kit.full


def test_a_zip_of_lms_downloads_is_graded(course, kit, tmp_path):
    archive = tmp_path / "downloads.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for student, answers in (("s001", {}), ("s002", {"act.1": kit.wrong("act.1")})):
            path = course.submit(student, answers)
            zf.write(path, f"{student}_forward-pass.ipynb")
    summary = course.grade(submitted=archive)
    assert summary.students == ["s001", "s002"] and summary.failed == {}
    assert course.scores("s001") == kit.full
    assert course.scores("s002") == kit.full | {"act.1": 0.0}
