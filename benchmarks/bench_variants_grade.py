"""Batch grading with each student's own numbers against the lab's numbers for everyone
(goal: within 10%), on the same 60 forward-pass submissions, side by side in one run.

    python benchmarks/bench_variants_grade.py [-n 60] [--rounds 2]

A temporary copy of the course's forward-pass (sources, release, solutions) whose given
cells read their numbers with `grader.given`, as a release with variants writes them, and
a synthetic class without its hostile students (`optigrade.demo.classes.make_class`: the
solution, the release, a partly done notebook, planted mistakes), each computing from the
numbers its notebook is given. `VARIES` declares which inputs vary (the bank's own
declarations are replaced by these, so the figures hold whatever the bank declares). Each
round grades the class twice in this process, as `grader grade --force` does: without a
roster (the lab's numbers) and with one (each student's own: drawn, given to the notebook,
graded against, and every wrong part compared with every classmate's numbers and the
lab's), alternating so a change of load weighs on both. Then each student's total is
compared between the two, and the parts said to use other numbers are counted: the
class's planted mistakes are the lab's answers with one part changed, written as literals
(`optigrade.demo.mistakes`), so with variants those students paste the lab's answers.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import tempfile
import time
from pathlib import Path
from statistics import median

import nbformat

from grader.variation import AnswerOf, Uniform
from grader_sandbox import jail
from optigrade import bank
from optigrade.assign import secrets
from optigrade.assign.cells import managed_key
from optigrade.demo.classes import COPIES, HOSTILE, NOT_HOSTILE, make_class
from optigrade.grade.batch import grade_assignment
from optigrade.grade.options import GradeOptions, GradePaths
from optigrade.records import files

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "forward-pass"
GOAL = 0.10  #: at most this much slower with variants
_DENSE = Uniform(-2.0, 2.0, 1, nonzero=True)
_Z = ("fp.1.1", "fp.1.2", "fp.2.1", "fp.2.2", "fp.3.1", "fp.3.2")
#: How the benchmark's inputs vary: every z = Xw + b, act.3's z the student's own answers
#: of those questions, and the activations' z (out.1 keeps the lab's: out.2's class is
#: out.1's, with no input to declare).
VARIES = {
    **{qid: {"X": _DENSE, "w": _DENSE, "b": _DENSE} for qid in _Z},
    "act.1": {"z": Uniform(-3.0, 3.0, 1)},
    "act.2": {"z": Uniform(-3.0, 3.0, 1)},
    "act.3": {qid: AnswerOf(qid) for qid in _Z},
}
#: The course secret: fixed, so every run draws the same numbers (act.3 cannot redraw
#: the answers it takes: about 2% of students get none that pass its checks, graded as
#: an internal error; under this secret the 60 students all draw).
SECRET = bytes(32)
_LAB = bank.questions


def varied(assignment: str) -> list:
    return [dataclasses.replace(q, varies=VARIES.get(q.id, {})) for q in _LAB(assignment)]


def given_cell(question_id: str) -> str:
    """A given cell reading the student's numbers, as a release with variants writes it."""
    q = bank.get(question_id)
    names = ", ".join(q.given) + ("," if len(q.given) == 1 else "")
    quoted = ", ".join(f'"{n}"' for n in q.given)
    return f'# Given for {q.id}\n{names} = grader.given("{q.id}", {quoted})'


def course(root: Path) -> Path:
    for folder in ("exercises", "release", "solutions"):
        shutil.copytree(ROOT / folder / ASSIGNMENT, root / folder / ASSIGNMENT)
        path = root / folder / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            key = managed_key(cell)
            if key and key[1] == "given" and key[0] in VARIES and bank.get(key[0]).given:
                cell.source = given_cell(key[0])
        nbformat.write(notebook, path)
    return root


def grade(root: Path, roster: list[str] | None, trust: bool) -> float:
    """Seconds to grade the class as `grader grade --force` does, with `roster` kept in
    the course's secrets (None: released without one, the lab's numbers)."""
    rosters = {ASSIGNMENT: roster} if roster is not None else {}
    secrets.save(root, secrets.Secrets(SECRET, rosters=rosters))
    paths = GradePaths(
        submitted=root / "submitted",
        source=root / "exercises",
        release=root / "release",
        out=root / "graded" / ("variants" if roster is not None else "lab"),
        course=root,
    )
    options = GradeOptions(
        force=True, progress=False, cell_timeout=60, timeout=300, trust_submissions=trust
    )
    started = time.perf_counter()
    summary = grade_assignment(ASSIGNMENT, paths, options)
    seconds = time.perf_counter() - started
    if summary.failed:
        raise RuntimeError(f"not graded: {summary.failed}")
    return seconds


def totals(out: Path) -> dict[str, tuple[float, int]]:
    """student -> (total, parts said to use other numbers)."""
    found = {}
    for path in sorted((out / files.RESULTS).glob("*.json")):
        result = files.read(out / files.RESULTS, path.stem)
        if result is not None:
            other = sum(len(e.fits) for e in result.questions)
            found[result.student] = (result.score, other)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=60, help="submissions (default 60)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of both (default 2)")
    args = parser.parse_args()
    bank.questions = varied  # the benchmark's declarations, in this process (the judge)
    try:
        jail.find()
        trust = False
    except jail.IsolationUnavailable:
        trust = True
    with tempfile.TemporaryDirectory() as tmp:
        root = course(Path(tmp))
        students = make_class(
            root, ASSIGNMENT, root, size=args.n + len(HOSTILE) + len(COPIES), kinds=NOT_HOSTILE
        )
        roster = [s.id for s in students]
        os.chdir(root)  # the course's private folders, relative to the working folder
        load = os.getloadavg()[0]
        runs: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(args.rounds):
            for with_roster in (False, True):
                runs[with_roster].append(grade(root, roster if with_roster else None, trust))
        lab, own = totals(root / "graded" / "lab"), totals(root / "graded" / "variants")
    print(f"{os.cpu_count()} cores, {args.n} forward-pass submissions, {args.rounds} rounds")
    print(f"load average {load:.1f} -> {os.getloadavg()[0]:.1f}; isolation: {not trust}")
    print(f"  {'':24} {'median':>8} {'runs':>20} {'per submission':>15}")
    for with_roster, label in ((False, "the lab's numbers"), (True, "each student's own")):
        m = median(runs[with_roster])
        said = ", ".join(f"{s:.1f}" for s in runs[with_roster])
        print(f"  {label:24} {m:7.1f}s {said:>20} {m / args.n:14.3f}s")
    ratio = median(runs[True]) / median(runs[False]) - 1
    verdict = "met" if ratio <= GOAL else "NOT met"
    print(f"  with variants: {ratio:+.1%} (goal within {GOAL:.0%}: {verdict})")
    same = sum(1 for s, (total, _) in lab.items() if s in own and abs(own[s][0] - total) < 1e-9)
    other = sum(n for _, n in own.values())
    print(f"  totals equal for {same}/{len(lab)} students; parts of other numbers: {other}")
    full = [s.id for s in students if s.kind == "correct"]
    print(f"  the solution: {', '.join(f'{lab[s][0]:g} and {own[s][0]:g}' for s in full)}")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
