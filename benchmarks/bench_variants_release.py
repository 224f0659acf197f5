"""A release with each student's own numbers (issue 19), at the production scrypt cost.

    python benchmarks/bench_variants_release.py [--students 300] [--jobs 2] [--checks 40]

Measured in a temporary course (the committed release folder of forward-pass copied):

- the per-student files of a release for a roster of `--students` made-up ids, sealed in
  `--jobs` processes (`optigrade.assign.seal.write_variants`: what `grader assign release
  --roster` adds to nbgrader's generation; wall time, and the workers' CPU time: the wall
  time on idle cores), and the leak scan of those files (goal: the
  whole release under 5 minutes on 2 cores);
- the local check's latency with variants: `grader.check` of a student's own right answer
  to every varying question, from the release folder with the student's identity
  (``JUPYTERHUB_USER``), over `--checks` students, and on a classmate's answer (a miss):
  the median of each (goal <= 50 ms), beside the same checks of the lab's right answers
  with no identity (no variants).

The questions that vary are the bank's declarations; where the bank declares none, every
given input of forward-pass's graded questions is drawn from U(-2, 2) for the benchmark.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

import grader
from grader.compare.layout import assemble
from grader.question import Question
from grader.student import identity, known
from grader.variation import Uniform
from optigrade import bank, variants
from optigrade.assign import leaks, seal, secrets

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "forward-pass"
WIDE = Uniform(-2.0, 2.0, nonzero=True)


def _declared() -> str:
    """Which declarations vary; the benchmark's own where the bank has none."""
    if any(q.varies for q in bank.questions(ASSIGNMENT)):
        return "the bank's"
    lab = bank.questions

    def varying(assignment: str) -> tuple[Question, ...]:
        return tuple(
            q
            if q.practice
            else replace(q, varies={n: WIDE for n in q.given if np.ndim(q.inputs[n])})
            for q in lab(assignment)
        )

    bank.questions = varying  # the workers are forked: they see it too
    return "U(-2, 2) on every given input (the bank declares none)"


def _timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _check(qid: str, answer: object) -> float:
    """Seconds of one local check (its printed verdict discarded)."""
    with contextlib.redirect_stdout(io.StringIO()):
        started = time.perf_counter()
        grader.check(qid, answer)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--checks", type=int, default=40)
    args = parser.parse_args()
    print(f"varying: {_declared()}; cores: {os.cpu_count()}, jobs: {args.jobs}")
    roster = [f"student-{n:03d}" for n in range(args.students)]
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        secret = secrets.save(course, secrets.Secrets(os.urandom(32))).course
        folder = course / "release" / ASSIGNMENT
        shutil.copytree(ROOT / "release" / ASSIGNMENT, folder)
        shared = _timed(lambda: seal.write(course, course / "release", ASSIGNMENT))
        files = _timed(
            lambda: seal.write_variants(course, course / "release", ASSIGNMENT, roster, args.jobs)
        )
        # the workers' CPU time: the wall time on `jobs` cores of its own, whatever else runs
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy = cpu.ru_utime + cpu.ru_stime
        scan = _timed(lambda: leaks.scan_variants(course, ASSIGNMENT))
        size = sum(p.stat().st_size for p in (folder / identity.VARIANTS).iterdir())
        print(f"shared sealed key (lab's seals): {shared:.1f} s")
        print(
            f"{args.students} students' files in {args.jobs} processes: {files:.1f} s "
            f"({files / args.students * 1000:.0f} ms a student; {size / 1e6:.1f} MB); the "
            f"workers' CPU {busy:.1f} s, {busy / args.jobs:.1f} s on {args.jobs} idle cores"
        )
        print(f"leak scan of the students' files: {scan:.1f} s")
        print(f"release with variants, beyond nbgrader's generation: {shared + files + scan:.1f} s")

        os.chdir(folder)
        os.environ[known.SEALED] = "1"
        right, miss = [], []
        for n, student in enumerate(roster[: args.checks]):
            os.environ[identity.ENV] = student
            mine = variants.questions(ASSIGNMENT, secret, student)
            theirs = variants.questions(ASSIGNMENT, secret, roster[n - 1])
            for qid, q in mine.items():
                if q.varies:
                    right.append(_check(qid, assemble(q, q.answer)))
                    miss.append(_check(qid, assemble(theirs[qid], theirs[qid].answer)))
        del os.environ[identity.ENV]  # no identity: the lab's numbers, the same questions
        lab = [
            _check(q.id, assemble(q, q.answer))
            for q in bank.questions(ASSIGNMENT)
            for _ in range(args.checks)
            if q.varies
        ]
        found = {"right": right, "miss": miss, "lab": lab}
        ms = {name: [t * 1000 for t in times] for name, times in found.items()}
        print(
            f"local check with variants, {len(right)} checks: median "
            f"{statistics.median(ms['right']):.0f} ms on the student's right answer (max "
            f"{max(ms['right']):.0f}), {statistics.median(ms['miss']):.0f} ms on a classmate's "
            f"(max {max(ms['miss']):.0f}); the lab's right answers, no variants: median "
            f"{statistics.median(ms['lab']):.0f} ms (max {max(ms['lab']):.0f})"
        )


if __name__ == "__main__":
    main()
