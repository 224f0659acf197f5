"""The sealed key against a patient attacker, beside the local check a student waits for.

    python benchmarks/bench_sealed.py [--guesses 200] [--repeats 3] [--gpu 1e5]

Measured side by side in one run, at the production scrypt cost (`sealed.COST`):

- one offline guess against a sealed part: one direct `hashlib.scrypt` call (what a
  search pays per candidate, not through the package's API);
- the local check's latency: `grader.check` from the committed release folders' sealed
  keys, for every graded question, on the right answer and on a wrong one (every numeric
  part off by 3 tolerances: a miss, where `near` may look next door), the median of
  `--repeats` each (goal: median <= 50 ms, none over 500 ms);
- for every sealed part, what finding it by brute force costs from what a student knows
  of it (each element's sign and decade): the candidate cells to try (each element's
  decade spans so many cells of its grid at the part's tolerance), half of them expected,
  and that time at the measured rate on one core and at `--gpu` guesses a second.

Prints the latency table, the attack table sorted from the cheapest part, and counts.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import math
import os
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

import grader
from grader.compare import sealed
from grader.compare.layout import assemble
from grader.kinds import Choice, Expression, Function, Model, NumberSet, Numeric
from grader.question import Question
from grader.student import known
from optigrade import bank

ROOT = Path(__file__).resolve().parents[1]


def one_guess(repeats: int) -> float:
    """Seconds of one scrypt call at the production cost (median)."""
    cost, times = sealed.COST, []
    for i in range(repeats):
        started = time.perf_counter()
        hashlib.scrypt(
            f"candidate {i}".encode(), salt=b"s" * 32, n=cost.n, r=cost.r, p=cost.p, dklen=16
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _off(question: Question) -> Any:
    """The answer with every numeric part 3 tolerances off (a miss), others as they are."""
    values = dict(question.answer)
    for part in question.parts:
        if isinstance(part, Numeric | NumberSet):
            e = np.asarray(values[part.name], dtype=np.float64)
            values[part.name] = e + 3 * (part.tol.atol + part.tol.rtol * np.abs(e))
    return assemble(question, values)


def latency(repeats: int) -> tuple[list[tuple[str, float, float]], list[str]]:
    """(question, right ms, wrong ms) for every graded question, checked as a student's
    notebook checks it, from the release folder; and the questions not timed, and why."""
    os.environ[known.SEALED] = "1"
    found, skipped = [], []
    for assignment in bank.assignments():
        os.chdir(ROOT / "release" / assignment)
        for q in bank.questions(assignment):
            if q.practice or any(isinstance(p, Model | Function) for p in q.parts):
                skipped.append(f"{q.id} (a model or a function: the student's code is timed)")
                continue
            right, wrong = assemble(q, q.answer), _off(q)
            times: list[list[float]] = [[], []]
            for _ in range(repeats):
                for answer, sink in zip((right, wrong), times, strict=True):
                    started = time.perf_counter()
                    with contextlib.redirect_stdout(io.StringIO()):
                        grader.check(q.id, answer)
                    sink.append(1000 * (time.perf_counter() - started))
            found.append((q.id, statistics.median(times[0]), statistics.median(times[1])))
    os.chdir(ROOT)
    return found, skipped


def _cells_per_decade(x: float, tol: Any) -> float:
    """Cells of x's grid in x's decade (the sign and decade a student knows)."""
    sc = sealed._scale(tol)
    if x == 0 or sc.mode == "bits":
        return 1.0
    d = math.floor(math.log10(abs(x)))
    ends = np.sign(x) * np.array([10.0**d, 10.0 ** (d + 1)])
    z = sealed._position(ends, sc)
    return max(1.0, abs(float(z[1] - z[0])) / sealed.K)


def attack(question: Question) -> list[tuple[str, str, int, float]]:
    """(part, kind, elements, log10 of the expected guesses) of each sealed part."""
    found = []
    for part in question.parts:
        expected = question.answer[part.name]
        if isinstance(part, Numeric | NumberSet):
            e = np.ravel(np.asarray(expected, dtype=np.float64))
            logs = [math.log10(_cells_per_decade(float(x), part.tol)) for x in e]
            kind = "integer" if getattr(part, "integer", False) else type(part).__name__
            if kind == "integer":
                logs = [math.log10(max(1.0, 10 ** math.ceil(math.log10(abs(x) + 1)))) for x in e]
            found.append((part.name, kind, e.size, sum(logs) - math.log10(2)))
        elif isinstance(part, Choice):
            found.append((part.name, "Choice", 1, math.log10(max(1, len(part.options)) / 2)))
        elif isinstance(part, Function):
            costs = []
            for probe in part.probes:
                if probe.hidden:
                    continue
                out = probe.expected(probe.kwargs)
                flat = np.concatenate(
                    [
                        np.ravel(np.asarray(v, dtype=np.float64))
                        for v in (out if isinstance(out, tuple | list) else [out])
                    ]
                )
                logs = [math.log10(_cells_per_decade(float(x), probe.tol)) for x in flat]
                costs.append((flat.size, sum(logs) - math.log10(2)))
            if costs:
                size, log = min(costs, key=lambda c: c[1])  # the cheapest public probe
                found.append((part.name, "Function", size, log))
        elif isinstance(part, Expression):
            found.append((part.name, "Expression", 0, math.inf))
    return found


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds) or seconds > 3.15e7 * 1e4:
        return "> 100 centuries"
    for unit, size in (("years", 3.15e7), ("days", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.2g} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guesses", type=int, default=200, help="scrypt calls timed")
    parser.add_argument("--repeats", type=int, default=3, help="checks timed per answer")
    parser.add_argument("--gpu", type=float, default=1e5, help="an attacker's guesses a second")
    args = parser.parse_args()
    console = Console()
    guess = one_guess(args.guesses)
    cost = sealed.COST
    console.print(
        f"one offline guess = one scrypt call (n={cost.n}, r={cost.r}, p={cost.p}, "
        f"{cost.memory / 2**20:.2f} MiB): {1000 * guess:.2f} ms on one core "
        f"({1 / guess:.0f} guesses/s), median of {args.guesses}"
    )
    timed, skipped = latency(args.repeats)
    everything = [t for _, right, wrong in timed for t in (right, wrong)]
    table = Table(title="the local check, ms (median of the repeats)")
    for column in ("checks", "median", "p95", "max", "x one guess (median)"):
        table.add_column(column, justify="left" if column == "checks" else "right")
    for name, values in (
        ("right answers", [r for _, r, _ in timed]),
        ("wrong answers (3 tolerances off)", [w for _, _, w in timed]),
        ("all", everything),
    ):
        p95 = float(np.percentile(values, 95))
        median = statistics.median(values)
        table.add_row(
            f"{name} ({len(values)})",
            f"{median:.1f}",
            f"{p95:.1f}",
            f"{max(values):.1f}",
            f"{median / (1000 * guess):.1f}",
        )
    console.print(table)
    slowest = max(timed, key=lambda t: max(t[1], t[2]))
    console.print(f"slowest question: {slowest[0]} ({max(slowest[1], slowest[2]):.1f} ms)")
    console.print(f"not timed: {len(skipped)} ({', '.join(s.split()[0] for s in skipped)})")

    rows = []
    for q in bank.all_questions():
        if q.practice:
            continue
        for name, kind, size, log in attack(q):
            rows.append((q.id, name, kind, size, log))
    rows.sort(key=lambda r: r[4])
    attacks = Table(title="brute force per sealed part, from each element's sign and decade")
    for column in ("part", "kind", "elements", "expected guesses", "one core", "GPU"):
        attacks.add_column(column, justify="left" if column in ("part", "kind") else "right")
    for qid, name, kind, size, log in rows[:40]:
        guesses = 10 ** min(log, 300) if math.isfinite(log) else math.inf
        attacks.add_row(
            f"{qid}/{name}",
            kind,
            str(size),
            f"10^{log:.1f}" if math.isfinite(log) else "unbounded",
            _duration(guesses * guess),
            _duration(guesses / args.gpu),
        )
    console.print(attacks)
    console.print(f"(the {len(rows) - 40} other parts cost more)")
    for seconds, said in ((60, "a minute"), (86400, "a day"), (3.15e7, "a year")):
        # compared as logarithms: a part's guesses may be past a float's range
        on_gpu = sum(1 for r in rows if r[4] < math.log10(seconds * args.gpu))
        console.print(
            f"parts found within {said} at {args.gpu:g} guesses/s: {on_gpu} of {len(rows)}"
        )
    by_size: dict[str, list[float]] = {}
    for _, _, kind, size, log in rows:
        if kind in ("Numeric", "NumberSet"):
            key = "1" if size == 1 else "2-3" if size <= 3 else "4-9" if size <= 9 else "10+"
            by_size.setdefault(key, []).append(log)
    summary = Table(title="numeric parts by element count: expected guesses (median, min)")
    for column in ("elements", "parts", "median", "min", "min, one core", "min, GPU"):
        summary.add_column(column, justify="right")
    for key in ("1", "2-3", "4-9", "10+"):
        logs = by_size.get(key, [])
        if logs:
            low = min(logs)
            summary.add_row(
                key,
                str(len(logs)),
                f"10^{statistics.median(logs):.1f}",
                f"10^{low:.1f}",
                _duration(10 ** min(low, 300) * guess),
                _duration(10 ** min(low, 300) / args.gpu),
            )
    console.print(summary)


if __name__ == "__main__":
    main()
