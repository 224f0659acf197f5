"""Per-submission overhead of the batch-grading sandbox (goal: at most 50 ms).

Grades N copies of a small forward-pass notebook through the local pool with one
warmed-up sandbox runner inside bubblewrap (fork, namespaces, the read-only view and
private mounts, the uid or capability drop, rlimits, IPython's run_cell, recording, the
judge's load and grade), in every isolation mode this account has, and runs the same
cells with ``exec`` in a fresh namespace in this process, then prints the figures per
submission and the overhead of each mode.

Run as root with ``--user NAME`` (the ordinary user `.ci/unprivileged` makes, with its
venv and checkout in its home), it also runs itself as that user, so root's modes and an
ordinary account's are measured side by side in one run:

    python benchmarks/bench_grade_overhead.py [-n 40] [--user optigrade-ci]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import pwd
import subprocess
import tempfile
import time
from itertools import pairwise
from pathlib import Path
from statistics import mean, median

from grader.compare.layout import assemble
from grader_sandbox import jail
from grader_sandbox.isolation import Limits
from grader_sandbox.messages import RunnerSettings
from optigrade import bank
from optigrade.demo.literals import source
from optigrade.grade.pool import WorkerPool

QUESTIONS = ("fp.1.1", "fp.2.1", "act.1", "out.1")
GOAL_MS = 50.0


def cells() -> list[list]:
    """A student's notebook as a runner receives it: (index, source, is a test cell),
    the answers written as literals (the sandbox has no bank to compute them from)."""
    found = [[0, "import numpy as np\nimport grader", False]]
    for qid in QUESTIONS:
        q = bank.get(qid)
        answer = f"{q.variable} = {source(assemble(q, q.answer))}"
        found.append([len(found), answer, False])
        found.append([len(found), f'grader.score("{qid}", {q.variable})', True])
    return found


def job(student: str) -> dict:
    code = cells()
    tests = {qid: code[2 + 2 * i][0] for i, qid in enumerate(QUESTIONS)}
    return {"student": student, "cells": code, "tests": tests}


def sandboxed(n: int, mode: str) -> tuple[list[float], list[float]]:
    """Seconds per submission through the pool (between consecutive replies) and inside
    the forked child, with the runner in bubblewrap `mode`."""
    with tempfile.TemporaryDirectory() as scratch:
        settings = RunnerSettings(
            "forward-pass",
            limits=Limits(cell_timeout=10, timeout=60),
            scratch=scratch,
            jail=mode,
            bwrap=jail.find().bwrap,
        )
        os.chmod(scratch, 0o711)
        with WorkerPool(1, settings) as pool:
            list(pool.map([job("warm-up")]))  # runner start-up is paid once per batch
            times, replies = [time.perf_counter()], []
            for _, reply in pool.map(job(f"s{i:03d}") for i in range(n)):
                times.append(time.perf_counter())
                replies.append(reply)
    assert all(r.status == "graded" for r in replies), replies[0]
    expected = sum(bank.get(q).points for q in QUESTIONS)
    assert all(sum(q.score for q in r.questions) == expected for r in replies)
    return [b - a for a, b in pairwise(times)], [r.run.run_seconds for r in replies]


def in_process(n: int) -> list[float]:
    """Seconds per submission exec-ing the same cells in a fresh namespace here."""
    code = [compile(source, f"<cell {i}>", "exec") for i, source, _ in cells()]
    exec(code[0], {})  # imports and the grader's caches warmed, as in a runner
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
    """Seconds to fork a runner-sized process (same imports) and let it exit: the part of
    the overhead the machine sets, before any isolation or student code."""
    from grader_sandbox.child import make_shell
    from grader_sandbox.runner import preload

    preload([])
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


def modes() -> list[str]:
    bwrap = jail.find().bwrap
    allowed = jail.MODES if os.geteuid() == 0 else jail.MODES[1:]
    return [m for m in allowed if jail.Jail(bwrap, m).probe() is None]


def measure(n: int) -> dict[str, list[float]]:
    """Seconds per submission: each mode through the pool, and exec() in-process."""
    who = "root" if os.geteuid() == 0 else "ordinary user"
    found = {}
    for mode in modes():
        pool, child = sandboxed(n, mode)
        found[f"{who}, {mode} mode, through the pool"] = pool
        found[f"{who}, {mode} mode, the forked child"] = child
    found[f"{who}, exec() in-process"] = in_process(n)
    found[f"{who}, fork + exit of a runner-sized process"] = fork_floor(n)
    return found


def as_user(user: str, n: int) -> dict[str, list[float]]:
    """The same measurements, run by `user` from its own venv and checkout."""
    home = Path(pwd.getpwnam(user).pw_dir)
    script = home / "optigrade" / "benchmarks" / Path(__file__).name
    argv = ["runuser", "-u", user, "--", str(home / "venv" / "bin" / "python"), str(script)]
    done = subprocess.run([*argv, "-n", str(n), "--json"], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"as {user}: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=40, help="submissions (default 40)")
    parser.add_argument("--user", help="as root: also run as this ordinary user")
    parser.add_argument("--json", action="store_true", help="print the raw seconds as JSON")
    args = parser.parse_args()
    n = args.n
    load = os.getloadavg()[0]
    ms = measure(n)
    if args.json:
        print(json.dumps(ms))
        return
    if args.user:
        ms |= as_user(args.user, n)
    print(f"submissions: {n} (4 questions, {len(cells())} code cells each), 1 runner")
    print(
        f"load average: {load:.1f} before, {os.getloadavg()[0]:.1f} after, {os.cpu_count()} cores"
    )
    print(f"{'per submission, ms':52} {'mean':>7} {'median':>7}")
    for label, values in ms.items():
        print(f"{label:52} {1000 * mean(values):7.1f} {1000 * median(values):7.1f}")
    for who in dict.fromkeys(label.split(",")[0] for label in ms):
        plain = ms[f"{who}, exec() in-process"]
        for label, pool in ms.items():
            if label.startswith(who) and label.endswith("through the pool"):
                overhead = 1000 * (median(pool) - median(plain))
                verdict = "within" if overhead <= GOAL_MS else "OVER"
                mode = label.split(", ")[1]
                print(
                    f"overhead, {who}, {mode}: {overhead:.1f} ms median "
                    f"({median(pool) / median(plain):.1f}x in-process): {verdict} the "
                    f"{GOAL_MS:.0f} ms goal"
                )


if __name__ == "__main__":
    main()
