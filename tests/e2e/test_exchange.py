"""The nbgrader round trip as a class lives it, through nbgrader's exchange, each person an
ordinary local user: the instructor generates and releases forward-pass into an
exchange folder; two students fetch it, do it (every answer right) and submit, one
before the due date and one after it; the instructor sets the due date in nbgrader's
gradebook, collects, grades with `grader grade` (the deadline applied from the times
nbgrader wrote, the scores into the gradebook), returns the feedback, and each student
fetches theirs.

It creates local users (`useradd -m`) and runs commands as them (`runuser`), so it runs
as root only, as the CI does; elsewhere it is skipped. The feedback returned is the
grader's own page, which `grader grade` writes in nbgrader's
`feedback/<student>/<assignment>/` layout for `release_feedback` (as the README says).
"""

from __future__ import annotations

import csv
import json
import os
import pwd
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from optigrade import bank

ROOT = Path(__file__).resolve().parents[2]
A = "forward-pass"
COURSE_ID = "dl-optimisation"  # the course's nbgrader_config.py
SOLVED = ROOT / "solutions" / A / f"{A}.ipynb"
FULL = sum(q.points for q in bank.questions(A) if not q.practice)
INSTRUCTOR = "optigrade-teacher"
ON_TIME, LATE = "optigrade-bitdiddle", "optigrade-hacker"
POLICY = "10%/hour"  # the late student is seconds late: one hour started, 10%

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not (shutil.which("useradd") and shutil.which("runuser")),
    reason="creates local users and runs commands as them: as root only (the CI is)",
)


def _home(user: str) -> Path:
    return Path(pwd.getpwnam(user).pw_dir)


def _out_of_reach(paths: list[Path]) -> dict[Path, set[Path]]:
    """The folders other users cannot enter on the way to `paths` (this interpreter may be
    pyenv's, in /root), each with the entries of it the paths go through."""
    found: dict[Path, set[Path]] = {}
    for path in paths:
        for folder in reversed(path.parents):
            if not folder.stat().st_mode & 0o001:
                found.setdefault(folder, set()).add(folder / path.relative_to(folder).parts[0])
                break
    return found


def _as(user: str, shared: Path) -> list[str]:
    """The command prefix that runs a command as `user`. Where this environment is out of
    other users' reach, in a private mount namespace where each folder in the way is
    replaced by a view holding only what the paths go through (nothing changes outside)."""
    needed = [Path(os.path.realpath(sys.executable)), Path(sys.base_prefix), Path(sys.prefix)]
    blocked = _out_of_reach([*needed, ROOT])
    if not blocked:
        return ["runuser", "-u", user, "--"]
    script = []
    for n, (folder, entries) in enumerate(sorted(blocked.items())):
        view = shared / f"view-{n}"
        for entry in sorted(entries):
            (view / entry.name).mkdir(parents=True, exist_ok=True)
            script.append(
                f"mount --bind {shlex.quote(str(entry))} {shlex.quote(str(view / entry.name))}"
            )
        view.chmod(0o755)
        script.append(f"mount --rbind {shlex.quote(str(view))} {shlex.quote(str(folder))}")
    script.append('exec runuser -u "$0" -- "$@"')
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", " && ".join(script), user]


@dataclass(frozen=True)
class People:
    """The class's users, and the folder they share (the exchange is in it)."""

    shared: Path

    def run(self, user: str, *args: str, cwd: Path | None = None) -> str:
        """A command as `user`, in a clean environment with this interpreter's tools first."""
        tools = Path(sys.executable).parent
        env = ["env", "-i", f"HOME={_home(user)}", f"PATH={tools}:/usr/bin:/bin", "LANG=C.UTF-8"]
        done = subprocess.run(
            [*_as(user, self.shared), *env, *args],
            cwd=cwd or _home(user),
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, f"{user}: {' '.join(args)}\n{done.stdout}\n{done.stderr}"
        return done.stdout + done.stderr

    def nbgrader(self, user: str, *args: str, cwd: Path | None = None) -> str:
        return self.run(user, sys.executable, "-m", "nbgrader", *args, cwd=cwd)


def _config(exchange: Path) -> str:
    return f"c.CourseDirectory.course_id = {COURSE_ID!r}\nc.Exchange.root = {str(exchange)!r}\n"


@pytest.fixture(scope="module")
def people() -> Iterator[People]:
    """The three users, each with nbgrader configured for one exchange folder (removed,
    with the users, afterwards)."""
    shared = Path(tempfile.mkdtemp(prefix="optigrade-exchange-"))
    shared.chmod(0o755)
    exchange = shared / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)  # as nbgrader's docs set up /srv/nbgrader/exchange
    made = []
    try:
        for user in (INSTRUCTOR, ON_TIME, LATE):
            if subprocess.run(["id", user], capture_output=True).returncode != 0:
                subprocess.run(["useradd", "--create-home", user], check=True)
                made.append(user)
            jupyter = _home(user) / ".jupyter"
            jupyter.mkdir(exist_ok=True)
            (jupyter / "nbgrader_config.py").write_text(_config(exchange))
            shutil.chown(jupyter, user, user)
            shutil.chown(jupyter / "nbgrader_config.py", user, user)
        yield People(shared)
    finally:
        for user in made:
            subprocess.run(["userdel", "--remove", user], capture_output=True)
        shutil.rmtree(shared, ignore_errors=True)


def _course(exchange: Path) -> Path:
    """The instructor's course: the sources and the course's config, theirs."""
    course = _home(INSTRUCTOR) / "course"
    shutil.rmtree(course, ignore_errors=True)
    shutil.copytree(ROOT / "exercises" / A, course / "exercises" / A)
    config = (ROOT / "nbgrader_config.py").read_text() + _config(exchange)
    (course / "nbgrader_config.py").write_text(config)
    subprocess.run(["chown", "-R", f"{INSTRUCTOR}:{INSTRUCTOR}", str(course)], check=True)
    return course


def _do_the_work(student: str) -> None:
    """The student's fetched notebook, answered right (as they would in Jupyter)."""
    fetched = _home(student) / A / f"{A}.ipynb"
    shutil.copyfile(SOLVED, fetched)
    shutil.chown(fetched, student, student)


@pytest.fixture(scope="module")
def lived(people: People) -> SimpleNamespace:
    nbgrader = people.nbgrader
    course = _course(people.shared / "exchange")
    nbgrader(INSTRUCTOR, "generate_assignment", A, cwd=course)
    nbgrader(INSTRUCTOR, "release_assignment", A, cwd=course)
    for student in (ON_TIME, LATE):
        nbgrader(student, "fetch_assignment", A)
        _do_the_work(student)
    nbgrader(ON_TIME, "submit", A)
    due = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    nbgrader(INSTRUCTOR, "db", "assignment", "add", A, f"--duedate={due}", cwd=course)
    time.sleep(1.0)
    nbgrader(LATE, "submit", A)
    nbgrader(INSTRUCTOR, "collect", A, cwd=course)
    # as the README says: the grader's pages and gradebook scores, no autograde
    grade = ["grade", A, "--late-policy", POLICY, "--gradebook", "--jobs", "2"]
    printed = people.run(INSTRUCTOR, sys.executable, "-m", "optigrade", *grade, cwd=course)
    nbgrader(INSTRUCTOR, "export", cwd=course)
    nbgrader(INSTRUCTOR, "release_feedback", A, cwd=course)
    for student in (ON_TIME, LATE):
        nbgrader(student, "fetch_feedback", A)
    return SimpleNamespace(course=course, out=course / "graded" / A, printed=printed)


def result(lived: SimpleNamespace, student: str) -> dict:
    return json.loads((lived.out / "results" / f"{student}.json").read_text())


def test_the_collected_submissions_carry_nbgrader_s_timestamps(lived):
    for student in (ON_TIME, LATE):
        stamp = lived.course / "submitted" / student / A / "timestamp.txt"
        assert stamp.read_text().endswith(" UTC")


def test_grader_grade_applies_the_due_date_nbgrader_s_gradebook_holds(lived):
    on_time, late = result(lived, ON_TIME), result(lived, LATE)
    assert on_time["lateness"]["due"] == late["lateness"]["due"]
    assert on_time["lateness"]["policy"] == late["lateness"]["policy"] == POLICY
    assert (on_time["status"], on_time["score"]) == ("graded", FULL)
    assert (late["status"], late["score"]) == ("graded", FULL * 0.9)
    assert datetime.fromisoformat(late["lateness"]["submitted"]) > datetime.fromisoformat(
        late["lateness"]["due"]
    )


def test_nbgrader_s_export_has_the_total_after_the_penalty(lived):
    with (lived.course / "grades.csv").open(encoding="utf-8", newline="") as f:
        scores = {r["student_id"]: r for r in csv.DictReader(f)}
    assert float(scores[ON_TIME]["score"]) == FULL
    assert float(scores[LATE]["score"]) == FULL * 0.9
    assert float(scores[LATE]["late_submission_penalty"]) == FULL * 0.1


def test_each_student_fetches_their_own_feedback(lived):
    for student, total in ((ON_TIME, FULL), (LATE, FULL * 0.9)):  # after the penalty
        (page,) = (_home(student) / A / "feedback").glob(f"*/{A}.html")
        shown = page.read_text(encoding="utf-8")
        assert f"Feedback on {A} for {student}" in shown  # the grader's page, hers
        assert f"Total: {total:g} of {FULL:g} points" in shown, student
        assert page.stat().st_uid == pwd.getpwnam(student).pw_uid
