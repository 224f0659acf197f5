"""`grader demo`: a synthetic class for every assignment, graded end to end.

Run from the repository checkout (the course: exercises/, release/, solutions/ and
nbgrader_config.py). For each assignment it writes a synthetic class
(`optigrade.demo.classes`) into ``<out>/<assignment>/submitted``, keeps its roster in
``<out>/<assignment>``'s secrets (as a release with a roster would: each student graded
against their own numbers), grades it with the batch grader into
``<out>/<assignment>/graded`` (results, grades.csv, report.html, feedback/) and checks
every student's result against what the class generator says a correct grader concludes.
Limits are short so that the endless loop costs seconds: 10 s per cell, or 60 s where the
correct student trains Keras models (each submission gets five times that).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from grader_sandbox import jail
from optigrade.assign import secrets
from optigrade.demo.classes import DEFAULT_SIZE, SECRET, Course, Student, make_class
from optigrade.demo.expect import unmet
from optigrade.export.run import FEEDBACK, REPORT, write_all
from optigrade.grade.batch import BatchSummary, grade_assignment
from optigrade.grade.options import GradeOptions, GradePaths
from optigrade.records import files
from optigrade.records.result import StudentResult

COURSE_FILES = ("exercises", "release", "solutions", "nbgrader_config.py")
CELL_SECONDS = 10.0
TRAINING_CELL_SECONDS = 60.0  # a Keras training cell, on a busy 2-core machine


class NotACourse(Exception):
    """The folder is not the repository checkout holding the course."""


def require_course(course: Path) -> None:
    missing = [name for name in COURSE_FILES if not (course / name).exists()]
    if missing:
        raise NotACourse(
            f"{course} has no {', '.join(missing)}: run `grader demo` from the optigrade "
            "repository checkout (or pass --course DIR)"
        )


def cell_timeout(course: Course) -> float:
    """Seconds per cell: short, unless the correct student trains Keras models."""
    return TRAINING_CELL_SECONDS if course.keras else CELL_SECONDS


@dataclass
class Graded:
    """One assignment's synthetic class, graded and checked."""

    students: list[Student]
    summary: BatchSummary
    results: dict[str, StudentResult | None]  # student id -> stored result (None: none)
    unmet: dict[str, list[str]]  # student id -> expectations the result does not meet
    seconds: float  # writing and grading the class

    @property
    def mean(self) -> float:
        scores = [r.score if r else 0.0 for r in self.results.values()]
        return sum(scores) / len(scores) if scores else 0.0

    @property
    def max(self) -> float:
        return max((r.max if r else 0.0 for r in self.results.values()), default=0.0)


def grade_class(
    course: Path,
    assignment: str,
    out: Path,
    jobs: int | None = None,
    size: int = DEFAULT_SIZE,
    progress: bool = True,
    limit: float | None = None,
    trust: bool = False,
) -> Graded:
    """Write `assignment`'s synthetic class into ``out/<assignment>/submitted``, grade it
    into ``out/<assignment>/graded`` (`limit` seconds per cell, default `cell_timeout`;
    without isolation where it cannot be had, given `trust`), export it and check each
    result against its expectation."""
    started = time.monotonic()
    folder = out / assignment
    students = make_class(course, assignment, folder, size, secret=SECRET)
    # released with a roster, as `grader assign release --roster` keeps it (the folder
    # stands for the course's secrets: the repository's own are left alone)
    rosters = {assignment: [s.id for s in students]}
    secrets.save(folder, secrets.Secrets(SECRET, rosters=rosters))
    limit = limit or cell_timeout(Course.read(course, assignment))
    graded = folder / "graded"
    summary = grade_assignment(
        assignment,
        GradePaths(
            submitted=folder / "submitted",
            source=course / "exercises",
            release=course / "release",
            out=graded,
            course=folder,
        ),
        GradeOptions(
            jobs=jobs,
            timeout=5 * limit,
            cell_timeout=limit,
            progress=progress,
            trust_submissions=trust,
        ),
    )
    summary.warnings += write_all(graded)
    stored = {s.id: files.read(graded / files.RESULTS, s.id) for s in students}
    missed = {}
    for student in students:
        result = stored[student.id]
        problems = unmet(student.expected, result.to_json()) if result else ["no result was stored"]
        if problems:
            missed[student.id] = problems
    return Graded(students, summary, stored, missed, time.monotonic() - started)


def table(graded: dict[str, Graded]) -> Table:
    view = Table(title="The synthetic classes, graded")
    columns = ("assignment", "students", "mean score", "failed to run", "as expected", "time")
    view.add_column(columns[0], no_wrap=True)
    for column in columns[1:]:
        view.add_column(column, justify="right")
    for assignment, g in graded.items():
        n = len(g.students)
        view.add_row(
            assignment,
            str(n),
            f"{g.mean:.1f} / {g.max:g}",
            str(len(g.summary.failed)),
            f"{n - len(g.unmet)}/{n}",
            f"{g.seconds:.0f} s",
        )
    return view


def main(
    course: Path,
    assignments: Sequence[str],
    out: Path | None = None,
    jobs: int | None = None,
    size: int = DEFAULT_SIZE,
) -> int:
    """The command: 0 when every student was graded as expected, 1 otherwise."""
    require_course(course)
    console = Console(highlight=False)
    started = time.monotonic()
    out = out if out is not None else Path(tempfile.mkdtemp(prefix="optigrade-demo-"))
    console.print(f"Synthetic classes of {size} students in {out}")
    try:
        jail.find()
        trust = False
    except jail.IsolationUnavailable as e:  # the demo's notebooks are the project's own
        console.print(
            f"[yellow]This machine cannot isolate student code ({e}). The demo grades its "
            "own synthetic notebooks without isolation, as `grader grade "
            "--trust-submissions` would; `grader grade` itself would refuse.[/]"
        )
        trust = True
    graded = {}
    for assignment in assignments:
        limit = cell_timeout(Course.read(course, assignment))
        console.print(f"[bold]{assignment}[/]: writing and grading ({limit:g} s per cell)")
        graded[assignment] = grade_class(
            course, assignment, out, jobs, size, limit=limit, trust=trust
        )
    console.print(table(graded))
    for assignment, g in graded.items():
        console.print(f"{assignment}: report {g.summary.out / REPORT}", soft_wrap=True)
        console.print(
            f"{' ' * len(assignment)}  feedback {g.summary.out / FEEDBACK}/", soft_wrap=True
        )
        for student, problems in g.unmet.items():
            console.print(f"  NOT AS EXPECTED {student}: {'; '.join(problems)}", markup=False)
        for warning in g.summary.warnings:
            console.print(f"  warning: {warning}", markup=False)
    minutes, seconds = divmod(round(time.monotonic() - started), 60)
    console.print(f"Submissions in {out}/*/submitted; finished in {minutes} min {seconds} s")
    return 1 if any(g.unmet for g in graded.values()) else 0
