"""Per-submission overhead of the batch-grading sandbox (goal: at most 50 ms).

Grades N copies of a small forward-pass notebook through the worker pool with one
warmed-up worker (fork, namespaces, private mounts, unprivileged uid, rlimits, IPython's
run_cell, recording, the trusted worker's load and grade), and runs the same cells with
``exec`` in a fresh namespace in this process (``grader.score`` grading in-process), then
prints both figures per submission and their difference.

    python benchmarks/bench_grade_overhead.py [-n 40]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import tempfile
import time
from dataclasses import asdict
from itertools import pairwise
from statistics import mean, median

from grader import bank
from grader.grade.isolation import Limits
from grader.grade.pool import WorkerPool

QUESTIONS = ("fp.1.1", "fp.2.1", "act.1", "out.1")
GOAL_MS = 50.0


def cells() -> list[list]:
    """A student's notebook as the worker receives it: (index, source, is a test cell)."""
    found = [[0, "import numpy as np\nimport grader\nfrom grader import bank", False]]
    for qid in QUESTIONS:
        q = bank.get(qid)
        answer = (
            "from grader.compare.layout import assemble\n"
            f"{q.variable} = assemble(bank.get({qid!r}), bank.get({qid!r}).answer)"
        )
        found.append([len(found), answer, False])
        found.append([len(found), f'grader.score("{qid}", {q.variable})', True])
    return found


def job(student: str) -> dict:
    code = cells()
    tests = {qid: code[2 + 2 * i][0] for i, qid in enumerate(QUESTIONS)}
    return {"student": student, "cells": code, "tests": tests}


def sandboxed(n: int) -> tuple[list[float], list[float]]:
    """Seconds per submission through the pool (between consecutive replies) and inside
    the forked child."""
    with tempfile.TemporaryDirectory() as scratch:
        settings = {
            "assignment": "forward-pass",
            "limits": asdict(Limits(cell_timeout=10, timeout=60)),
            "scratch": scratch,
        }
        os.chmod(scratch, 0o711)
        with WorkerPool(1, settings) as pool:
            list(pool.map([job("warm-up")]))  # worker start-up is paid once per batch
            times, replies = [time.perf_counter()], []
            for _, reply in pool.map(job(f"s{i:03d}") for i in range(n)):
                times.append(time.perf_counter())
                replies.append(reply)
    assert all(r["status"] == "graded" for r in replies), replies[0]
    expected = sum(bank.get(q).points for q in QUESTIONS)
    assert all(sum(q["score"] for q in r["questions"]) == expected for r in replies)
    return [b - a for a, b in pairwise(times)], [r["run_seconds"] for r in replies]


def in_process(n: int) -> list[float]:
    """Seconds per submission exec-ing the same cells in a fresh namespace here."""
    code = [compile(source, f"<cell {i}>", "exec") for i, source, _ in cells()]
    exec(code[0], {})  # imports and the grader's caches warmed, as in a worker
    found = []
    for _ in range(n):
        started = time.perf_counter()
        namespace: dict = {}
        with contextlib.redirect_stdout(io.StringIO()):
            for compiled in code:
                exec(compiled, namespace)
        found.append(time.perf_counter() - started)
    return found


def fork_floor(n: int) -> list[float]:
    """Seconds to fork a worker-sized process (same imports) and let it exit: the part of
    the overhead the machine sets, before any isolation or student code."""
    from grader.grade.child import make_shell
    from grader.grade.worker import preload

    preload("forward-pass")
    make_shell()
    found = []
    for _ in range(n):
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        found.append(time.perf_counter() - started)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=40, help="submissions (default 40)")
    n = parser.parse_args().n
    load = os.getloadavg()[0]
    pool, child = sandboxed(n)
    plain = in_process(n)
    floor = fork_floor(n)
    ms = {
        "sandboxed, through the pool": pool,
        "  of which the forked child": child,
        "exec() in-process": plain,
        "fork + exit of a worker-sized process": floor,
    }
    print(f"submissions: {n} (4 questions, {len(cells())} code cells each), 1 worker")
    print(
        f"load average: {load:.1f} before, {os.getloadavg()[0]:.1f} after, {os.cpu_count()} cores"
    )
    print(f"{'per submission, ms':40} {'mean':>7} {'median':>7}")
    for label, values in ms.items():
        print(f"{label:40} {1000 * mean(values):7.1f} {1000 * median(values):7.1f}")
    overhead = [1000 * (mean(pool) - mean(plain)), 1000 * (median(pool) - median(plain))]
    print(f"{'overhead of the sandbox':40} {overhead[0]:7.1f} {overhead[1]:7.1f}")
    print(f"ratio sandboxed / in-process (median): {median(pool) / median(plain):.1f}x")
    verdict = "within" if overhead[1] <= GOAL_MS else "OVER"
    print(f"goal: a median overhead of at most {GOAL_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
