"""`grader grade` against `nbgrader autograde` on the same submissions (goals: at least
10x faster on 30 forward-pass submissions, at least 1.8x on 2 cores on compute-bound
backpropagation ones).

    python benchmarks/bench_grade_vs_nbgrader.py [--forward-pass 30] [--backpropagation 8]

Each set gets a temporary copy of the course (`nbgrader generate_assignment`, then the
submissions in submitted/). forward-pass: a synthetic class without its hostile students
(`optigrade.demo.classes.make_class`: the solution, the release, a partly done notebook,
planted mistakes). backpropagation: copies of the solution notebook, each training the
3-2-1 network from scratch and with Keras. Each grader runs as an instructor runs it, a
fresh process timed wall-clock with its start-up: `grader grade` (one worker per core),
`nbgrader autograde` (its sequential run, one kernel per notebook), then `grader grade
--force` again, so a change of load during the long nbgrader run weighs on both sides; the
speed-up is nbgrader's time over the mean of the two. Both have the same 120 s limit per
cell. Then each student's total in nbgrader's gradebook is compared with the one
`grader grade` stored.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from statistics import mean

from nbgrader.api import Gradebook

from optigrade.assign.coursedir import course_directory
from optigrade.assign.release import copy_course, nbgrader
from optigrade.demo.classes import HOSTILE, NOT_HOSTILE, make_class

ROOT = Path(__file__).resolve().parents[1]
#: assignment -> (submissions by default, goal: the least speed-up)
SETS = {"forward-pass": (30, 10.0), "backpropagation": (8, 1.8)}


def course(root: Path, assignment: str) -> Path:
    """A course with the sources, the config and the solution notebook; nbgrader
    generates the release (and records the assignment in its gradebook)."""
    copy_course(ROOT, root, solutions_of=assignment)
    nbgrader(root, "generate_assignment", assignment)
    return root


def submit_class(root: Path, n: int) -> None:
    """n forward-pass students: a synthetic class without its hostile students."""
    make_class(root, "forward-pass", root, size=n + len(HOSTILE), kinds=NOT_HOSTILE)


def submit_solutions(root: Path, n: int) -> None:
    """n copies of the backpropagation solution notebook."""
    name = "backpropagation.ipynb"
    for i in range(1, n + 1):
        folder = root / "submitted" / f"s{i:02d}" / "backpropagation"
        folder.mkdir(parents=True)
        shutil.copy2(root / "solutions" / "backpropagation" / name, folder / name)


def grader_grade(root: Path, assignment: str) -> None:
    command = [sys.executable, "-m", "optigrade", "grade", assignment]
    command += ["--force"]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"grader grade failed:\n{done.stdout}{done.stderr}")


def autograde(root: Path, assignment: str) -> None:
    nbgrader(root, "autograde", assignment)


def timed(run: Callable[[Path, str], None], root: Path, assignment: str) -> float:
    started = time.perf_counter()
    run(root, assignment)
    return time.perf_counter() - started


def totals(root: Path, assignment: str) -> tuple[dict[str, float], dict[str, float]]:
    """student -> total, from nbgrader's gradebook and from `grader grade`'s results."""
    coursedir = course_directory(root)
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        theirs = {s.student.id: s.score for s in gb.find_assignment(assignment).submissions}
    results = root / "graded" / assignment / "results"
    ours = {p.stem: json.loads(p.read_text())["score"] for p in results.glob("*.json")}
    return theirs, ours


def bench(assignment: str, n: int) -> bool:
    """Time both graders on one set, print the figures; True when all totals agree."""
    with tempfile.TemporaryDirectory() as tmp:
        root = course(Path(tmp), assignment)
        (submit_class if assignment == "forward-pass" else submit_solutions)(root, n)
        load = os.getloadavg()[0]
        runs = [timed(grader_grade, root, assignment)]
        theirs = timed(autograde, root, assignment)
        runs.append(timed(grader_grade, root, assignment))
        by_nbgrader, by_us = totals(root, assignment)
    goal = SETS[assignment][1]
    ours = mean(runs)
    ratio = theirs / ours
    print(f"\n{assignment}: {n} submissions (load average {load:.1f} -> {os.getloadavg()[0]:.1f})")
    print(f"  {'':22} {'total':>9} {'per submission':>15}")
    print(f"  {'grader grade':22} {ours:8.1f}s {ours / n:14.2f}s", end="")
    print(f"   (mean of {runs[0]:.1f}s before and {runs[1]:.1f}s after nbgrader)")
    print(f"  {'nbgrader autograde':22} {theirs:8.1f}s {theirs / n:14.2f}s")
    verdict = "met" if ratio >= goal else "NOT met"
    print(f"  speed-up: {ratio:.1f}x (goal at least {goal:g}x: {verdict})")
    students = sorted(by_nbgrader.keys() | by_us.keys())
    differ = [s for s in students if by_nbgrader.get(s) != by_us.get(s)]
    agree = len(students) - len(differ)
    print(f"  totals equal for {agree}/{len(students)} students", end="")
    print(f" (sum {sum(by_us.values()):g} points)" if not differ else ":")
    for student in differ:
        print(f"    {student}: nbgrader {by_nbgrader.get(student)}, grader {by_us.get(student)}")
    return not differ and len(by_nbgrader) == n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for assignment, (n, _) in SETS.items():
        parser.add_argument(
            f"--{assignment}", type=int, default=n, help=f"submissions (default {n}; 0 skips)"
        )
    args = vars(parser.parse_args())
    print(f"{os.cpu_count()} cores; grader grade with one worker per core")
    sizes = {assignment: args[assignment.replace("-", "_")] for assignment in SETS}
    agree = [bench(assignment, n) for assignment, n in sizes.items() if n > 0]
    return 0 if all(agree) else 1


if __name__ == "__main__":
    raise SystemExit(main())
